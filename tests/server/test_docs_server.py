"""docs/server.md stays true: its ```python blocks run in order (one namespace, a temporary folder), every
``phago ...`` line in its shell blocks parses, and every API path in its table is a route of the app."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from phago.cli import main
from phago.server import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"
_FENCE = re.compile(r"^```(\w*)\s*$")


def _blocks() -> list[tuple[str, int, str]]:
    out, lang, start, body = [], None, 0, []  # type: ignore[var-annotated]
    for n, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), 1):
        m = _FENCE.match(line.strip())
        if m and lang is None:
            lang, start, body = m.group(1).lower(), n + 1, []
        elif line.strip() == "```" and lang is not None:
            out.append((lang, start, "\n".join(body)))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PHAGO_"):
            monkeypatch.delenv(name)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for lang, line, code in _blocks():
        if lang == "python":
            exec(compile("\n" * (line - 1) + code, str(DOC), "exec"), namespace)
            ran += 1
    assert ran >= 1


PHAGO_LINES = [
    (f"server.md:{line + n}", words[1:])
    for lang, line, code in _blocks() if lang == "bash"
    for n, text in enumerate(code.splitlines())
    if text.startswith("phago ") and (words := shlex.split(text, comments=True))
]


@pytest.mark.parametrize(("where", "args"), PHAGO_LINES, ids=[w for w, _ in PHAGO_LINES])
def test_shell_examples_parse(where: str, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, f"{where}: `phago {shlex.join(args)}` does not parse:\n{result.output}"


def test_documented_paths_exist() -> None:
    routes = set(create_app().openapi()["paths"]) | {"/ws/events"}  # WebSockets are not in OpenAPI
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(?:GET|POST|PUT|DELETE) (/[^`?\s]*)", text))
    normalise = {p: re.sub(r"\{[^}]+\}", "{}", p) for p in documented | routes}
    missing = {p for p in documented if normalise[p] not in {normalise[r] for r in routes}}
    assert len(documented) >= 25 and not missing
