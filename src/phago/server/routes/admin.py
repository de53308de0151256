"""Who am I, and API keys of the caller's own tenant (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from phago._version import __version__
from phago.server.auth import AdminTenant, CurrentPrincipal
from phago.server.errors import Conflict
from phago.server.keys import ApiKey, KeyStore
from phago.server.routes._common import AUTH_OFF, ERRORS, NOT_FOUND
from phago.server.schemas import KeyCreated, KeyIn, KeyOut, WhoAmI
from phago.server.state import server_state

router = APIRouter(prefix="/api", tags=["auth"], responses=ERRORS)

KeyId = Annotated[str, Path(min_length=1, max_length=64, description="A key id (key_…).")]


def _keys(request: Request) -> KeyStore:
    st = server_state(request)
    if not st.auth.enabled or st.keys is None:
        raise Conflict("auth is off on this server: there are no keys to manage here (see `phago keys`)")
    return st.keys


def _out(k: ApiKey) -> KeyOut:
    return KeyOut(id=k.id, tenant=k.tenant, role=k.role, created_at=k.created_at, revoked_at=k.revoked_at)


@router.get("/whoami", summary="The caller's tenant and role")
async def whoami(request: Request, principal: CurrentPrincipal) -> WhoAmI:
    st = server_state(request)
    return WhoAmI(tenant=principal.tenant, role=principal.role, auth=st.auth.enabled, key_id=principal.key_id,
                  version=__version__, substrate_size=st.settings.colony.substrate_size)


@router.get("/keys", responses=AUTH_OFF, summary="API keys of the caller's tenant (admin)")
def list_keys(request: Request, tenant: AdminTenant) -> list[KeyOut]:
    return [_out(k) for k in _keys(request).list(tenant.name)]


@router.post("/keys", status_code=201, responses=AUTH_OFF, summary="Create a key for this tenant (admin)")
def create_key(request: Request, body: KeyIn, tenant: AdminTenant) -> KeyCreated:
    key, token = _keys(request).create(tenant.name, body.role)
    return KeyCreated(key=_out(key), token=token)


@router.delete(
    "/keys/{key_id}", responses={**NOT_FOUND, **AUTH_OFF},
    summary="Revoke a key of the caller's tenant (admin)",
)
def revoke_key(request: Request, key_id: KeyId, tenant: AdminTenant) -> KeyOut:
    return _out(_keys(request).revoke(key_id, tenant=tenant.name))
