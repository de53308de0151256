"""The colony as a whole: stats, running ticks, the background ticker, insights, anomalies, export."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from phago.facade import Colony
from phago.server.auth import AdminTenant, ReadTenant, WriteTenant
from phago.server.routes._common import ERRORS
from phago.server.schemas import (
    AnomalyOut,
    DigestIn,
    InsightOut,
    RunIn,
    RunOut,
    StatsOut,
    TickerIn,
    TickerOut,
)
from phago.server.state import server_state
from phago.server.tenants import Tenant

router = APIRouter(prefix="/api", tags=["colony"], responses=ERRORS)

EXPORT_TYPES = {"json": "application/json", "graphml": "application/xml", "triples": "application/x-ndjson"}
_EXTENSIONS = {"json": "json", "graphml": "graphml", "triples": "jsonl"}


def stats_of(tenant: Tenant) -> StatsOut:
    s = tenant.colony.stats()
    info = tenant.communities()
    communities = sum(1 for c in info.communities if c.size >= 2) if s.edges else 0
    return StatsOut.of(tenant.name, s, info.modularity if s.edges else None, communities)


@router.get("/stats", summary="Counts, tick, agents and community modularity")
def stats(tenant: ReadTenant) -> StatsOut:
    return stats_of(tenant)


@router.post("/run", summary="Run ticks now")
def run(body: RunIn, tenant: WriteTenant) -> RunOut:
    report = tenant.colony.run(body.ticks)
    return RunOut.of(report, tenant.colony.tick)


@router.post("/digest", summary="Run until every document is digested (or max_ticks)")
def digest(body: DigestIn, tenant: WriteTenant) -> RunOut:
    report = tenant.colony.digest(body.max_ticks)
    return RunOut.of(report, tenant.colony.tick)


def _ticker(request: Request, tenant: Tenant) -> TickerOut:
    server = server_state(request).settings.server
    return TickerOut(paused=tenant.paused, interval=server.tick_interval,
                     ticks_per_interval=server.ticks_per_interval)


@router.get("/ticker", summary="The background ticks of this tenant")
async def get_ticker(request: Request, tenant: ReadTenant) -> TickerOut:
    return _ticker(request, tenant)


@router.put("/ticker", summary="Pause or resume the background ticks of this tenant")
async def put_ticker(request: Request, body: TickerIn, tenant: WriteTenant) -> TickerOut:
    tenant.paused = body.paused
    return _ticker(request, tenant)


@router.get("/insights", summary="What the Synthesizers reported")
def insights(tenant: ReadTenant) -> list[InsightOut]:
    return [InsightOut.of(i) for i in tenant.colony.insights()]


@router.get("/anomalies", summary="Documents the Sentinel flagged as novel or drifting")
def anomalies(tenant: ReadTenant) -> list[AnomalyOut]:
    return [AnomalyOut.of(a) for a in tenant.colony.anomalies()]


def _export_to_file(colony: Colony, fmt: str) -> str:
    fd, path = tempfile.mkstemp(prefix="phago-export-", suffix="." + _EXTENSIONS[fmt])
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            colony.export(fmt, fh)
    except BaseException:
        os.unlink(path)
        raise
    return path


@router.get(
    "/export", response_class=FileResponse, summary="Download the graph (admin)",
    responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}, "description": "The export file."}},
)
async def export(
    tenant: AdminTenant,
    format: Annotated[Literal["json", "graphml", "triples"], Query(description="File format.")] = "json",
) -> FileResponse:
    path = await run_in_threadpool(_export_to_file, tenant.colony, format)
    return FileResponse(
        path, media_type=EXPORT_TYPES[format], filename=f"phago-{tenant.name}.{_EXTENSIONS[format]}",
        background=BackgroundTask(os.unlink, path),
    )
