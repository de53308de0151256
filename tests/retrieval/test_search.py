"""The query pipeline through :class:`phago.Colony`: modes, ordering, explanations, reinforcement,
feedback, concept queries, argument checking, and how ingest / forget show up in results."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from phago import Colony, InputError, NotFound, QueryResult, Settings
from phago.core.text import tokenize
from phago.errors import StorageError
from phago.retrieval.analyzer import make_analyzer
from phago.storage.memory import MemoryStore

BASE = {"colony.initial_digesters": 3, "ingest.max_passage_words": 30}
MODES = ("hybrid", "rrf", "lexical", "graph")
K_ALL = 10_000


def make_colony(corpus: Callable[..., list[str]], **overrides: Any) -> Colony:
    c = Colony(settings=Settings().with_overrides({**BASE, **overrides}))
    for text in corpus(24, seed=5):
        c.ingest(text)
    c.digest()
    return c


@pytest.fixture(scope="module")
def frozen(corpus: Callable[..., list[str]]) -> Iterator[Colony]:
    """A digested colony whose queries do not reinforce (so it can be shared by read-only tests)."""
    c = make_colony(corpus, **{"query.reinforce": False})
    yield c
    c.close()


@pytest.fixture
def live(corpus: Callable[..., list[str]]) -> Iterator[Colony]:
    """A fresh digested colony whose queries reinforce the edges that served them."""
    c = make_colony(corpus)
    yield c
    c.close()


def topic_queries(colony: Colony) -> list[str]:
    """Queries made of concept labels that co-occur in a document (so both lexical and graph find them)."""
    labels = {c.label for c in colony.concept_list() if c.kind == "term"}
    out = []
    for doc in sorted(colony.documents(), key=lambda d: d.id)[:8]:
        words = [w for w in dict.fromkeys(tokenize(doc.text)) if w in labels]
        out.append(" ".join(words[2:5]))
    return out


def passage_of(colony: Colony, r: QueryResult) -> Any:
    return next(p for p in colony.passages(r.document_id) if p.id == r.passage_id)


def edge_weights(colony: Colony) -> dict[frozenset[str], float]:
    return {frozenset((e.source, e.target)): e.weight for e in colony.edges()}


def is_sorted(results: list[QueryResult]) -> bool:
    keys = [(-r.score, r.passage_id) for r in results]
    return keys == sorted(keys)


# -- modes and score components --------------------------------------------------------------------------


def test_each_mode_reports_components_consistent_with_it(frozen: Colony) -> None:
    alpha = frozen.settings.query.alpha
    assert 0 < alpha < 1
    for q in topic_queries(frozen):
        by_mode = {m: frozen.query(q, K_ALL, mode=m) for m in MODES}
        assert all(by_mode.values()), q
        for mode, results in by_mode.items():
            for r in results:
                c = r.components
                assert r.score == c.fused > 0
                assert c.dense is None  # no embedder attached
                if mode == "lexical":
                    assert c.graph == 0 and c.fused == c.lexical > 0
                if mode == "graph":
                    assert c.lexical == 0 and c.fused == c.graph > 0
        # hybrid: with every candidate returned, the blend can be recomputed from the components
        hybrid = by_mode["hybrid"]
        max_lex = max(r.components.lexical for r in hybrid)
        max_graph = max(r.components.graph for r in hybrid)
        for r in hybrid:
            expected = alpha * r.components.lexical / max_lex + (1 - alpha) * r.components.graph / max_graph
            assert r.score == pytest.approx(expected, rel=1e-9)
        # the same lexical and graph components whatever the mode that computed them
        lex = {r.passage_id: r.components.lexical for r in by_mode["lexical"]}
        graph = {r.passage_id: r.components.graph for r in by_mode["graph"]}
        assert {r.passage_id: r.components.lexical for r in hybrid if r.components.lexical} == lex
        assert {r.passage_id: r.components.graph for r in hybrid if r.components.graph} == pytest.approx(graph)
        # rrf: Σ 1/(60 + rank) over the two rankings (ties by passage id)
        rrf = by_mode["rrf"]

        def ranks(rrf: list[QueryResult], attr: str) -> dict[int, int]:
            present = [r for r in rrf if getattr(r.components, attr) > 0]
            present.sort(key=lambda r: (-getattr(r.components, attr), r.passage_id))
            return {r.passage_id: i + 1 for i, r in enumerate(present)}

        rl, rg = ranks(rrf, "lexical"), ranks(rrf, "graph")
        for r in rrf:
            expected = sum(1 / (60 + rk[r.passage_id]) for rk in (rl, rg) if r.passage_id in rk)
            assert r.score == pytest.approx(expected, rel=1e-12)


def test_results_are_sorted_by_score_then_passage_id_and_k_is_respected(frozen: Colony) -> None:
    for q in topic_queries(frozen):
        for mode in MODES:
            everything = frozen.query(q, K_ALL, mode=mode)
            assert is_sorted(everything)
            assert len({r.passage_id for r in everything}) == len(everything)
            for k in (1, 2, 5):
                top = frozen.query(q, k, mode=mode)
                assert len(top) == min(k, len(everything))
                assert [r.passage_id for r in top] == [r.passage_id for r in everything[:k]]
    default = frozen.query(topic_queries(frozen)[0])
    assert len(default) == min(frozen.settings.query.k, len(frozen.query(topic_queries(frozen)[0], K_ALL)))


def test_equal_scores_are_ordered_by_passage_id() -> None:
    with Colony(settings=Settings().with_overrides({"lexical.document_weight": 0.0})) as c:
        # the same bag of words in three documents: identical BM25 scores
        ids = [c.ingest(t) for t in ("Quokka zebra lemur.", "Lemur quokka zebra.", "Zebra lemur quokka.")]
        c.ingest("Zebra crossings are painted stripes.")
        results = c.query("quokka lemur", 10, mode="lexical")
        assert [r.document_id for r in results] == ids
        assert len({r.score for r in results}) == 1
        assert [r.passage_id for r in results] == sorted(r.passage_id for r in results)


# -- explanations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("hops", [1, 2])
def test_explanations_name_real_terms_concepts_and_edges(corpus: Callable[..., list[str]], hops: int) -> None:
    c = make_colony(corpus, **{"query.hops": hops})
    analyze = make_analyzer(c.settings.lexical.stemmer)
    labels = {x.label for x in c.concept_list()}
    with c:
        for q in topic_queries(c)[:5]:
            before = edge_weights(c)  # this colony reinforces: explanations show the weights before
            results = c.query(q, 8, mode="hybrid")
            assert results
            q_terms = set(analyze(q))
            q_tokens = tokenize(q)
            for r in results:
                e = r.explanation
                passage = passage_of(c, r)
                # matched terms: the query's analysed terms found in the passage's analysed terms
                assert {t for t, _ in e.matched_terms} == q_terms & set(passage.terms)
                assert all(w > 0 for _, w in e.matched_terms)
                # query concepts: the concepts the query names (here single words of the query)
                assert set(e.query_concepts) <= labels
                assert {w for w in q_tokens if w in labels} <= set(e.query_concepts)
                for label in e.query_concepts:
                    assert f" {label} " in " " + " ".join(q_tokens) + " "
                # passage concepts: concepts found in the passage's own text
                words = " " + " ".join(tokenize(passage.text)) + " "
                for label in e.passage_concepts:
                    assert label in labels
                    assert f" {label} " in words, (label, passage.text)
                # edges: real edges with the weight they had when the query ran
                for a, b, w in e.edges:
                    key = frozenset((a, b))
                    assert key in before, (a, b)
                    assert w == pytest.approx(before[key], abs=1e-6)
                    assert b in e.passage_concepts
                    if hops == 1:
                        assert a in e.query_concepts
            assert any(r.explanation.edges for r in results)


def test_lexical_mode_explains_terms_only(frozen: Colony) -> None:
    for r in frozen.query(topic_queries(frozen)[0], 5, mode="lexical"):
        assert r.explanation.matched_terms
        assert (r.explanation.query_concepts, r.explanation.edges) == ((), ())


# -- reinforcement and feedback --------------------------------------------------------------------------


def test_queries_reinforce_the_edges_that_explained_their_results(live: Colony) -> None:
    q = topic_queries(live)[0]
    before = {(e.source, e.target): e for e in live.edges()}
    results = live.query(q, 5)
    served = {frozenset((a, b)) for r in results for a, b, _ in r.explanation.edges}
    assert served
    after = {(e.source, e.target): e for e in live.edges()}
    assert after.keys() == before.keys()  # reinforcement creates nothing
    changed = {frozenset(k) for k in after if after[k].weight != before[k].weight}
    assert changed == served
    for key in after:
        if frozenset(key) in served:
            assert after[key].weight > before[key].weight
            assert after[key].coactivations == before[key].coactivations + 1


def test_queries_change_nothing_when_reinforcement_is_off(frozen: Colony) -> None:
    before = frozen.edges()
    for q in topic_queries(frozen):
        for mode in MODES:
            frozen.query(q, 10, mode=mode)
    frozen.concepts(topic_queries(frozen)[0], 10)
    assert frozen.edges() == before


def test_lexical_queries_reinforce_nothing(live: Colony) -> None:
    before = live.edges()
    live.query(topic_queries(live)[0], 10, mode="lexical")
    assert live.edges() == before


def _feedback_case(colony: Colony) -> tuple[str, QueryResult, str, set[str]]:
    """A query word from one document and a passage of another that does not contain it."""
    labels = {c.label for c in colony.concept_list() if c.kind == "term"}
    docs = sorted(colony.documents(), key=lambda d: d.id)
    for doc in docs:
        for word in dict.fromkeys(tokenize(doc.text)):
            if word not in labels or word in ("document", "topic"):  # skip the words every document has
                continue
            for other in docs:
                for p in colony.passages(other.id):
                    toks = tokenize(p.text)
                    if word in toks:
                        continue
                    results = [r for r in colony.query(" ".join(toks[:12]), 50, mode="lexical") if r.passage_id == p.id]
                    if results:
                        return word, results[0], p.text, labels
    raise AssertionError("no feedback case in the corpus")


def test_positive_feedback_creates_or_strengthens_query_passage_edges(live: Colony) -> None:
    word, result, text, labels = _feedback_case(live)
    candidates = {w for w in tokenize(text) if w in labels} | {
        x.label
        for x in live.concept_list()
        if " " in x.label and f" {x.label} " in " " + " ".join(tokenize(text)) + " "
    }
    before = edge_weights(live)
    n = live.feedback(word, result.passage_id, +1)
    after = edge_weights(live)
    changed = {k for k in after if after[k] != before.get(k)}
    assert n == len(changed) > 0
    for key in changed:
        assert word in key
        (other,) = key - {word}
        assert other in candidates  # a concept of the passage
        assert after[key] > before.get(key, 0.0)
    assert any(k not in before for k in changed)  # some edges are new
    # stronger again on a second +1
    again = live.feedback(word, result.passage_id, 1)
    assert again == n
    assert all(edge_weights(live)[k] > after[k] for k in changed)


def test_negative_feedback_weakens_existing_edges_only(live: Colony) -> None:
    word, result, _, _ = _feedback_case(live)
    live.feedback(word, result.passage_id, +1)  # make sure there are edges to weaken
    before = edge_weights(live)
    n = live.feedback(word, result.passage_id, -1)
    after = edge_weights(live)
    assert after.keys() == before.keys()  # nothing created (or removed)
    changed = {k for k in after if after[k] != before[k]}
    assert n == len(changed) > 0
    assert all(word in k and after[k] < before[k] for k in changed)


def test_feedback_without_known_concepts_changes_nothing(live: Colony) -> None:
    pid = live.query(topic_queries(live)[0], 1)[0].passage_id
    before = live.edges()
    assert live.feedback("xyzzyq plughq", pid, 1) == 0
    assert live.edges() == before


def test_feedback_is_saved_at_once_and_query_reinforcement_by_close(
    corpus: Callable[..., list[str]], tmp_path: Path
) -> None:
    path = tmp_path / "c.db"
    settings = Settings().with_overrides(BASE)
    c = Colony.open(path, settings)
    for text in corpus(12, seed=5):
        c.ingest(text)
    c.digest()
    q = topic_queries(c)[0]
    pid = c.query(q, 1)[0].passage_id  # reinforces in memory
    assert c.feedback(q, pid, 1) > 0
    with Colony.open(path) as other:  # a second reader sees the feedback (and the reinforcement) saved
        assert other.edges() == c.edges()
    c.query(q, 5)
    reinforced = c.edges()
    c.close()
    with Colony.open(path) as reopened:
        assert reopened.edges() == reinforced


@pytest.mark.parametrize("kinds", [("terms",), (), ("term", "bogus")])
def test_concepts_rejects_unknown_kinds(frozen: Colony, kinds: tuple[str, ...]) -> None:
    with pytest.raises(InputError):
        frozen.concepts(topic_queries(frozen)[0], 10, kinds=kinds)


@pytest.mark.parametrize("passage_id", [True, "1", 1.0, None])
def test_feedback_rejects_a_passage_id_that_is_not_an_integer(live: Colony, passage_id: Any) -> None:
    before = live.edges()
    with pytest.raises((InputError, NotFound)):
        live.feedback(topic_queries(live)[0], passage_id, -1)
    assert live.edges() == before


@pytest.mark.parametrize("signal", [0, 2, -2, True, False, "1", None])
def test_feedback_rejects_invalid_signals(frozen: Colony, signal: Any) -> None:
    pid = frozen.query(topic_queries(frozen)[0], 1)[0].passage_id
    before = frozen.edges()
    with pytest.raises(InputError):
        frozen.feedback(topic_queries(frozen)[0], pid, signal)
    assert frozen.edges() == before


def test_feedback_on_an_unknown_passage_is_not_found(frozen: Colony) -> None:
    before = frozen.edges()
    with pytest.raises(NotFound):
        frozen.feedback(topic_queries(frozen)[0], 10**9, 1)
    with pytest.raises(InputError):
        frozen.feedback("   ", 1, 1)
    assert frozen.edges() == before


# -- concepts --------------------------------------------------------------------------------------------


def test_concepts_returns_the_query_concepts_and_their_associations(frozen: Colony) -> None:
    labels = {c.label: c for c in frozen.concept_list()}
    for q in topic_queries(frozen)[:4]:
        own = {w for w in tokenize(q) if w in labels}
        ranked = frozen.concepts(q, 200)
        names = [label for label, _ in ranked]
        scores = [s for _, s in ranked]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
        assert len(set(names)) == len(names)
        assert own <= set(names)
        associated = set(names) - own
        assert associated  # the graph adds concepts the query did not name
        neighbours = {n for w in own for n, _ in frozen.neighbours(w, 10_000)}
        phrases_of_query = {n for n in names if set(n.split()) <= set(tokenize(q))}
        assert associated <= neighbours | phrases_of_query
        top3 = frozen.concepts(q, 3)
        assert top3 == ranked[:3]


def test_concepts_kinds_filter(frozen: Colony) -> None:
    kinds = {c.label: c.kind for c in frozen.concept_list()}
    assert {"term", "phrase"} <= set(kinds.values())
    for q in topic_queries(frozen)[:4]:
        terms = frozen.concepts(q, 100, kinds=("term",))
        phrases = frozen.concepts(q, 100, kinds=("phrase",))
        assert terms and all(kinds[label] == "term" for label, _ in terms)
        assert all(kinds[label] == "phrase" for label, _ in phrases)
        both = frozen.concepts(q, 1000)
        assert sorted(terms + phrases) == sorted(both)


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3", None])
def test_concepts_rejects_invalid_k(frozen: Colony, k: Any) -> None:
    with pytest.raises(InputError):
        frozen.concepts(topic_queries(frozen)[0], k)


# -- invalid arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0},
        {"k": -3},
        {"k": 10_001},
        {"k": 2.5},
        {"k": True},
        {"k": "5"},
        {"alpha": -0.01},
        {"alpha": 1.01},
        {"alpha": math.nan},
        {"alpha": True},
        {"alpha": "0.5"},
        {"mode": "bogus"},
        {"mode": "HYBRID"},
        {"mode": "dense"},  # no embedder attached
    ],
)
def test_query_rejects_invalid_arguments(frozen: Colony, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        frozen.query(topic_queries(frozen)[0], **kwargs)


@pytest.mark.parametrize("text", ["", "   \n", None, 42])
def test_query_rejects_empty_or_non_text(frozen: Colony, text: Any) -> None:
    with pytest.raises(InputError):
        frozen.query(text)


def test_query_without_any_match_is_empty(frozen: Colony) -> None:
    for mode in MODES:
        assert frozen.query("xyzzyq plughq", 10, mode=mode) == []


# -- ingest and forget take effect at once ---------------------------------------------------------------


def test_ingested_document_is_found_before_any_tick(live: Colony) -> None:
    tick = live.tick
    doc_id = live.ingest("Snorkelwort grows beside glimmerfen pools. Snorkelwort blooms at night.")
    assert live.tick == tick
    for mode in ("lexical", "hybrid", "rrf"):
        results = live.query("snorkelwort", 5, mode=mode)
        assert results and results[0].document_id == doc_id, mode
    assert live.query("snorkelwort", 5, mode="graph") == []  # not digested: no concept yet
    live.digest()
    assert live.query("snorkelwort", 5, mode="graph")[0].document_id == doc_id


def test_forgotten_document_disappears_from_every_mode_at_once(live: Colony) -> None:
    q = topic_queries(live)[0]
    found = {m: {r.document_id for r in live.query(q, K_ALL, mode=m)} for m in MODES}
    gone = sorted(set.intersection(*found.values()))[0]
    tick = live.tick
    live.forget(gone)
    assert live.tick == tick
    for mode in MODES:
        results = live.query(q, K_ALL, mode=mode)
        assert results, mode
        assert gone not in {r.document_id for r in results}, mode
        assert is_sorted(results)


class FlakyStore(MemoryStore):
    """The in-memory store, failing the next save when told to (as a full disk would)."""

    fail_next = False

    def apply(self, changes: Any) -> None:
        if self.fail_next:
            self.fail_next = False
            raise StorageError("disk full")
        super().apply(changes)


def test_a_failed_save_leaves_queries_as_if_it_never_happened(corpus: Callable[..., list[str]]) -> None:
    store = FlakyStore()
    settings = Settings().with_overrides({**BASE, "query.reinforce": False})
    with Colony(store, settings) as c:
        for text in corpus(12, seed=5):
            c.ingest(text)
        c.digest()
    c = Colony(store, settings)  # reopened: its graph is freshly restored
    q = topic_queries(c)[0]
    before = c.query(q, 5, mode="graph")
    store.fail_next = True
    with pytest.raises(StorageError):
        c.feedback(q, before[0].passage_id, -1)  # weakens edges, then the save fails: rolled back
    assert c.edges() == Colony(store, settings).edges()
    after = c.query(q, 5, mode="graph")
    assert [(r.passage_id, r.score) for r in after] == [(r.passage_id, r.score) for r in before]
    weights = edge_weights(c)
    for r in after:
        for a, b, w in r.explanation.edges:
            assert w == pytest.approx(weights[frozenset((a, b))], abs=1e-6)
