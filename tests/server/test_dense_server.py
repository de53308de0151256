"""Dense retrieval through the server: an embedder given to ``create_app`` or ``phago serve --embeddings``
reaches every tenant's colony; without one, ``mode=dense`` is refused with the reason."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from serve_process import ServeProcess

from phago import Settings
from phago.retrieval.dense import Embedder
from phago.server import create_app

DOCS = [
    "Mitochondria produce ATP through oxidative phosphorylation along the inner membrane.",
    "Quantum error correction protects logical qubits with surface codes.",
    "Ribosomes translate messenger RNA into chains of amino acids.",
]


def test_an_embedder_given_to_the_app_serves_dense_queries(
    tmp_path: Path, settings_for: Callable[..., Settings], minilm: Embedder
) -> None:
    app = create_app(settings_for(tmp_path), db=tmp_path / "c.db", auth=False, embedder=minilm)
    with TestClient(app) as client:
        assert client.post("/api/documents/batch", json={"documents": [{"text": t} for t in DOCS]}).status_code == 201
        # no word in common with the passage it should find: only the embedding can match it
        r = client.post("/api/query", json={"query": "how do cells make energy", "k": 1, "mode": "dense"})
        assert r.status_code == 200, r.text
        top = r.json()["results"][0]
        assert "Mitochondria" in top["text"] and top["components"]["dense"] > 0.3
        hybrid = client.post("/api/query", json={"query": "ribosomes translate", "k": 1}).json()["results"][0]
        assert "Ribosomes" in hybrid["text"] and hybrid["components"]["dense"] is not None


def test_without_an_embedder_dense_mode_is_a_clear_400(client: TestClient) -> None:
    assert client.post("/api/documents", json={"text": DOCS[0]}).status_code == 201
    r = client.post("/api/query", json={"query": "energy", "mode": "dense"})
    assert r.status_code == 400
    assert "embedder" in r.json()["error"]["message"] and "phago[embeddings]" in r.json()["error"]["message"]
    top = client.post("/api/query", json={"query": "mitochondria"}).json()["results"][0]
    assert top["components"]["dense"] is None


@pytest.mark.parametrize("argv", [["serve", "--embeddings"], ["--embeddings", "serve"]])
def test_serve_embeddings_flag_attaches_the_embedder(tmp_path: Path, minilm: Embedder, argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAGO_")}
    with ServeProcess(["phago", *argv, "--db", str(tmp_path / "c.db")], tmp_path, env) as server:
        assert httpx.post(f"{server.url}/api/documents", json={"text": DOCS[0]}).status_code == 201
        r = httpx.post(f"{server.url}/api/query", json={"query": "how do cells make energy", "mode": "dense"})
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["components"]["dense"] > 0.3
    assert server.returncode == 0, server.stderr
    ready = [r for r in server.log_records() if r["message"] == "phago server ready"]
    assert ready and ready[0]["embedder"] == "all-MiniLM-L6-v2-int8"
