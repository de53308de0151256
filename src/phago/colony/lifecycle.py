"""Agent lifecycle: birth, apoptosis, vocabulary transfer, boundary dissolution, symbiosis, evolution.

All choices iterate agents in id order and draw randomness only from the colony's generator.
"""

from __future__ import annotations

import math

from phago.colony.agents import Agent, AgentKind
from phago.colony.genome import Genome
from phago.colony.state import ColonyState
from phago.events import AgentBorn, AgentDied


def spawn(
    state: ColonyState,
    kind: AgentKind,
    genome: Genome,
    x: float,
    y: float,
    *,
    parent: Agent | None = None,
    energy: float | None = None,
) -> Agent:
    agent = Agent(
        id=state.next_agent_id,
        kind=kind,
        x=x,
        y=y,
        energy=state.settings.agents.starting_energy if energy is None else energy,
        born_tick=state.tick,
        genome=genome,
        parent=parent.id if parent else None,
        generation=parent.generation + 1 if parent else 0,
    )
    if parent is not None:  # offspring inherit a share of the parent's vocabulary
        agent.vocabulary = {k: 1 for k in parent.top_vocabulary(state.settings.agents.transfer_terms)}
    state.next_agent_id += 1
    state.agents[agent.id] = agent
    state.births += 1
    if state.events.active:
        state.events.emit(AgentBorn(state.tick, agent.id, kind, agent.parent))
    return agent


def kill(state: ColonyState, agent: Agent, cause: str) -> None:
    """Apoptosis: release the agent's document back to the substrate and drop its state."""
    if agent.document is not None and agent.document in state.documents:
        doc = state.documents[agent.document]
        state.substrate.emit(doc.id, doc.x, doc.y, doc.passage_count - doc.digested_passages)
    del state.agents[agent.id]
    state.pending.deleted_agents.add(agent.id)
    state.deaths[cause] += 1
    if state.events.active:
        state.events.emit(AgentDied(state.tick, agent.id, agent.kind, cause))


def _near(a: Agent, b: Agent, radius: float) -> bool:
    return math.hypot(a.x - b.x, a.y - b.y) <= radius


def _jaccard(a: dict[str, int], b: dict[str, int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a.keys() & b.keys())
    return inter / (len(a) + len(b) - inter)


def exchange(state: ColonyState) -> None:
    """Vocabulary transfer between nearby digesters, and boundary dissolution where they overlap a lot.

    Transfer: each gives the other its ``transfer_terms`` most used terms the other lacks.
    Dissolution: when two nearby vocabularies overlap by ``dissolution_overlap`` (Jaccard) or more, the
    boundary between them dissolves and both hold the pooled vocabulary.
    """
    s = state.settings.agents
    digesters = state.digesters()
    top: dict[int, list[str]] = {}  # each agent's most used terms, computed once per tick

    def top_of(agent: Agent) -> list[str]:
        if agent.id not in top:
            top[agent.id] = agent.top_vocabulary(s.transfer_terms * 2)
        return top[agent.id]

    for i, a in enumerate(digesters):
        for b in digesters[i + 1 :]:
            if not _near(a, b, s.transfer_radius):
                continue
            if _jaccard(a.vocabulary, b.vocabulary) >= s.dissolution_overlap:
                pooled = {
                    k: max(a.vocabulary.get(k, 0), b.vocabulary.get(k, 0))
                    for k in sorted(a.vocabulary.keys() | b.vocabulary.keys())
                }
                a.vocabulary = dict(pooled)
                b.vocabulary = dict(pooled)
                a.learn({}, s.vocabulary_size)
                b.learn({}, s.vocabulary_size)
                top.pop(a.id, None)
                top.pop(b.id, None)
                continue
            if s.transfer_terms:
                give_a = [t for t in top_of(a) if t not in b.vocabulary][: s.transfer_terms]
                give_b = [t for t in top_of(b) if t not in a.vocabulary][: s.transfer_terms]
                if give_a:
                    b.learn(dict.fromkeys(give_a, 1), s.vocabulary_size)
                    b.counters.transfers += 1
                if give_b:
                    a.learn(dict.fromkeys(give_b, 1), s.vocabulary_size)
                    a.counters.transfers += 1


def symbiosis(state: ColonyState) -> None:
    """A starving digester next to a healthy one is absorbed as its symbiont: the host takes its energy and
    vocabulary and digests one more passage per tick for each symbiont it carries."""
    s = state.settings.agents
    digesters = state.digesters()
    absorbed: set[int] = set()
    for weak in digesters:
        if weak.id in absorbed or weak.energy >= s.symbiosis_energy:
            continue
        hosts = [
            h
            for h in digesters
            if h.id != weak.id
            and h.id not in absorbed
            and h.energy >= 2 * s.symbiosis_energy
            and _near(h, weak, s.transfer_radius)
        ]
        if not hosts:
            continue
        host = max(hosts, key=lambda h: (h.energy, -h.id))
        host.symbionts += 1 + weak.symbionts
        host.energy = min(s.max_energy, host.energy + max(weak.energy, 0.0))
        host.learn(weak.vocabulary, s.vocabulary_size)
        absorbed.add(weak.id)
        kill(state, weak, "symbiosis")


def apoptosis(state: ColonyState) -> None:
    """Digesters that starve, idle too long, or prove unfit retire — never below ``min_digesters``."""
    s = state.settings
    digesters = state.digesters()
    alive = len(digesters)
    fitness = {d.id: d.fitness_terms(state.tick).total(s.evolution) for d in digesters}
    mature = [fitness[d.id] for d in digesters if d.age(state.tick) >= 2 * s.agents.idle_ticks]
    mean_fit = sum(mature) / len(mature) if mature else 0.0
    for d in digesters:
        if alive <= s.agents.min_digesters:
            return
        cause = None
        if d.energy <= 0:
            cause = "starvation"
        elif d.idle_ticks >= s.agents.idle_ticks:
            cause = "idle"
        elif (
            d.document is None
            and d.age(state.tick) >= 2 * s.agents.idle_ticks
            and len(mature) >= 3
            and fitness[d.id] < 0.25 * mean_fit
        ):
            cause = "unfit"
        if cause:
            kill(state, d, cause)
            alive -= 1


def evolve(state: ColonyState) -> None:
    """Spawn policy: when undigested passages exceed ``spawn_backlog`` per digester, the fittest digester
    that can afford it buds one mutated offspring (one birth per tick at most)."""
    s = state.settings
    digesters = state.digesters()
    if len(state.agents) >= s.colony.max_agents:
        return
    if not digesters:
        genome = Genome.default(s.digestion, s.wiring)
        half = s.colony.substrate_size / 2
        spawn(state, "digester", genome, half, half)
        return
    if not s.evolution.enabled or state.backlog <= s.evolution.spawn_backlog * len(digesters):
        return
    able = [d for d in digesters if d.energy >= s.evolution.spawn_energy_cost]
    if not able:
        return
    parent = max(able, key=lambda d: (d.fitness_terms(state.tick).total(s.evolution), -d.id))
    parent.energy -= s.evolution.spawn_energy_cost
    genome = parent.genome.mutate(state.rng, s.evolution.mutation_sigma)
    spawn(state, "digester", genome, parent.x, parent.y, parent=parent, energy=s.evolution.spawn_energy_cost)
