"""Fan-out of colony events to WebSocket clients without ever blocking the colony.

The colony calls :meth:`EventHub.publish` synchronously in whatever thread changed it. Publishing encodes
the event once and appends it to each client's bounded buffer; a full buffer drops its *oldest* entry and
counts the drop. Clients drain their buffer on the event loop, so a slow reader only loses events — it
never slows a tick.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from contextlib import suppress

from phago.events import Event

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_type(event: Event) -> str:
    """``TickCompleted`` → ``tick_completed``."""
    return _CAMEL.sub("_", type(event).__name__).lower()


def encode(event: Event) -> str:
    return json.dumps({"type": event_type(event), **dataclasses.asdict(event)}, separators=(",", ":"))


class Subscription:
    """One client's bounded buffer of encoded events."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._loop = loop
        self._items: deque[str] = deque()
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._wake_pending = False
        self.closed = False
        self.dropped = 0  # total since the client connected
        self.delivered = 0
        self._unreported = 0  # drops not yet told to the client

    def push(self, message: str) -> bool:
        """Append ``message`` (any thread); returns ``False`` if the oldest buffered message was dropped."""
        with self._lock:
            kept = True
            if len(self._items) >= self._maxsize:
                self._items.popleft()
                self.dropped += 1
                self._unreported += 1
                kept = False
            self._items.append(message)
            schedule = not self._wake_pending
            self._wake_pending = True
        if schedule:
            self._call(self._wake.set)
        return kept

    def close(self) -> None:
        self.closed = True
        self._call(self._wake.set)

    def _call(self, fn: Callable[[], None]) -> None:
        with suppress(RuntimeError):  # the loop is closed: the client is gone, nothing to wake
            self._loop.call_soon_threadsafe(fn)

    async def next_batch(self) -> tuple[list[str], int]:
        """Wait for messages; returns them and the number dropped since the last batch."""
        await self._wake.wait()
        with self._lock:
            self._wake.clear()
            self._wake_pending = False
            items = list(self._items)
            self._items.clear()
            dropped, self._unreported = self._unreported, 0
            self.delivered += len(items)
        return items, dropped


class EventHub:
    """Subscriptions of one tenant's colony."""

    def __init__(self, queue_size: int, on_drop: Callable[[int], None] | None = None) -> None:
        self.queue_size = queue_size
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._on_drop = on_drop
        self.published = 0

    def publish(self, event: Event) -> None:
        message = encode(event)
        with self._lock:
            self.published += 1
            subs = list(self._subs)
        drops = sum(1 for s in subs if not s.push(message))
        if drops and self._on_drop is not None:
            self._on_drop(drops)

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(loop, self.queue_size)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subs)

    def close(self) -> None:
        """Wake every client so it can say goodbye (the server is shutting down)."""
        with self._lock:
            subs, self._subs = self._subs, []
        for s in subs:
            s.close()
