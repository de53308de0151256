"""One conformance suite for every :class:`~phago.storage.base.Store` backend, plus SQLite-only checks.

Both backends must behave identically: what ``apply`` writes, ``load`` returns; deletions cascade the same
way; a change set that fails anywhere leaves the store exactly as it was.
"""

from __future__ import annotations

import copy
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago import Colony, StorageError
from phago.core.types import Anomaly, Concept, Document, Insight, Passage
from phago.errors import SchemaError
from phago.storage import ChangeSet, MemoryStore, SQLiteStore, Store
from phago.storage.base import AgentRecord
from phago.storage.migrations import LATEST

BACKENDS = ["memory", "sqlite"]


def _open(kind: str, folder: Path) -> Store:
    return MemoryStore() if kind == "memory" else SQLiteStore(folder / "c.db")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = _open(request.param, tmp_path)
    yield s
    s.close()


def _doc(ident: str, **kw: object) -> Document:
    fields: dict[str, object] = {
        "id": ident,
        "title": f"Title {ident}",
        "text": f"text of {ident}",
        "source": f"{ident}.txt",
        "metadata": {"k": [1, 2.5, None, True], "nested": {"x": "y"}, "ü": "é"},
        "content_hash": f"h_{ident}",
        "ingested_tick": 3,
        "x": 1.5,
        "y": 0.1 + 0.2,
        "passage_count": 2,
        "digested_passages": 1,
        "digested": False,
    }
    fields.update(kw)
    return Document(**fields)  # type: ignore[arg-type]


def full_changeset() -> ChangeSet:
    return ChangeSet(
        documents=[
            _doc("doc_a"),
            _doc("doc_b", metadata={}, passage_count=1, digested_passages=1, digested=True),
        ],
        passages=[
            Passage(1, "doc_a", 0, 0, 11, "Alpha text.", ("alpha", "text")),
            Passage(2, "doc_a", 1, 12, 23, "More words.", ("words",)),
            Passage(3, "doc_b", 0, 0, 10, "Beta text.", ("beta", "text")),
        ],
        postings={1: [(1, 1), (2, 1)], 2: [(3, 2)], 3: [(2, 1), (4, 1)]},
        concepts=[
            Concept(1, "alpha", "term", 1, 1, 1, 1),
            Concept(2, "text", "term", 2, 2, 1, 2),
            Concept(3, "words", "term", 2, 1, 1, 1),
            Concept(4, "beta text", "phrase", 1, 1, 2, 2),
        ],
        edges=[(1, 2, 0.1, 1, 1, 1), (2, 3, 0.19000000000000006, 2, 1, 2), (2, 4, 1 / 3, 1, 2, 2)],
        contributions={"doc_a": [(1, 2, 1), (2, 3, 2)], "doc_b": [(2, 4, 1)]},
        agents=[AgentRecord(1, "digester", '{"x": 1.0}'), AgentRecord(2, "sentinel", "{}")],
        insights=[Insight(1, 5, 2, (("text", 0.5), ("alpha", 0.1 + 0.2)), (("alpha", "text", "words"),))],
        anomalies=[
            Anomaly(1, 6, "doc_b", 0.75, 1 / 3, ("beta text",)),
            Anomaly(2, 7, "doc_a", 0.5, 0.25, ()),
        ],
        meta={"settings": "{}", "counters": '{"tick": 7}'},
    )


def assert_loads(store: Store, expected: ChangeSet) -> None:
    got = store.load()
    assert got.documents == expected.documents
    assert got.passages == sorted(expected.passages, key=lambda p: p.id)
    assert got.postings == expected.postings
    assert got.concepts == sorted(expected.concepts, key=lambda c: c.id)
    assert [tuple(e) for e in got.edges] == sorted(expected.edges)
    for e in got.edges:
        assert isinstance(e[2], float) and all(isinstance(v, int) for i, v in enumerate(e) if i != 2)
    assert got.contributions == expected.contributions
    assert got.agents == sorted(expected.agents, key=lambda a: a.id)
    assert got.insights == sorted(expected.insights, key=lambda i: i.id)
    assert got.anomalies == sorted(expected.anomalies, key=lambda a: a.id)
    assert got.meta == expected.meta
    assert (got.deleted_documents, got.deleted_concepts, got.deleted_edges, got.deleted_agents) == (
        [],
        [],
        [],
        [],
    )


# -- round trips -----------------------------------------------------------------------------------------


def test_new_store_loads_empty(store: Store) -> None:
    cs = store.load()
    assert cs.is_empty()


def test_round_trip_every_table(store: Store) -> None:
    cs = full_changeset()
    store.apply(cs)
    assert_loads(store, full_changeset())


