"""``phago serve`` as a child process for the tests (the real command, its own interpreter)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


class ServeProcess:
    """``python -m ARGS --port <free port>`` (a ``phago serve``) as a child process, ready once ``/readyz``
    answers 200; leaving the block sends SIGINT (as Ctrl-C would) and keeps the exit code and stderr."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        self.returncode: int | None = None
        self.stderr = ""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", *args, "--port", str(port)], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def __enter__(self) -> ServeProcess:
        deadline = time.monotonic() + 60  # generous for a cold interpreter on a busy 2-core machine
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"the server did not become ready: {self.stderr}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
        _, self.stderr = self._proc.communicate(timeout=60)
        self.returncode = self._proc.returncode

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON-lines log records written to stderr."""
        return [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]
