"""The ```python blocks of docs/mcp.md and docs/integrations.md run, in order, in one namespace per file
(in a temporary folder, offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from strict_mode import require_module

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
NEEDS = {
    "mcp.md": [("mcp", "pip install 'phago[mcp]'")],
    "integrations.md": [
        ("langchain_core", "pip install 'phago[langchain]'"),
        ("llama_index.core", "pip install 'phago[llamaindex]'"),
    ],
}


def python_blocks(name: str) -> list[str]:
    return BLOCK.findall((DOCS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_docs_have_python_examples(name: str) -> None:
    assert python_blocks(name)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_python_blocks_run(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for module, install in NEEDS[name]:
        require_module(module, install)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{name.removesuffix('.md')}"}
    for i, block in enumerate(python_blocks(name)):
        exec(compile(block, f"{DOCS / name} (python block {i + 1})", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.strip()
    if name == "mcp.md":
        assert "Mitochondria | Mitochondria produce ATP" in printed and "error: True" in printed
    else:
        assert "Mitochondria make ATP, by oxidative phosphorylation." in printed
        assert "ai | They capture light energy for photosynthesis." in printed
        assert printed.rstrip().endswith("True")
