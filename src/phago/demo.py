"""``phago demo``: ingest the bundled sample corpus, digest it, show stats and answer a few queries."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from phago.config import Settings
from phago.core.types import ColonyStats, DocumentInput, QueryResult
from phago.facade import Colony


@dataclass(frozen=True, slots=True)
class DemoResult:
    db: str
    seconds: float
    stats: ColonyStats
    answers: list[tuple[str, list[QueryResult]]]


def corpus() -> tuple[list[DocumentInput], list[str]]:
    """The bundled sample documents and queries."""
    folder = resources.files("phago") / "data" / "demo"
    docs = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            text = entry.read_text(encoding="utf-8")
            title = text.split("\n", 1)[0].lstrip("# ").strip()
            docs.append(DocumentInput(text, title, {"sample": entry.name}, f"phago:demo/{entry.name}"))
    queries = [
        q.strip() for q in (folder / "queries.txt").read_text(encoding="utf-8").splitlines() if q.strip()
    ]
    return docs, queries


def run_demo(
    db: Path, settings: Settings, *, ticks: int = 30, echo: Callable[[str], None] | None = print
) -> DemoResult:
    say = echo or (lambda _msg: None)
    start = time.perf_counter()
    docs, queries = corpus()
    with Colony.open(db, settings) as colony:
        say(f"Phago demo — colony file {db}")
        ids = colony.ingest_many(docs)
        say(f"ingested {len(ids)} sample documents ({sum(len(colony.passages(i)) for i in ids)} passages)")
        report = colony.digest()
        colony.run(ticks)
        s = colony.stats()
        say(f"digested in {report.ticks} ticks, then ran {ticks} more (tick {s.tick})")
        say(
            f"graph: {s.concepts} concepts, {s.edges} edges (mean weight {s.mean_edge_weight:.3f}); "
            f"agents: {', '.join(f'{n} {k}' for k, n in s.agents.items())}; "
            f"{s.births} births, {sum(s.deaths.values())} deaths; {s.insights} insights, {s.anomalies} anomalies"
        )
        comms = colony.communities(5)[:3]
        say(f"communities (modularity {colony.modularity():.2f}):")
        for c in comms:
            say(f"  [{c.id}] {c.size} concepts: {', '.join(c.top_concepts)}")
        answers = []
        for q in queries:
            hits = colony.query(q, k=3)
            answers.append((q, hits))
            say(f"\nQ: {q}")
            for h in hits[:2]:
                text = " ".join(h.text.split())
                say(f"  {h.score:6.2f}  {h.title}: {text[:110]}{'...' if len(text) > 110 else ''}")
    seconds = time.perf_counter() - start
    say(f'\ndone in {seconds:.1f} s — try: phago --db {db} query "your question"')
    return DemoResult(str(db), seconds, s, answers)
