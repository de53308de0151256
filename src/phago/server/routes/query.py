"""Query and feedback."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from phago.server.auth import ReadTenant, WriteTenant
from phago.server.routes._common import BAD_INPUT, ERRORS, NOT_FOUND
from phago.server.schemas import FeedbackIn, FeedbackOut, QueryIn, QueryOut, ResultOut
from phago.server.tenants import Tenant

router = APIRouter(prefix="/api", tags=["query"], responses=ERRORS)


@router.post("/query", responses=BAD_INPUT, summary="Passages best matching a query, with explanations")
async def query(body: QueryIn, tenant: ReadTenant) -> QueryOut:
    """With ``query.reinforce`` on, answering strengthens the edges that served the results."""
    # async + one explicit worker-thread hop: FastAPI then serialises the response on the event loop
    # instead of in a second hop (the hot path of the API).
    return await run_in_threadpool(_query, tenant, body)


def _query(tenant: Tenant, body: QueryIn) -> QueryOut:
    results = tenant.colony.query(body.query, body.k, alpha=body.alpha, mode=body.mode)
    tenant.touch()
    return QueryOut(query=body.query, results=[ResultOut.of(r) for r in results])


@router.post(
    "/feedback", responses={**BAD_INPUT, **NOT_FOUND},
    summary="Tell the colony whether a passage served a query (strengthens or weakens its edges)",
)
def feedback(body: FeedbackIn, tenant: WriteTenant) -> FeedbackOut:
    changed = tenant.colony.feedback(body.query, body.passage_id, body.signal)
    tenant.touch()
    return FeedbackOut(edges_changed=changed)
