"""Digesters: sense undigested input, engulf a document, digest its passages into concepts and edges."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from phago.colony.agents import Agent
from phago.colony.state import ColonyState
from phago.core.concepts import DocumentProfile, extract, profile_document, window_pairs
from phago.core.types import Document


@dataclass(slots=True)
class TickTally:
    passages: int = 0
    concepts_formed: int = 0
    edges_formed: int = 0
    edges_reinforced: int = 0
    new_labels: list[str] | None = None


@lru_cache(maxsize=256)
def _profile(text: str, min_len: int, phrase_min: int, phrase_max: int) -> DocumentProfile:
    return profile_document(
        text, min_term_length=min_len, phrase_min_count=phrase_min, phrase_max_words=phrase_max
    )


def step(state: ColonyState, agent: Agent, tally: TickTally) -> None:
    """One tick of a digester: keep digesting, or climb the signal field toward open input."""
    if agent.document is not None and agent.document not in state.documents:
        agent.document = None  # forgotten while being digested
    if agent.document is None:
        target = state.substrate.strongest(agent.x, agent.y)
        if target is None:
            _wander(state, agent)
            return
        doc_id, tx, ty, dist = target
        g = agent.genome
        if dist > g.reach:
            frac = min(1.0, g.speed / dist)
            agent.x += (tx - agent.x) * frac
            agent.y += (ty - agent.y) * frac
            dist = math.hypot(tx - agent.x, ty - agent.y)
        if dist > g.reach:
            agent.idle_ticks = 0  # travelling toward food is not idleness
            return
        state.substrate.withdraw(doc_id)
        agent.document = doc_id
    agent.idle_ticks = 0
    doc = state.documents[agent.document]
    budget = agent.genome.appetite + agent.symbionts
    pids = state.doc_passages[doc.id]
    while budget > 0 and doc.digested_passages < doc.passage_count:
        digest_passage(state, agent, doc, pids[doc.digested_passages], tally)
        budget -= 1
    if doc.digested_passages >= doc.passage_count:
        doc.digested = True
        state.pending.documents.add(doc.id)
        state.documents_digested += 1
        state.completed.append((doc.id, agent.id))
        agent.counters.documents += 1
        agent.document = None


def _wander(state: ColonyState, agent: Agent) -> None:
    agent.idle_ticks += 1
    step_len = agent.genome.speed * 0.5
    angle = float(state.rng.uniform(0.0, 2.0 * math.pi))
    agent.x = state.substrate.clamp(agent.x + step_len * math.cos(angle))
    agent.y = state.substrate.clamp(agent.y + step_len * math.sin(angle))


def digest_passage(state: ColonyState, agent: Agent, doc: Document, pid: int, tally: TickTally) -> None:
    s = state.settings
    g = agent.genome
    passage = state.passages[pid]
    profile = _profile(
        doc.text, s.digestion.min_term_length, s.digestion.phrase_min_count, s.digestion.phrase_max_words
    )
    pc = extract(
        passage.text,
        profile,
        offset=passage.start,
        min_term_length=s.digestion.min_term_length,
        phrase_max_words=s.digestion.phrase_max_words,
        min_salience=g.min_salience,
        max_concepts=g.max_concepts,
        vocabulary=agent.vocabulary,
        vocabulary_boost=s.agents.transfer_boost,
    )
    graph = state.graph
    existing = {graph.by_label[label] for label in pc.counts if label in graph.by_label}
    ids, new = graph.add_postings(pid, pc.counts, pc.kinds, state.tick)
    pairs: Counter[tuple[int, int]] = Counter()
    for (la, lb), n in window_pairs(pc.sequence, g.window).items():
        a, b = ids[la], ids[lb]
        pairs[(a, b) if a < b else (b, a)] += n
    outcome = graph.wire(pairs, existing, state.tick)
    state.contributions.setdefault(doc.id, Counter()).update(pairs)
    state.pending.contributions.add(doc.id)

    c = agent.counters
    c.passages += 1
    c.concepts_seen += len(pc.counts)
    c.concepts_new += new
    c.pairs_wired += len(pairs)
    c.links_to_existing += outcome.links_to_existing
    c.weight_sum += outcome.weight_sum
    agent.learn(pc.counts, s.agents.vocabulary_size)
    agent.energy = min(s.agents.max_energy, agent.energy + s.agents.energy_per_passage)
    state.substrate.deposit(doc.x, doc.y, 1.0)

    doc.digested_passages += 1
    state.backlog -= 1
    state.pending.documents.add(doc.id)
    tally.passages += 1
    tally.concepts_formed += new
    tally.edges_formed += outcome.new_edges
    tally.edges_reinforced += outcome.reinforced_edges
    if tally.new_labels is not None and new:
        tally.new_labels.extend(label for label in pc.counts if ids[label] not in existing)
