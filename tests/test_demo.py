"""The bundled demo: its corpus, and ``run_demo`` answering each query from the topic the query names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from phago import Colony, Settings
from phago.demo import DemoResult, corpus, run_demo

TOPICS = ("bees", "volcanoes", "sourdough")
# words by which a query names its topic
TOPIC_WORDS = {"bees": ("bee", "honeybee"), "volcanoes": ("volcan",), "sourdough": ("sourdough",)}


def topic_of_query(query: str) -> str:
    named = {t for t, words in TOPIC_WORDS.items() if any(w in query.lower() for w in words)}
    assert len(named) == 1, f"query {query!r} should name exactly one topic, names {named}"
    return named.pop()


def topic_of_sample(name: str) -> str:
    return name.split("_", 1)[0]


def test_corpus_has_twelve_documents_in_three_topics() -> None:
    docs, _ = corpus()
    assert len(docs) == 12
    samples = [d.metadata["sample"] for d in docs]
    assert len(set(samples)) == 12
    assert all(isinstance(s, str) and s.endswith(".md") for s in samples)
    assert sorted(topic_of_sample(str(s)) for s in samples) == sorted(TOPICS * 4)
    for d in docs:
        assert d.title and d.title == d.text.split("\n", 1)[0].lstrip("# ").strip()
        assert d.source == f"phago:demo/{d.metadata['sample']}"
        assert len(d.text.split()) > 50
    assert len({d.text for d in docs}) == 12


def test_corpus_queries_each_name_one_topic() -> None:
    _, queries = corpus()
    assert len(queries) >= 3
    assert all(q == q.strip() and q for q in queries)
    assert {topic_of_query(q) for q in queries} == set(TOPICS)


def test_corpus_is_the_same_every_time() -> None:
    assert corpus() == corpus()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[str]]:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    said: list[str] = []
    return run_demo(db, Settings(), echo=said.append), said


def test_run_demo_completes(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, said = demo_run
    s = result.stats
    assert (s.documents, s.undigested_documents) == (12, 0)
    assert s.concepts > 100 and s.edges > 100
    assert s.tick >= 30  # digestion, then 30 more ticks
    assert result.seconds > 0
    assert Path(result.db).is_file()
    with Colony.open(result.db) as colony:
        again = colony.stats()  # the demo's queries may since have reinforced edges (query.reinforce)
        assert (again.tick, again.documents, again.passages, again.concepts, again.edges) == (
            s.tick,
            s.documents,
            s.passages,
            s.concepts,
            s.edges,
        )
    _, queries = corpus()
    assert said[0].startswith("Phago demo")
    for q in queries:
        assert f"\nQ: {q}" in said


def test_run_demo_answers_from_the_named_topic(demo_run: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo_run
    _, queries = corpus()
    assert [q for q, _ in result.answers] == queries
    with Colony.open(result.db) as colony:
        sample = {d.id: str(d.metadata["sample"]) for d in colony.documents()}
    for q, hits in result.answers:
        assert 1 <= len(hits) <= 3
        answered_from = [sample[h.document_id] for h in hits]
        assert {topic_of_sample(s) for s in answered_from} == {topic_of_query(q)}, (q, answered_from)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_run_demo_is_deterministic(tmp_path: Path) -> None:
    settings = Settings()
    first = run_demo(tmp_path / "a.db", settings, ticks=10, echo=None)
    second = run_demo(tmp_path / "b.db", settings, ticks=10, echo=None)
    assert dataclasses.replace(first.stats, path=None) == dataclasses.replace(second.stats, path=None)
    assert first.answers == second.answers


def test_run_demo_honours_the_settings(tmp_path: Path) -> None:
    settings = Settings().with_overrides({"colony.seed": 7, "query.reinforce": False})
    result = run_demo(tmp_path / "seven.db", settings, ticks=0, echo=None)
    assert result.stats.documents == 12
    with Colony.open(tmp_path / "seven.db") as colony:
        assert colony.settings == settings
