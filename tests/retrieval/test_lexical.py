"""BM25 (``phago.retrieval.lexical``) against bm25s, the reference, and its incremental behaviour.

bm25s is asked for float64 scores (``dtype="float64"``) on exactly the token lists we index, with the same
parameters (k1=1.2, b=0.75, Lucene idf), so the two must agree to 1e-6 relative.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago.demo import corpus as demo_corpus
from phago.retrieval.analyzer import make_analyzer
from phago.retrieval.lexical import BM25Field, LexicalIndex
from strict_mode import require_module

bm25s = require_module("bm25s", "bm25s comes with the bench extra: pip install 'phago[bench]'")

K1, B = 1.2, 0.75
RTOL = 1e-6


def synthetic_docs(n: int = 200, seed: int = 11) -> list[list[str]]:
    """``n`` small documents over a seeded, Zipf-like vocabulary (so document frequencies vary widely)."""
    rng = random.Random(seed)
    vocab = [f"w{i:03d}" for i in range(300)]
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    return [rng.choices(vocab, weights, k=rng.randint(3, 40)) for _ in range(n)]


def real_docs() -> list[list[str]]:
    """Paragraphs of the bundled demo corpus, analysed (stop words dropped, stemmed) as the colony does."""
    analyze = make_analyzer("english")
    docs = []
    for item in demo_corpus()[0]:
        for para in item.text.split("\n\n"):
            terms = analyze(para)
            if terms:
                docs.append(terms)
    return docs


@pytest.fixture(scope="module")
def docs() -> list[list[str]]:
    out = synthetic_docs() + real_docs()
    assert len(out) > 230
    return out


def queries(docs: Sequence[Sequence[str]], n: int = 120, seed: int = 5) -> list[list[str]]:
    """Queries of 1–6 distinct tokens drawn from the corpus (rare and frequent), some with an unknown token."""
    rng = random.Random(seed)
    vocab = sorted({t for d in docs for t in d})
    out = []
    for i in range(n):
        q = list(dict.fromkeys(rng.sample(vocab, rng.randint(1, 6))))
        if i % 10 == 0:
            q.append("zzzunknownzzz")
        out.append(q)
    # a few queries made of one document's own tokens (many matches with high term frequency)
    for d in docs[:: max(1, len(docs) // 10)]:
        out.append(list(dict.fromkeys(d))[:5])
    return out


def reference(docs: Sequence[Sequence[str]]) -> bm25s.BM25:
    ref = bm25s.BM25(k1=K1, b=B, method="lucene", dtype="float64")
    ref.index([list(d) for d in docs], show_progress=False)
    return ref


def field_of(docs: Sequence[Sequence[str]]) -> BM25Field:
    f = BM25Field(K1, B)
    for key, d in enumerate(docs):
        f.add(key, d)
    return f


def ref_scores(ref: bm25s.BM25, q: Sequence[str]) -> np.ndarray:
    return np.asarray(ref.get_scores(list(q)), dtype=np.float64)


# -- equality with bm25s -------------------------------------------------------------------------------


def test_bm25_field_equals_bm25s_on_full_score_vectors(docs: list[list[str]]) -> None:
    ref, ours = reference(docs), field_of(docs)
    n = len(docs)
    compared = 0
    for q in queries(docs):
        expected = ref_scores(ref, q)
        got = ours.score_dense(q, n)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-12, err_msg=f"query {q}")
        compared += int((expected > 0).sum())
    assert compared > 1000  # the comparison covered many non-zero scores


def test_lexical_index_without_document_context_equals_bm25s(docs: list[list[str]]) -> None:
    ref = reference(docs)
    index = LexicalIndex(K1, B, document_weight=0.0)
    for pid, d in enumerate(docs):
        index.add(pid, pid // 3, d)  # documents are indexed nowhere: their weight is zero anyway
    for q in queries(docs, n=40, seed=9):
        expected = ref_scores(ref, q)
        pids, scores = index.score(q)
        assert pids.tolist() == np.flatnonzero(expected > 0).tolist()
        np.testing.assert_allclose(scores, expected[pids], rtol=RTOL)
        np.testing.assert_allclose(index.score_dense(q)[: len(docs)], expected, rtol=RTOL, atol=1e-12)


def test_search_is_top_k_by_score_then_passage_id_and_explains_the_score(docs: list[list[str]]) -> None:
    index = LexicalIndex(K1, B, document_weight=0.0)
    dup = docs[:20] + docs[:20]  # duplicates tie exactly: ties must break by passage id
    for pid, d in enumerate(dup):
        index.add(pid, 0, d)
    ref = reference(dup)
    for q in queries(dup, n=30, seed=3):
        expected = ref_scores(ref, q)
        order = sorted(np.flatnonzero(expected > 0).tolist(), key=lambda p: (-round(expected[p], 9), p))
        for k in (1, 3, 10, 100):
            hits = index.search(q, k)
            assert [h.passage_id for h in hits] == order[:k]
            for h in hits:
                assert h.score == pytest.approx(expected[h.passage_id], rel=RTOL)
                assert sum(c for _, c in h.terms) == pytest.approx(h.score, rel=1e-9)
                assert {t for t, _ in h.terms} == set(q) & set(dup[h.passage_id])
    assert index.search(["zzzunknownzzz"], 5) == []


# -- incremental add / remove --------------------------------------------------------------------------


def test_add_then_remove_equals_never_added(docs: list[list[str]]) -> None:
    base = field_of(docs)
    churned = field_of(docs)
    extra = ["brandnewterm", "w000", "w000", "w001", "cell"]
    qs = [*queries(docs, n=30, seed=21), ["brandnewterm"], ["w000", "w001"]]
    for q in qs:  # fill the caches first: removal must invalidate them
        churned.score_dense(q, len(docs) + 1)
    churned.add(len(docs), extra)
    for q in qs:
        churned.score_dense(q, len(docs) + 1)
    churned.remove(len(docs), extra)
    assert churned.count == base.count
    assert churned.avgdl() == base.avgdl()
    for q in qs:
        np.testing.assert_allclose(
            churned.score_dense(q, len(docs) + 1), base.score_dense(q, len(docs) + 1), rtol=1e-12, atol=0
        )
        ck, cs = churned.score(q)
        bk, bs = base.score(q)
        assert ck.tolist() == bk.tolist()
        np.testing.assert_allclose(cs, bs, rtol=1e-12)
    assert churned.score(["brandnewterm"])[0].size == 0


def test_adding_after_querying_changes_n_and_avgdl_for_the_next_query(docs: list[list[str]]) -> None:
    field = field_of(docs)
    q = ["w000", "w005", "cell"]
    before = field.score_dense(q, len(docs) + 1).copy()
    # a long document sharing no query term changes N and avgdl, so every existing score changes
    unrelated = ["otherterm"] * 200
    field.add(len(docs), unrelated)
    after = field.score_dense(q, len(docs) + 1)
    expected = ref_scores(reference([*docs, unrelated]), q)
    np.testing.assert_allclose(after, expected, rtol=RTOL, atol=1e-12)
    assert not np.allclose(after[: len(docs)], before[: len(docs)])
    # a new document that matches is found by the next query, scored as if indexed from the start
    matching = ["w005", "w005", "cell", "x"]
    field.add(len(docs) + 1, matching)
    expected = ref_scores(reference([*docs, unrelated, matching]), q)
    np.testing.assert_allclose(field.score_dense(q, len(docs) + 2), expected, rtol=RTOL, atol=1e-12)
    keys, _ = field.score(q)
    assert len(docs) + 1 in keys.tolist()


@settings(max_examples=25, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(0, 11), st.lists(st.sampled_from("abcdefg"), max_size=8)),
        min_size=1,
        max_size=30,
    )
)
def test_any_history_of_adds_and_removes_equals_a_fresh_index(
    ops: list[tuple[bool, int, list[str]]],
) -> None:
    """Whatever adds and removes happened (queries in between), the field scores like one built from
    the surviving units alone (and like bm25s on them)."""
    field = BM25Field(K1, B)
    live: dict[int, list[str]] = {}
    for add, key, terms in ops:
        if add and key not in live:
            field.add(key, terms)
            live[key] = terms
        elif not add and key in live:
            field.remove(key, live.pop(key))
        field.score_dense(["a", "b"], 12)  # queries in between fill the caches
    fresh = BM25Field(K1, B)
    for key, terms in live.items():
        fresh.add(key, terms)
    for q in (["a"], ["b", "c"], list("abcdefg"), ["g", "zz"]):
        np.testing.assert_allclose(field.score_dense(q, 12), fresh.score_dense(q, 12), rtol=1e-12, atol=1e-15)
    if live and sum(len(t) for t in live.values()) > 0:
        keys = sorted(live)
        ref = reference([live[k] for k in keys])
        for q in (["a"], list("abcdefg")):
            np.testing.assert_allclose(field.score_dense(q, 12)[keys], ref_scores(ref, q), rtol=RTOL, atol=1e-12)


def test_adding_an_indexed_key_twice_is_refused() -> None:
    f = BM25Field(K1, B)
    f.add(3, ["a", "b"])
    with pytest.raises(ValueError, match="already indexed"):
        f.add(3, ["c"])


# -- dense vs sparse scoring, document context ---------------------------------------------------------


@pytest.mark.parametrize("document_weight", [0.0, 0.5, 2.0])
def test_score_dense_agrees_with_score(docs: list[list[str]], document_weight: float) -> None:
    index = LexicalIndex(K1, B, document_weight=document_weight)
    for pid, d in enumerate(docs):
        index.add(pid + 1, pid // 4, d)  # passage ids start at 1, as in the colony
    for dk in range(len(docs) // 4 + 1):
        index.add_document(dk, sum(len(d) for d in docs[4 * dk : 4 * dk + 4]))
    index.remove(5, docs[4])  # a removed passage scores nothing in either form
    for q in queries(docs, n=40, seed=13):
        pids, scores = index.score(q)
        dense = index.score_dense(q)
        assert dense.shape == (index.size,) == (len(docs) + 1,)  # one past the largest id, not the buffer
        assert np.flatnonzero(dense > 0).tolist() == pids.tolist()
        np.testing.assert_allclose(dense[pids], scores, rtol=1e-12)
        assert 5 not in pids.tolist()


def test_explain_many_gives_each_passage_its_matched_terms_and_bm25_contributions(docs: list[list[str]]) -> None:
    index = LexicalIndex(K1, B, document_weight=0.0)
    for pid, d in enumerate(docs):
        index.add(pid, 0, d)
    for q in queries(docs, n=20, seed=19):
        pids, scores = index.score(q)
        explained = index.explain_many(q, pids.tolist())
        assert explained == [index.explain(q, pid) for pid in pids.tolist()]
        for pid, score, terms in zip(pids.tolist(), scores, explained, strict=True):
            assert [t for t, _ in terms] == [t for t in dict.fromkeys(q) if t in docs[pid]]
            assert sum(c for _, c in terms) == pytest.approx(score, rel=1e-12)


def test_document_context_adds_document_bm25_only_to_matching_passages(docs: list[list[str]]) -> None:
    w = 0.7
    passages = docs[:120]
    owner = [i // 3 for i in range(len(passages))]  # three passages per document
    documents = [[t for p in passages[3 * d : 3 * d + 3] for t in p] for d in range(40)]
    index = LexicalIndex(K1, B, document_weight=w)
    for pid, terms in enumerate(passages):
        index.add(pid, owner[pid], terms)
    for dk, terms in enumerate(documents):
        index.add_document(dk, len(terms))  # a document's term frequencies come from its passages
    ref_p, ref_d = reference(passages), reference(documents)
    lifted = 0
    for q in queries(passages, n=60, seed=17):
        p = ref_scores(ref_p, q)
        d = ref_scores(ref_d, q)[owner]
        expected = p + w * d * (p > 0)
        np.testing.assert_allclose(index.score_dense(q)[: len(passages)], expected, rtol=RTOL, atol=1e-12)
        pids, scores = index.score(q)
        assert pids.tolist() == np.flatnonzero(p > 0).tolist()  # document matches alone add no passage
        np.testing.assert_allclose(scores, expected[pids], rtol=RTOL)
        lifted += int(((p > 0) & (d > p)).sum())
    assert lifted > 0  # the document context did change some scores
    # a passage not matching while a sibling does: its document's score is not added to it
    q = [passages[0][0]]
    siblings = [pid for pid in (0, 1, 2) if q[0] not in passages[pid]]
    dense = index.score_dense(q)
    assert all(dense[pid] == 0 for pid in siblings)
