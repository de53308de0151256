"""Starting ``phago mcp`` as a child process for the tests (over HTTP, or the argv for stdio)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

READY = "phago mcp: listening on "
START_TIMEOUT = 60.0  # seconds; generous for a cold interpreter on a busy 2-core CI machine


def child_env() -> dict[str, str]:
    """The environment for a spawned server: ours without PHAGO_* settings, so tests are isolated."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PHAGO_")}


def server_command(*args: str) -> list[str]:
    """``phago mcp ARGS`` run by this interpreter."""
    return [sys.executable, "-m", "phago", "mcp", *args]


@dataclass
class HttpServer:
    """A ``phago mcp --transport http --port 0`` process; ``url`` is where it listens."""

    process: subprocess.Popen[str]
    url: str
    stderr: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGINT (as Ctrl-C would), then wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_http_server(db: Path, cwd: Path) -> HttpServer:
    proc = subprocess.Popen(
        server_command("--db", str(db), "--transport", "http", "--host", "127.0.0.1", "--port", "0"),
        cwd=cwd,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:  # keep draining stderr so the server never blocks on a full pipe
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(READY) and not found.is_set():
                url.append(line[len(READY) :].strip())
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(START_TIMEOUT) or not url:
        proc.kill()
        proc.wait()
        raise AssertionError("phago mcp did not start:\n" + "".join(lines))
    return HttpServer(proc, url[0], lines)
