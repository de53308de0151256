"""Forgetting is exact: a forgotten document leaves what the colony would hold had it never come."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phago import Colony, NotFound, Settings
from phago.core.concepts import extract, profile_document

Snapshot = Callable[[Colony], dict[str, Any]]

_VOCAB = [
    "enzyme",
    "substrate",
    "binding",
    "site",
    "protein",
    "fold",
    "cell",
    "membrane",
    "lipid",
    "gene",
    "generation",
    "the",
    "of",
    "and",
    "is",
]

# short passages, so a document spans several passages and an agent digests it over several ticks
BASE = {"colony.initial_digesters": 3, "ingest.max_passage_words": 10, "digestion.appetite": 1}
# Without vocabulary boost and evolution a passage's concepts depend on its own document only, so
# forgetting B must leave exactly the concepts and co-activations that ingesting A and C alone gives.
PURE = {**BASE, "agents.transfer_boost": 0.0, "evolution.enabled": False}
# Every candidate term of a passage is kept: a concept's passage count is then checkable from the text.
ALL_CANDIDATES = {**PURE, "digestion.max_concepts_per_passage": 1024, "digestion.min_salience": 0.0}


@st.composite
def _document(draw: st.DrawFn) -> str:
    sentences = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        words = draw(st.lists(st.sampled_from(_VOCAB), min_size=2, max_size=14))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


@st.composite
def _three_documents(draw: st.DrawFn) -> tuple[str, str, str]:
    a, b, c = draw(_document()), draw(_document()), draw(_document())
    # distinct texts with at least one concept-worthy word each (otherwise B would be A again, or empty)
    texts = [a, b, c]
    for i, t in enumerate(texts):
        if not any(w in t.lower().split() or w + "." in t.lower().split() for w in _VOCAB[:11]):
            texts[i] = t + " Enzyme."
    texts[1] += " Lipid membrane."  # B is never A or C
    if texts[0] == texts[2]:
        texts[2] += " Gene."
    return texts[0], texts[1], texts[2]


_hyp = settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _colony(overrides: dict[str, Any]) -> Colony:
    return Colony(settings=Settings().with_overrides(overrides))


def _counts(c: Colony) -> dict[str, tuple[str, int, int]]:
    return {x.label: (x.kind, x.occurrences, x.passages) for x in c.concept_list()}


def _pair(source: str, target: str) -> tuple[str, str]:
    # an edge's orientation follows concept ids, which depend on digestion order: compare unordered pairs
    return (source, target) if source < target else (target, source)


def _coactivations(c: Colony) -> dict[tuple[str, str], int]:
    return {_pair(e.source, e.target): e.coactivations for e in c.edges()}


def _weights(c: Colony) -> dict[tuple[str, str], float]:
    return {_pair(e.source, e.target): e.weight for e in c.edges()}


@_hyp
@given(docs=_three_documents())
def test_forget_before_digestion_is_as_if_never_ingested(docs: tuple[str, str, str], state_of: Snapshot) -> None:
    a, b, c = docs
    with _colony(BASE) as x, _colony(BASE) as y:
        x.ingest(a)
        bid = x.ingest(b)
        x.ingest(c)
        x.forget(bid)
        x.digest()
        y.ingest(a)
        y.ingest(c)
        y.digest()
        assert state_of(x) == state_of(y)


@_hyp
@given(_three_documents())
def test_forget_after_digestion_leaves_no_trace_of_the_document(docs: tuple[str, str, str]) -> None:
    a, b, c = docs
    with _colony(ALL_CANDIDATES) as col:
        ids = [col.ingest(t) for t in (a, b, c)]
        col.digest()
        b_passages = {p.id for p in col.passages(ids[1])}
        col.forget(ids[1])

        with pytest.raises(NotFound):
            col.passages(ids[1])
        assert {d.id for d in col.documents()} == {ids[0], ids[2]}
        for word in _VOCAB:
            for r in col.query(word, k=100):
                assert r.document_id != ids[1]
                assert r.passage_id not in b_passages

        # every remaining concept counts exactly the remaining passages (and occurrences) that contain it
        s = col.settings.digestion
        expected_passages: Counter[str] = Counter()
        expected_occurrences: Counter[str] = Counter()
        kinds: dict[str, str] = {}
        for doc in col.documents():
            profile = profile_document(
                doc.text,
                min_term_length=s.min_term_length,
                phrase_min_count=s.phrase_min_count,
                phrase_max_words=s.phrase_max_words,
            )
            for p in col.passages(doc.id):
                pc = extract(
                    p.text,
                    profile,
                    min_term_length=s.min_term_length,
                    phrase_max_words=s.phrase_max_words,
                    min_salience=0.0,
                    max_concepts=1024,
                )
                expected_passages.update(pc.counts.keys())
                expected_occurrences.update(pc.counts)
                kinds.update(pc.kinds)
        assert {
            label: (kinds[label], expected_occurrences[label], n) for label, n in expected_passages.items()
        } == _counts(col)
        assert col.stats().passages == sum(len(col.passages(d.id)) for d in col.documents())
        # every edge joins two remaining concepts
        labels = set(_counts(col))
        assert all(e.source in labels and e.target in labels for e in col.edges())


@_hyp
@given(_three_documents())
def test_forget_after_digestion_equals_never_ingested(docs: tuple[str, str, str]) -> None:
    a, b, c = docs
    with _colony(PURE) as x, _colony(PURE) as y:
        ids = [x.ingest(t) for t in (a, b, c)]
        x.digest()
        x.forget(ids[1])
        y.ingest(a)
        y.ingest(c)
        y.digest()
        assert _counts(x) == _counts(y)
        assert _coactivations(x) == _coactivations(y)
        wx, wy = _weights(x), _weights(y)
        for key, w in wy.items():
            assert wx[key] == pytest.approx(w, abs=1e-9)


@_hyp
@given(_three_documents(), st.integers(min_value=0, max_value=8))
def test_forget_mid_digestion_equals_never_ingested(docs: tuple[str, str, str], ticks: int) -> None:
    # B may be half digested, or held by an agent, when it is forgotten
    a, b, c = docs
    with _colony(PURE) as x, _colony(PURE) as y:
        ids = [x.ingest(t) for t in (a, b, c)]
        x.run(ticks)
        x.forget(ids[1])
        x.digest()
        y.ingest(a)
        y.ingest(c)
        y.digest()
        assert x.stats().undigested_documents == 0
        assert _counts(x) == _counts(y)
        assert _coactivations(x) == _coactivations(y)
        wx, wy = _weights(x), _weights(y)
        for key, w in wy.items():
            assert wx[key] == pytest.approx(w, abs=1e-9)


def test_forget_everything_leaves_an_empty_graph() -> None:
    with _colony(BASE) as col:
        ids = [col.ingest(t) for t in ("Enzyme binding site. Enzyme fold.", "Lipid membrane cell. Lipid gene.")]
        col.digest()
        for i in ids:
            col.forget(i)
        s = col.stats()
        assert (s.documents, s.passages, s.concepts, s.edges) == (0, 0, 0, 0)
        assert col.query("enzyme lipid", k=5) == []


def test_forget_is_saved(tmp_path: Any) -> None:
    path = tmp_path / "c.db"
    with Colony.open(path, Settings().with_overrides(BASE)) as col:
        a = col.ingest("Enzyme binding site. Enzyme fold.")
        b = col.ingest("Lipid membrane cell. Lipid gene.")
        col.digest()
        col.forget(a)
        expected = (_counts(col), _weights(col))
    with Colony.open(path) as col:
        assert [d.id for d in col.documents()] == [b]
        assert (_counts(col), _weights(col)) == expected
