"""Shared fixtures: a deterministic synthetic corpus, settings that make a colony eventful in few ticks,
and a full-state snapshot used to compare colonies exactly.

Helpers are exposed as session-scoped fixtures returning functions, so Hypothesis tests can use them.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest

import strict_mode
from phago import Colony, Settings
from phago.errors import MissingExtra
from phago.retrieval.dense import MiniLMEmbedder

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fe", "gu", "hi", "ja"]
_GLUE = ["the", "of", "and", "is", "in", "to", "with"]


def make_corpus(n: int, seed: int = 7, *, topics: int = 4, sentences: tuple[int, int] = (3, 7)) -> list[str]:
    """``n`` distinct small documents over a seeded pseudo-word vocabulary, grouped by topic.

    Each topic has its own words and a recurring two-word phrase, so digestion finds phrases, clusters
    and bridges; a few shared words connect the topics.
    """
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < (topics + 1) * 14 + 10 + n * 2:
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    shared = words[:10]
    topic_words = [words[10 + 14 * t : 24 + 14 * t] for t in range(topics + 1)]
    unique = words[24 + 14 * topics :]
    docs: list[str] = []
    for i in range(n):
        # every seventh document is off-topic (the Sentinel's novelty); every document has two own words
        t = topics if i % 7 == 6 else i % topics
        vocab = topic_words[t] + unique[2 * i : 2 * i + 2]
        phrase = f"{vocab[0]} {vocab[1]}"
        sents = []
        for _ in range(rng.randint(*sentences)):
            toks = []
            for _ in range(rng.randint(5, 12)):
                r = rng.random()
                if r < 0.55:
                    toks.append(rng.choice(vocab))
                elif r < 0.7:
                    toks.append(rng.choice(shared))
                elif r < 0.8:
                    toks.append(phrase)
                else:
                    toks.append(rng.choice(_GLUE))
            sents.append(" ".join(toks).capitalize() + ".")
        paragraphs = [" ".join(sents[: len(sents) // 2]), " ".join(sents[len(sents) // 2 :])]
        docs.append(f"Document {i} topic {t}\n\n" + "\n\n".join(p for p in paragraphs if p))
    assert len(set(docs)) == n
    return docs


EVENTFUL = {
    # small, busy colony: passages are short, agents few and hungry, the graph matures, decays,
    # is pruned and capped, the Synthesizer and Sentinel report, evolution spawns offspring.
    "colony.initial_digesters": 3,
    "colony.max_agents": 12,
    "digestion.appetite": 2,
    "ingest.max_passage_words": 20,
    "wiring.maturation_ticks": 20,
    "wiring.decay_grace_ticks": 5,
    "wiring.decay_rate": 0.02,
    "wiring.prune_threshold": 0.05,
    "wiring.max_degree": 12,
    "wiring.maintenance_interval": 5,
    "agents.idle_ticks": 15,
    "evolution.spawn_backlog": 2,
    "synthesis.quorum": 4,
    "sentinel.warmup_documents": 3,
    "storage.checkpoint_ticks": 7,
}


def eventful_settings(**overrides: Any) -> Settings:
    return Settings().with_overrides({**EVENTFUL, **overrides})


def snapshot(colony: Colony) -> dict[str, Any]:
    """Everything observable about a colony's state through its public surface, exact (floats as is)."""
    stats = dataclasses.asdict(colony.stats())
    stats.pop("path")
    return {
        "tick": colony.tick,
        "stats": stats,
        "documents": [
            (
                d.id,
                d.title,
                d.content_hash,
                d.ingested_tick,
                d.x,
                d.y,
                d.passage_count,
                d.digested_passages,
                d.digested,
            )
            for d in sorted(colony.documents(), key=lambda d: d.id)
        ],
        "concepts": sorted(
            (c.label, c.id, c.kind, c.occurrences, c.passages, c.created_tick, c.last_tick)
            for c in colony.concept_list()
        ),
        "edges": [
            (e.source, e.target, e.weight.hex(), e.coactivations, e.created_tick, e.last_reinforced_tick)
            for e in colony.edges()
        ],
        "agents": [dataclasses.asdict(a) for a in sorted(colony.agents(), key=lambda a: a.id)],
        "insights": colony.insights(),
        "anomalies": colony.anomalies(),
    }


@pytest.fixture(scope="session")
def corpus() -> Callable[..., list[str]]:
    return make_corpus


@pytest.fixture(scope="session")
def eventful() -> Callable[..., Settings]:
    return eventful_settings


@pytest.fixture(scope="session")
def state_of() -> Callable[[Colony], dict[str, Any]]:
    return snapshot


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The extra's MiniLM embedder (``phago[embeddings]``); skips without it, fails in strict mode."""
    try:
        return MiniLMEmbedder()
    except MissingExtra as exc:
        strict_mode.require(False, f"the embeddings extra is not installed: {exc}")
        raise
