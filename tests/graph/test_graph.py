"""The concept graph: Hebbian wiring, maintenance (decay, prune, degree cap) and withdrawal.

Degree-cap rule tested here (``ConceptGraph._cap_degrees``): at maintenance, each concept ranks its
edges strongest first (ties: the neighbour with the smaller id first). An edge ranked at or past
``max_degree`` at *either* endpoint is dropped, unless it is the strongest edge (rank 0) of one of its
endpoints. So no concept keeps more than ``max_degree`` edges except edges that are some other concept's
strongest edge, and capping a hub never strands a leaf.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago.config import Settings, WiringSettings
from phago.core import hebbian
from phago.graph.graph import ConceptGraph


def _wiring(**kw: Any) -> WiringSettings:
    return Settings().with_overrides({f"wiring.{k}": v for k, v in kw.items()}).wiring


def _graph(n: int, **kw: Any) -> tuple[ConceptGraph, list[int]]:
    g = ConceptGraph(_wiring(**kw))
    labels = [f"c{i:03d}" for i in range(n)]
    ids, new = g.add_postings(1, dict.fromkeys(labels, 1), dict.fromkeys(labels, "term"), 0)
    assert new == n
    return g, [ids[label] for label in labels]


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _weights(g: ConceptGraph) -> dict[tuple[int, int], float]:
    e = g.edges
    return {(int(e.src[r]), int(e.dst[r])): float(e.weight[r]) for r in e.live_rows().tolist()}


# -- wiring ----------------------------------------------------------------------------------------------


def test_first_wiring_creates_tentative_edge_then_reinforces() -> None:
    g, (a, b, c) = _graph(3, tentative_weight=0.1, learning_rate=0.2)
    out = g.wire({_key(a, b): 1, _key(a, c): 3}, existing=set(), tick=5)
    assert (out.new_edges, out.reinforced_edges) == (2, 0)
    w = _weights(g)
    assert w[_key(a, b)] == pytest.approx(0.1)
    assert w[_key(a, c)] == pytest.approx(float(hebbian.fresh_weight(3, 0.1, 0.2)))
    edge = next(e for e in g.edge_list() if {e.source, e.target} == {"c000", "c001"})
    assert (edge.coactivations, edge.created_tick, edge.last_reinforced_tick) == (1, 5, 5)

    out = g.wire({_key(a, b): 2}, existing={a, b}, tick=9)
    assert (out.new_edges, out.reinforced_edges, out.links_to_existing) == (0, 1, 1)
    w2 = _weights(g)
    assert w2[_key(a, b)] == pytest.approx(float(hebbian.fresh_weight(3, 0.1, 0.2)))
    assert w2[_key(a, b)] > w[_key(a, b)]
    edge = next(e for e in g.edge_list() if {e.source, e.target} == {"c000", "c001"})
    assert (edge.coactivations, edge.created_tick, edge.last_reinforced_tick) == (3, 5, 9)
    nb = g.neighbours(a)
    assert dict(nb) == {b: w2[_key(a, b)], c: w2[_key(a, c)]}
    assert [w for _, w in nb] == sorted((w for _, w in nb), reverse=True)


def test_edges_are_undirected_and_ordered() -> None:
    g, (a, b) = _graph(2)
    g.wire({_key(b, a): 1}, set(), 0)
    assert g.edges.row(a, b) == g.edges.row(b, a) is not None
    assert len(g.edges) == 1
    assert b in g.adjacency[a] and a in g.adjacency[b]


# -- decay and prune -------------------------------------------------------------------------------------


def test_mature_idle_edges_decay_young_ones_do_not() -> None:
    g, (a, b, c, d) = _graph(
        4,
        maturation_ticks=10,
        decay_grace_ticks=3,
        decay_rate=0.1,
        activity_protection=1.0,
        prune_threshold=0.0,
    )
    g.wire({_key(a, b): 2}, set(), tick=0)  # old and idle
    g.wire({_key(a, c): 1}, set(), tick=0)  # old but used recently (below)
    g.wire({_key(c, d): 1}, set(), tick=15)  # young
    g.wire({_key(a, c): 1}, set(), tick=18)
    before = _weights(g)
    out = g.maintain(tick=20, elapsed=20)
    after = _weights(g)
    assert out.decayed == 1
    # idle 20 ticks, of which the grace period spares 3 (elapsed covers them all)
    expected = before[_key(a, b)] * float(hebbian.decay_factor(17, 2, 0.1, 1.0))
    assert after[_key(a, b)] == pytest.approx(expected, rel=1e-12)
    assert after[_key(a, c)] == before[_key(a, c)]  # within the grace period
    assert after[_key(c, d)] == before[_key(c, d)]  # not mature


def test_decay_covers_only_the_elapsed_ticks() -> None:
    g, (a, b) = _graph(2, maturation_ticks=0, decay_grace_ticks=0, decay_rate=0.1, prune_threshold=0.0)
    g.wire({_key(a, b): 1}, set(), tick=0)
    w = _weights(g)[_key(a, b)]
    g.maintain(tick=10, elapsed=10)
    g.maintain(tick=15, elapsed=5)
    assert _weights(g)[_key(a, b)] == pytest.approx(w * float(hebbian.decay_factor(15, 1, 0.1, 1.0)), rel=1e-12)


@settings(max_examples=25, deadline=None, database=None)
@given(st.lists(st.integers(min_value=1, max_value=10), min_size=2, max_size=8))
def test_decay_is_monotone_over_maintenance_sweeps(steps: list[int]) -> None:
    g, (a, b) = _graph(2, maturation_ticks=0, decay_grace_ticks=0, decay_rate=0.05, prune_threshold=0.0)
    g.wire({_key(a, b): 3}, set(), tick=0)
    tick, last = 0, _weights(g)[_key(a, b)]
    for s in steps:
        tick += s
        g.maintain(tick, s)
        w = _weights(g)[_key(a, b)]
        assert 0.0 < w <= last
        last = w


def test_weak_mature_edges_are_pruned_young_ones_kept() -> None:
    g, (a, b, c, d) = _graph(4, maturation_ticks=10, decay_grace_ticks=0, decay_rate=0.0, prune_threshold=0.3)
    g.wire({_key(a, b): 1}, set(), tick=0)  # mature, weak (0.1): pruned
    g.wire({_key(a, c): 10}, set(), tick=0)  # mature, strong: kept
    g.wire({_key(c, d): 1}, set(), tick=15)  # weak but young: kept
    out = g.maintain(tick=20, elapsed=20)
    assert out.pruned == [_key(a, b)]
    assert set(_weights(g)) == {_key(a, c), _key(c, d)}
    assert b not in g.adjacency[a] and a not in g.adjacency[b]
    assert g.edges.row(a, b) is None
    assert _key(a, b) in g.dirty.deleted_edges
    # a pruned edge can be wired again from scratch
    g.wire({_key(a, b): 1}, set(), tick=21)
    assert _weights(g)[_key(a, b)] == pytest.approx(0.1)
    assert _key(a, b) not in g.dirty.deleted_edges


# -- degree cap ------------------------------------------------------------------------------------------


def test_leaf_only_edge_survives_capping_a_hub() -> None:
    g, ids = _graph(8, max_degree=2, maturation_ticks=10**6)
    hub, leaves = ids[0], ids[1:]
    g.wire({_key(hub, leaf): i + 1 for i, leaf in enumerate(leaves)}, set(), tick=0)
    out = g.maintain(tick=1, elapsed=1)
    assert out.capped == []
    assert len(g.adjacency[hub]) == len(leaves)  # every leaf keeps its only edge


def test_cap_drops_hub_edges_that_neighbours_do_not_need() -> None:
    g, ids = _graph(6, max_degree=2, maturation_ticks=10**6)
    hub, x, y, z, p, q = ids
    # x, y, z each have a stronger edge elsewhere (to p or q), so their hub edge is not protected
    g.wire({_key(hub, x): 5, _key(hub, y): 4, _key(hub, z): 3, _key(hub, p): 2}, set(), 0)
    g.wire({_key(x, p): 9, _key(y, q): 9, _key(z, q): 8}, set(), 0)
    out = g.maintain(tick=1, elapsed=1)
    # hub ranks x, y, z, p: z and p are past the cap; p's strongest is x–p, z's strongest is z–q
    assert set(out.capped) == {_key(hub, z), _key(hub, p)}
    assert g.adjacency[hub] == {x, y}


def _reference_cap(weights: dict[tuple[int, int], float], cap: int) -> set[tuple[int, int]]:
    by_node: dict[int, list[tuple[float, int, tuple[int, int]]]] = {}
    for (a, b), w in weights.items():
        by_node.setdefault(a, []).append((-w, b, (a, b)))
        by_node.setdefault(b, []).append((-w, a, (a, b)))
    over, protected = set(), set()
    for edges in by_node.values():
        edges.sort()
        protected.add(edges[0][2])
        over.update(k for _, _, k in edges[cap:])
    return over - protected


@st.composite
def _random_graphs(draw: st.DrawFn) -> tuple[int, int, dict[tuple[int, int], int]]:
    n = draw(st.integers(min_value=2, max_value=12))
    cap = draw(st.integers(min_value=1, max_value=4))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 6)),
            min_size=1,
            max_size=40,
        )
    )
    edges = {_key(a, b): c for a, b, c in pairs if a != b}
    return n, cap, edges


@settings(max_examples=40, deadline=None, database=None)
@given(_random_graphs())
def test_degree_cap_rule(case: tuple[int, int, dict[tuple[int, int], int]]) -> None:
    n, cap, edges = case
    g, ids = _graph(n, max_degree=cap, maturation_ticks=10**6)
    g.wire({_key(ids[a], ids[b]): c for (a, b), c in edges.items()}, set(), 0)
    before = _weights(g)
    out = g.maintain(tick=1, elapsed=1)
    after = _weights(g)
    expected_drop = _reference_cap(before, cap)
    assert set(out.capped) == expected_drop
    assert set(after) == set(before) - expected_drop
    assert all(after[k] == before[k] for k in after)  # capping never changes surviving weights
    # no node keeps more than cap edges, except edges that are the strongest edge of an endpoint
    ranked: dict[int, list[tuple[float, int, tuple[int, int]]]] = {}
    for (a, b), w in after.items():
        ranked.setdefault(a, []).append((-w, b, (a, b)))
        ranked.setdefault(b, []).append((-w, a, (a, b)))
    strongest = {min(v)[2] for v in ranked.values()}
    for node, v in ranked.items():
        v.sort()
        for _, _, k in v[cap:]:
            assert k in strongest, (node, k)
        assert len(g.adjacency.get(node, ())) == len(v)
    # every concept that had an edge still has one: no leaf is stranded
    assert {x for k in before for x in k} == {x for k in after for x in k}


# -- withdrawal and concept removal ----------------------------------------------------------------------


def test_withdraw_restores_fresh_weight_and_removes_emptied_edges() -> None:
    g, (a, b, c) = _graph(3)
    g.wire({_key(a, b): 2, _key(a, c): 1}, set(), 0)
    g.wire({_key(a, b): 3}, set(), 1)
    g.withdraw({_key(a, b): 3, _key(a, c): 1})
    w = _weights(g)
    assert set(w) == {_key(a, b)}
    assert w[_key(a, b)] == float(hebbian.fresh_weight(2, 0.1, 0.1))
    assert c not in g.adjacency[a]


def test_removing_a_concepts_last_passage_drops_it_and_its_edges() -> None:
    g = ConceptGraph(_wiring())
    ids1, _ = g.add_postings(1, {"alpha": 2, "beta": 1}, {"alpha": "term", "beta": "term"}, 0)
    ids2, new = g.add_postings(2, {"alpha": 1, "gamma": 1}, {"alpha": "term", "gamma": "term"}, 1)
    assert new == 1 and ids1["alpha"] == ids2["alpha"]
    a, b, c = ids1["alpha"], ids1["beta"], ids2["gamma"]
    g.wire({_key(a, b): 1, _key(a, c): 1}, set(), 1)
    assert g.concept("alpha").occurrences == 3 and g.concept("alpha").passages == 2  # type: ignore[union-attr]
    g.remove_passage(1)
    assert g.concept("beta") is None
    assert g.concept("alpha").occurrences == 1 and g.concept("alpha").passages == 1  # type: ignore[union-attr]
    assert set(_weights(g)) == {_key(a, c)}
    assert b in g.dirty.deleted_concepts
    assert g.total_occurrences == 2


def test_mean_weight() -> None:
    g, (a, b, c) = _graph(3)
    assert g.mean_weight() == 0.0
    g.wire({_key(a, b): 1, _key(b, c): 2}, set(), 0)
    assert g.mean_weight() == pytest.approx(np.mean([0.1, float(hebbian.fresh_weight(2, 0.1, 0.1))]))
