"""The Synthesizer (quorum sensing): once enough new input has been digested, it reports the graph's
clusters and the bridge concepts that connect them as an :class:`~phago.core.types.Insight`."""

from __future__ import annotations

from phago.colony.agents import Agent
from phago.colony.state import ColonyState
from phago.core.types import Insight
from phago.events import InsightReported
from phago.graph import structure

MAX_CLUSTERS = 10  # largest clusters reported per insight


def step(state: ColonyState, agent: Agent) -> Insight | None:
    s = state.settings.synthesis
    fresh = state.documents_digested - agent.digested_at_last_insight
    if fresh < max(s.quorum, s.quorum_growth * agent.digested_at_last_insight):
        agent.idle_ticks += 1
        return None
    agent.idle_ticks = 0
    agent.digested_at_last_insight = state.documents_digested
    graph = state.graph
    labels = structure.cluster_labels(graph, min_size=s.min_cluster_size)  # one backbone pass serves both
    bridges = tuple(
        (label, round(score, 6))
        for label, score in structure.bridge_concepts(graph, s.bridges, s.min_cluster_size, labels)
    )
    clusters = tuple(comp.top_concepts for comp in structure.clusters_of(graph, labels, top=8)[:MAX_CLUSTERS])
    insight = Insight(state.next_insight_id, state.tick, state.documents_digested, bridges, clusters)
    state.next_insight_id += 1
    state.insights.append(insight)
    state.pending.insights.append(insight)
    if state.events.active:
        state.events.emit(InsightReported(state.tick, insight.id))
    return insight
