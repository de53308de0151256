"""Same inputs and the same seed give the same colony, bit for bit; another seed gives another trajectory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phago import Colony, Settings

Snapshot = Callable[[Colony], dict[str, Any]]


def _script(colony: Colony, docs: list[str]) -> None:
    """A mixed session: ingest, run, ingest more, forget, query, digest, run on."""
    ids = [colony.ingest(d) for d in docs[:14]]
    colony.run(40)
    colony.ingest_many([])  # harmless
    for d in docs[14:]:
        colony.ingest(d)
    colony.run(25)
    colony.forget(ids[3])
    colony.query(docs[5].split("\n\n")[1][:60], k=5)  # queries may reinforce the graph: same in both
    colony.digest()
    colony.run(60)


def _check_eventful(state: dict[str, Any]) -> None:
    # the comparison is only meaningful if the colony did a lot
    s = state["stats"]
    assert s["undigested_documents"] == 0
    assert s["edges"] > 50 and s["concepts"] > 50
    assert s["births"] > 5 and sum(s["deaths"].values()) > 0
    assert s["insights"] > 0
    assert s["anomalies"] > 0


def test_two_memory_colonies_are_identical(
    corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    docs = corpus(24)
    a, b = Colony(settings=eventful()), Colony(settings=eventful())
    _script(a, docs)
    _script(b, docs)
    sa, sb = state_of(a), state_of(b)
    _check_eventful(sa)
    assert sa == sb


def test_memory_and_sqlite_are_identical(
    corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot, tmp_path: Path
) -> None:
    docs = corpus(24)
    m = Colony(settings=eventful())
    s = Colony.open(tmp_path / "c.db", eventful())
    _script(m, docs)
    _script(s, docs)
    sm, ss = state_of(m), state_of(s)
    _check_eventful(sm)
    assert sm == ss
    s.close()


def test_step_by_step_equals_one_run(
    corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    docs = corpus(16)
    a, b = Colony(settings=eventful()), Colony(settings=eventful())
    for c in (a, b):
        for d in docs:
            c.ingest(d)
    a.run(90)
    for _ in range(9):
        b.run(10)
    assert state_of(a) == state_of(b)


def test_ingest_order_within_a_batch_is_reproducible(
    corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    from phago import DocumentInput

    docs = corpus(12)
    a, b = Colony(settings=eventful()), Colony(settings=eventful())
    a.ingest_many([DocumentInput(d) for d in docs])
    for d in docs:
        b.ingest(d)
    a.run(50)
    b.run(50)
    assert state_of(a) == state_of(b)


def _trajectory(seed: int, docs: list[str], eventful: Callable[..., Settings]) -> list[list[tuple[int, float, float]]]:
    c = Colony(settings=eventful(**{"colony.seed": seed}))
    for d in docs:
        c.ingest(d)
    out = []
    for _ in range(6):
        out.append([(a.id, a.x, a.y) for a in c.agents() if a.kind == "digester"])
        c.run(5)
    return out


def test_same_seed_same_trajectory_other_seed_other_trajectory(
    corpus: Callable[..., list[str]], eventful: Callable[..., Settings]
) -> None:
    docs = corpus(10)
    t1 = _trajectory(1, docs, eventful)
    assert t1 == _trajectory(1, docs, eventful)
    t2 = _trajectory(2, docs, eventful)
    assert t1 != t2
    # not just the starting positions: the paths differ along the way
    assert sum(1 for x, y in zip(t1, t2, strict=True) if x != y) >= 2


@pytest.mark.parametrize("seed", [0, 12345, 2**63 - 1])
def test_seed_is_honoured_and_kept(seed: int, tmp_path: Path) -> None:
    s = Settings().with_overrides({"colony.seed": seed, "colony.initial_digesters": 2})
    with Colony.open(tmp_path / "c.db", s) as c:
        positions = [(a.x, a.y) for a in c.agents()]
    with Colony.open(tmp_path / "c.db") as c:
        assert c.settings.colony.seed == seed
        assert [(a.x, a.y) for a in c.agents()] == positions
    with Colony(settings=s) as m:
        assert [(a.x, a.y) for a in m.agents()] == positions


_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from conftest import eventful_settings, make_corpus, snapshot
from phago import Colony

docs = make_corpus(14)
c = Colony(settings=eventful_settings())
for d in docs[:8]:
    c.ingest(d)
c.run(40)
for d in docs[8:]:
    c.ingest(d)
c.digest()
c.run(40)
print(repr(snapshot(c)))
"""


def test_identical_across_processes_with_different_hash_seeds() -> None:
    # str hashing (set and dict-of-set iteration order) differs between processes; the colony must not
    import os
    import subprocess
    import sys

    code = _CHILD.format(tests=str(Path(__file__).parent))
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
