"""Recorded schema migrations of the SQLite store.

Each migration is applied once, in order, inside the transaction that records it in ``schema_migrations``.
Add new ones at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "initial schema",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,
            metadata TEXT NOT NULL, content_hash TEXT NOT NULL UNIQUE, ingested_tick INTEGER NOT NULL,
            x REAL NOT NULL, y REAL NOT NULL, passage_count INTEGER NOT NULL,
            digested_passages INTEGER NOT NULL, digested INTEGER NOT NULL, seq INTEGER NOT NULL
        );
        CREATE INDEX documents_seq ON documents(seq);
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
            terms TEXT NOT NULL, postings BLOB
        );
        CREATE INDEX passages_document ON passages(document_id);
        CREATE TABLE concepts (
            id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
            occurrences INTEGER NOT NULL, passages INTEGER NOT NULL,
            created_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL
        );
        CREATE TABLE edges (
            a INTEGER NOT NULL, b INTEGER NOT NULL, weight REAL NOT NULL, coactivations INTEGER NOT NULL,
            created_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL, PRIMARY KEY (a, b)
        ) WITHOUT ROWID;
        CREATE TABLE contributions (
            document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE, pairs BLOB NOT NULL
        );
        CREATE TABLE agents (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL);
        CREATE TABLE insights (id INTEGER PRIMARY KEY, tick INTEGER NOT NULL, payload TEXT NOT NULL);
        CREATE TABLE anomalies (
            id INTEGER PRIMARY KEY, tick INTEGER NOT NULL,
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, payload TEXT NOT NULL
        );
        """,
    ),
)

MIGRATIONS += (
    (
        2,
        "passage vectors for dense retrieval",
        """
        CREATE TABLE passage_vectors (
            passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
            model TEXT NOT NULL, vector BLOB NOT NULL
        );
        """,
    ),
)

LATEST = MIGRATIONS[-1][0]
