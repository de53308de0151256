"""Communities: seeded Louvain on planted partitions, and the colony's concept and document communities."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import igraph
import numpy as np
import pytest

from phago import Colony, InputError, Settings
from phago.benchmarks.louvain import planted_partition
from phago.graph.communities import louvain
from phago.retrieval.evaluation import nmi


def _modularity(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, membership: list[int]) -> float:
    """Weighted modularity, computed directly: Σ_c [ W_in(c)/m − (deg(c)/2m)² ]."""
    m = float(weight.sum())
    deg = np.bincount(src, weights=weight, minlength=n) + np.bincount(dst, weights=weight, minlength=n)
    memb = np.asarray(membership)
    inside = memb[src] == memb[dst]
    q = float(weight[inside].sum()) / m
    for c in set(membership):
        q -= (float(deg[memb == c].sum()) / (2 * m)) ** 2
    return q


# -- louvain ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_louvain_recovers_planted_blocks(seed: int) -> None:
    n, src, dst, truth = planted_partition(4, 30, 0.3, 0.02, seed)
    membership, q = louvain(n, src, dst, np.ones(src.size), seed)
    assert len(membership) == n
    assert nmi(truth, membership) >= 0.9
    assert q == pytest.approx(_modularity(n, src, dst, np.ones(src.size), membership), abs=1e-9)
    assert q > 0.4


def test_louvain_is_deterministic_for_a_seed_and_leaves_global_random_alone() -> None:
    n, src, dst, _ = planted_partition(5, 30, 0.15, 0.03, 7)  # noisy enough for the order to matter
    w = np.ones(src.size)
    random.seed(123)
    state = random.getstate()
    first = louvain(n, src, dst, w, 42)
    assert random.getstate() == state  # the process-wide generator is neither used nor replaced
    random.seed(999)  # a different global state changes nothing
    assert louvain(n, src, dst, w, 42) == first
    louvain(n, src, dst, w, 43)
    assert louvain(n, src, dst, w, 42) == first


def test_largest_community_gets_id_zero_and_ids_follow_size() -> None:
    # blocks of different sizes, written in an order where the largest block is not first
    rng = np.random.default_rng(3)
    sizes = [8, 20, 5, 12]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    n = truth.size
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(iu.size) < np.where(truth[iu] == truth[ju], 0.9, 0.005)
    src, dst = iu[keep].astype(np.int64), ju[keep].astype(np.int64)
    membership, _ = louvain(n, src, dst, np.ones(src.size), 0)
    assert nmi(truth.tolist(), membership) > 0.95
    counts = Counter(membership)
    assert sorted(counts) == list(range(len(counts)))
    assert [counts[i] for i in range(len(counts))] == sorted(counts.values(), reverse=True)
    assert membership[8] == 0  # node 8 starts the largest (20-node) block


def test_louvain_uses_the_weights() -> None:
    # a complete graph on 6 nodes: heavy edges inside {0,1,2} and {3,4,5}, light ones across
    pairs = [(i, j) for i in range(6) for j in range(i + 1, 6)]
    src = np.array([i for i, _ in pairs], dtype=np.int64)
    dst = np.array([j for _, j in pairs], dtype=np.int64)
    w = np.array([5.0 if (i < 3) == (j < 3) else 0.1 for i, j in pairs])
    membership, q = louvain(6, src, dst, w, 0)
    assert membership == [0, 0, 0, 1, 1, 1]
    assert q == pytest.approx(_modularity(6, src, dst, w, membership), abs=1e-9)
    # unweighted, the complete graph has no community structure to find
    _, q_flat = louvain(6, src, dst, np.ones(src.size), 0)
    assert q_flat == pytest.approx(0.0, abs=1e-9)


def test_louvain_degenerate_graphs() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert louvain(0, empty, empty, np.zeros(0), 0) == ([], 0.0)
    membership, q = louvain(4, empty, empty, np.zeros(0), 0)
    assert sorted(membership) == [0, 1, 2, 3] and q == 0.0  # isolated nodes: one community each


# -- the colony's concept communities --------------------------------------------------------------------


@pytest.fixture(scope="module")
def colony(corpus) -> Iterator[Colony]:  # type: ignore[no-untyped-def]
    c = Colony(settings=Settings().with_overrides({"colony.initial_digesters": 3, "query.reinforce": False}))
    for text in corpus(28, seed=2):
        c.ingest(text)
    c.digest()
    yield c
    c.close()


def test_concept_communities_cover_every_concept_consistently(colony: Colony) -> None:
    concepts = colony.concept_list()
    membership = colony.concept_communities()
    communities = colony.communities(top=5)
    assert set(membership) == {c.label for c in concepts}
    assert sum(c.size for c in communities) == len(concepts)
    assert [c.id for c in communities] == list(range(len(communities)))
    sizes = Counter(membership.values())
    assert {c.id: c.size for c in communities} == dict(sizes)
    assert [c.size for c in communities] == sorted(sizes.values(), reverse=True)  # 0 is the largest
    occurrences = {c.label: c.occurrences for c in concepts}
    for com in communities:
        assert 0 < len(com.top_concepts) <= 5
        assert all(membership[label] == com.id for label in com.top_concepts)
        occ = [occurrences[label] for label in com.top_concepts]
        assert occ == sorted(occ, reverse=True)  # most frequent first
    assert len(communities) >= 3  # the corpus has four topics


def test_modularity_is_that_of_the_reported_partition(colony: Colony) -> None:
    membership = colony.concept_communities()
    index = {label: i for i, label in enumerate(sorted(membership))}
    edges = colony.edges()
    src = np.array([index[e.source] for e in edges], dtype=np.int64)
    dst = np.array([index[e.target] for e in edges], dtype=np.int64)
    w = np.array([e.weight for e in edges])
    memb = [membership[label] for label in sorted(membership)]
    expected = _modularity(len(index), src, dst, w, memb)
    assert colony.modularity() == pytest.approx(expected, abs=1e-9)
    g = igraph.Graph(n=len(index), edges=list(zip(src.tolist(), dst.tolist(), strict=True)))
    assert colony.modularity() == pytest.approx(g.modularity(memb, weights=w.tolist()), abs=1e-9)
    assert colony.modularity() > 0.3


def test_communities_follow_graph_changes(corpus) -> None:  # type: ignore[no-untyped-def]
    with Colony(settings=Settings().with_overrides({"colony.initial_digesters": 3})) as c:
        for text in corpus(10, seed=4):
            c.ingest(text)
        c.digest()
        before = c.concept_communities()
        c.ingest("Xylophones quiver. Marimbas quiver beside xylophones. Marimbas resonate loudly.")
        c.digest()
        after = c.concept_communities()
        assert set(after) == {x.label for x in c.concept_list()}
        assert {"xylophones", "marimbas"} <= set(after) - set(before)
        assert sum(x.size for x in c.communities()) == len(after)


# -- document communities --------------------------------------------------------------------------------

ASTRONOMY = [
    "galaxy",
    "nebula",
    "telescope",
    "orbit",
    "comet",
    "asteroid",
    "planet",
    "quasar",
    "pulsar",
    "supernova",
    "meteor",
    "eclipse",
]
BAKING = [
    "flour",
    "butter",
    "oven",
    "dough",
    "yeast",
    "sugar",
    "pastry",
    "whisk",
    "batter",
    "crust",
    "vanilla",
    "cinnamon",
    "caramel",
    "biscuit",
]


def topic_documents(vocab: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        sentences = [" ".join(rng.choices(vocab, k=8)).capitalize() + "." for _ in range(5)]
        docs.append(f"Note {vocab[i % len(vocab)]} {i}. " + " ".join(sentences))
    return docs


def test_document_communities_separate_two_topics() -> None:
    with Colony(settings=Settings().with_overrides({"colony.initial_digesters": 3})) as c:
        astro = [c.ingest(t) for t in topic_documents(ASTRONOMY, 8, 1)]
        baking = [c.ingest(t) for t in topic_documents(BAKING, 8, 2)]
        c.digest()
        part = c.document_communities()
        assert set(part.membership) == set(astro) | set(baking)
        assert len({part.membership[d] for d in astro}) == 1
        assert len({part.membership[d] for d in baking}) == 1
        assert part.membership[astro[0]] != part.membership[baking[0]]
        assert part.modularity > 0.3
        assert c.document_communities() == part  # deterministic
        small = c.document_communities(neighbours=3)
        truth = [0] * 8 + [1] * 8
        assert nmi(truth, [small.membership[d] for d in astro + baking]) > 0.9


@pytest.mark.parametrize("neighbours", [0, -1])
def test_document_communities_refuse_or_cover_every_document_for_few_neighbours(neighbours: int) -> None:
    with Colony(settings=Settings().with_overrides({"colony.initial_digesters": 3})) as c:
        ids = [c.ingest(t) for t in topic_documents(ASTRONOMY, 3, 1) + topic_documents(BAKING, 3, 2)]
        c.digest()
        try:
            part = c.document_communities(neighbours=neighbours)
        except InputError:
            return  # refusing the value is right
        assert set(part.membership) == set(ids)  # never a partition of some documents only


def test_undigested_colony_has_no_concept_communities_and_singleton_documents() -> None:
    with Colony() as c:
        ids = [c.ingest(t) for t in topic_documents(BAKING, 3, 5)]
        assert c.communities() == [] and c.concept_communities() == {}
        assert c.modularity() == 0.0
        part = c.document_communities()
        assert set(part.membership) == set(ids)
        assert sorted(part.membership.values()) == [0, 1, 2]  # nothing links them yet


@pytest.mark.parametrize("top", [-1, 0, True, 2.5])
def test_communities_rejects_a_top_that_is_not_positive(colony: Colony, top: object) -> None:
    with pytest.raises(InputError):
        colony.communities(top=top)  # type: ignore[arg-type]
