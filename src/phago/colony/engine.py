"""The tick loop. One tick: digesters act (in id order), agents exchange vocabulary, symbiosis, apoptosis,
evolution, the Sentinel and Synthesizer observe, the graph is maintained on schedule, traces evaporate."""

from __future__ import annotations

from phago.colony import digester, lifecycle, sentinel, synthesizer
from phago.colony.genome import Genome
from phago.colony.state import ColonyState
from phago.events import ConceptsFormed, DocumentDigested, EdgesPruned, TickCompleted


def populate(state: ColonyState) -> None:
    """Seed a new colony: initial digesters spread over the substrate, one Synthesizer, one Sentinel."""
    s = state.settings
    genome = Genome.default(s.digestion, s.wiring)
    size = s.colony.substrate_size
    for _ in range(min(s.colony.initial_digesters, max(1, s.colony.max_agents - 2))):
        x, y = (float(v) for v in state.rng.uniform(0.0, size, 2))
        lifecycle.spawn(state, "digester", genome, x, y)
    lifecycle.spawn(state, "synthesizer", genome, size / 2, size / 2)
    lifecycle.spawn(state, "sentinel", genome, size / 2, size / 2)


def tick(state: ColonyState) -> TickCompleted:
    s = state.settings
    state.tick += 1
    tally = digester.TickTally(new_labels=[] if state.events.active else None)
    for agent in state.digesters():
        agent.energy = max(0.0, agent.energy - s.agents.tick_cost)
        digester.step(state, agent, tally)
    lifecycle.exchange(state)
    lifecycle.symbiosis(state)
    lifecycle.apoptosis(state)
    lifecycle.evolve(state)
    for agent in [a for a in state.agents.values() if a.kind == "sentinel"]:
        sentinel.step(state, agent)
    for agent in [a for a in state.agents.values() if a.kind == "synthesizer"]:
        synthesizer.step(state, agent)
    pruned = 0
    if state.tick - state.last_maintenance >= s.wiring.maintenance_interval:
        outcome = state.graph.maintain(state.tick, state.tick - state.last_maintenance)
        state.last_maintenance = state.tick
        gone = outcome.pruned + outcome.capped
        pruned = len(gone)
        if gone and state.events.active:
            labels = state.graph.concepts
            state.events.emit(
                EdgesPruned(state.tick, tuple((labels[a].label, labels[b].label) for a, b in gone))
            )
    state.substrate.evaporate()
    if state.events.active:
        for doc_id, agent_id in state.completed:
            state.events.emit(DocumentDigested(state.tick, doc_id, agent_id))
        if tally.new_labels:
            state.events.emit(ConceptsFormed(state.tick, tuple(tally.new_labels)))
    state.completed.clear()
    done = TickCompleted(
        state.tick, tally.passages, tally.concepts_formed, tally.edges_formed, tally.edges_reinforced, pruned
    )
    if state.events.active:
        state.events.emit(done)
    return done
