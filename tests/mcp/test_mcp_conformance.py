"""The MCP project's conformance suite (npm ``@modelcontextprotocol/conformance``) against ``phago mcp``
over streamable HTTP.

The suite is installed beforehand by ``tests/mcp/install_conformance.sh`` (it needs the npm registry) and
runs here offline. Scenarios that need the suite's own fixtures are listed, each with its reason, in
``conformance-expected-failures.yml``; every other scenario must pass, and a listed one that starts
passing fails the run too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from strict_mode import require, require_module

require_module("mcp", "pip install 'phago[mcp]'")

from mcp_process import HttpServer  # noqa: E402

HERE = Path(__file__).resolve().parent
EXPECTED_FAILURES = HERE / "conformance-expected-failures.yml"
DEFAULT_DIR = HERE.parents[1] / "artifacts" / "mcp-conformance"
PROTOCOL_SCENARIOS = {
    "server-initialize",
    "ping",
    "logging-set-level",
    "completion-complete",
    "tools-list",
    "tools-call-error",
    "resources-list",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
}


@pytest.fixture
def suite() -> list[str]:
    """The suite's command line (checked before a server is started)."""
    folder = Path(os.environ.get("PHAGO_MCP_CONFORMANCE_DIR", DEFAULT_DIR))
    bin_dir = folder / "node_modules" / ".bin"
    cli = bin_dir / "conformance"
    require(
        cli.exists(),
        f"the conformance suite is not installed in {folder} (run {HERE / 'install_conformance.sh'})",
    )
    node = bin_dir / "node" if (bin_dir / "node").exists() else shutil.which("node")
    require(node is not None, "Node.js is not installed")
    return [str(node), str(cli)]


def expected_failures() -> set[str]:
    return {
        line.strip()[2:].strip() for line in EXPECTED_FAILURES.read_text().splitlines() if line.strip().startswith("- ")
    }


def test_expected_failures_are_all_fixture_scenarios() -> None:
    listed = expected_failures()
    assert listed and not listed & PROTOCOL_SCENARIOS
    text = EXPECTED_FAILURES.read_text().splitlines()
    for i, line in enumerate(text):  # each entry has its reason on the line above
        if line.strip().startswith("- "):
            assert text[i - 1].strip().startswith("#"), f"no reason given for {line.strip()}"


def test_conformance_suite_passes(suite: list[str], http_server: HttpServer, tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [
            *suite,
            "server",
            "--url",
            http_server.url,
            "--expected-failures",
            str(EXPECTED_FAILURES),
            "--output-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    summary = done.stdout[done.stdout.find("=== SUMMARY ===") :]
    assert done.returncode == 0, summary + done.stderr[-4000:]

    outcome: dict[str, bool] = {}
    for checks in out.glob("*/checks.json"):
        named = re.fullmatch(r"server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z", checks.parent.name)
        assert named is not None, checks.parent.name
        scenario = named.group(1)
        statuses = [c["status"] for c in json.loads(checks.read_text()) if c["status"] != "INFO"]
        outcome[scenario] = bool(statuses) and all(s in ("SUCCESS", "WARNING") for s in statuses)
    assert set(outcome) >= PROTOCOL_SCENARIOS, sorted(outcome)
    assert {s for s, passed in outcome.items() if not passed} == expected_failures()
    assert all(outcome[s] for s in PROTOCOL_SCENARIOS)