def test_apply_does_not_keep_references_to_the_callers_objects(store: Store) -> None:
    cs = full_changeset()
    store.apply(cs)
    cs.documents[0].digested = True
    cs.concepts[0].occurrences = 99
    cs.postings[1].append((9, 9))
    cs.meta["extra"] = "x"
    loaded = store.load()
    loaded.documents[0].title = "changed"
    assert_loads(store, full_changeset())


def test_empty_changeset_is_a_no_op(store: Store) -> None:
    store.apply(full_changeset())
    store.apply(ChangeSet())
    assert_loads(store, full_changeset())


def test_apply_upserts(store: Store) -> None:
    store.apply(full_changeset())
    store.apply(full_changeset())  # applying twice changes nothing
    assert_loads(store, full_changeset())
    updated_doc = _doc("doc_a", title="New title", digested_passages=2, digested=True, metadata={"v": 2})
    store.apply(
        ChangeSet(
            documents=[updated_doc],
            postings={2: [(3, 1), (1, 1)]},
            concepts=[Concept(2, "text", "term", 5, 3, 1, 9)],
            edges=[(1, 2, 0.5, 4, 1, 9)],
            contributions={"doc_b": [(2, 4, 3)]},
            agents=[AgentRecord(1, "digester", '{"x": 2.0}')],
            meta={"counters": '{"tick": 9}', "rng": "{}"},
        )
    )
    expected = full_changeset()
    expected.documents[0] = updated_doc
    expected.postings[2] = [(3, 1), (1, 1)]
    expected.concepts[1] = Concept(2, "text", "term", 5, 3, 1, 9)
    expected.edges[0] = (1, 2, 0.5, 4, 1, 9)
    expected.contributions["doc_b"] = [(2, 4, 3)]
    expected.agents[0] = AgentRecord(1, "digester", '{"x": 2.0}')
    expected.meta.update({"counters": '{"tick": 9}', "rng": "{}"})
    assert_loads(store, expected)


# -- deletions -------------------------------------------------------------------------------------------


def test_deleting_a_document_cascades(store: Store) -> None:
    store.apply(full_changeset())
    store.apply(ChangeSet(deleted_documents=["doc_a"]))
    expected = full_changeset()
    expected.documents = [d for d in expected.documents if d.id != "doc_a"]
    expected.passages = [p for p in expected.passages if p.document_id != "doc_a"]
    expected.postings = {3: expected.postings[3]}
    expected.contributions = {"doc_b": expected.contributions["doc_b"]}
    expected.anomalies = [a for a in expected.anomalies if a.document_id != "doc_a"]
    assert_loads(store, expected)  # concepts, edges, agents, insights and meta are untouched


def test_deleting_edges_concepts_and_agents(store: Store) -> None:
    store.apply(full_changeset())
    store.apply(ChangeSet(deleted_edges=[(2, 3)], deleted_concepts=[3], deleted_agents=[2]))
    expected = full_changeset()
    expected.edges = [e for e in expected.edges if e[:2] != (2, 3)]
    expected.concepts = [c for c in expected.concepts if c.id != 3]
    expected.agents = [a for a in expected.agents if a.id != 2]
    assert_loads(store, expected)


def test_deleting_what_does_not_exist_is_harmless(store: Store) -> None:
    store.apply(full_changeset())
    store.apply(
        ChangeSet(deleted_documents=["nope"], deleted_edges=[(7, 8)], deleted_concepts=[77], deleted_agents=[99])
    )
    assert_loads(store, full_changeset())


def test_delete_then_readd_in_one_changeset(store: Store) -> None:
    # forgetting a document and ingesting it again before the next save
    store.apply(full_changeset())
    again = _doc("doc_a", passage_count=1, digested_passages=0)
    store.apply(
        ChangeSet(
            deleted_documents=["doc_a"],
            documents=[again],
            passages=[Passage(10, "doc_a", 0, 0, 5, "Again", ("again",))],
        )
    )
    expected = full_changeset()
    expected.documents = [expected.documents[1], again]
    expected.passages = [p for p in expected.passages if p.document_id != "doc_a"]
    expected.passages.append(Passage(10, "doc_a", 0, 0, 5, "Again", ("again",)))
    expected.postings = {3: expected.postings[3]}
    expected.contributions = {"doc_b": expected.contributions["doc_b"]}
    expected.anomalies = [a for a in expected.anomalies if a.document_id != "doc_a"]
    assert_loads(store, expected)


# -- atomicity -------------------------------------------------------------------------------------------


