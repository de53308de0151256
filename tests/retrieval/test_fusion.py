"""Score fusion (``phago.retrieval.fusion``): the hybrid blend, reciprocal-rank fusion, single signals."""

from __future__ import annotations

import numpy as np
import pytest

from phago import Colony, Settings
from phago.retrieval.fusion import MODES, RRF_K, Signals, fuse

IDS = np.arange(6, dtype=np.int64)
LEX = np.array([0.0, 4.0, 2.0, 8.0, 0.0, 1.0])
GRAPH = np.array([0.3, 0.0, 0.6, 0.15, 0.0, 0.6])
DENSE = np.array([0.9, 0.45, 0.0, 0.0, 0.3, 0.0])


def signals(dense: np.ndarray | None = None) -> Signals:
    return Signals(IDS, LEX.copy(), GRAPH.copy(), None if dense is None else dense.copy())


def ranking(scores: np.ndarray) -> list[int]:
    """Ids with a positive score, best first, ties by id (the order search reports)."""
    return sorted(np.flatnonzero(scores > 0).tolist(), key=lambda i: (-scores[i], i))


def test_modes_are_the_documented_five() -> None:
    assert set(MODES) == {"hybrid", "rrf", "lexical", "graph", "dense"}


def test_hybrid_is_the_alpha_blend_of_max_normalised_signals() -> None:
    fused = fuse(signals(), "hybrid", 0.25, dense_weight=0.5)
    np.testing.assert_allclose(fused, 0.25 * LEX / 8.0 + 0.75 * GRAPH / 0.6)


def test_hybrid_alpha_one_is_the_normalised_lexical_score_and_zero_the_graph_score() -> None:
    one = fuse(signals(), "hybrid", 1.0, dense_weight=0.0)
    zero = fuse(signals(), "hybrid", 0.0, dense_weight=0.0)
    np.testing.assert_allclose(one, LEX / LEX.max())
    np.testing.assert_allclose(zero, GRAPH / GRAPH.max())
    assert ranking(one) == ranking(fuse(signals(), "lexical", 0.5, 0.0)) == [3, 1, 2, 5]
    assert ranking(zero) == ranking(fuse(signals(), "graph", 0.5, 0.0)) == [2, 5, 0, 3]


def test_single_signal_modes_return_the_raw_signal() -> None:
    np.testing.assert_array_equal(fuse(signals(DENSE), "lexical", 0.3, 1.0), LEX)
    np.testing.assert_array_equal(fuse(signals(DENSE), "graph", 0.3, 1.0), GRAPH)
    np.testing.assert_array_equal(fuse(signals(DENSE), "dense", 0.3, 1.0), DENSE)
    np.testing.assert_array_equal(fuse(signals(), "dense", 0.3, 1.0), np.zeros(6))


def test_rrf_on_a_hand_example() -> None:
    # lexical ranks: 3 (1st), 1 (2nd), 2 (3rd), 5 (4th); graph ranks: 2 (1st), 5 (2nd, tie broken by id),
    # 0 (3rd), 3 (4th). Absent ids get nothing from a signal.
    r = lambda rank: 1.0 / (RRF_K + rank)  # noqa: E731
    expected = np.array(
        [r(3), r(2), r(3) + r(1), r(1) + r(4), 0.0, r(4) + r(2)],
    )
    assert RRF_K == 60.0
    np.testing.assert_allclose(fuse(signals(), "rrf", 0.9, 5.0), expected)  # alpha and dense weight ignored
    # with dense present, its reciprocal ranks are added: 0 (1st), 1 (2nd), 4 (3rd)
    with_dense = expected + np.array([r(1), r(2), 0.0, 0.0, r(3), 0.0])
    np.testing.assert_allclose(fuse(signals(DENSE), "rrf", 0.9, 0.0), with_dense)


def test_dense_weight_counts_only_when_dense_scores_are_present() -> None:
    without = fuse(signals(), "hybrid", 0.5, dense_weight=2.0)
    np.testing.assert_allclose(without, 0.5 * LEX / 8.0 + 0.5 * GRAPH / 0.6)
    with_dense = fuse(signals(DENSE), "hybrid", 0.5, dense_weight=2.0)
    np.testing.assert_allclose(with_dense, without + 2.0 * DENSE / 0.9)
    np.testing.assert_allclose(fuse(signals(DENSE), "hybrid", 0.5, dense_weight=0.0), without)


def test_an_all_zero_signal_is_not_normalised_into_nans() -> None:
    s = Signals(IDS, np.zeros(6), GRAPH.copy(), None)
    fused = fuse(s, "hybrid", 0.5, 0.0)
    assert np.isfinite(fused).all()
    np.testing.assert_allclose(fused, 0.5 * GRAPH / 0.6)
    np.testing.assert_array_equal(fuse(s, "rrf", 0.5, 0.0) > 0, GRAPH > 0)


# -- through the colony ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def colony(corpus) -> Colony:  # type: ignore[no-untyped-def]
    settings = Settings().with_overrides(
        {"colony.initial_digesters": 3, "ingest.max_passage_words": 30, "query.reinforce": False}
    )
    c = Colony(settings=settings)
    for text in corpus(24, seed=3):
        c.ingest(text)
    c.digest()
    return c


def _query_words(colony: Colony) -> list[str]:
    words = sorted({c.label for c in colony.concept_list() if c.kind == "term"})
    return [" ".join(words[i : i + 3]) for i in range(0, min(len(words), 60), 7)]


def test_colony_hybrid_alpha_one_ranks_like_lexical_and_alpha_zero_like_graph(colony: Colony) -> None:
    checked = 0
    for q in _query_words(colony):
        lexical = colony.query(q, 50, mode="lexical")
        graph = colony.query(q, 50, mode="graph")
        one = colony.query(q, 50, mode="hybrid", alpha=1.0)
        zero = colony.query(q, 50, mode="hybrid", alpha=0.0)
        assert [r.passage_id for r in one] == [r.passage_id for r in lexical]
        assert [r.passage_id for r in zero] == [r.passage_id for r in graph]
        if lexical:
            top = lexical[0].score
            assert [r.score for r in one] == pytest.approx([r.score / top for r in lexical])
            assert [r.components.lexical for r in one] == [r.components.lexical for r in lexical]
        if graph:
            top = graph[0].score
            assert [r.score for r in zero] == pytest.approx([r.score / top for r in graph])
            checked += 1
    assert checked >= 3
