"""What one running app holds (created by the lifespan, reached from requests as ``app.state.phago``)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from phago.config import Settings
from phago.server.auth import Authenticator
from phago.server.errors import Unavailable
from phago.server.keys import KeyStore
from phago.server.metrics import Metrics
from phago.server.tenants import Tenants


@dataclass(slots=True)
class ServerState:
    settings: Settings
    tenants: Tenants
    auth: Authenticator
    keys: KeyStore | None
    metrics: Metrics
    ready: bool = False


def server_state(conn: HTTPConnection) -> ServerState:
    st = getattr(conn.app.state, "phago", None)
    if not isinstance(st, ServerState):
        raise Unavailable("the server is not started (its lifespan has not run)")
    return st
