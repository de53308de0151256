"""Operations: health, readiness, Prometheus metrics per app, JSON-lines logs, the serve command."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from serve_process import ServeProcess

from phago.config import Settings
from phago.server import create_app
from phago.server.logs import JsonFormatter, configure_logging


def test_health_and_readiness(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    app = create_app(settings_for(tmp_path), auth=False)
    outside = TestClient(app)  # not entered: the lifespan has not run
    assert outside.get("/healthz").json() == {"status": "ok"}
    assert outside.get("/readyz").status_code == 503
    r = outside.get("/api/stats")
    assert r.status_code == 503 and "not started" in r.json()["error"]["message"]
    with TestClient(app) as c:
        assert c.get("/readyz").json() == {"status": "ready"}
    assert outside.get("/readyz").status_code == 503  # after shutdown


def test_metrics_use_route_templates_and_a_registry_per_app(client: TestClient, tmp_path: Path,
                                                            settings_for: Callable[..., Settings]) -> None:
    doc = client.post("/api/documents", json={"text": "Metrics document about ions."}).json()["ids"][0]
    client.get(f"/api/documents/{doc}")
    client.get("/api/documents/doc_missing")
    text = client.get("/metrics").text
    assert 'phago_http_requests_total{method="GET",route="/api/documents/{document_id}",status="200"} 1.0' in text
    assert 'phago_http_requests_total{method="GET",route="/api/documents/{document_id}",status="404"} 1.0' in text
    assert doc not in text
    assert 'phago_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/documents"}' in text
    assert 'phago_colony_documents{tenant="default"} 1.0' in text
    assert 'phago_colony_agents{kind="digester",tenant="default"}' in text
    # a second app has its own registry: none of the first app's requests show up there
    with TestClient(create_app(settings_for(tmp_path / "other"), auth=False)) as other:
        assert "/api/documents/{document_id}" not in other.get("/metrics").text


def test_json_lines_logs() -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream)
    try:
        logging.getLogger("phago.server.access").info("request", extra={"route": "/api/x", "status": 200})
        logging.getLogger("phago.server").debug("not shown at info")
    finally:
        for name in ("phago", "uvicorn", "uvicorn.error"):
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["logger"] == "phago.server.access" and rec["route"] == "/api/x" and rec["status"] == 200
    assert rec["level"] == "info" and rec["ts"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("phago", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record))["exception"]


def test_serve_command_runs_a_real_server(tmp_path: Path) -> None:
    env = {**os.environ, "PHAGO_SERVER__TICK_INTERVAL": "0.05"}
    args = ["phago.server", "serve", "--db", str(tmp_path / "c.db"), "--data-dir", str(tmp_path / "data")]
    with ServeProcess(args, tmp_path, env) as server:
        deadline = time.monotonic() + 60
        assert httpx.post(f"{server.url}/api/documents", json={"text": "Served for real."}).status_code == 201
        while httpx.get(f"{server.url}/api/stats").json()["tick"] < 3:  # background ticks advance the colony
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert server.returncode == 0, server.stderr
    assert "auth off" in server.stderr
    records = server.log_records()
    access = [r for r in records if r["logger"] == "phago.server.access"]
    assert any(r["route"] == "/api/documents" and r["status"] == 201 for r in access)
    assert any(r["message"] == "phago server ready" for r in records)
