"""A SQLite colony closed and reopened carries on exactly as if it had never stopped."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phago import Colony, Settings

Snapshot = Callable[[Colony], dict[str, Any]]


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a colony file, except bookkeeping that records wall-clock time."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(path) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in names:
            if name == "schema_migrations":
                continue
            out[name] = sorted(db.execute(f'SELECT * FROM "{name}"'), key=repr)
    return out


def _without_mean(state: dict[str, Any]) -> dict[str, Any]:
    out = dict(state)
    out["stats"] = {k: v for k, v in state["stats"].items() if k != "mean_edge_weight"}
    return out


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Everything first (so a real divergence is reported as such), then the derived statistics, exactly."""
    assert _without_mean(a) == _without_mean(b)
    assert a["stats"]["mean_edge_weight"] == b["stats"]["mean_edge_weight"]


@pytest.mark.parametrize("first, second", [(100, 100), (7, 193)])
def test_run_close_reopen_run_equals_one_run(
    first: int,
    second: int,
    tmp_path: Path,
    corpus: Callable[..., list[str]],
    eventful: Callable[..., Settings],
    state_of: Snapshot,
) -> None:
    docs = corpus(30)
    resumed_path, straight_path = tmp_path / "resumed.db", tmp_path / "straight.db"

    c = Colony.open(resumed_path, eventful())
    for d in docs:
        c.ingest(d)
    c.run(first)
    mid = state_of(c)
    c.close()
    c = Colony.open(resumed_path)
    assert_same(state_of(c), mid)  # reopening alone changes nothing
    c.run(second)
    resumed = state_of(c)
    c.close()

    s = Colony.open(straight_path, eventful())
    for d in docs:
        s.ingest(d)
    s.run(first + second)
    straight = state_of(s)
    s.close()

    assert resumed["tick"] == first + second
    assert resumed["stats"]["insights"] > 0 and resumed["stats"]["births"] > 0
    assert _without_mean(resumed) == _without_mean(straight)
    assert _tables(resumed_path) == _tables(straight_path)
    assert_same(resumed, straight)


def test_ingest_between_runs_resumed_equals_one_process(
    tmp_path: Path, corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    docs = corpus(30)
    batches = [docs[:12], docs[12:20], docs[20:]]
    resumed_path, straight_path = tmp_path / "resumed.db", tmp_path / "straight.db"

    c = Colony.open(resumed_path, eventful())
    for i, batch in enumerate(batches):
        if i:
            c.close()
            c = Colony.open(resumed_path)
        for d in batch:
            c.ingest(d)
        c.run(37)  # ends mid-digestion: agents hold documents when the file is closed
    resumed = state_of(c)
    c.close()

    s = Colony.open(straight_path, eventful())
    for batch in batches:
        for d in batch:
            s.ingest(d)
        s.run(37)
    straight = state_of(s)
    s.close()

    assert resumed["stats"]["documents"] == 30
    assert _without_mean(resumed) == _without_mean(straight)
    assert _tables(resumed_path) == _tables(straight_path)
    assert_same(resumed, straight)


def test_resume_after_forget(
    tmp_path: Path, corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    docs = corpus(16)

    def session(path: Path, reopen: bool) -> dict[str, Any]:
        c = Colony.open(path, eventful())
        ids = [c.ingest(d) for d in docs]
        c.run(9)
        c.forget(ids[2])  # possibly while an agent is digesting it
        c.forget(ids[11])
        if reopen:
            c.close()
            c = Colony.open(path)
        c.run(60)
        out = state_of(c)
        c.close()
        return out

    assert_same(session(tmp_path / "a.db", True), session(tmp_path / "b.db", False))


def test_resume_in_memory_vs_file(
    tmp_path: Path, corpus: Callable[..., list[str]], eventful: Callable[..., Settings], state_of: Snapshot
) -> None:
    # the file-backed colony, reopened, matches an in-memory colony that never stopped
    docs = corpus(20)
    c = Colony.open(tmp_path / "c.db", eventful())
    m = Colony(settings=eventful())
    for col in (c, m):
        for d in docs:
            col.ingest(d)
        col.run(50)
    c.close()
    c = Colony.open(tmp_path / "c.db")
    c.run(50)
    m.run(50)
    assert_same(state_of(c), state_of(m))
    c.close()
