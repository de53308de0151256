"""Who is calling: API-key authentication, roles and the tenant a request works on.

Roles are ordered: ``read`` (GET and query) < ``write`` (+ ingest, forget, run) < ``admin`` (+ agent
apoptosis, export, keys). With auth off (loopback, no keys) every caller is ``admin`` of ``default``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from phago.server.errors import Forbidden, Unauthorized
from phago.server.keys import ROLE_RANK, KeyStore, Role
from phago.server.tenants import DEFAULT_TENANT, Tenant, Tenants


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: str
    role: Role
    key_id: str | None


class Authenticator:
    def __init__(self, keys: KeyStore | None, *, enabled: bool) -> None:
        if enabled and keys is None:
            raise ValueError("auth is enabled but there is no key store")
        self.keys = keys
        self.enabled = enabled

    def authenticate(self, token: str | None) -> Principal:
        if not self.enabled:
            return Principal(DEFAULT_TENANT, "admin", None)
        if not token:
            raise Unauthorized(
                "missing API key: send 'Authorization: Bearer <token>' (or 'X-API-Key: <token>')"
            )
        assert self.keys is not None
        key = self.keys.lookup(token.strip())
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        return Principal(key.tenant, key.role, key.id)


_bearer = HTTPBearer(auto_error=False, description="An API key from `phago keys create`.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same API key, as a header.")


def _state_of(request: Request) -> tuple[Authenticator, Tenants]:
    from phago.server.state import server_state  # state.py imports this module

    st = server_state(request)
    return st.auth, st.tenants


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    auth, _ = _state_of(request)
    principal = auth.authenticate(bearer.credentials if bearer is not None else api_key)
    request.state.tenant = principal.tenant
    return principal


def allows(role: Role, needed: Role) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[needed]


async def open_tenant(tenants: Tenants, name: str) -> Tenant:
    tenant = tenants.peek(name)
    return tenant if tenant is not None else await run_in_threadpool(tenants.get, name)


def need(role: Role) -> Callable[..., Awaitable[Tenant]]:
    """A dependency giving the caller's tenant if its key has at least ``role``."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Tenant:
        if not allows(principal.role, role):
            raise Forbidden(
                f"this API key has role '{principal.role}'; '{role}' is needed for "
                f"{request.method} {request.url.path}"
            )
        _, tenants = _state_of(request)
        return await open_tenant(tenants, principal.tenant)

    return dependency


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ReadTenant = Annotated[Tenant, Depends(need("read"))]
WriteTenant = Annotated[Tenant, Depends(need("write"))]
AdminTenant = Annotated[Tenant, Depends(need("admin"))]
