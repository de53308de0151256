"""The SQLite store: one file (WAL mode) holds the whole colony; every save is one transaction."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from phago.core.types import Anomaly, Concept, Document, Insight, Passage
from phago.errors import SchemaError, StorageError
from phago.storage.base import AgentRecord, ChangeSet
from phago.storage.migrations import LATEST, MIGRATIONS


def _pack(rows: Iterable[tuple[int, ...]], width: int) -> bytes:
    arr = np.asarray(list(rows), dtype=np.int64).reshape(-1, width)
    return arr.tobytes()


def _unpack(blob: bytes | None, width: int) -> list[tuple[int, ...]]:
    if not blob:
        return []
    arr = np.frombuffer(blob, dtype=np.int64).reshape(-1, width)
    return [tuple(r) for r in arr.tolist()]


class SQLiteStore:
    """A colony file. Created with its schema if absent; refuses files of a newer schema."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self._path = str(path)
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal" and self._path != ":memory:":
                raise StorageError(f"{self._path}: cannot switch to WAL journal mode (got {mode})")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self._path}: not a usable Phago colony file ({exc})") from None

    @property
    def path(self) -> str | None:
        return self._path

    def _migrate(self) -> None:
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {v for (v,) in db.execute("SELECT version FROM schema_migrations")}
        newest = max(applied, default=0)
        if newest > LATEST:
            raise SchemaError(
                f"{self._path}: schema version {newest} is newer than this Phago understands ({LATEST}); "
                "upgrade phago"
            )
        for version, name, sql in MIGRATIONS:
            if version in applied:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (version, name))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def schema_versions(self) -> list[tuple[int, str]]:
        return [
            (v, n)
            for v, n in self._db.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        ]

    def load(self) -> ChangeSet:
        db = self._db
        cs = ChangeSet()
        for row in db.execute(
            "SELECT id, title, text, source, metadata, content_hash, ingested_tick, x, y, passage_count, "
            "digested_passages, digested FROM documents ORDER BY seq"
        ):
            cs.documents.append(
                Document(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    json.loads(row[4]),
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    row[9],
                    row[10],
                    bool(row[11]),
                )
            )
        for pid, doc, ordinal, start, end, text, terms, postings in db.execute(
            'SELECT id, document_id, ordinal, start, "end", text, terms, postings FROM passages ORDER BY id'
        ):
            cs.passages.append(Passage(pid, doc, ordinal, start, end, text, tuple(terms.split())))
            if postings is not None:
                cs.postings[pid] = [(int(c), int(t)) for c, t in _unpack(postings, 2)]
        cs.concepts = [
            Concept(*row)
            for row in db.execute(
                "SELECT id, label, kind, occurrences, passages, created_tick, last_tick FROM concepts ORDER BY id"
            )
        ]
        cs.edges = list(
            db.execute("SELECT a, b, weight, coactivations, created_tick, last_tick FROM edges ORDER BY a, b")
        )
        for doc_id, blob in db.execute("SELECT document_id, pairs FROM contributions"):
            cs.contributions[doc_id] = [(int(a), int(b), int(n)) for a, b, n in _unpack(blob, 3)]
        cs.agents = [
            AgentRecord(*row) for row in db.execute("SELECT id, kind, state FROM agents ORDER BY id")
        ]
        for iid, tick, payload in db.execute("SELECT id, tick, payload FROM insights ORDER BY id"):
            p = json.loads(payload)
            cs.insights.append(
                Insight(
                    iid,
                    tick,
                    p["documents_digested"],
                    tuple((b, s) for b, s in p["bridges"]),
                    tuple(tuple(c) for c in p["clusters"]),
                )
            )
        for aid, tick, doc_id, payload in db.execute(
            "SELECT id, tick, document_id, payload FROM anomalies ORDER BY id"
        ):
            p = json.loads(payload)
            cs.anomalies.append(
                Anomaly(aid, tick, doc_id, p["novelty"], p["drift"], tuple(p["new_concepts"]))
            )
        cs.meta = dict(db.execute("SELECT key, value FROM meta"))
        cs.vectors = {pid: (model, blob) for pid, model, blob in db.execute(
            "SELECT passage_id, model, vector FROM passage_vectors"
        )}
        return cs

    def apply(self, changes: ChangeSet) -> None:
        if changes.is_empty():
            return
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write(db, changes)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError(f"{self._path}: save failed, nothing was written ({exc})") from exc

    @staticmethod
    def _write(db: sqlite3.Connection, c: ChangeSet) -> None:
        db.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in c.deleted_documents])
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM documents)) "
            "ON CONFLICT(id) DO UPDATE SET title=excluded.title, source=excluded.source, "
            "metadata=excluded.metadata, digested_passages=excluded.digested_passages, "
            "digested=excluded.digested",
            [
                (
                    d.id,
                    d.title,
                    d.text,
                    d.source,
                    json.dumps(d.metadata, sort_keys=True),
                    d.content_hash,
                    d.ingested_tick,
                    d.x,
                    d.y,
                    d.passage_count,
                    d.digested_passages,
                    int(d.digested),
                )
                for d in c.documents
            ],
        )
        db.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, NULL) "
            "ON CONFLICT(id) DO UPDATE SET terms = excluded.terms",
            [(p.id, p.document_id, p.ordinal, p.start, p.end, p.text, " ".join(p.terms)) for p in c.passages],
        )
        for pid, rows in c.postings.items():
            if db.execute("UPDATE passages SET postings = ? WHERE id = ?", (_pack(rows, 2), pid)).rowcount != 1:
                raise sqlite3.IntegrityError(f"postings refer to unknown passage {pid}")
        db.executemany("DELETE FROM concepts WHERE id = ?", [(i,) for i in c.deleted_concepts])
        db.executemany(
            "INSERT OR REPLACE INTO concepts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (x.id, x.label, x.kind, x.occurrences, x.passages, x.created_tick, x.last_tick)
                for x in c.concepts
            ],
        )
        db.executemany("DELETE FROM edges WHERE a = ? AND b = ?", c.deleted_edges)
        db.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?, ?)", c.edges)
        db.executemany(
            "INSERT OR REPLACE INTO contributions VALUES (?, ?)",
            [(doc, _pack(rows, 3)) for doc, rows in c.contributions.items()],
        )
        db.executemany("DELETE FROM agents WHERE id = ?", [(i,) for i in c.deleted_agents])
        db.executemany(
            "INSERT OR REPLACE INTO agents VALUES (?, ?, ?)", [(a.id, a.kind, a.state) for a in c.agents]
        )
        db.executemany(
            "INSERT OR REPLACE INTO insights VALUES (?, ?, ?)",
            [
                (
                    i.id,
                    i.tick,
                    json.dumps(
                        {
                            "documents_digested": i.documents_digested,
                            "bridges": [list(b) for b in i.bridges],
                            "clusters": [list(x) for x in i.clusters],
                        }
                    ),
                )
                for i in c.insights
            ],
        )
        db.executemany(
            "INSERT OR REPLACE INTO anomalies VALUES (?, ?, ?, ?)",
            [
                (
                    a.id,
                    a.tick,
                    a.document_id,
                    json.dumps(
                        {"novelty": a.novelty, "drift": a.drift, "new_concepts": list(a.new_concepts)}
                    ),
                )
                for a in c.anomalies
            ],
        )
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(c.meta.items()))
        db.executemany(
            "INSERT OR REPLACE INTO passage_vectors VALUES (?, ?, ?)",
            [(pid, model, blob) for pid, (model, blob) in c.vectors.items()],
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # closing twice or after a failed open is harmless
            self._db.close()
