"""``phago mcp``'s options and settings, and the error when the ``mcp`` extra is missing (no server runs:
the transports are replaced by recorders)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from strict_mode import require_module

require_module("mcp", "pip install 'phago[mcp]'")

import phago.mcp.serve  # noqa: E402
from phago import MissingExtra  # noqa: E402
from phago.cli import main  # noqa: E402
from phago.mcp import build_server, require_sdk  # noqa: E402


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []

    def stdio(server: Any) -> None:
        calls.append(("stdio", server.name))

    def http(server: Any, host: str, port: int) -> None:
        calls.append(("http", host, port))

    monkeypatch.setattr(phago.mcp.serve, "serve_stdio", stdio)
    monkeypatch.setattr(phago.mcp.serve, "serve_http", http)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("PHAGO_")]:
        monkeypatch.delenv(name)
    return calls


def test_defaults_come_from_settings(served: list[tuple[Any, ...]], tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["mcp"])
    assert done.exit_code == 0, done.output
    assert served == [("stdio", "phago")]
    assert (tmp_path / "phago.db").exists()  # storage.path's default, created and closed


def test_options_beat_environment_and_config_file(
    served: list[tuple[Any, ...]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "phago.toml").write_text('[mcp]\ntransport = "http"\nport = 9000\n[storage]\npath = "toml.db"\n')
    monkeypatch.setenv("PHAGO_MCP__PORT", "9001")
    assert CliRunner().invoke(main, ["mcp"]).exit_code == 0
    assert CliRunner().invoke(main, ["mcp", "--port", "9002", "--host", "localhost"]).exit_code == 0
    assert CliRunner().invoke(main, ["mcp", "--transport", "stdio", "--db", "option.db"]).exit_code == 0
    assert served == [("http", "127.0.0.1", 9001), ("http", "localhost", 9002), ("stdio", "phago")]
    assert (tmp_path / "toml.db").exists() and (tmp_path / "option.db").exists()


def test_top_level_db_and_config_apply(served: list[tuple[Any, ...]], tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("[mcp]\nport = 7000\ntransport = 'http'\n")
    done = CliRunner().invoke(main, ["--db", "top.db", "--config", str(config), "mcp"])
    assert done.exit_code == 0, done.output
    assert served == [("http", "127.0.0.1", 7000)]
    assert (tmp_path / "top.db").exists()


def test_bad_setting_is_reported(served: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHAGO_MCP__TRANSPORT", "smoke-signals")
    done = CliRunner().invoke(main, ["mcp"])
    assert done.exit_code == 3  # the CLI's code for ConfigError
    assert "mcp.transport" in done.output and served == []


def test_missing_sdk_names_the_extra(served: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "mcp", None)
    with pytest.raises(MissingExtra) as info:
        require_sdk()
    assert info.value.extra == "mcp" and "pip install 'phago[mcp]'" in str(info.value)
    with pytest.raises(MissingExtra):
        build_server(None)  # type: ignore[arg-type]
    done = CliRunner().invoke(main, ["mcp"])
    assert done.exit_code == 7  # the CLI's code for MissingExtra
    assert "phago[mcp]" in done.output and served == []