def _bad(kind: str) -> ChangeSet:
    """A change set whose first parts are valid (new rows, updates and deletions in every table) and whose
    last part refers to something that does not exist."""
    cs = ChangeSet(
        documents=[_doc("doc_c"), _doc("doc_a", title="renamed", digested=True)],
        deleted_documents=["doc_b"],
        passages=[Passage(20, "doc_c", 0, 0, 4, "Gene", ("gene",))],
        postings={20: [(5, 1)]},
        concepts=[Concept(5, "gene", "term", 1, 1, 8, 8), Concept(1, "alpha", "term", 7, 7, 1, 8)],
        deleted_concepts=[3],
        edges=[(1, 5, 0.1, 1, 8, 8), (1, 2, 0.9, 9, 1, 8)],
        deleted_edges=[(2, 3)],
        contributions={"doc_c": [(1, 5, 1)]},
        agents=[AgentRecord(3, "digester", "{}")],
        deleted_agents=[1],
        insights=[Insight(2, 8, 3, (), ())],
        anomalies=[Anomaly(3, 8, "doc_c", 1.0, 0.5, ("gene",))],
        meta={"counters": '{"tick": 8}', "new": "key"},
    )
    if kind == "passage of a missing document":
        cs.passages.append(Passage(21, "doc_missing", 0, 0, 4, "Lost", ("lost",)))
    elif kind == "postings of a missing passage":
        cs.postings[999] = [(1, 1)]
    elif kind == "anomaly of a missing document":
        cs.anomalies.append(Anomaly(4, 8, "doc_missing", 1.0, 0.5, ()))
    elif kind == "contributions of a missing document":
        cs.contributions["doc_missing"] = [(1, 2, 1)]
    else:  # pragma: no cover
        raise AssertionError(kind)
    return cs


BAD = [
    "passage of a missing document",
    "postings of a missing passage",
    "anomaly of a missing document",
    "contributions of a missing document",
]


@pytest.mark.parametrize("kind", BAD)
def test_failed_apply_changes_nothing(store: Store, kind: str) -> None:
    store.apply(full_changeset())
    with pytest.raises((ValueError, StorageError)):
        store.apply(_bad(kind))
    assert_loads(store, full_changeset())
    # the store is still usable afterwards
    store.apply(ChangeSet(meta={"after": "failure"}))
    expected = full_changeset()
    expected.meta["after"] = "failure"
    assert_loads(store, expected)


def test_the_valid_part_of_a_bad_changeset_applies_on_its_own(store: Store) -> None:
    # guards the atomicity test: without the bad row, the same change set is accepted
    store.apply(full_changeset())
    good = _bad("passage of a missing document")
    good.passages.pop()
    store.apply(good)
    loaded = store.load()
    assert {d.id for d in loaded.documents} == {"doc_a", "doc_c"}
    assert loaded.meta["new"] == "key"


# -- property: arbitrary consistent change sets round-trip -----------------------------------------------

_labels = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _floats | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _changesets(draw: st.DrawFn) -> ChangeSet:
    n_docs = draw(st.integers(0, 3))
    docs = [
        _doc(
            f"doc_{i}",
            title=draw(st.text(max_size=10)),
            text=draw(st.text(max_size=30)),
            metadata=draw(st.dictionaries(st.text(max_size=5), _json, max_size=3)),
            x=draw(_floats),
            y=draw(_floats),
            digested=draw(st.booleans()),
        )
        for i in range(n_docs)
    ]
    passages: list[Passage] = []
    postings: dict[int, list[tuple[int, int]]] = {}
    for d in docs:
        for o in range(draw(st.integers(0, 3))):
            pid = len(passages) + 1
            terms = tuple(draw(st.lists(st.sampled_from(["gene", "cell", "dna"]), max_size=4)))
            passages.append(Passage(pid, d.id, o, o * 10, o * 10 + 5, draw(st.text(max_size=20)), terms))
            if draw(st.booleans()):
                postings[pid] = draw(st.lists(st.tuples(st.integers(1, 50), st.integers(1, 9)), max_size=4))
    labels = draw(st.lists(_labels, unique=True, max_size=6))
    concepts = [
        Concept(
            i + 1,
            lab,
            draw(st.sampled_from(["term", "phrase"])),
            draw(st.integers(0, 99)),
            draw(st.integers(0, 99)),
            draw(st.integers(0, 99)),
            draw(st.integers(0, 99)),
        )
        for i, lab in enumerate(labels)
    ]
    edge_keys = draw(
        st.lists(
            st.tuples(st.integers(1, 30), st.integers(1, 30)).filter(lambda t: t[0] < t[1]),
            unique=True,
            max_size=8,
        )
    )
    edges = [
        (
            a,
            b,
            draw(st.floats(0, 1)),
            draw(st.integers(1, 99)),
            draw(st.integers(0, 9)),
            draw(st.integers(0, 9)),
        )
        for a, b in edge_keys
    ]
    contributions = {
        d.id: draw(st.lists(st.tuples(st.integers(1, 9), st.integers(10, 19), st.integers(1, 5)), max_size=3))
        for d in docs
        if draw(st.booleans())
    }
    agents = [
        AgentRecord(i + 1, draw(st.sampled_from(["digester", "sentinel", "synthesizer"])), draw(st.text(max_size=10)))
        for i in range(draw(st.integers(0, 3)))
    ]
    insights = [
        Insight(
            i + 1,
            draw(st.integers(0, 99)),
            draw(st.integers(0, 99)),
            tuple(draw(st.lists(st.tuples(_labels, _floats), max_size=3))),
            tuple(tuple(c) for c in draw(st.lists(st.lists(_labels, max_size=3), max_size=2))),
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    anomalies = [
        Anomaly(
            i + 1,
            draw(st.integers(0, 99)),
            draw(st.sampled_from(docs)).id,
            draw(_floats),
            draw(_floats),
            tuple(draw(st.lists(_labels, max_size=3))),
        )
        for i in range(draw(st.integers(0, 2) if docs else st.just(0)))
    ]
    meta = draw(st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=10), max_size=3))
    return ChangeSet(
        documents=docs,
        passages=passages,
        postings=postings,
        concepts=concepts,
        edges=edges,
        contributions=contributions,
        agents=agents,
        insights=insights,
        anomalies=anomalies,
        meta=meta,
    )


