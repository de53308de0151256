"""``GET /ws/events``: a stats snapshot on connect, then every colony event as one JSON text message.

Messages: ``{"type": "snapshot", "stats": {...}, "queue_size": n}`` first; then events such as
``{"type": "tick_completed", "tick": 12, ...}``; ``{"type": "dropped", "count": n, "total": m}`` when this
client was too slow and ``n`` older events were dropped from its queue. Send the text ``snapshot`` to get a
fresh snapshot, ``ping`` to get ``{"type": "pong"}``. Authenticate with ``?token=<api key>`` (browsers cannot
set headers on WebSockets) or an ``Authorization: Bearer`` header.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from phago.server.auth import open_tenant
from phago.server.errors import ServerError
from phago.server.hub import Subscription
from phago.server.routes.colony import stats_of
from phago.server.state import server_state
from phago.server.tenants import Tenant

router = APIRouter()

GOING_AWAY = 1001
POLICY_VIOLATION = 1008


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value
    return ws.headers.get("x-api-key")


async def _snapshot(ws: WebSocket, tenant: Tenant, sub: Subscription) -> None:
    stats = await run_in_threadpool(stats_of, tenant)
    await ws.send_text(json.dumps({
        "type": "snapshot", "stats": stats.model_dump(mode="json"), "paused": tenant.paused,
        "queue_size": tenant.hub.queue_size, "dropped": sub.dropped,
    }))


@router.websocket("/ws/events")
async def events(ws: WebSocket) -> None:
    await ws.accept()
    try:
        st = server_state(ws)
        principal = st.auth.authenticate(_token(ws))
        tenant = await open_tenant(st.tenants, principal.tenant)
    except ServerError as exc:
        await ws.send_text(json.dumps({"type": "error", "status": exc.status, "code": exc.code,
                                       "message": exc.message}))
        await ws.close(code=POLICY_VIOLATION, reason=exc.code)
        return
    sub = tenant.hub.subscribe(asyncio.get_running_loop())
    st.metrics.ws_clients.inc()
    try:
        await _snapshot(ws, tenant, sub)
        pump = asyncio.create_task(_pump(ws, sub))
        listen = asyncio.create_task(_listen(ws, tenant, sub))
        done, pending = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        for task in done:
            with suppress(WebSocketDisconnect, RuntimeError):
                task.result()
    except WebSocketDisconnect:
        pass
    finally:
        tenant.hub.unsubscribe(sub)
        st.metrics.ws_clients.dec()


async def _pump(ws: WebSocket, sub: Subscription) -> None:
    while True:
        items, dropped = await sub.next_batch()
        if dropped:
            await ws.send_text(json.dumps({"type": "dropped", "count": dropped, "total": sub.dropped}))
        for message in items:
            await ws.send_text(message)
        if sub.closed:
            await ws.close(code=GOING_AWAY, reason="server shutting down")
            return


async def _listen(ws: WebSocket, tenant: Tenant, sub: Subscription) -> None:
    while True:
        text = (await ws.receive_text()).strip()
        if text == "ping":
            await ws.send_text('{"type":"pong"}')
        elif text == "snapshot":
            await _snapshot(ws, tenant, sub)
