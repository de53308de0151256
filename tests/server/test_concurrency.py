"""50 concurrent clients mix ingest and query against a real server (background ticks on) for 60 s:
no request fails, and every acknowledged document is listed afterwards and survives reopening the file."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from phago import Colony
from phago.server import create_app

CLIENTS = 50
SECONDS = float(os.environ.get("PHAGO_SOAK_SECONDS", "60"))
WORDS = ["membrane", "protein", "kinase", "signal", "neuron", "synapse", "enzyme", "ribosome", "vesicle",
         "receptor", "ligand", "channel", "gradient", "mitochondria", "chromatin", "histone", "codon", "allele"]


async def _client(n: int, base: str, deadline: float, acked: list[str], errors: list[str], counts: list[int]) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            try:
                if rng.random() < 0.4:
                    text = f"Client {n} note {i}. " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
                    r = await http.post("/api/documents", json={"text": text, "metadata": {"client": n, "i": i}})
                    if r.status_code != 201:
                        errors.append(f"ingest {r.status_code}: {r.text[:200]}")
                        continue
                    acked.extend(r.json()["ids"])
                else:
                    q = " ".join(rng.choice(WORDS) for _ in range(3))
                    r = await http.post("/api/query", json={"query": q, "k": 5})
                    if r.status_code != 200:
                        errors.append(f"query {r.status_code}: {r.text[:200]}")
                        continue
                counts[0] += 1
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")


async def _soak(base: str) -> tuple[list[str], list[str], int]:
    acked: list[str] = []
    errors: list[str] = []
    counts = [0]
    deadline = time.monotonic() + SECONDS
    await asyncio.gather(*(_client(n, base, deadline, acked, errors, counts) for n in range(CLIENTS)))
    return acked, errors, counts[0]


async def _listed(base: str) -> set[str]:
    seen: set[str] = set()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        offset = 0
        while True:
            page = (await http.get("/api/documents", params={"offset": offset, "limit": 1000})).json()
            seen.update(d["id"] for d in page["items"])
            offset += len(page["items"])
            if offset >= page["total"] or not page["items"]:
                return seen


@pytest.mark.slow
def test_fifty_clients_lose_nothing(
    tmp_path: Path, settings_for: Callable[..., Any], live_server: Callable[[Any], Any], artifacts: Path
) -> None:
    settings = settings_for(tmp_path, **{"server.tick_interval": 0.2, "server.ticks_per_interval": 2})
    db = tmp_path / "soak.db"
    with live_server(create_app(settings, db=db, auth=False)) as server:
        acked, errors, done = asyncio.run(_soak(server.url))
        listed = asyncio.run(_listed(server.url))
        ticks = httpx.get(f"{server.url}/api/stats").json()["tick"]
    (artifacts / "soak.json").write_text(json.dumps({
        "clients": CLIENTS, "seconds": SECONDS, "requests": done, "documents_acknowledged": len(acked),
        "errors": len(errors), "ticks": ticks,
    }, indent=1))
    assert errors == []
    assert len(acked) > 100 and done > 300 and ticks > 0
    assert set(acked) <= listed
    with Colony.open(db) as colony:
        stored = {d.id for d in colony.documents()}
    assert set(acked) <= stored and len(stored) == len(set(acked))