@pytest.mark.parametrize("kind", BACKENDS)
@settings(max_examples=20, deadline=None, database=None)
@given(cs=_changesets())
def test_round_trip_property(kind: str, cs: ChangeSet) -> None:
    expected = copy.deepcopy(cs)
    with tempfile.TemporaryDirectory() as folder:
        s = _open(kind, Path(folder))
        try:
            s.apply(cs)
            assert_loads(s, expected)
        finally:
            s.close()
        if kind == "sqlite":  # and it is all in the file
            s = _open(kind, Path(folder))
            try:
                assert_loads(s, expected)
            finally:
                s.close()


# -- SQLite only -----------------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "c.db"


def test_sqlite_file_reopened_sees_the_data(db_path: Path) -> None:
    s = SQLiteStore(db_path)
    s.apply(full_changeset())
    s.close()
    s2 = SQLiteStore(db_path)
    try:
        assert_loads(s2, full_changeset())
    finally:
        s2.close()


def test_sqlite_records_schema_migrations(db_path: Path) -> None:
    SQLiteStore(db_path).close()
    with sqlite3.connect(db_path) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert 1 in versions
    assert versions == list(range(1, LATEST + 1))
    # reopening does not re-apply anything
    s = SQLiteStore(db_path)
    try:
        assert [v for v, _ in s.schema_versions()] == versions
    finally:
        s.close()


def test_sqlite_newer_schema_is_refused(db_path: Path) -> None:
    SQLiteStore(db_path).close()
    with sqlite3.connect(db_path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', datetime('now'))", (LATEST + 1,))
    with pytest.raises(SchemaError):
        SQLiteStore(db_path)
    with pytest.raises(SchemaError):
        Colony.open(db_path)
    assert issubclass(SchemaError, StorageError)


@pytest.mark.parametrize(
    "content",
    [
        random.Random(1).randbytes(4096),
        b"this is a plain text file, not a colony\n" * 20,
        b"SQLite format 3\x00" + random.Random(2).randbytes(2048),  # a valid magic but a corrupt header
    ],
    ids=["random-bytes", "text", "corrupt-header"],
)
def test_sqlite_non_database_file_raises_storage_error(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    with pytest.raises(StorageError) as exc_info:
        SQLiteStore(db_path)
    assert not isinstance(exc_info.value, SchemaError)
    with pytest.raises(StorageError):
        Colony.open(db_path)
    assert db_path.read_bytes() == content  # the file is left as it was


def test_sqlite_uses_wal_journal_mode(db_path: Path) -> None:
    s = SQLiteStore(db_path)
    try:
        s.apply(full_changeset())
        with sqlite3.connect(db_path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        s.close()


def test_sqlite_failed_apply_leaves_file_unchanged(db_path: Path) -> None:
    s = SQLiteStore(db_path)
    s.apply(full_changeset())

    def dump() -> list[str]:
        with sqlite3.connect(db_path) as db:
            return list(db.iterdump())

    before = dump()
    with pytest.raises(StorageError):
        s.apply(_bad("passage of a missing document"))
    assert dump() == before
    s.close()
