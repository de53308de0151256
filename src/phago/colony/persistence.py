"""Persistence of a colony's state: rebuilding it from a store snapshot and collecting what changed."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from phago.colony.agents import Agent
from phago.colony.state import ColonyState
from phago.colony.substrate import Substrate
from phago.config import Settings
from phago.core.types import Passage
from phago.events import EventBus
from phago.graph.graph import ConceptGraph
from phago.retrieval.analyzer import make_analyzer
from phago.retrieval.lexical import LexicalIndex
from phago.storage.base import AgentRecord, ChangeSet, EdgeRow


def restore(cs: ChangeSet, settings: Settings, events: EventBus) -> ColonyState:
    """Rebuild a colony's in-memory state from a store snapshot."""
    meta = cs.meta
    rng = np.random.Generator(np.random.PCG64(settings.colony.seed))
    if "rng" in meta:
        rng.bit_generator.state = json.loads(meta["rng"])
    st = ColonyState(
        settings=settings,
        rng=rng,
        graph=ConceptGraph(settings.wiring),
        lexical=LexicalIndex(settings.lexical.k1, settings.lexical.b, settings.lexical.document_weight),
        substrate=Substrate(settings.colony.substrate_size),
        events=events,
        analyze=make_analyzer(settings.lexical.stemmer),
    )
    counters = json.loads(meta.get("counters", "{}"))
    for name in (
        "tick",
        "next_passage_id",
        "next_agent_id",
        "next_insight_id",
        "next_anomaly_id",
        "births",
        "documents_digested",
        "last_maintenance",
    ):
        if name in counters:
            setattr(st, name, counters[name])
    st.deaths = Counter(counters.get("deaths", {}))
    if "traces" in meta:
        st.substrate.load_traces(meta["traces"])
    for doc in cs.documents:
        st.documents[doc.id] = doc
        st.by_hash[doc.content_hash] = doc.id
        st.doc_passages[doc.id] = []
    reanalyze = meta.get("analyzer", settings.lexical.stemmer) != settings.lexical.stemmer
    for p in cs.passages:
        if reanalyze:  # the stemmer changed: the stored index terms are re-derived and re-saved
            title = st.documents[p.document_id].title
            p = Passage(p.id, p.document_id, p.ordinal, p.start, p.end, p.text,
                        passage_terms(st, title, p.ordinal, p.text))
            st.pending.passages.append(p.id)
        st.passages[p.id] = p
        st.doc_passages[p.document_id].append(p.id)
    for doc in st.documents.values():
        key = st.next_doc_key
        st.next_doc_key += 1
        st.doc_keys[doc.id] = key
        for pid in st.doc_passages[doc.id]:
            st.lexical.add(pid, key, st.passages[pid].terms)
        st.lexical.add_document(key, sum(len(st.passages[pid].terms) for pid in st.doc_passages[doc.id]))
    g = st.graph
    g.next_concept_id = counters.get("next_concept_id", 1)
    for c in cs.concepts:
        g.concepts[c.id] = c
        g.by_label[c.label] = c.id
        g.postings[c.id] = {}
        g.total_occurrences += c.occurrences
    for pid, rows in cs.postings.items():
        g.passage_concepts[pid] = dict(rows)
        for cid, tf in rows:
            g.postings[cid][pid] = tf
    g.edges.bulk_load(cs.edges)
    for a, b, *_rest in cs.edges:
        g.adjacency.setdefault(a, set()).add(b)
        g.adjacency.setdefault(b, set()).add(a)
    for doc_id, pairs in cs.contributions.items():
        st.contributions[doc_id] = Counter({(a, b): n for a, b, n in pairs})
    for rec in cs.agents:
        st.agents[rec.id] = Agent.from_json(rec.id, rec.kind, rec.state)
    st.insights = list(cs.insights)
    st.anomalies = list(cs.anomalies)
    claimed = {a.document for a in st.agents.values() if a.document}
    for doc in st.documents.values():
        if not doc.digested:
            st.backlog += doc.passage_count - doc.digested_passages
            if doc.id not in claimed:
                st.substrate.emit(doc.id, doc.x, doc.y, doc.passage_count - doc.digested_passages)
    return st


def changes(st: ColonyState, settings: Settings) -> ChangeSet:
    """Everything changed since the last save, as one change set."""
    g = st.graph
    pending = st.pending
    return ChangeSet(
        documents=[st.documents[d] for d in sorted(pending.documents) if d in st.documents],
        deleted_documents=list(pending.deleted_documents),
        passages=[st.passages[p] for p in pending.passages if p in st.passages],
        postings={
            pid: sorted(g.passage_concepts.get(pid, {}).items())
            for pid in sorted(g.dirty.passages)
            if pid in st.passages
        },
        concepts=[g.concepts[c] for c in sorted(g.dirty.concepts) if c in g.concepts],
        deleted_concepts=sorted(g.dirty.deleted_concepts),
        edges=_edge_rows(g),
        deleted_edges=sorted(g.dirty.deleted_edges),
        contributions={
            d: [(a, b, n) for (a, b), n in sorted(st.contributions[d].items())]
            for d in sorted(pending.contributions)
            if d in st.contributions
        },
        agents=[AgentRecord(a.id, a.kind, a.to_json()) for a in st.agents.values()],
        deleted_agents=sorted(pending.deleted_agents),
        insights=list(pending.insights),
        anomalies=[a for a in pending.anomalies if a.document_id in st.documents],
        meta={
            "settings": settings.to_json(),
            "fingerprint": settings.fingerprint(),
            "rng": json.dumps(st.rng.bit_generator.state),
            "traces": st.substrate.traces_json(),
            "analyzer": settings.lexical.stemmer,
            "counters": json.dumps(
                {
                    "tick": st.tick,
                    "next_passage_id": st.next_passage_id,
                    "next_agent_id": st.next_agent_id,
                    "next_insight_id": st.next_insight_id,
                    "next_anomaly_id": st.next_anomaly_id,
                    "births": st.births,
                    "documents_digested": st.documents_digested,
                    "last_maintenance": st.last_maintenance,
                    "next_concept_id": g.next_concept_id,
                    "deaths": dict(st.deaths),
                }
            ),
        },
    )


def mark_saved(st: ColonyState) -> None:
    """Forget the change bookkeeping once a change set is safely stored."""
    st.pending.clear()
    st.graph.dirty.clear()
    st.graph.edges.mark_saved()


def _edge_rows(g: ConceptGraph) -> list[EdgeRow]:
    """Rows of the edges changed since the last save, ordered by (source, target)."""
    e = g.edges
    rows = e.changed_rows()
    if rows.size == 0:
        return []
    return list(zip(e.src[rows].tolist(), e.dst[rows].tolist(), e.weight[rows].tolist(), e.coact[rows].tolist(),
                    e.created[rows].tolist(), e.last[rows].tolist(), strict=True))


def passage_terms(st: ColonyState, title: str, ordinal: int, text: str) -> tuple[str, ...]:
    """A passage's index terms; the first passage also carries the document's title."""
    terms = st.analyze(text)
    return tuple(st.analyze(title) + terms) if ordinal == 0 and title else tuple(terms)
