"""The app factory: ``create_app(settings)`` builds a FastAPI app; its lifespan opens and closes colonies.

Creating the app does no I/O; the lifespan opens the key database (if any), decides whether auth is on,
opens the default colony (auth off), starts background ticks and, at shutdown, stops them and closes
every colony.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from phago._version import __version__
from phago.config import Settings
from phago.retrieval.dense import Embedder
from phago.server import routes
from phago.server.auth import Authenticator
from phago.server.errors import install_handlers
from phago.server.keys import KeyStore
from phago.server.metrics import Metrics, MetricsMiddleware
from phago.server.state import ServerState
from phago.server.tenants import DEFAULT_TENANT, Tenants
from phago.server.ticker import tick_forever
from phago.server.uploads import BodyLimitMiddleware

log = logging.getLogger("phago.server")

DESCRIPTION = """Phago's REST API: ingest documents, query passages with explanations, explore the
self-organising concept graph, watch agents, and stream live events over `GET /ws/events`.

Errors are JSON: `{"error": {"status", "code", "message", "details"}}`. With auth on, send an API key
as `Authorization: Bearer <token>`; a key sees only its tenant's colony."""


def create_app(
    settings: Settings | None = None, *, db: str | Path | None = None, auth: bool | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """Build the app.

    ``db`` is the colony file of the single ``default`` tenant when auth is off (default:
    ``storage.path``). ``auth`` forces API-key auth on or off; by default it is on when
    ``server.require_auth`` is set or the key database in ``server.data_dir`` holds an active key.
    ``embedder`` (e.g. :func:`phago.retrieval.dense.default_embedder`) is attached to every tenant's colony
    for dense retrieval.
    """
    settings = settings if settings is not None else Settings()
    metrics = Metrics()
    data_dir = Path(settings.server.data_dir)
    default_db = Path(db) if db is not None else Path(settings.storage.path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys = await run_in_threadpool(KeyStore.open, data_dir, create=False)
        if auth is not None:
            enabled = auth
        else:
            active = await run_in_threadpool(keys.count_active) if keys is not None else 0
            enabled = settings.server.require_auth or active > 0
        if enabled and keys is None:
            keys = await run_in_threadpool(KeyStore.open, data_dir, create=True)
        tenants = Tenants(
            settings, data_dir=data_dir, default_db=None if enabled else default_db,
            on_drop=metrics.events_dropped.inc, embedder=embedder,
        )
        collector = metrics.watch(tenants)
        state = ServerState(settings, tenants, Authenticator(keys, enabled=enabled), keys, metrics)
        app.state.phago = state
        stop = asyncio.Event()
        ticker: asyncio.Task[None] | None = None
        try:
            if not enabled:
                await run_in_threadpool(tenants.get, DEFAULT_TENANT)
            if settings.server.tick_interval > 0:
                ticker = asyncio.create_task(
                    tick_forever(tenants, metrics, settings.server.tick_interval,
                                 settings.server.ticks_per_interval, stop)
                )
            state.ready = True
            log.info("phago server ready", extra={
                "auth": enabled, "tenant_files": str(data_dir) if enabled else str(default_db),
                "tick_interval": settings.server.tick_interval,
                "embedder": embedder.name if embedder is not None else None,
            })
            yield
        finally:
            state.ready = False
            stop.set()
            if ticker is not None:
                with suppress(asyncio.CancelledError):
                    await ticker
            await run_in_threadpool(tenants.close)
            if keys is not None:
                keys.close()
            metrics.registry.unregister(collector)
            log.info("phago server stopped")

    app = FastAPI(
        title="Phago", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        docs_url="/docs", redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.metrics = metrics
    install_handlers(app)
    for router in routes.ROUTERS:
        app.include_router(router)
    routes.dashboard.mount_static(app)
    app.add_middleware(BodyLimitMiddleware, limit=settings.server.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
