"""Tenants: one colony file, one event hub and one background-tick switch per tenant.

Without auth there is a single tenant, ``default``, whose colony is the ``--db`` file. With auth every
tenant named by an API key has its own file ``<data_dir>/tenants/<tenant>.db``, opened on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from phago.config import Settings
from phago.core.types import Concept, Edge
from phago.errors import NotFound
from phago.events import Event
from phago.facade import Colony
from phago.graph.communities import Community
from phago.retrieval.dense import Embedder
from phago.server.errors import Unavailable
from phago.server.hub import EventHub
from phago.server.keys import check_tenant

DEFAULT_TENANT = "default"
TENANTS_DIRNAME = "tenants"


# Community detection (Louvain) runs under the colony's lock and costs seconds on large graphs, so a
# tenant recomputes it only when the graph changed *and* enough time has passed: at least
# COMMUNITY_MIN_INTERVAL seconds, and at least COMMUNITY_BUDGET times as long as the last computation took
# (so it occupies the colony at most ~1/COMMUNITY_BUDGET of the time). Concepts newer than the last
# computation have no community until the next one.
COMMUNITY_MIN_INTERVAL = 2.0
COMMUNITY_BUDGET = 10.0


@dataclass(frozen=True, slots=True)
class CommunityInfo:
    version: int
    computed_at: float
    seconds: float
    membership: dict[str, int]
    communities: list[Community]
    modularity: float | None


@dataclass(frozen=True, slots=True)
class GraphView:
    """A consistent-enough snapshot of the graph for paging and drawing (rebuilt when the colony changed)."""

    version: int
    tick: int
    concepts: dict[str, Concept]
    edges: list[Edge]
    degree: dict[str, int]
    strength: dict[str, float]
    community: dict[str, int]
    communities: list[Community]
    modularity: float | None


class Tenant:
    def __init__(
        self, name: str, colony: Colony, hub: EventHub, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.colony = colony
        self.hub = hub
        self.paused = False
        self.version = 0  # bumped by every colony event; keys the cached views
        self._clock = clock
        self._view: GraphView | None = None
        self._communities: CommunityInfo | None = None
        self._lock = threading.Lock()
        self._unsubscribe = colony.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.version += 1
        self.hub.publish(event)

    def touch(self) -> None:
        """Mark the colony changed by something that emits no event (queries that reinforce, feedback)."""
        self.version += 1

    def communities(self) -> CommunityInfo:
        """Concept communities and modularity, recomputed at most as often as the budget allows."""
        with self._lock:
            return self._communities_locked()

    def _communities_locked(self) -> CommunityInfo:
        info, version, now = self._communities, self.version, self._clock()
        if info is not None and (
            info.version == version
            or now - info.computed_at < max(COMMUNITY_MIN_INTERVAL, COMMUNITY_BUDGET * info.seconds)
        ):
            return info
        started = time.perf_counter()
        colony = self.colony
        has_edges = colony.stats().edges > 0
        membership = colony.concept_communities()
        found = colony.communities()
        modularity = colony.modularity() if has_edges else None
        self._communities = CommunityInfo(version, now, time.perf_counter() - started, membership, found,
                                          modularity)
        return self._communities

    def view(self) -> GraphView:
        with self._lock:
            version = self.version
            if self._view is None or self._view.version != version:
                self._view = _build_view(self.colony, version, self._communities_locked())
            return self._view

    def close(self) -> None:
        self._unsubscribe()
        self.hub.close()
        self.colony.close()


def _build_view(colony: Colony, version: int, info: CommunityInfo) -> GraphView:
    concepts = {c.label: c for c in colony.concept_list()}
    edges = [e for e in colony.edges() if e.source in concepts and e.target in concepts]
    degree = dict.fromkeys(concepts, 0)
    strength = dict.fromkeys(concepts, 0.0)
    for e in edges:
        degree[e.source] += 1
        degree[e.target] += 1
        strength[e.source] += e.weight
        strength[e.target] += e.weight
    return GraphView(version, colony.tick, concepts, edges, degree, strength, info.membership,
                     info.communities, info.modularity if edges else None)


class Tenants:
    """Opens tenant colonies lazily (thread-safe) and closes them all at shutdown."""

    def __init__(
        self, settings: Settings, *, data_dir: Path, default_db: Path | None,
        on_drop: Callable[[int], None] | None = None, embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.default_db = default_db  # set: single-tenant mode (auth off)
        self.embedder = embedder  # shared by every tenant's colony (dense retrieval), or None
        self._on_drop = on_drop
        self._open: dict[str, Tenant] = {}
        self._lock = threading.Lock()
        self._closed = False

    def path_for(self, name: str) -> Path:
        if self.default_db is not None:
            if name != DEFAULT_TENANT:
                raise NotFound("tenant", name)
            return self.default_db
        return self.data_dir / TENANTS_DIRNAME / f"{check_tenant(name)}.db"

    def peek(self, name: str) -> Tenant | None:
        """The tenant if it is already open (no I/O; safe on the event loop)."""
        return self._open.get(name)

    def get(self, name: str) -> Tenant:
        """The tenant, opening its colony (creating the file) on first use. May do I/O."""
        tenant = self._open.get(name)
        if tenant is not None:
            return tenant
        with self._lock:
            if self._closed:
                raise Unavailable("the server is shutting down")
            tenant = self._open.get(name)
            if tenant is None:
                path = self.path_for(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                colony = Colony.open(path, self.settings, embedder=self.embedder)
                tenant = Tenant(name, colony, EventHub(self.settings.server.event_queue_size, self._on_drop))
                self._open[name] = tenant
            return tenant

    def all(self) -> list[Tenant]:
        return list(self._open.values())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            tenants, self._open = list(self._open.values()), {}
        for t in tenants:
            t.close()
