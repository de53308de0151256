"""Typed colony events and a minimal synchronous event bus.

Subscribers are called in the colony's thread right after the change happened; they must be quick and
must not call back into the colony (the server copies events into per-client queues).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TickCompleted:
    tick: int
    passages_digested: int
    concepts_formed: int
    edges_formed: int
    edges_reinforced: int
    edges_pruned: int


@dataclass(frozen=True, slots=True)
class ConceptsFormed:
    tick: int
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EdgesPruned:
    tick: int
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AgentBorn:
    tick: int
    agent_id: int
    kind: str
    parent: int | None


@dataclass(frozen=True, slots=True)
class AgentDied:
    tick: int
    agent_id: int
    kind: str
    cause: str  # "starvation" | "idle" | "unfit" | "symbiosis" | "forced"


@dataclass(frozen=True, slots=True)
class DocumentIngested:
    tick: int
    document_id: str
    title: str
    passages: int


@dataclass(frozen=True, slots=True)
class DocumentDigested:
    tick: int
    document_id: str
    agent_id: int


@dataclass(frozen=True, slots=True)
class DocumentForgotten:
    tick: int
    document_id: str


@dataclass(frozen=True, slots=True)
class InsightReported:
    tick: int
    insight_id: int


@dataclass(frozen=True, slots=True)
class AnomalyFlagged:
    tick: int
    anomaly_id: int
    document_id: str


Event = (
    TickCompleted
    | ConceptsFormed
    | EdgesPruned
    | AgentBorn
    | AgentDied
    | DocumentIngested
    | DocumentDigested
    | DocumentForgotten
    | InsightReported
    | AnomalyFlagged
)
Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Register ``fn``; returns a function that unsubscribes it."""
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)

        return unsubscribe

    @property
    def active(self) -> bool:
        return bool(self._subscribers)

    def emit(self, event: Event) -> None:
        for fn in list(self._subscribers):
            fn(event)
