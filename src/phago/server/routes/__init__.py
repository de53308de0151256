"""HTTP and WebSocket routes, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from phago.server.routes import (
    admin,
    agents,
    colony,
    dashboard,
    documents,
    explore,
    graph,
    ops,
    query,
    ws,
)

ROUTERS: tuple[APIRouter, ...] = (
    documents.router, query.router, graph.router, explore.router, agents.router, colony.router, admin.router,
    ops.router, ws.router, dashboard.router,
)

__all__ = ["ROUTERS", "dashboard"]
