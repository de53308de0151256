"""Agent state: one dataclass for every kind, serialised to JSON for the store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from phago.colony.genome import FitnessTerms, Genome

AgentKind = Literal["digester", "synthesizer", "sentinel"]


@dataclass(slots=True)
class Counters:
    """What an agent did; every fitness term is fed from here."""

    passages: int = 0
    documents: int = 0
    concepts_seen: int = 0
    concepts_new: int = 0
    pairs_wired: int = 0
    links_to_existing: int = 0
    weight_sum: float = 0.0
    transfers: int = 0


@dataclass(slots=True)
class Agent:
    id: int
    kind: AgentKind
    x: float
    y: float
    energy: float
    born_tick: int
    genome: Genome
    parent: int | None = None
    generation: int = 0
    idle_ticks: int = 0
    symbionts: int = 0
    vocabulary: dict[str, int] = field(default_factory=dict)
    document: str | None = None  # document being digested
    counters: Counters = field(default_factory=Counters)
    # Sentinel / Synthesizer memory
    seen_documents: int = 0
    digested_at_last_insight: int = 0
    drift_mean: float = 0.0
    drift_m2: float = 0.0

    def age(self, tick: int) -> int:
        return tick - self.born_tick

    def fitness_terms(self, tick: int) -> FitnessTerms:
        c = self.counters
        alive = max(1, self.age(tick))
        appetite = max(1, self.genome.appetite + self.symbionts)
        return FitnessTerms(
            productivity=min(1.0, c.passages / (alive * appetite)) if c.passages else 0.0,
            novelty=c.concepts_new / c.concepts_seen if c.concepts_seen else 0.0,
            edge_quality=c.weight_sum / c.pairs_wired if c.pairs_wired else 0.0,
            connectivity=c.links_to_existing / c.pairs_wired if c.pairs_wired else 0.0,
        )

    def to_json(self) -> str:
        c = self.counters
        return json.dumps(
            {
                "x": self.x,
                "y": self.y,
                "energy": self.energy,
                "born_tick": self.born_tick,
                "genome": self.genome.to_dict(),
                "parent": self.parent,
                "generation": self.generation,
                "idle_ticks": self.idle_ticks,
                "symbionts": self.symbionts,
                "vocabulary": list(self.vocabulary.items()),
                "document": self.document,
                "counters": [
                    c.passages,
                    c.documents,
                    c.concepts_seen,
                    c.concepts_new,
                    c.pairs_wired,
                    c.links_to_existing,
                    c.weight_sum,
                    c.transfers,
                ],
                "seen_documents": self.seen_documents,
                "digested_at_last_insight": self.digested_at_last_insight,
                "drift": [self.drift_mean, self.drift_m2],
            }
        )

    @classmethod
    def from_json(cls, ident: int, kind: str, state: str) -> Agent:
        d = json.loads(state)
        if kind not in ("digester", "synthesizer", "sentinel"):
            raise ValueError(f"unknown agent kind {kind!r}")
        return cls(
            id=ident,
            kind=kind,  # type: ignore[arg-type]
            x=d["x"],
            y=d["y"],
            energy=d["energy"],
            born_tick=d["born_tick"],
            genome=Genome.from_dict(d["genome"]),
            parent=d["parent"],
            generation=d["generation"],
            idle_ticks=d["idle_ticks"],
            symbionts=d["symbionts"],
            vocabulary={k: v for k, v in d["vocabulary"]},
            document=d["document"],
            counters=Counters(*d["counters"]),
            seen_documents=d["seen_documents"],
            digested_at_last_insight=d["digested_at_last_insight"],
            drift_mean=d["drift"][0],
            drift_m2=d["drift"][1],
        )

    def learn(self, labels: dict[str, int], capacity: int) -> None:
        """Add concepts to the vocabulary; beyond ``capacity`` (with 25% slack) the least used are forgotten."""
        vocab = self.vocabulary
        for label, n in labels.items():
            vocab[label] = vocab.get(label, 0) + n
        if len(vocab) > capacity + capacity // 4:  # amortised: trim back to capacity in one sort
            keep = sorted(vocab.items(), key=lambda kv: (-kv[1], kv[0]))[:capacity]
            self.vocabulary = dict(keep)

    def top_vocabulary(self, n: int) -> list[str]:
        return [k for k, _ in sorted(self.vocabulary.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
