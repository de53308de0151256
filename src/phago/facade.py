"""The :class:`Colony` facade: the one object users and every interface talk to."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TextIO

import numpy as np

from phago import export as export_mod
from phago.colony import engine, lifecycle, persistence
from phago.colony.agents import Agent
from phago.colony.substrate import position_from_hash
from phago.config import Settings
from phago.core import text as textproc
from phago.core.types import (
    AgentInfo,
    Anomaly,
    ColonyStats,
    Concept,
    Document,
    DocumentInput,
    Edge,
    Insight,
    Metadata,
    Passage,
    QueryResult,
    RunReport,
)
from phago.errors import InputError, NotFound, PhagoError
from phago.events import DocumentForgotten, DocumentIngested, Event, EventBus
from phago.graph import communities as communities_mod
from phago.graph import structure
from phago.retrieval import activation as act_mod
from phago.retrieval import fusion
from phago.retrieval import search as search_mod
from phago.retrieval.activation import GraphSnapshot
from phago.retrieval.dense import Embedder
from phago.retrieval.passage_vectors import PassageVectors
from phago.storage.base import Store
from phago.storage.memory import MemoryStore
from phago.storage.sqlite import SQLiteStore


class Colony:
    """A self-organising memory.

    ``Colony()`` lives in memory; ``Colony.open(path)`` lives in a SQLite file (created if absent).
    Documents are searchable as soon as :meth:`ingest` returns; agents digest them into the concept graph
    over ticks (:meth:`run`) or at once (:meth:`digest`). Methods are thread-safe.
    """

    def __init__(
        self, store: Store | None = None, settings: Settings | None = None, *, embedder: Embedder | None = None
    ) -> None:
        self._store: Store = store if store is not None else MemoryStore()
        self._lock = threading.RLock()
        self._closed = False
        self._bus = EventBus()
        self._partition_cache: tuple[int, communities_mod.Partition] | None = None
        self._snapshot: GraphSnapshot | None = None
        self._dense: PassageVectors | None = PassageVectors(embedder) if embedder is not None else None
        snapshot = self._store.load()
        stored = snapshot.meta.get("settings")
        if settings is None:
            settings = (
                Settings.from_mapping(json.loads(stored), origin="stored settings") if stored else Settings()
            )
        self._settings = settings
        self._state = persistence.restore(snapshot, settings, self._bus)
        if self._dense is not None:
            self._dense.load(snapshot.vectors, self._state.passages, self._titles())
        if not snapshot.meta:
            engine.populate(self._state)
        if not snapshot.meta or stored != settings.to_json() or (self._dense and self._dense.pending):
            self._save()

    @classmethod
    def open(cls, path: str | Path, settings: Settings | None = None, *, embedder: Embedder | None = None
             ) -> Colony:
        """Open (or create) the colony stored in the SQLite file ``path``.

        Without ``settings`` the colony keeps the settings it was created with (defaults for a new file).
        """
        return cls(SQLiteStore(path), settings, embedder=embedder)

    # -- lifecycle -------------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def db_path(self) -> str | None:
        """The colony file, or ``None`` in memory."""
        return self._store.path

    @property
    def tick(self) -> int:
        return self._state.tick

    def close(self) -> None:
        """Save anything pending and release the file. Closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._save()
            self._store.close()
            self._closed = True

    def __enter__(self) -> Colony:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``fn`` with every :mod:`phago.events` event; returns an unsubscribe function."""
        return self._bus.subscribe(fn)

    # -- ingest and forget -----------------------------------------------------------------------------
    def ingest(
        self, text: str, title: str = "", metadata: Mapping[str, object] | None = None, source: str = ""
    ) -> str:
        """Add a document; returns its stable id (derived from its content, so re-ingesting is a no-op).

        The document is saved and searchable when this returns.
        """
        return self.ingest_many([DocumentInput(text, title, _metadata(metadata), source)])[0]

    def ingest_many(self, items: Iterable[DocumentInput]) -> list[str]:
        """Add many documents in one transaction: all are saved, or (on any error) none."""
        prepared = [self._prepare(i, item) for i, item in enumerate(items)]
        with self._lock:
            self._check_open()
            ids: list[str] = []
            try:
                new_passages = len(self._state.passages)
                for doc_text, item, content_hash in prepared:
                    ids.append(self._add_document(doc_text, item, content_hash))
                if self._dense is not None and len(self._state.passages) > new_passages:
                    st = self._state
                    fresh = [
                        st.passages[p] for p in st.pending.passages if p in st.passages and p not in self._dense.index
                    ]
                    self._dense.add_passages(fresh, self._titles())
                self._save()
            except BaseException:
                self._reload()
                raise
            return ids

    def _prepare(self, i: int, item: DocumentInput) -> tuple[str, DocumentInput, str]:
        where = f"document {i}" + (f" ({item.source})" if item.source else "")
        if not isinstance(item.text, str):
            raise InputError(f"{where}: text must be a string, got {type(item.text).__name__}")
        if not isinstance(item.title, str) or not isinstance(item.source, str):
            raise InputError(f"{where}: title and source must be strings")
        if "\x00" in item.text:
            raise InputError(f"{where}: text contains NUL bytes (binary data is not accepted)")
        doc_text = textproc.normalise(item.text)
        if not textproc.has_words(doc_text):
            raise InputError(f"{where}: text is empty (no words after normalisation)")
        meta = _metadata(item.metadata, where)
        clean = DocumentInput(doc_text, item.title, meta, item.source)
        return doc_text, clean, hashlib.sha256(doc_text.encode()).hexdigest()

    def _add_document(self, doc_text: str, item: DocumentInput, content_hash: str) -> str:
        st = self._state
        existing = st.by_hash.get(content_hash)
        if existing is not None:
            return existing
        doc_id = "doc_" + content_hash[:16]
        spans = textproc.passages(doc_text, st.settings.ingest.max_passage_words)
        title = item.title.strip() or _default_title(doc_text)
        x, y = position_from_hash(content_hash, st.settings.colony.substrate_size)
        doc = Document(
            doc_id, title, doc_text, item.source, dict(item.metadata), content_hash, st.tick, x, y, len(spans)
        )
        st.documents[doc_id] = doc
        st.by_hash[content_hash] = doc_id
        doc_key = self._doc_key(doc_id)
        pids = []
        doc_length = 0
        for ordinal, span in enumerate(spans):
            ptext = doc_text[span.start : span.end]
            terms = persistence.passage_terms(st, title, ordinal, ptext)
            p = Passage(st.next_passage_id, doc_id, ordinal, span.start, span.end, ptext, terms)
            st.next_passage_id += 1
            st.passages[p.id] = p
            st.lexical.add(p.id, doc_key, p.terms)
            doc_length += len(terms)
            st.pending.passages.append(p.id)
            pids.append(p.id)
        st.doc_passages[doc_id] = pids
        st.lexical.add_document(doc_key, doc_length)
        st.backlog += len(spans)
        st.substrate.emit(doc_id, x, y, len(spans))
        st.pending.documents.add(doc_id)
        if st.events.active:
            st.events.emit(DocumentIngested(st.tick, doc_id, title, len(spans)))
        return doc_id

    def _doc_key(self, doc_id: str) -> int:
        st = self._state
        key = st.next_doc_key
        st.next_doc_key += 1
        st.doc_keys[doc_id] = key
        return key

    def forget(self, document_id: str) -> None:
        """Remove a document and exactly what it contributed: passages, postings, concept counts and the
        co-activations it caused (edges left with none disappear). Saved when this returns."""
        self.forget_many([document_id])

    def forget_many(self, document_ids: Iterable[str]) -> None:
        """Forget several documents in one transaction; if any id is unknown, nothing is forgotten."""
        ids = list(dict.fromkeys(document_ids))
        with self._lock:
            self._check_open()
            st = self._state
            for document_id in ids:
                if document_id not in st.documents:
                    raise NotFound("document", document_id)
            try:
                for document_id in ids:
                    self._forget_one(document_id)
                self._save()
            except BaseException:
                self._reload()
                raise
            if st.events.active:
                for document_id in ids:
                    st.events.emit(DocumentForgotten(st.tick, document_id))

    def _forget_one(self, document_id: str) -> None:
        st = self._state
        doc = st.documents.pop(document_id)
        del st.by_hash[doc.content_hash]
        st.substrate.withdraw(document_id)
        for agent in st.agents.values():
            if agent.document == document_id:
                agent.document = None
        st.backlog -= doc.passage_count - doc.digested_passages
        st.graph.withdraw(st.contributions.pop(document_id, Counter()))
        st.lexical.remove_document(st.doc_keys.pop(document_id))
        if self._dense is not None:
            self._dense.remove(st.doc_passages[document_id])
        for pid in st.doc_passages.pop(document_id):
            p = st.passages.pop(pid)
            st.graph.remove_passage(pid)
            st.lexical.remove(pid, p.terms)
        st.anomalies = [a for a in st.anomalies if a.document_id != document_id]
        st.pending.documents.discard(document_id)
        st.pending.contributions.discard(document_id)
        st.pending.deleted_documents.append(document_id)

    # -- running ---------------------------------------------------------------------------------------
    def run(self, ticks: int = 1) -> RunReport:
        """Advance the colony ``ticks`` ticks, saving every ``storage.checkpoint_ticks`` and at the end."""
        if not isinstance(ticks, int) or isinstance(ticks, bool) or ticks < 0:
            raise InputError(f"ticks must be a non-negative integer, got {ticks!r}")
        return self._run(ticks, until_digested=False)

    def digest(self, max_ticks: int | None = None) -> RunReport:
        """Run until every document is digested (or ``max_ticks``, default ``colony.digest_max_ticks``)."""
        limit = self._settings.colony.digest_max_ticks if max_ticks is None else max_ticks
        return self._run(limit, until_digested=True)

    def _run(self, ticks: int, *, until_digested: bool) -> RunReport:
        with self._lock:
            self._check_open()
            st = self._state
            totals = [0, 0, 0, 0, 0]
            done = 0
            every = st.settings.storage.checkpoint_ticks
            try:
                while done < ticks and not (until_digested and st.backlog == 0):
                    t = engine.tick(st)
                    done += 1
                    totals[0] += t.passages_digested
                    totals[1] += t.concepts_formed
                    totals[2] += t.edges_formed
                    totals[3] += t.edges_reinforced
                    totals[4] += t.edges_pruned
                    if done % every == 0:
                        self._save()
                self._save()
            except BaseException:
                self._reload()
                raise
            undigested = sum(1 for d in st.documents.values() if not d.digested)
            passages, concepts, formed, reinforced, pruned = totals
            return RunReport(done, passages, concepts, formed, reinforced, pruned, undigested)

    # -- reading ---------------------------------------------------------------------------------------
    def query(
        self, text: str, k: int | None = None, *, alpha: float | None = None, mode: str | None = None
    ) -> list[QueryResult]:
        """Passages best answering ``text``, best first, each with score components and an explanation.

        ``mode``: ``hybrid`` (default: ``alpha``·lexical + (1 − alpha)·graph [+ dense]), ``rrf``, ``lexical``,
        ``graph`` or ``dense``. With ``query.reinforce`` on, the edges that served the results are strengthened;
        that reinforcement is kept in memory and written with the next save (``run``, ``ingest``, ``forget``,
        ``feedback`` or ``close``) — a query never waits for the disk.
        """
        q = self._settings.query
        k, alpha, mode = self._query_args(text, k, alpha, mode)
        with self._lock:
            st = self._state
            scored = search_mod.search(self._query_context(), text, k, mode, alpha, q)
            if q.reinforce:
                served = [pair for s in scored for pair in s.served_edges]
                if served:
                    st.graph.reinforce_existing(served, st.tick)
            out = []
            for s in scored:
                p = st.passages[s.passage_id]
                doc = st.documents[p.document_id]
                out.append(
                    QueryResult(
                        document_id=doc.id,
                        passage_id=p.id,
                        title=doc.title,
                        text=p.text,
                        start=p.start,
                        end=p.end,
                        score=s.components.fused,
                        components=s.components,
                        explanation=s.explanation,
                    )
                )
            return out

    def _query_args(
        self, text: str, k: int | None, alpha: float | None, mode: str | None
    ) -> tuple[int, float, str]:
        q = self._settings.query
        if not isinstance(text, str) or not text.strip():
            raise InputError("query text is empty")
        k = q.k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 10_000:
            raise InputError(f"k must be an integer from 1 to 10000, got {k!r}")
        alpha = q.alpha if alpha is None else alpha
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 <= alpha <= 1.0:
            raise InputError(f"alpha must be a number from 0 to 1, got {alpha!r}")
        mode = q.mode if mode is None else mode
        if mode not in fusion.MODES:
            raise InputError(f"mode must be one of {', '.join(fusion.MODES)}, got {mode!r}")
        if mode == "dense" and self._dense is None:
            raise InputError(
                "mode 'dense' needs an embedder: open the colony with embedder=... "
                "(pip install 'phago[embeddings]')"
            )
        return k, float(alpha), mode

    def _query_context(self) -> search_mod.QueryContext:
        st = self._state
        snap = self._snapshot
        if snap is None or snap.version != st.graph.structure_version:
            snap = self._snapshot = GraphSnapshot(st.graph)
        d = self._settings.digestion
        return search_mod.QueryContext(
            st.lexical,
            st.graph,
            snap,
            st.analyze,
            d.min_term_length,
            d.phrase_max_words,
            self._dense_scores if self._dense is not None else None,
        )

    def _dense_scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        assert self._dense is not None
        return self._dense.scores(text)

    def _titles(self) -> dict[str, str]:
        return {d.id: d.title for d in self._state.documents.values()}

    def concepts(
        self, text: str, k: int = 10, *, kinds: tuple[str, ...] = ("term", "phrase")
    ) -> list[tuple[str, float]]:
        """Concept nodes for ``text``: its own concepts and those the graph associates with them."""
        if not isinstance(text, str) or not text.strip():
            raise InputError("query text is empty")
        _positive("k", k)
        unknown = [kind for kind in kinds if kind not in ("term", "phrase")]
        if unknown or not kinds:
            raise InputError(f"kinds must name 'term' and/or 'phrase', got {kinds!r}")
        with self._lock:
            return search_mod.rank_concepts(self._query_context(), text, k, self._settings.query, kinds)

    def feedback(self, query: str, passage_id: int, signal: int) -> int:
        """Explicit feedback on a result: ``+1`` strengthens (and if need be creates) the edges between the
        query's concepts and the passage's concepts; ``−1`` weakens the existing ones. Returns the number
        of edges changed; saved at once."""
        if signal not in (1, -1) or isinstance(signal, bool):
            raise InputError(f"signal must be +1 or -1, got {signal!r}")
        if not isinstance(query, str) or not query.strip():
            raise InputError("query text is empty")
        if isinstance(passage_id, bool) or not isinstance(passage_id, int):
            raise InputError(f"passage_id must be an integer, got {passage_id!r}")
        with self._lock:
            self._check_open()
            st = self._state
            if passage_id not in st.passages:
                raise NotFound("passage", passage_id)
            d = self._settings.digestion
            seeds = act_mod.query_concepts(st.graph, query, d.min_term_length, d.phrase_max_words)
            targets = sorted(st.graph.passage_concepts.get(passage_id, {}))
            pairs = sorted({(min(a, b), max(a, b)) for a in seeds for b in targets if a != b})
            try:
                if signal > 0:
                    changed = st.graph.wire(dict.fromkeys(pairs, 1), set(seeds) | set(targets), st.tick)
                    n = changed.new_edges + changed.reinforced_edges
                else:
                    n = st.graph.weaken(pairs)
                self._save()
            except BaseException:
                self._reload()
                raise
            return n

    def document(self, document_id: str) -> Document:
        with self._lock:
            doc = self._state.documents.get(document_id)
            if doc is None:
                raise NotFound("document", document_id)
            return doc

    def documents(self) -> list[Document]:
        with self._lock:
            return list(self._state.documents.values())

    def passages(self, document_id: str) -> list[Passage]:
        with self._lock:
            if document_id not in self._state.documents:
                raise NotFound("document", document_id)
            return [self._state.passages[p] for p in self._state.doc_passages[document_id]]

    def concept(self, label: str) -> Concept:
        with self._lock:
            c = self._state.graph.concept(label.strip().lower())
            if c is None:
                raise NotFound("concept", label)
            return c

    def concept_list(self) -> list[Concept]:
        with self._lock:
            return list(self._state.graph.concepts.values())

    def neighbours(self, label: str, k: int = 10) -> list[tuple[str, float]]:
        """The concept's strongest neighbours with edge weights."""
        _positive("k", k)
        with self._lock:
            c = self.concept(label)
            g = self._state.graph
            return [(g.concepts[o].label, w) for o, w in g.neighbours(c.id)[:k]]

    def edges(self) -> list[Edge]:
        with self._lock:
            return sorted(self._state.graph.edge_list(), key=lambda e: (e.source, e.target))

    def agents(self) -> list[AgentInfo]:
        with self._lock:
            return [self._agent_info(a) for a in self._state.agents.values()]

    def _agent_info(self, a: Agent) -> AgentInfo:
        t = self._state.tick
        return AgentInfo(
            id=a.id,
            kind=a.kind,
            x=a.x,
            y=a.y,
            energy=a.energy,
            age=a.age(t),
            generation=a.generation,
            parent=a.parent,
            idle_ticks=a.idle_ticks,
            symbionts=a.symbionts,
            document=a.document,
            fitness=a.fitness_terms(t).total(self._settings.evolution),
            genome=a.genome.to_dict(),
            vocabulary=tuple(a.top_vocabulary(32)),
            passages_digested=a.counters.passages,
        )

    def insights(self) -> list[Insight]:
        with self._lock:
            return list(self._state.insights)

    def anomalies(self) -> list[Anomaly]:
        with self._lock:
            return list(self._state.anomalies)

    def stats(self) -> ColonyStats:
        with self._lock:
            st = self._state
            kinds = Counter(a.kind for a in st.agents.values())
            return ColonyStats(
                tick=st.tick,
                documents=len(st.documents),
                undigested_documents=sum(1 for d in st.documents.values() if not d.digested),
                passages=len(st.passages),
                concepts=len(st.graph.concepts),
                edges=len(st.graph.edges),
                agents={k: kinds.get(k, 0) for k in ("digester", "synthesizer", "sentinel")},
                births=st.births,
                deaths=dict(sorted(st.deaths.items())),
                insights=len(st.insights),
                anomalies=len(st.anomalies),
                mean_edge_weight=st.graph.mean_weight(),
                path=self._store.path,
            )

    # -- structure -------------------------------------------------------------------------------------
    def path(self, source: str, target: str) -> structure.PathResult | None:
        """The strongest path between two concepts (``None`` if they are not connected)."""
        with self._lock:
            return structure.shortest_path(self._state.graph, source, target)

    def centrality(self, k: int = 10, kind: str = "degree") -> list[tuple[str, float]]:
        """Top ``k`` concepts by weighted degree (``degree``) or sampled ``betweenness``."""
        _positive("k", k)
        if kind not in ("degree", "betweenness"):
            raise InputError(f"kind must be 'degree' or 'betweenness', got {kind!r}")
        with self._lock:
            return structure.centrality(
                self._state.graph,
                k,
                kind=kind,
                samples=self._settings.explore.betweenness_samples,
                seed=self._settings.colony.seed,
            )

    def bridges(self, k: int = 10) -> list[tuple[str, float]]:
        """Concepts whose connections spread across clusters (participation × log passages)."""
        _positive("k", k)
        with self._lock:
            return structure.bridge_concepts(self._state.graph, k, self._settings.synthesis.min_cluster_size)

    def components(self, top: int = 5) -> list[structure.Component]:
        """Connected components, largest first, each with its ``top`` most frequent concepts."""
        _positive("top", top)
        with self._lock:
            return structure.components(self._state.graph, top=top)

    def _concept_partition(self) -> communities_mod.Partition:
        g = self._state.graph
        cached = self._partition_cache
        if cached is None or cached[0] != g.version:
            cached = (g.version, communities_mod.concept_partition(g, self._settings.colony.seed))
            self._partition_cache = cached
        return cached[1]

    def communities(self, top: int = 8) -> list[communities_mod.Community]:
        """Communities of concepts (Louvain on the Hebbian graph), largest first, with top labels."""
        _positive("top", top)
        with self._lock:
            return communities_mod.communities(self._state.graph, self._concept_partition(), top)

    def concept_communities(self) -> dict[str, int]:
        """Concept label → community id (0 is the largest community)."""
        with self._lock:
            g = self._state.graph
            return {g.concepts[c].label: k for c, k in self._concept_partition().membership.items()}

    def modularity(self) -> float:
        """Modularity of the concept communities."""
        with self._lock:
            return self._concept_partition().modularity

    def document_communities(self, neighbours: int = 15) -> communities_mod.DocumentPartition:
        """Communities of documents, from the similarity of their concept profiles."""
        if isinstance(neighbours, bool) or not isinstance(neighbours, int) or neighbours < 1:
            raise InputError(f"neighbours must be a positive integer, got {neighbours!r}")
        with self._lock:
            st = self._state
            profiles: dict[str, Counter[int]] = {}
            for doc_id, pids in st.doc_passages.items():
                prof: Counter[int] = Counter()
                for pid in pids:
                    prof.update(st.graph.passage_concepts.get(pid, {}))
                profiles[doc_id] = prof
            return communities_mod.document_partition(
                profiles, self._settings.colony.seed, neighbours=neighbours
            )

    # -- agents and export -----------------------------------------------------------------------------
    def agent(self, agent_id: int) -> AgentInfo:
        with self._lock:
            a = self._state.agents.get(agent_id)
            if a is None:
                raise NotFound("agent", agent_id)
            return self._agent_info(a)

    def kill_agent(self, agent_id: int) -> None:
        """Force apoptosis of an agent (its document, if any, returns to the substrate). Saved at once."""
        with self._lock:
            self._check_open()
            a = self._state.agents.get(agent_id)
            if a is None:
                raise NotFound("agent", agent_id)
            try:
                lifecycle.kill(self._state, a, "forced")
                self._save()
            except BaseException:
                self._reload()
                raise

    def export(self, fmt: str, out: TextIO) -> None:
        """Write the graph as ``json`` (everything), ``graphml`` or ``triples`` (JSONL with weights)."""
        with self._lock:
            export_mod.export(self, fmt, out)

    # -- persistence -----------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise PhagoError("the colony is closed")

    def _reload(self) -> None:
        """Throw away unsaved in-memory changes: rebuild from what the store holds (and drop every cache
        derived from the discarded state)."""
        snapshot = self._store.load()
        self._state = persistence.restore(snapshot, self._settings, self._bus)
        if self._dense is not None:
            self._dense = PassageVectors(self._dense.embedder)
            self._dense.load(snapshot.vectors, self._state.passages, self._titles())
        self._snapshot = None
        self._partition_cache = None

    def _save(self) -> None:
        changes = persistence.changes(self._state, self._settings)
        if self._dense is not None:
            changes.vectors = {pid: v for pid, v in self._dense.pending.items() if pid in self._state.passages}
        self._store.apply(changes)
        persistence.mark_saved(self._state)
        if self._dense is not None:
            self._dense.pending.clear()


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")


def _default_title(text: str) -> str:
    first = text.strip().split("\n", 1)[0].lstrip("# ").strip()
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def _metadata(metadata: Mapping[str, object] | None, where: str = "metadata") -> Metadata:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputError(f"{where}: metadata must be a JSON object, got {type(metadata).__name__}")
    try:
        out: Metadata = json.loads(json.dumps(dict(metadata), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: metadata is not JSON-serialisable ({exc})") from None
    return out
