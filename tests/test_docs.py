"""The documentation stays true: every ```python block in README.md and docs/*.md runs (each file's blocks in
order, in one namespace, in a temporary working folder), every ``phago ...`` line in a shell block parses,
the CLI reference matches the commands and the exit-code table, and relative links resolve.

docs/server.md, docs/mcp.md and docs/integrations.md need optional extras and are tested with them
(tests/server, tests/mcp, tests/integrations).
"""

from __future__ import annotations

import os
import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from phago.cli import EXIT_CODES, main
from phago.errors import PhagoError
from strict_mode import require

ROOT = Path(__file__).resolve().parents[1]
OWNED_ELSEWHERE = {"server.md", "mcp.md", "integrations.md", "embeddings.md"}
EXTRA_COMMANDS = {"serve", "keys", "mcp"}  # registered only with their extras; documented in their own pages
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in OWNED_ELSEWHERE)]


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # 1-based line of the first code line
    code: str


_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)")


def blocks(path: Path) -> list[Block]:
    """Fenced code blocks of a Markdown file, in order (indented fences are dedented)."""
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group("fence"), m.group("info").lower(), i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        out.append(Block(lang, start + 1, textwrap.dedent("\n".join(body))))
        i += 1
    return out


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


PYTHON_PAGES = [p for p in PAGES if any(b.lang in ("python", "py", "python3") for b in blocks(p))]


def test_pages_with_python_examples_are_found() -> None:
    names = {rel(p) for p in PYTHON_PAGES}
    assert {"README.md", "docs/getting-started.md", "docs/python-api.md"} <= names


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=rel)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PHAGO_"):
            monkeypatch.delenv(name)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.lang not in ("python", "py", "python3"):
            continue
        # pad so a traceback points at the block's real line in the Markdown file
        code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
        exec(code, namespace)


# -- shell examples ------------------------------------------------------------------------------------
def _phago_lines() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for block in blocks(page):
            if block.lang not in ("bash", "sh", "shell", "console"):
                continue
            for n, line in enumerate(block.code.splitlines()):
                for part in re.split(r"&&|;|\|\|", line.removeprefix("$ ")):
                    words = shlex.split(part, comments=True)
                    if words[:1] == ["phago"]:
                        found.append((f"{rel(page)}:{block.line + n}", words[1:]))
    return found


PHAGO_LINES = _phago_lines()


def test_shell_examples_are_found() -> None:
    assert len(PHAGO_LINES) >= 8


@pytest.mark.parametrize(("where", "args"), PHAGO_LINES, ids=[w for w, _ in PHAGO_LINES])
def test_shell_example_parses(where: str, args: list[str]) -> None:
    # --help is eager: click parses the whole line (unknown commands and options fail) and runs nothing
    if args and args[0] in EXTRA_COMMANDS and args[0] not in main.commands:
        require(False, f"`phago {args[0]}` belongs to an optional extra that is not installed")
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, f"{where}: `phago {shlex.join(args)}` does not parse:\n{result.output}"


# -- the CLI reference ---------------------------------------------------------------------------------
CLI_DOC = ROOT / "docs" / "cli.md"


def _table_rows(text: str, heading: str | None = None) -> list[list[str]]:
    if heading is not None:
        text = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            rows.append([c.strip() for c in cells])
    return rows[1:]  # without the header row


def _command(words: list[str]) -> click.Command:
    cmd: click.Command = main
    for w in words:
        assert isinstance(cmd, click.Group), words
        sub = cmd.commands.get(w)
        assert sub is not None, f"docs/cli.md documents `{' '.join(words)}`, which is not a command"
        cmd = sub
    return cmd


def _documented_commands() -> list[tuple[list[str], str]]:
    """(command words, the usage cell) for each row of the command table in docs/cli.md."""
    out = []
    for cells in _table_rows(CLI_DOC.read_text(encoding="utf-8").split("## Input files")[0]):
        usage = cells[0].strip("`").replace("\\|", "|")
        words = []
        for w in usage.split():
            if w.startswith(("[", "-")) or w.rstrip(".").isupper() or "..." in w:
                break
            words.append(w)
        out.append((words, usage))
    return out


def test_cli_reference_documents_every_command_and_option() -> None:
    documented = _documented_commands()
    assert documented
    for words, usage in documented:
        cmd = _command(words)
        opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", usage):
            assert option in opts, f"docs/cli.md: `{usage}` shows {option}, which `{' '.join(words)}` lacks"
    paths = {" ".join(words) for words, _ in documented}
    for name, cmd in main.commands.items():
        if name in EXTRA_COMMANDS:
            continue
        if isinstance(cmd, click.Group):
            for sub in cmd.commands:
                assert f"{name} {sub}" in paths, f"`phago {name} {sub}` is missing from docs/cli.md"
        else:
            assert name in paths, f"`phago {name}` is missing from docs/cli.md"


def test_cli_reference_exit_codes_match_the_table() -> None:
    rows = {int(cells[0]): cells[1] for cells in _table_rows(CLI_DOC.read_text(encoding="utf-8"), "## Exit codes")}
    assert set(rows) == {0, 2} | {code for _, code in EXIT_CODES}
    for cls, code in EXIT_CODES:
        if cls is not PhagoError:
            assert cls.__name__ in rows[code], (code, rows[code])


# -- links ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        if not (page.parent / target.split("#", 1)[0]).exists():
            broken.append(target)
    assert broken == [], f"{rel(page)} links to missing files: {broken}"
