"""An in-memory :class:`~phago.storage.base.Store`: the reference implementation, used by ``Colony()``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields

from phago.core.types import Anomaly, Concept, Document, Insight, Passage
from phago.storage.base import AgentRecord, ChangeSet, EdgeRow


@dataclass(slots=True)
class _Tables:
    documents: dict[str, Document] = field(default_factory=dict)
    passages: dict[int, Passage] = field(default_factory=dict)
    postings: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    concepts: dict[int, Concept] = field(default_factory=dict)
    edges: dict[tuple[int, int], EdgeRow] = field(default_factory=dict)
    contributions: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    agents: dict[int, AgentRecord] = field(default_factory=dict)
    insights: dict[int, Insight] = field(default_factory=dict)
    anomalies: dict[int, Anomaly] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    vectors: dict[int, tuple[str, bytes]] = field(default_factory=dict)


class MemoryStore:
    """Keeps a colony in process memory; applying a change set is all-or-nothing."""

    def __init__(self) -> None:
        self._t = _Tables()
        self._closed = False

    @property
    def path(self) -> str | None:
        return None

    def load(self) -> ChangeSet:
        t = self._t
        return _copy_changes(
            ChangeSet(
                documents=list(t.documents.values()),
                passages=sorted(t.passages.values(), key=lambda p: p.id),
                postings=t.postings,
                concepts=sorted(t.concepts.values(), key=lambda c: c.id),
                edges=sorted(t.edges.values()),
                contributions=t.contributions,
                agents=sorted(t.agents.values(), key=lambda a: a.id),
                insights=sorted(t.insights.values(), key=lambda i: i.id),
                anomalies=sorted(t.anomalies.values(), key=lambda a: a.id),
                meta=t.meta,
                vectors=t.vectors,
            )
        )

    def apply(self, changes: ChangeSet) -> None:
        t = copy.copy(self._t)  # new top-level dicts below; the old tables stay intact until the swap
        for f in fields(_Tables):
            setattr(t, f.name, dict(getattr(self._t, f.name)))
        changes = _copy_changes(changes)
        for doc_id in changes.deleted_documents:
            t.documents.pop(doc_id, None)
            t.contributions.pop(doc_id, None)
            for pid in [p.id for p in t.passages.values() if p.document_id == doc_id]:
                del t.passages[pid]
                t.postings.pop(pid, None)
                t.vectors.pop(pid, None)
            for aid in [a.id for a in t.anomalies.values() if a.document_id == doc_id]:
                del t.anomalies[aid]
        for doc in changes.documents:
            t.documents[doc.id] = doc
        for p in changes.passages:
            if p.document_id not in t.documents:
                raise ValueError(f"passage {p.id} refers to unknown document {p.document_id!r}")
            t.passages[p.id] = p
        for pid, rows in changes.postings.items():
            if pid not in t.passages:
                raise ValueError(f"postings refer to unknown passage {pid}")
            t.postings[pid] = rows
        for cid in changes.deleted_concepts:
            t.concepts.pop(cid, None)
        for c in changes.concepts:
            t.concepts[c.id] = c
        for key in changes.deleted_edges:
            t.edges.pop(key, None)
        for row in changes.edges:
            t.edges[(row[0], row[1])] = row
        for doc_id, pairs in changes.contributions.items():
            if doc_id not in t.documents:
                raise ValueError(f"contributions refer to unknown document {doc_id!r}")
            t.contributions[doc_id] = pairs
        for aid in changes.deleted_agents:
            t.agents.pop(aid, None)
        for rec in changes.agents:
            t.agents[rec.id] = rec
        for ins in changes.insights:
            t.insights[ins.id] = ins
        for an in changes.anomalies:
            if an.document_id not in t.documents:
                raise ValueError(f"anomaly {an.id} refers to unknown document {an.document_id!r}")
            t.anomalies[an.id] = an
        for pid, vec in changes.vectors.items():
            if pid not in t.passages:
                raise ValueError(f"vector refers to unknown passage {pid}")
            t.vectors[pid] = vec
        t.meta.update(changes.meta)
        self._t = t

    def close(self) -> None:
        self._closed = True


def _copy_changes(c: ChangeSet) -> ChangeSet:
    """Copy what is mutable (documents and concepts; containers); rows are immutable tuples."""
    return ChangeSet(
        documents=[copy.copy(d) for d in c.documents],
        deleted_documents=list(c.deleted_documents),
        passages=list(c.passages),
        postings={k: list(v) for k, v in c.postings.items()},
        concepts=[copy.copy(x) for x in c.concepts],
        deleted_concepts=list(c.deleted_concepts),
        edges=list(c.edges),
        deleted_edges=list(c.deleted_edges),
        contributions={k: list(v) for k, v in c.contributions.items()},
        agents=list(c.agents),
        deleted_agents=list(c.deleted_agents),
        insights=list(c.insights),
        anomalies=list(c.anomalies),
        meta=dict(c.meta),
        vectors=dict(c.vectors),
    )
