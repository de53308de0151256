"""Fixtures for the server tests: settings, in-process clients, a real uvicorn server, API keys, and the
strict-mode rule for optional components.

A test needing a component this machine may lack (Chromium, Playwright, schemathesis) calls
``require(...)``: locally a missing component skips with the reason; with ``PHAGO_STRICT_TESTS=1`` (as CI
sets it) the same absence fails the test.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import strict_mode

strict_mode.require_module("fastapi", "pip install 'phago[server]'")

from fastapi.testclient import TestClient  # noqa: E402

from phago import Settings  # noqa: E402
from phago.server import create_app  # noqa: E402
from phago.server.keys import KeyStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "server"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes a minute or more (the concurrency soak, the browser test)")


@pytest.fixture(scope="session")
def require() -> Callable[..., None]:
    """``require(module=..., executable=..., reason=...)``."""

    def check(*, module: str | None = None, executable: str | None = None, reason: str) -> None:
        if module is not None:
            strict_mode.require(importlib.util.find_spec(module) is not None, reason)
        if executable is not None:
            found = shutil.which(executable) is not None or Path(executable).exists()
            strict_mode.require(found, reason)

    return check


def server_settings(tmp: Path, **overrides: Any) -> Settings:
    """Small, busy colony; no background ticks (tests drive ticks explicitly) unless overridden."""
    base: dict[str, Any] = {
        "colony.initial_digesters": 3,
        "colony.max_agents": 12,
        "digestion.appetite": 4,
        "ingest.max_passage_words": 40,
        "synthesis.quorum": 4,
        "sentinel.warmup_documents": 3,
        "server.tick_interval": 0,
        "server.data_dir": str(tmp / "data"),
        "storage.path": str(tmp / "colony.db"),
    }
    base.update(overrides)
    return Settings().with_overrides(base)


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    return server_settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A no-auth app (single ``default`` tenant, ``tmp_path/colony.db``) with its lifespan running."""
    app = create_app(server_settings(tmp_path), db=tmp_path / "colony.db", auth=False)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def seeded(client: TestClient, corpus: Callable[..., list[str]]) -> TestClient:
    """``client`` holding 24 digested documents."""
    r = client.post("/api/documents/batch", json={"documents": [{"text": t} for t in corpus(24)]})
    assert r.status_code == 201, r.text
    r = client.post("/api/digest", json={"max_ticks": 2000})
    assert r.status_code == 200, r.text
    return client


@pytest.fixture
def keyring(tmp_path: Path) -> Callable[[str, str], str]:
    """``keyring(tenant, role) -> token``: create API keys in ``tmp_path/data/keys.db``."""

    def make(tenant: str, role: str) -> str:
        store = KeyStore.open(tmp_path / "data", create=True)
        assert store is not None
        try:
            return store.create(tenant, role)[1]
        finally:
            store.close()

    return make


def wide_corpus(n_docs: int, vocabulary: int, seed: int = 11, words: int = 120) -> list[str]:
    """Documents drawn from a large pseudo-word vocabulary, so the graph gets ``~vocabulary`` concepts."""
    rng = random.Random(seed)
    syllables = ["ba", "ce", "di", "fo", "gu", "ha", "ji", "ko", "lu", "ma",
                 "ne", "pi", "ro", "su", "ta", "ve", "wi", "xo", "yu", "za"]
    vocab: list[str] = []
    seen: set[str] = set()
    while len(vocab) < vocabulary:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    docs = []
    for i in range(n_docs):
        centre = rng.randrange(vocabulary)
        chosen = [vocab[(centre + int(rng.gauss(0, vocabulary / 20))) % vocabulary] for _ in range(words)]
        sentences = [" ".join(chosen[j : j + 10]).capitalize() + "." for j in range(0, words, 10)]
        docs.append(f"Note {i}\n\n" + " ".join(sentences))
    return docs


@pytest.fixture(scope="session")
def make_wide_corpus() -> Callable[..., list[str]]:
    return wide_corpus


class LiveServer:
    """A real uvicorn server on 127.0.0.1 (a free port) running ``app`` in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()


@pytest.fixture(scope="session")
def live_server() -> Callable[[Any], LiveServer]:
    return LiveServer


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
