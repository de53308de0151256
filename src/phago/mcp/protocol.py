"""Protocol utilities beyond tools and resources: completion, subscriptions and logging.

- ``completion/complete`` completes the ``label`` of ``phago://concepts/{label}`` from the colony's
  concepts (most frequent first); any other reference gets an empty completion.
- ``resources/subscribe`` / ``resources/unsubscribe`` (handshake-era clients) and ``subscriptions/listen``
  (2026-07-28 clients): after a tool that changes the memory (``remember``, ``forget``, ``feedback``)
  succeeds, every subscribed resource is announced as updated (``phago://stats`` always is, on listen
  streams), because any change may alter any of them.
- ``logging/setLevel`` (handshake-era clients) records the minimum level per connection; after such a
  tool succeeds, the calling client gets an ``info`` log notification with the result, if its level
  admits it. A client that never set a level gets none.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from typing import Any, get_args

import anyio
import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.session import ServerSession
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.shared.subscriptions import ResourceUpdated
from mcp_types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    EmptyResult,
    LoggingLevel,
    PromptReference,
    ResourceTemplateReference,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from pydantic import BaseModel

from phago.facade import Colony

STATS_URI = "phago://stats"
CONCEPT_TEMPLATE = "phago://concepts/{label}"
MAX_COMPLETIONS = 100  # the protocol's cap on values per completion
MUTATING_TOOLS = frozenset({"remember", "forget", "feedback"})
LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)  # least severe first
NOTIFY_TIMEOUT = 5.0  # seconds to deliver one notification before the subscriber is dropped
CAPACITY = 4096  # connections remembered (oldest dropped first)


def concept_completions(colony: Colony, prefix: str) -> Completion:
    """Concept labels starting with ``prefix`` (case-insensitive), most frequent first."""
    wanted = prefix.strip().lower()
    found = [c for c in colony.concept_list() if c.label.startswith(wanted)]
    found.sort(key=lambda c: (-c.occurrences, c.label))
    values = [c.label for c in found[:MAX_COMPLETIONS]]
    return Completion(values=values, total=len(found), has_more=len(found) > MAX_COMPLETIONS)


def connection_key(ctx: ServerRequestContext[Any, Any]) -> str:
    """The streamable-HTTP session id, or ``"stdio"`` for the one connection of a stdio server."""
    headers = getattr(ctx.request, "headers", None)
    session = headers.get("mcp-session-id") if headers is not None else None
    return str(session) if session else "stdio"


class ConnectionState:
    """Per connection: the log level it asked for and the resources it subscribed to (thread-safe)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._levels: OrderedDict[str, int] = OrderedDict()
        self._subscribed: OrderedDict[str, tuple[ServerSession, set[str]]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def set_level(self, key: str, level: LoggingLevel) -> None:
        with self._lock:
            self._levels[key] = LEVELS.index(level)
            self._trim(self._levels, key)

    def admits(self, key: str, level: LoggingLevel) -> bool:
        with self._lock:
            floor = self._levels.get(key)
        return floor is not None and LEVELS.index(level) >= floor

    def subscribe(self, key: str, session: ServerSession, uri: str) -> None:
        with self._lock:
            _, uris = self._subscribed.get(key, (session, set()))
            self._subscribed[key] = (session, uris | {uri})
            self._trim(self._subscribed, key)

    def unsubscribe(self, key: str, uri: str) -> None:
        with self._lock:
            if key in self._subscribed:
                session, uris = self._subscribed[key]
                self._subscribed[key] = (session, uris - {uri})

    def drop(self, key: str) -> None:
        with self._lock:
            self._subscribed.pop(key, None)
            self._levels.pop(key, None)

    def subscriptions(self) -> list[tuple[str, ServerSession, list[str]]]:
        with self._lock:
            return [(key, s, sorted(uris)) for key, (s, uris) in self._subscribed.items() if uris]

    def _trim(self, table: OrderedDict[str, Any], key: str) -> None:
        table.move_to_end(key)
        while len(table) > self._capacity:
            table.popitem(last=False)


async def announce_changes(state: ConnectionState, bus: SubscriptionBus) -> None:
    """Tell subscribers that the memory changed: each subscribed resource may read differently now."""
    subscribed = state.subscriptions()
    for uri in sorted({STATS_URI}.union(*(uris for _, _, uris in subscribed))):
        await bus.publish(ResourceUpdated(uri=uri))
    for key, session, uris in subscribed:
        try:
            with anyio.fail_after(NOTIFY_TIMEOUT):
                for uri in uris:
                    await session.send_resource_updated(uri)
        except Exception:  # the connection went away (closed stream, transport error, timeout): forget it
            state.drop(key)


def _wire(result: HandlerResult) -> dict[str, Any]:
    """A handler result as it goes on the wire (the runner has usually serialised it already)."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return result if isinstance(result, dict) else {}


async def _log_result(ctx: ServerRequestContext[Any, Any], state: ConnectionState, tool: str, result: Any) -> None:
    if not state.admits(connection_key(ctx), "info"):
        return
    # logging is deprecated at 2026-07-28; it is served to older clients on purpose
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await ctx.session.send_log_message(
            "info", {"tool": tool, "result": result}, logger="phago", related_request_id=ctx.request_id
        )


def install(server: MCPServer[Any], colony: Colony, bus: SubscriptionBus) -> None:
    """Add completion, subscriptions, ``logging/setLevel`` and activity logging to ``server``.

    ``bus`` must be the one ``server`` was built with (``MCPServer(subscriptions=bus)``).
    """
    state = ConnectionState()

    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if isinstance(ref, ResourceTemplateReference) and (ref.uri, argument.name) == (
            CONCEPT_TEMPLATE,
            "label",
        ):
            return await anyio.to_thread.run_sync(concept_completions, colony, argument.value)
        return None

    async def set_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        state.set_level(connection_key(ctx), params.level)
        return EmptyResult()

    async def subscribe(ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        state.subscribe(connection_key(ctx), ctx.session, str(params.uri))
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams) -> EmptyResult:
        state.unsubscribe(connection_key(ctx), str(params.uri))
        return EmptyResult()

    async def after_changes(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        name = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
        if name in MUTATING_TOOLS:
            wire = _wire(result)
            if not wire.get("isError", False):
                await _log_result(ctx, state, name, wire.get("structuredContent"))
                await announce_changes(state, bus)
        return result

    server.completion()(complete)  # type: ignore[no-untyped-call]  # the SDK leaves this decorator untyped
    # MCPServer has no public hook for these handshake-era methods; the SDK documents the low-level
    # server's add_request_handler as the way to serve them.
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
    server.middleware.append(after_changes)
