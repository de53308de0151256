"""The :class:`phago.Colony` facade's public behaviour."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import phago
from phago import Colony, DocumentInput, InputError, NotFound, PhagoError, Settings
from phago.events import DocumentForgotten, DocumentIngested, TickCompleted

SMALL = Settings().with_overrides({"colony.initial_digesters": 3})

MITO = "Mitochondria produce ATP through oxidative phosphorylation. The inner membrane holds the chain."
RIBO = "Ribosomes translate messenger RNA into proteins. Transfer RNA brings amino acids to ribosomes."
PHOTO = "Chloroplasts capture light. Photosynthesis fixes carbon dioxide into sugars in the stroma."


@pytest.fixture(params=["memory", "sqlite"])
def colony(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Colony]:
    c = Colony(settings=SMALL) if request.param == "memory" else Colony.open(tmp_path / "c.db", SMALL)
    yield c
    c.close()


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


# -- ingest ----------------------------------------------------------------------------------------------


def test_ingest_returns_a_stable_content_id(colony: Colony) -> None:
    a = colony.ingest(MITO)
    assert a.startswith("doc_")
    assert colony.ingest(MITO) == a
    assert colony.ingest(MITO, title="Another title", metadata={"x": 1}, source="other.txt") == a
    assert colony.ingest("  " + MITO.replace(" ", "   ") + "\r\n") == a  # same text once normalised
    assert colony.stats().documents == 1
    b = colony.ingest(RIBO)
    assert b != a
    assert colony.stats().documents == 2
    with Colony(settings=SMALL) as other:  # the id depends on the content only
        assert other.ingest(MITO) == a


def test_ingested_document_keeps_its_fields(colony: Colony) -> None:
    doc_id = colony.ingest(MITO, title="Powerhouse", metadata={"tags": ["bio"], "n": 1.5}, source="mito.md")
    doc = colony.document(doc_id)
    assert (doc.id, doc.title, doc.text, doc.source) == (doc_id, "Powerhouse", MITO, "mito.md")
    assert doc.metadata == {"tags": ["bio"], "n": 1.5}
    assert doc.passage_count == len(colony.passages(doc_id)) >= 1
    assert not doc.digested
    assert colony.ingest(RIBO) in {d.id for d in colony.documents()}
    # untitled documents are titled from their first line
    assert colony.document(colony.ingest("# Heading line\n\nBody text here.")).title == "Heading line"


def test_document_is_searchable_right_after_ingest(colony: Colony) -> None:
    doc_id = colony.ingest(MITO)
    colony.ingest(RIBO)
    assert colony.tick == 0
    assert colony.stats().concepts == 0  # nothing digested yet
    results = colony.query("oxidative phosphorylation ATP", k=5)
    assert results and results[0].document_id == doc_id
    top = results[0]
    assert "oxidative phosphorylation" in top.text
    assert top.score > 0 and top.components.lexical > 0
    assert len(top.explanation.matched_terms) == 3  # each query term matched (however it is normalised)
    assert all(r.document_id != doc_id for r in colony.query("ribosomes translate", k=5)[:1])


def test_query_results_are_passages_best_first(colony: Colony) -> None:
    colony.ingest(MITO)
    colony.ingest(RIBO)
    colony.ingest(PHOTO)
    results = colony.query("RNA ribosomes proteins", k=10)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert len(colony.query("RNA", k=1)) == 1
    assert colony.query("nonexistentword", k=3) == []
    p = colony.passages(results[0].document_id)
    assert results[0].passage_id in {x.id for x in p}
    assert results[0].text == colony.document(results[0].document_id).text[results[0].start : results[0].end]


# -- digesting and running -------------------------------------------------------------------------------


def test_digest_digests_everything(colony: Colony) -> None:
    ids = [colony.ingest(t) for t in (MITO, RIBO, PHOTO)]
    report = colony.digest()
    stats = colony.stats()
    assert stats.undigested_documents == 0
    assert report.undigested_documents == 0
    assert all(colony.document(i).digested for i in ids)
    assert stats.concepts > 0 and stats.edges > 0
    assert report.passages_digested == stats.passages
    assert report.ticks == colony.tick > 0
    assert colony.concept("mitochondria").occurrences == 1
    assert colony.concept("RNA").occurrences == 2  # labels are matched case-insensitively
    assert colony.neighbours("ribosomes")
    with pytest.raises(NotFound):
        colony.concept("nonexistentword")
    # nothing left: digest returns at once
    again = colony.digest()
    assert again.ticks == 0


def test_run_advances_tick(colony: Colony) -> None:
    colony.ingest(MITO)
    report = colony.run(ticks=3)
    assert colony.tick == 3 == report.ticks
    colony.run(ticks=0)
    assert colony.tick == 3
    colony.run(5)
    assert colony.tick == 8 == colony.stats().tick


@pytest.mark.parametrize("ticks", [-1, 1.5, "3", True])
def test_run_rejects_bad_tick_counts(colony: Colony, ticks: Any) -> None:
    with pytest.raises(InputError):
        colony.run(ticks)
    assert colony.tick == 0


# -- forget ----------------------------------------------------------------------------------------------


def test_forget_removes_document_and_its_passages(colony: Colony) -> None:
    a = colony.ingest(MITO)
    b = colony.ingest(RIBO)
    colony.digest()
    colony.forget(a)
    with pytest.raises(NotFound):
        colony.document(a)
    with pytest.raises(NotFound):
        colony.passages(a)
    assert [d.id for d in colony.documents()] == [b]
    assert all(r.document_id != a for r in colony.query("mitochondria ATP oxidative membrane", k=50))
    with pytest.raises(NotFound):
        colony.concept("mitochondria")
    assert colony.stats().passages == len(colony.passages(b))
    # the same text can be ingested again afterwards
    assert colony.ingest(MITO) == a


def test_forget_unknown_id_raises_not_found(colony: Colony) -> None:
    colony.ingest(MITO)
    with pytest.raises(NotFound) as exc_info:
        colony.forget("doc_0000000000000000")
    assert isinstance(exc_info.value, KeyError)
    assert isinstance(exc_info.value, PhagoError)
    assert "doc_0000000000000000" in str(exc_info.value)
    assert colony.stats().documents == 1


def test_forget_before_digestion(colony: Colony) -> None:
    a = colony.ingest(MITO)
    colony.ingest(RIBO)
    colony.forget(a)
    colony.digest()
    assert colony.stats().undigested_documents == 0
    with pytest.raises(NotFound):
        colony.concept("mitochondria")


# -- stats -----------------------------------------------------------------------------------------------


def test_stats_counts(colony: Colony) -> None:
    empty = colony.stats()
    assert (empty.tick, empty.documents, empty.passages, empty.concepts, empty.edges) == (0, 0, 0, 0, 0)
    assert empty.agents == {"digester": 3, "synthesizer": 1, "sentinel": 1}
    ids = [colony.ingest(t) for t in (MITO, RIBO, PHOTO)]
    colony.run(2)
    s = colony.stats()
    assert s.tick == 2
    assert s.documents == 3
    assert s.undigested_documents == sum(1 for i in ids if not colony.document(i).digested)
    assert s.passages == sum(len(colony.passages(i)) for i in ids)
    assert s.concepts == len(colony.concept_list())
    assert s.edges == len(colony.edges())
    kinds = [a.kind for a in colony.agents()]
    assert s.agents == {k: kinds.count(k) for k in ("digester", "synthesizer", "sentinel")}
    assert s.insights == len(colony.insights()) and s.anomalies == len(colony.anomalies())
    weights = [e.weight for e in colony.edges()]
    assert s.mean_edge_weight == pytest.approx(sum(weights) / len(weights) if weights else 0.0)


def test_db_path(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with Colony.open(path, SMALL) as c:
        assert c.db_path == str(path)
        assert c.stats().path == str(path)
    with Colony(settings=SMALL) as m:
        assert m.db_path is None
        assert m.stats().path is None


def test_strongest_path_between_concepts(colony: Colony) -> None:
    colony.ingest(RIBO)
    colony.digest()
    found = colony.path("ribosomes", "proteins")
    assert found is not None
    assert found.concepts[0] == "ribosomes" and found.concepts[-1] == "proteins"
    assert len(found.weights) == len(found.concepts) - 1 and all(0 < w <= 1 for w in found.weights)
    with pytest.raises(NotFound):
        colony.path("ribosomes", "nonexistentword")


# -- lifecycle -------------------------------------------------------------------------------------------


def test_context_manager_closes(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with Colony.open(path, SMALL) as c:
        doc_id = c.ingest(MITO)
    with pytest.raises(PhagoError):
        c.ingest(RIBO)
    with pytest.raises(PhagoError):
        c.run(1)
    c.close()  # closing twice is harmless
    with Colony.open(path) as again:
        assert [d.id for d in again.documents()] == [doc_id]
        assert again.settings == SMALL  # kept from creation


def test_memory_colony_context_manager() -> None:
    with Colony() as c:
        c.ingest(MITO)
    with pytest.raises(PhagoError):
        c.forget("doc_x")


# -- bad input -------------------------------------------------------------------------------------------

BAD_CALLS: dict[str, Callable[[Colony], object]] = {
    "empty text": lambda c: c.ingest(""),
    "whitespace": lambda c: c.ingest("   \n\t \r\n "),
    "no words": lambda c: c.ingest("! ? ... - a"),
    "NUL bytes": lambda c: c.ingest("Valid words here\x00and more"),
    "not a string": lambda c: c.ingest(b"bytes are not text"),  # type: ignore[arg-type]
    "non-JSON metadata": lambda c: c.ingest("Valid words here.", metadata={"obj": object()}),
    "NaN metadata": lambda c: c.ingest("Valid words here.", metadata={"x": float("nan")}),
    "metadata not a mapping": lambda c: c.ingest("Valid words here.", metadata=["a"]),  # type: ignore[arg-type]
    "title not a string": lambda c: c.ingest("Valid words here.", title=3),  # type: ignore[arg-type]
    "k=0": lambda c: c.query("mitochondria", k=0),
    "k negative": lambda c: c.query("mitochondria", k=-2),
    "empty query": lambda c: c.query(""),
    "blank query": lambda c: c.query("  \n "),
    "ingest_many with one bad item": lambda c: c.ingest_many(
        [
            DocumentInput("A good new document about plasma."),
            DocumentInput("  "),
            DocumentInput("Another good one about lipids."),
        ]
    ),
    "ingest_many with bad metadata last": lambda c: c.ingest_many(
        [
            DocumentInput("A good new document about plasma."),
            DocumentInput("Another good one.", metadata={"x": {1, 2}}),
        ]  # type: ignore[dict-item]
    ),
}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("call", list(BAD_CALLS), ids=list(BAD_CALLS))
def test_bad_input_raises_and_changes_nothing(
    kind: str, call: str, tmp_path: Path, state_of: Callable[[Colony], dict[str, Any]]
) -> None:
    path = tmp_path / "c.db"
    c = Colony(settings=SMALL) if kind == "memory" else Colony.open(path, SMALL)
    c.ingest(MITO)
    c.ingest(RIBO)
    c.run(2)
    before = state_of(c)
    file_before = _dump(path) if kind == "sqlite" else None
    with pytest.raises(InputError):
        BAD_CALLS[call](c)
    assert state_of(c) == before
    assert c.stats().documents == 2
    if kind == "sqlite":
        assert _dump(path) == file_before
        c.close()
        with Colony.open(path) as reopened:
            assert reopened.stats().documents == 2
            assert {d.id for d in reopened.documents()} == {d[0] for d in before["documents"]}
            assert reopened.tick == 2
    else:
        c.close()


def test_input_error_is_a_value_error() -> None:
    assert issubclass(InputError, ValueError) and issubclass(InputError, PhagoError)


def test_ingest_many_is_all_or_nothing(colony: Colony) -> None:
    colony.ingest(MITO)
    with pytest.raises(InputError):
        colony.ingest_many([DocumentInput(RIBO), DocumentInput(""), DocumentInput(PHOTO)])
    assert [d.text for d in colony.documents()] == [MITO]
    assert colony.query("ribosomes chloroplasts", k=5) == []
    ids = colony.ingest_many([DocumentInput(RIBO, title="Ribo"), DocumentInput(PHOTO), DocumentInput(RIBO)])
    assert ids[0] == ids[2] != ids[1]
    assert colony.stats().documents == 3
    assert colony.document(ids[0]).title == "Ribo"


def test_ingest_many_accepts_an_iterator(colony: Colony) -> None:
    ids = colony.ingest_many(DocumentInput(t) for t in (MITO, RIBO))
    assert len(ids) == 2 and colony.stats().documents == 2


# -- events ----------------------------------------------------------------------------------------------


def test_events(colony: Colony) -> None:
    events: list[object] = []
    unsubscribe = colony.subscribe(events.append)
    a = colony.ingest(MITO, title="Mito")
    assert events == [DocumentIngested(0, a, "Mito", len(colony.passages(a)))]
    colony.ingest(MITO)  # a duplicate is not ingested again
    assert len(events) == 1
    events.clear()
    colony.run(2)
    ticks = [e for e in events if isinstance(e, TickCompleted)]
    assert [t.tick for t in ticks] == [1, 2]
    assert sum(t.passages_digested for t in ticks) == sum(1 for p in colony.passages(a)) - sum(
        1 for _ in range(colony.document(a).passage_count - colony.document(a).digested_passages)
    )
    events.clear()
    colony.forget(a)
    assert events == [DocumentForgotten(2, a)]
    unsubscribe()
    colony.ingest(RIBO)
    colony.run(1)
    assert events == [DocumentForgotten(2, a)]


def test_failed_call_emits_no_ingest_event(colony: Colony) -> None:
    events: list[object] = []
    colony.subscribe(events.append)
    with pytest.raises(InputError):
        colony.ingest_many([DocumentInput(MITO), DocumentInput("")])
    assert not [e for e in events if isinstance(e, DocumentIngested)]


def test_public_errors_are_exported() -> None:
    assert phago.NotFound is NotFound and phago.InputError is InputError
