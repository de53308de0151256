"""Digester genomes: heritable digestion parameters, symmetric mutation and fitness.

Mutation multiplies each gene by ``exp(N(0, σ))`` — symmetric in log space, so a gene is as likely to
grow as to shrink — then clips it to the gene's bounds (integers are rounded).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from phago.config import DigestionSettings, EvolutionSettings, WiringSettings

# gene -> (lower, upper) bounds
BOUNDS: dict[str, tuple[float, float]] = {
    "appetite": (1, 256),
    "speed": (0.5, 1e6),
    "reach": (0.5, 1e6),
    "min_salience": (0.0, 100.0),
    "max_concepts": (4, 1024),
    "window": (1, 64),
}
_INT_GENES = frozenset({"appetite", "max_concepts", "window"})


@dataclass(frozen=True, slots=True)
class Genome:
    appetite: int
    speed: float
    reach: float
    min_salience: float
    max_concepts: int
    window: int

    @classmethod
    def default(cls, d: DigestionSettings, w: WiringSettings) -> Genome:
        return cls(d.appetite, d.speed, d.reach, d.min_salience, d.max_concepts_per_passage, w.window)

    def mutate(self, rng: np.random.Generator, sigma: float) -> Genome:
        changes: dict[str, float | int] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = BOUNDS[f.name]
            factor = math.exp(float(rng.normal(0.0, sigma))) if sigma > 0 else 1.0
            if f.name == "min_salience" and value == 0.0:
                # a zero gene would stay zero under multiplication: step additively instead, symmetric
                new: float = abs(float(rng.normal(0.0, sigma))) * (1.0 if rng.random() < 0.5 else 0.0)
            else:
                new = value * factor
            new = min(max(new, lo), hi)
            changes[f.name] = round(new) if f.name in _INT_GENES else new
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> Genome:
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class FitnessTerms:
    productivity: float
    novelty: float
    edge_quality: float
    connectivity: float

    def total(self, e: EvolutionSettings) -> float:
        weights = (e.weight_productivity, e.weight_novelty, e.weight_edge_quality, e.weight_connectivity)
        norm = sum(weights) or 1.0
        terms = (self.productivity, self.novelty, self.edge_quality, self.connectivity)
        return sum(w * t for w, t in zip(weights, terms, strict=True)) / norm
