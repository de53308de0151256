"""NumpyVectorIndex against a naive model: add/remove/search/scores, removal exactness, ties, history."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago.errors import NotFound
from phago.retrieval.vectors import NumpyVectorIndex, VectorIndex

DIM = 4


def naive_search(model: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[tuple[int, float]]:
    ranked = sorted(((float(v @ query), i) for i, v in model.items()), key=lambda t: (-t[0], t[1]))
    return [(i, s) for s, i in ranked[:k]]


# Small integer coordinates make every dot product exact in float32, so ties are real ties and the index
# must match the naive ranking exactly, including tie order.
coordinates = st.lists(st.integers(-3, 3), min_size=DIM, max_size=DIM)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.lists(st.tuples(st.integers(0, 40), coordinates), max_size=8)),
        st.tuples(st.just("remove"), st.lists(st.integers(0, 40), max_size=8)),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(operations, coordinates, st.integers(0, 50))
def test_matches_a_naive_model(ops: list, query_coords: list[int], k: int) -> None:
    index = NumpyVectorIndex(DIM)
    model: dict[int, np.ndarray] = {}
    for op, payload in ops:
        if op == "add":
            fresh = {i: np.array(c, dtype=np.float32) for i, c in payload if i not in model}
            if fresh:
                index.add(np.array(list(fresh), dtype=np.int64), np.array(list(fresh.values())))
                model.update(fresh)
        else:
            gone = sorted({i for i in payload if i in model})
            index.remove(np.array(gone, dtype=np.int64))
            for i in gone:
                del model[i]
        assert len(index) == len(model)

    query = np.array(query_coords, dtype=np.float32)
    ids, scores = index.search(query, k)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert list(zip(ids.tolist(), scores.tolist(), strict=True)) == naive_search(model, query, k)

    all_ids, all_scores = index.scores(query)
    assert all_ids.tolist() == sorted(model)
    assert all_scores.tolist() == [float(model[i] @ query) for i in sorted(model)]


def test_is_a_vector_index() -> None:
    assert isinstance(NumpyVectorIndex(3), VectorIndex)


def test_search_ranks_real_embeddings_like_float64() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((3000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = rng.permutation(10_000)[:3000].astype(np.int64)
    index = NumpyVectorIndex(384)
    index.add(ids, vectors)
    for _ in range(5):
        query = vectors[rng.integers(3000)] + 0.5 * rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        exact = vectors.astype(np.float64) @ query.astype(np.float64)
        got_ids, got_scores = index.search(query, 10)
        want = np.argsort(-exact)[:10]
        assert got_ids.tolist() == ids[want].tolist()
        np.testing.assert_allclose(got_scores, exact[want], atol=1e-6)
        assert np.all(np.diff(got_scores) <= 0)


def test_removed_vectors_are_gone_exactly() -> None:
    rng = np.random.default_rng(1)
    index = NumpyVectorIndex(8)
    vectors = rng.standard_normal((200, 8)).astype(np.float32)
    index.add(np.arange(200), vectors)
    removed = rng.choice(200, size=150, replace=False)
    index.remove(removed[:70])
    index.remove(removed[70:])
    kept = np.setdiff1d(np.arange(200), removed)
    assert len(index) == 50
    for i in removed[:5].tolist():
        assert i not in index
    ids, scores = index.scores(vectors[0])
    assert ids.tolist() == kept.tolist()
    np.testing.assert_allclose(scores, vectors[kept] @ vectors[0], rtol=1e-5, atol=1e-6)
    found, _ = index.search(vectors[removed[0]], 200)
    assert sorted(found.tolist()) == kept.tolist()

    # a removed id can come back with a new vector; removing everything leaves an empty index
    index.add(np.array([removed[0]]), np.ones((1, 8), dtype=np.float32))
    assert index.search(np.ones(8, dtype=np.float32), 1)[0].tolist() == [removed[0]]
    index.remove(np.concatenate([kept, [removed[0]]]))
    assert len(index) == 0
    ids, scores = index.search(np.ones(8, dtype=np.float32), 3)
    assert ids.size == 0 and scores.size == 0


def test_ties_break_by_ascending_id() -> None:
    index = NumpyVectorIndex(384)
    rng = np.random.default_rng(2)
    same = rng.standard_normal(384).astype(np.float32)
    same /= np.linalg.norm(same)
    tied = np.array([42, 7, 99, 13, 64, 5, 88], dtype=np.int64)
    others = rng.standard_normal((500, 384)).astype(np.float32) * 0.01
    index.add(np.arange(1000, 1500), others)
    index.add(tied, np.tile(same, (len(tied), 1)))
    ids, scores = index.search(same, 4)
    assert ids.tolist() == [5, 7, 13, 42]
    assert len(set(scores.tolist())) == 1


def test_results_do_not_depend_on_insertion_and_removal_history() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((600, 384)).astype(np.float32)
    vectors[100:120] = vectors[0]  # exact duplicates, so ties must come out the same way
    keep = np.arange(0, 600, 2)
    a = NumpyVectorIndex(384)
    a.add(keep, vectors[keep])
    b = NumpyVectorIndex(384)
    order = rng.permutation(600)
    for chunk in np.array_split(order, 7):
        b.add(chunk, vectors[chunk])
    b.remove(np.arange(1, 600, 2))
    for query in (vectors[0], vectors[7], rng.standard_normal(384).astype(np.float32)):
        for k in (1, 5, 11, 300, 1000):
            ids_a, scores_a = a.search(query, k)
            ids_b, scores_b = b.search(query, k)
            assert ids_a.tolist() == ids_b.tolist()
            assert scores_a.tobytes() == scores_b.tobytes()
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a.scores(query), b.scores(query), strict=True))


def test_grows_and_shrinks() -> None:
    index = NumpyVectorIndex(2)
    for start in range(0, 5000, 100):
        ids = np.arange(start, start + 100)
        index.add(ids, np.stack([ids, -ids], axis=1).astype(np.float32))
    assert len(index) == 5000
    index.remove(np.arange(10, 5000))
    assert len(index) == 10
    ids, scores = index.search(np.array([1.0, 0.0], dtype=np.float32), 3)
    assert ids.tolist() == [9, 8, 7]
    assert scores.tolist() == [9.0, 8.0, 7.0]


def test_bad_input_is_rejected_and_leaves_the_index_unchanged() -> None:
    index = NumpyVectorIndex(3)
    index.add(np.array([1, 2]), np.eye(3, dtype=np.float32)[:2])
    with pytest.raises(ValueError, match="already"):
        index.add(np.array([3, 2]), np.eye(3, dtype=np.float32)[:2])
    with pytest.raises(ValueError, match="repeat"):
        index.add(np.array([4, 4]), np.eye(3, dtype=np.float32)[:2])
    with pytest.raises(ValueError, match="shape"):
        index.add(np.array([5]), np.ones((1, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="finite"):
        index.add(np.array([5]), np.array([[np.nan, 0, 0]], dtype=np.float32))
    with pytest.raises(ValueError, match="integers"):
        index.add(np.array([0.5]), np.ones((1, 3), dtype=np.float32))
    with pytest.raises(NotFound):
        index.remove(np.array([1, 77]))
    with pytest.raises(KeyError):  # NotFound is a KeyError
        index.remove(np.array([77]))
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones(4, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="negative"):
        index.search(np.ones(3, dtype=np.float32), -1)
    assert len(index) == 2 and 1 in index and 3 not in index
    assert index.search(np.ones(3, dtype=np.float32), 0)[0].size == 0
    ids, scores = index.search(np.array([0, 1, 0], dtype=np.float32), 5)
    assert ids.tolist() == [2, 1] and scores.tolist() == [1.0, 0.0]
