"""The concept graph: interned concepts, postings concept→passage, Hebbian edges, adjacency.

Every mutation is recorded in the ``dirty`` sets so the store can save incrementally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from phago.config import WiringSettings
from phago.core import hebbian
from phago.core.types import Concept, ConceptKind, Edge
from phago.graph.edges import EdgeTable


@dataclass(slots=True)
class Dirty:
    concepts: set[int] = field(default_factory=set)
    deleted_concepts: set[int] = field(default_factory=set)
    deleted_edges: set[tuple[int, int]] = field(default_factory=set)
    passages: set[int] = field(default_factory=set)  # passages whose postings changed

    def clear(self) -> None:
        for s in (self.concepts, self.deleted_concepts, self.deleted_edges, self.passages):
            s.clear()


@dataclass(frozen=True, slots=True)
class WiringOutcome:
    new_edges: int
    reinforced_edges: int
    links_to_existing: int
    weight_sum: float


@dataclass(frozen=True, slots=True)
class MaintenanceOutcome:
    decayed: int
    pruned: list[tuple[int, int]]
    capped: list[tuple[int, int]]


class ConceptGraph:
    def __init__(self, wiring: WiringSettings) -> None:
        self.wiring = wiring
        self.concepts: dict[int, Concept] = {}
        self.by_label: dict[str, int] = {}
        self.postings: dict[int, dict[int, int]] = {}  # concept -> passage -> tf
        self.passage_concepts: dict[int, dict[int, int]] = {}  # passage -> concept -> tf
        self.edges = EdgeTable()
        self.adjacency: dict[int, set[int]] = {}
        self.next_concept_id = 1
        self.total_occurrences = 0
        self.version = 0  # bumped by every mutation; caches of derived structure key on it
        # bumped when concepts or edges appear or disappear (not when weights merely change), so
        # read-optimised snapshots survive query-time reinforcement
        self.structure_version = 0
        self.dirty = Dirty()

    # -- concepts and postings -------------------------------------------------------------------------
    def concept(self, label: str) -> Concept | None:
        cid = self.by_label.get(label)
        return self.concepts[cid] if cid is not None else None

    def add_postings(
        self, passage_id: int, counts: Mapping[str, int], kinds: Mapping[str, ConceptKind], tick: int
    ) -> tuple[dict[str, int], int]:
        """Record a digested passage's concepts. Returns label→id and how many concepts were new."""
        ids: dict[str, int] = {}
        new = 0
        self.version += 1
        self.structure_version += 1
        per_passage = self.passage_concepts.setdefault(passage_id, {})
        for label in sorted(counts):
            tf = counts[label]
            cid = self.by_label.get(label)
            if cid is None:
                cid = self.next_concept_id
                self.next_concept_id += 1
                self.concepts[cid] = Concept(cid, label, kinds[label], 0, 0, tick, tick)
                self.by_label[label] = cid
                self.postings[cid] = {}
                new += 1
            c = self.concepts[cid]
            c.occurrences += tf
            c.passages += 1
            self.total_occurrences += tf
            c.last_tick = tick
            self.postings[cid][passage_id] = tf
            per_passage[cid] = tf
            ids[label] = cid
            self.dirty.concepts.add(cid)
        self.dirty.passages.add(passage_id)
        return ids, new

    def remove_passage(self, passage_id: int) -> None:
        """Withdraw a passage's postings and concept counts; drop concepts left with none."""
        self.version += 1
        self.structure_version += 1
        for cid, tf in self.passage_concepts.pop(passage_id, {}).items():
            c = self.concepts[cid]
            c.occurrences -= tf
            c.passages -= 1
            self.total_occurrences -= tf
            del self.postings[cid][passage_id]
            if c.passages <= 0:
                self._drop_concept(cid)
            else:
                self.dirty.concepts.add(cid)

        self.dirty.passages.discard(passage_id)

    def _drop_concept(self, cid: int) -> None:
        label = self.concepts.pop(cid).label
        del self.by_label[label]
        del self.postings[cid]
        for other in sorted(self.adjacency.get(cid, ())):
            r = self.edges.row(cid, other)
            if r is not None:
                self._delete_rows(np.array([r], dtype=np.int64))
        self.adjacency.pop(cid, None)
        self.dirty.concepts.discard(cid)
        self.dirty.deleted_concepts.add(cid)

    # -- edges -----------------------------------------------------------------------------------------
    def wire(self, pairs: Mapping[tuple[int, int], int], existing: set[int], tick: int) -> WiringOutcome:
        """Hebbian update for co-activated pairs (``existing``: concepts present before this passage)."""
        self.version += 1
        w0, eta = self.wiring.tentative_weight, self.wiring.learning_rate
        e = self.edges
        index = e.index
        old_rows: list[int] = []
        old_counts: list[int] = []
        new_keys: list[tuple[int, int]] = []
        new_counts: list[int] = []
        links = 0
        for key, count in pairs.items():
            r = index.get(key)
            if r is None:
                new_keys.append(key)
                new_counts.append(count)
            else:
                old_rows.append(r)
                old_counts.append(count)
            if key[0] in existing and key[1] in existing:
                links += 1
        weight_sum = 0.0
        if old_rows:
            rows = np.array(old_rows, dtype=np.int64)
            counts = np.array(old_counts, dtype=np.int64)
            e.weight[rows] = hebbian.reinforce(e.weight[rows], counts, eta)
            e.coact[rows] += counts
            e.last[rows] = tick
            e.changed[rows] = True
            weight_sum += float(e.weight[rows].sum())
        if new_keys:
            weights = hebbian.fresh_weight(np.array(new_counts, dtype=np.int64), w0, eta)
            e.add_many(new_keys, weights, new_counts, tick)
            self.structure_version += 1
            if self.dirty.deleted_edges:  # re-created before the deletion was saved: it is an update now
                self.dirty.deleted_edges.difference_update(new_keys)
            adjacency = self.adjacency
            for a, b in new_keys:
                adjacency.setdefault(a, set()).add(b)
                adjacency.setdefault(b, set()).add(a)
            weight_sum += float(weights.sum())
        return WiringOutcome(len(new_keys), len(old_rows), links, weight_sum)

    def reinforce_existing(self, pairs: Iterable[tuple[int, int]], tick: int) -> int:
        """One more co-activation for each existing edge among ``pairs`` (use strengthens). Returns count."""
        rows = [r for key in dict.fromkeys(pairs) if (r := self.edges.index.get(key)) is not None]
        if not rows:
            return 0
        self.version += 1
        e = self.edges
        idx = np.array(rows, dtype=np.int64)
        e.weight[idx] = hebbian.reinforce(e.weight[idx], 1, self.wiring.learning_rate)
        e.coact[idx] += 1
        e.last[idx] = tick
        e.changed[idx] = True
        return len(rows)

    def weaken(self, pairs: Iterable[tuple[int, int]]) -> int:
        """Negative feedback: each existing edge among ``pairs`` loses a ``learning_rate`` share of weight."""
        rows = [r for key in dict.fromkeys(pairs) if (r := self.edges.index.get(key)) is not None]
        if not rows:
            return 0
        self.version += 1
        e = self.edges
        idx = np.array(rows, dtype=np.int64)
        e.weight[idx] *= 1.0 - self.wiring.learning_rate
        e.changed[idx] = True
        return len(rows)

    def withdraw(self, pairs: Mapping[tuple[int, int], int]) -> None:
        """Remove co-activations a forgotten document caused; an edge left with none disappears."""
        self.version += 1
        w0, eta = self.wiring.tentative_weight, self.wiring.learning_rate
        e = self.edges
        gone = []
        for key in sorted(pairs):
            r = e.index.get(key)
            if r is None:  # already pruned
                continue
            old = int(e.coact[r])
            new = max(0, old - pairs[key])
            if new == 0:
                gone.append(r)
                continue
            e.weight[r] = float(hebbian.after_forget(e.weight[r], old, new, w0, eta))
            e.coact[r] = new
            e.changed[r] = True
        if gone:
            self._delete_rows(np.array(gone, dtype=np.int64))

    def _delete_rows(self, rows: np.ndarray) -> list[tuple[int, int]]:
        self.structure_version += 1
        keys = self.edges.remove_rows(rows)
        for a, b in keys:
            self.adjacency[a].discard(b)
            self.adjacency[b].discard(a)
            self.dirty.deleted_edges.add((a, b))
        return keys

    def maintain(self, tick: int, elapsed: int) -> MaintenanceOutcome:
        """Decay, prune and cap degrees, vectorised over all live edges (``elapsed`` ticks since last)."""
        self.version += 1
        s = self.wiring
        e = self.edges
        rows = e.live_rows()
        if rows.size == 0:
            return MaintenanceOutcome(0, [], [])
        age = tick - e.created[rows]
        idle = tick - e.last[rows]
        mature = age >= s.maturation_ticks
        decaying = mature & (idle > s.decay_grace_ticks)
        decayed = int(decaying.sum())
        if decayed and s.decay_rate > 0:
            d_rows = rows[decaying]
            ticks = np.minimum(elapsed, idle[decaying] - s.decay_grace_ticks)
            e.weight[d_rows] *= hebbian.decay_factor(
                ticks, e.coact[d_rows], s.decay_rate, s.activity_protection
            )
            e.changed[d_rows] = True
        weak = mature & (e.weight[rows] < s.prune_threshold)
        pruned = self._delete_rows(rows[weak]) if weak.any() else []
        capped = self._cap_degrees()
        return MaintenanceOutcome(decayed, pruned, capped)

    def _cap_degrees(self) -> list[tuple[int, int]]:
        """Enforce ``max_degree``: an edge ranked past the cap at an over-full endpoint is dropped unless it
        is the strongest edge of its other endpoint, so capping a hub never strands a leaf."""
        cap = self.wiring.max_degree
        e = self.edges
        rows = e.live_rows()
        if rows.size == 0:
            return []
        node = np.concatenate([e.src[rows], e.dst[rows]])
        if np.bincount(node).max() <= cap:
            return []
        row2 = np.concatenate([rows, rows])
        w2 = np.concatenate([e.weight[rows], e.weight[rows]])
        other = np.concatenate([e.dst[rows], e.src[rows]])  # ties broken by the neighbour's id, not the row
        order = np.lexsort((other, -w2, node))
        node_s, row_s = node[order], row2[order]
        starts = np.r_[0, np.flatnonzero(np.diff(node_s)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, node_s.size]))
        rank = np.arange(node_s.size) - first
        over_rows = np.unique(row_s[rank >= cap])
        protected_rows = np.unique(row_s[rank == 0])
        drop = np.setdiff1d(over_rows, protected_rows, assume_unique=True)
        return self._delete_rows(drop) if drop.size else []

    # -- reading ---------------------------------------------------------------------------------------
    def edge_list(self) -> Iterable[Edge]:
        e = self.edges
        for r in e.live_rows().tolist():
            yield Edge(
                self.concepts[int(e.src[r])].label,
                self.concepts[int(e.dst[r])].label,
                float(e.weight[r]),
                int(e.coact[r]),
                int(e.created[r]),
                int(e.last[r]),
            )

    def neighbours(self, cid: int) -> list[tuple[int, float]]:
        out = []
        for other in self.adjacency.get(cid, ()):
            r = self.edges.row(cid, other)
            assert r is not None
            out.append((other, float(self.edges.weight[r])))
        out.sort(key=lambda t: (-t[1], t[0]))
        return out

    def mean_weight(self) -> float:
        rows = self.edges.live_rows()
        # Row order differs after a reload; rounding to 12 significant digits makes the (pairwise-summed)
        # mean independent of it without an exact, slow fsum over every edge.
        return float(f"{float(self.edges.weight[rows].sum()) / rows.size:.12g}") if rows.size else 0.0
