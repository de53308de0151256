"""The Sentinel (negative selection): its self-model is the distribution of concepts the colony has
digested; each newly digested document is compared with it and flagged when novel or drifting.

novelty = share of the document's concepts found in no other document;
drift = 1 − Σ_c min(p_doc(c), p_rest(c)) (histogram intersection with the rest of the colony).
The Sentinel also learns what drift is normal (running mean and variance, Welford) and flags a document
whose novelty reaches ``novelty_threshold`` or whose drift lies ``drift_sigma`` deviations above normal.
"""

from __future__ import annotations

from collections import Counter

from phago.colony.agents import Agent
from phago.colony.state import ColonyState
from phago.core.types import Anomaly
from phago.events import AnomalyFlagged


def step(state: ColonyState, agent: Agent) -> list[Anomaly]:
    flagged: list[Anomaly] = []
    if not state.completed:
        agent.idle_ticks += 1
        return flagged
    agent.idle_ticks = 0
    s = state.settings.sentinel
    graph = state.graph
    total = graph.total_occurrences
    for doc_id, _ in state.completed:
        if doc_id not in state.documents:
            continue
        doc_counts: Counter[int] = Counter()
        doc_passages: Counter[int] = Counter()
        for pid in state.doc_passages[doc_id]:
            for cid, tf in graph.passage_concepts.get(pid, {}).items():
                doc_counts[cid] += tf
                doc_passages[cid] += 1
        if not doc_counts:
            continue
        agent.seen_documents += 1
        own = [cid for cid in doc_counts if graph.concepts[cid].passages == doc_passages[cid]]
        novelty = len(own) / len(doc_counts)
        doc_total = sum(doc_counts.values())
        rest_total = total - doc_total
        overlap = 0.0
        if rest_total > 0:
            for cid, n in doc_counts.items():
                rest = (graph.concepts[cid].occurrences - n) / rest_total
                overlap += min(n / doc_total, rest)
        drift = 1.0 - overlap
        n_prior = agent.seen_documents - 1
        std = (agent.drift_m2 / (n_prior - 1)) ** 0.5 if n_prior > 1 else 0.0
        drifting = n_prior > 1 and std > 0 and drift > agent.drift_mean + s.drift_sigma * std
        delta = drift - agent.drift_mean
        agent.drift_mean += delta / (n_prior + 1)
        agent.drift_m2 += delta * (drift - agent.drift_mean)
        if agent.seen_documents > s.warmup_documents and (novelty >= s.novelty_threshold or drifting):
            new = tuple(
                sorted(
                    (graph.concepts[c].label for c in own),
                    key=lambda lab: (-doc_counts[graph.by_label[lab]], lab),
                )[:10]
            )
            anomaly = Anomaly(
                state.next_anomaly_id, state.tick, doc_id, round(novelty, 6), round(drift, 6), new
            )
            state.next_anomaly_id += 1
            state.anomalies.append(anomaly)
            state.pending.anomalies.append(anomaly)
            flagged.append(anomaly)
            if state.events.active:
                state.events.emit(AnomalyFlagged(state.tick, anomaly.id, doc_id))
    return flagged
