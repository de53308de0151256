"""Background ticks: every ``server.tick_interval`` seconds each open, unpaused tenant runs
``server.ticks_per_interval`` ticks (in a worker thread), so the dashboard stays live.

Which tick a request lands between depends on timing; for reproducible runs set ``tick_interval = 0``
and drive the colony with ``POST /api/run``.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from phago.server.metrics import Metrics
from phago.server.tenants import Tenants

log = logging.getLogger("phago.server")


async def tick_forever(
    tenants: Tenants, metrics: Metrics, interval: float, ticks: int, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        for tenant in tenants.all():
            if tenant.paused or stop.is_set():
                continue
            try:
                await run_in_threadpool(tenant.colony.run, ticks)
                metrics.ticks.inc(ticks)
            except Exception:  # a failing tenant must not stop the others' ticks; pause it and say why
                tenant.paused = True
                metrics.tick_errors.inc()
                log.exception("background tick failed; ticks paused for this tenant",
                              extra={"tenant": tenant.name})
