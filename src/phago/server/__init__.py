"""Phago's HTTP server: REST API, live event stream, dashboard, API keys and tenants, metrics.

Needs the ``server`` extra (``pip install 'phago[server]'``). ``phago serve`` runs it; in code::

    from phago.server import create_app
    app = create_app(settings)          # no I/O until the app's lifespan starts
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phago.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from phago.errors import MissingExtra

        try:
            from phago.server.app import create_app
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            if top in {"fastapi", "starlette", "prometheus_client", "multipart", "uvicorn"}:
                raise MissingExtra("server", top) from None
            raise
        return create_app
    raise AttributeError(f"module 'phago.server' has no attribute {name!r}")
