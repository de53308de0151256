"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from phago.server.metrics import CONTENT_TYPE, Metrics
from phago.server.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz", summary="Readiness: colonies are open and requests are served",
    responses={503: {"model": Health, "description": "Starting or stopping."}},
)
async def readyz(request: Request) -> JSONResponse:
    st = getattr(request.app.state, "phago", None)
    ready = bool(st is not None and st.ready)
    return JSONResponse({"status": "ready" if ready else "not ready"}, status_code=200 if ready else 503)


@router.get(
    "/metrics", response_class=Response, summary="Prometheus metrics (text exposition format)",
    responses={200: {"content": {"text/plain": {}}, "description": "Metrics."}},
)
async def metrics(request: Request) -> Response:
    m: Metrics = request.app.state.metrics
    body = await run_in_threadpool(m.render)
    return Response(body, media_type=CONTENT_TYPE)
