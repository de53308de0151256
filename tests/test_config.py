"""Settings: precedence (defaults < phago.toml < PHAGO_* environment < arguments), errors that name the key,
the value and what is allowed, help text for every setting, and settings remembered by a colony file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pydantic import BaseModel

from phago import Colony, ConfigError, Settings, load_settings
from phago.config import default_config_text, reference_markdown

ROOT = Path(__file__).resolve().parents[1]
SECTIONS: dict[str, type[BaseModel]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Settings.model_fields.items()
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return info.value


# -- precedence ----------------------------------------------------------------------------------------
def test_defaults_without_file_environment_or_overrides(tmp_path: Path) -> None:
    assert load_settings() == Settings()
    assert load_settings(cwd=tmp_path, env={}) == Settings()
    assert Settings().wiring.window == 4 and Settings().query.mode == "hybrid"


def test_file_in_the_working_folder_beats_defaults(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", '[wiring]\nwindow = 6\n[query]\nmode = "rrf"\n')
    s = load_settings(cwd=tmp_path, env={})
    assert s.wiring.window == 6
    assert s.query.mode == "rrf"
    assert s.wiring.decay_rate == Settings().wiring.decay_rate  # untouched keys keep their defaults


def test_file_in_a_parent_folder_is_found(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wiring]\nwindow = 6\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert load_settings(cwd=deep, env={}).wiring.window == 6


def test_nearest_file_wins(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wiring]\nwindow = 6\n[colony]\nseed = 5\n")
    write(tmp_path / "a" / "phago.toml", "[wiring]\nwindow = 7\n")
    s = load_settings(cwd=tmp_path / "a", env={})
    assert s.wiring.window == 7
    assert s.colony.seed == Settings().colony.seed  # files are not merged: only the nearest one counts


def test_explicit_file_replaces_the_discovered_one(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wiring]\nwindow = 6\n")
    other = write(tmp_path / "elsewhere" / "custom.toml", "[wiring]\ndecay_rate = 0.01\n")
    s = load_settings(other, cwd=tmp_path, env={})
    assert s.wiring.decay_rate == 0.01
    assert s.wiring.window == Settings().wiring.window


def test_environment_beats_the_file(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wiring]\nwindow = 6\nlearning_rate = 0.2\n")
    s = load_settings(cwd=tmp_path, env={"PHAGO_WIRING__WINDOW": "9"})
    assert s.wiring.window == 9
    assert s.wiring.learning_rate == 0.2


def test_overrides_beat_the_environment(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wiring]\nwindow = 6\n")
    env = {"PHAGO_WIRING__WINDOW": "9", "PHAGO_COLONY__SEED": "3"}
    s = load_settings(cwd=tmp_path, env=env, overrides={"wiring.window": 11})
    assert s.wiring.window == 11
    assert s.colony.seed == 3
    nested = load_settings(cwd=tmp_path, env=env, overrides={"wiring": {"window": 12}})
    assert nested.wiring.window == 12


def test_full_precedence_chain(tmp_path: Path) -> None:
    write(
        tmp_path / "phago.toml",
        "[query]\nk = 2\nalpha = 0.2\nhops = 2\n",
    )
    env = {"PHAGO_QUERY__ALPHA": "0.3", "PHAGO_QUERY__HOPS": "3"}
    s = load_settings(cwd=tmp_path, env=env, overrides={"query.hops": 4})
    defaults = Settings().query
    assert (s.query.fanout, s.query.k, s.query.alpha, s.query.hops) == (defaults.fanout, 2, 0.3, 4)


def test_environment_values_are_converted() -> None:
    env = {
        "PHAGO_QUERY__REINFORCE": "false",
        "PHAGO_WIRING__DECAY_RATE": "0.01",
        "PHAGO_STORAGE__PATH": "elsewhere.db",
        "PHAGO_SERVER__PORT": "9000",
        "PHAGO_EVOLUTION__ENABLED": "0",
    }
    s = load_settings(env=env)
    assert s.query.reinforce is False
    assert s.wiring.decay_rate == 0.01
    assert s.storage.path == "elsewhere.db"
    assert s.server.port == 9000
    assert s.evolution.enabled is False


def test_unrelated_environment_is_ignored() -> None:
    env = {"HOME": "/nowhere", "PHAGO_STRICT_TESTS": "1", "PHAGOWIRING__WINDOW": "9", "XPHAGO_WIRING__WINDOW": "9"}
    assert load_settings(env=env) == Settings()


@hsettings(max_examples=30, deadline=None)
@given(window=st.integers(min_value=-5, max_value=80))
def test_environment_window_is_validated(window: int) -> None:
    env = {"PHAGO_WIRING__WINDOW": str(window)}
    if 1 <= window <= 64:
        assert load_settings(env=env).wiring.window == window
    else:
        with pytest.raises(ConfigError) as info:
            load_settings(env=env)
        assert info.value.key == "wiring.window"
        assert str(window) in str(info.value)


def test_with_overrides() -> None:
    s = Settings().with_overrides({"colony.seed": 7, "wiring.window": 5})
    assert (s.colony.seed, s.wiring.window) == (7, 5)
    assert Settings().colony.seed == 42  # the original is unchanged
    with pytest.raises(ConfigError, match=r"section\.key"):
        Settings().with_overrides({"window": 5})
    with pytest.raises(ConfigError, match=r"wiring\.window"):
        Settings().with_overrides({"wiring.window": 0})


# -- unknown keys and sections -------------------------------------------------------------------------
def test_unknown_key_in_file_lists_known_keys(tmp_path: Path) -> None:
    conf = write(tmp_path / "phago.toml", "[wiring]\nwindw = 5\n")
    err = config_error(cwd=tmp_path, env={})
    message = str(err)
    assert "wiring.windw" in message
    assert str(conf) in message
    for key in SECTIONS["wiring"].model_fields:
        assert key in message
    assert err.key == "wiring.windw"


def test_unknown_section_lists_known_sections(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "[wirin]\nwindow = 5\n")
    message = str(config_error(cwd=tmp_path, env={}))
    assert "wirin" in message
    for section in SECTIONS:
        assert section in message


def test_unknown_environment_key_lists_known_keys() -> None:
    message = str(config_error(env={"PHAGO_QUERY__TOP_K": "5"}))
    assert "query.top_k" in message
    assert "PHAGO" in message  # says where the bad value came from
    for key in SECTIONS["query"].model_fields:
        assert key in message


def test_unknown_environment_section_lists_sections() -> None:
    message = str(config_error(env={"PHAGO_QUERRY__K": "5"}))
    assert "querry" in message
    for section in SECTIONS:
        assert section in message


def test_unknown_override_key_lists_known_keys() -> None:
    message = str(config_error(overrides={"lexical.k3": 1.0}))
    assert "lexical.k3" in message
    for key in SECTIONS["lexical"].model_fields:
        assert key in message


# -- bad values and types ------------------------------------------------------------------------------
BAD_VALUES = [
    # (section, key, TOML value, text the message must contain besides the key)
    ("wiring", "window", '"four"', "four"),
    ("wiring", "window", "4.5", "4.5"),
    ("wiring", "window", "[4]", "[4]"),
    ("wiring", "decay_rate", '"fast"', "fast"),
    ("wiring", "decay_rate", "1.5", "1.5"),
    ("query", "reinforce", '"maybe"', "maybe"),
    ("query", "mode", '"telepathy"', "hybrid"),  # the message lists what is allowed
    ("lexical", "stemmer", '"klingon"', "english"),
    ("storage", "path", "5", "5"),
    ("storage", "path", '""', "at least 1"),
    ("server", "port", "70000", "65535"),
    ("colony", "seed", "-1", ">= 0"),
]


@pytest.mark.parametrize(("section", "key", "value", "says"), BAD_VALUES)
def test_bad_value_in_file(tmp_path: Path, section: str, key: str, value: str, says: str) -> None:
    conf = write(tmp_path / "phago.toml", f"[{section}]\n{key} = {value}\n")
    err = config_error(cwd=tmp_path, env={})
    assert err.key == f"{section}.{key}"
    assert f"{section}.{key}" in str(err)
    assert says in str(err)
    assert str(conf) in str(err)


def test_bad_value_message_has_key_value_and_bound() -> None:
    message = str(config_error(overrides={"wiring.learning_rate": 1.0}))
    assert "wiring.learning_rate" in message and "1.0" in message and "< 1" in message


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "phago.toml", "wiring = 3\n")
    err = config_error(cwd=tmp_path, env={})
    assert err.key == "wiring"


def test_bad_environment_value_names_the_variable_source() -> None:
    message = str(config_error(env={"PHAGO_QUERY__ALPHA": "lots"}))
    assert "query.alpha" in message and "lots" in message and "environment" in message


# -- malformed files -----------------------------------------------------------------------------------
def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    conf = write(tmp_path / "phago.toml", "[wiring\nwindow = 4\n")
    assert str(conf) in str(config_error(cwd=tmp_path, env={}))
    assert str(conf) in str(config_error(config_file=conf))


def test_non_utf8_toml_names_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "phago.toml"
    conf.write_bytes('[storage]\npath = "café.db"\n'.encode("latin-1"))
    message = str(config_error(config_file=conf))
    assert str(conf) in message and "UTF-8" in message


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert str(missing) in str(config_error(config_file=missing))


# -- help text and generated files ---------------------------------------------------------------------
def test_every_setting_has_a_description() -> None:
    missing = [
        f"{section}.{key}"
        for section, model in SECTIONS.items()
        for key, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert missing == []
    assert sum(len(m.model_fields) for m in SECTIONS.values()) > 50


def test_default_config_text_parses_back_to_the_defaults() -> None:
    text = default_config_text()
    data = tomllib.loads(text)
    assert data == Settings().model_dump(mode="json")
    assert Settings.from_mapping(data) == Settings()


def test_default_config_text_comments_every_key() -> None:
    lines = default_config_text().splitlines()
    for section, model in SECTIONS.items():
        start = lines.index(f"[{section}]")
        for key, field in model.model_fields.items():
            at = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{key} = "))
            assert lines[at - 1].startswith(f"# {field.description}"), f"{section}.{key}"


def test_configuration_doc_is_generated_from_the_model() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == reference_markdown(), "docs/configuration.md is stale: run `python scripts/gen_config_docs.py`"


def test_reference_documents_every_key_with_its_default() -> None:
    text = reference_markdown()
    for section, model in SECTIONS.items():
        body = text.split(f"## `[{section}]`", 1)[1].split("\n## ", 1)[0]
        defaults = getattr(Settings(), section)
        for key, field in model.model_fields.items():
            row = next(line for line in body.splitlines() if line.startswith(f"| `{key}` |"))
            assert field.description in row
            value = getattr(defaults, key)
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            assert shown in row, (section, key, row)


# -- settings and colony files -------------------------------------------------------------------------
def test_colony_file_remembers_its_settings(tmp_path: Path) -> None:
    custom = Settings().with_overrides({"colony.seed": 7, "wiring.window": 6, "query.k": 3})
    db = tmp_path / "c.db"
    with Colony.open(db, custom) as colony:
        colony.ingest("Honeybees cool the hive by fanning their wings.")
    with Colony.open(db) as reopened:
        assert reopened.settings == custom
        assert reopened.settings.fingerprint() == custom.fingerprint()
        assert len(reopened.query("hive", k=None)) <= 3
    with Colony.open(tmp_path / "fresh.db") as fresh:
        assert fresh.settings == Settings()


def test_fingerprint_is_stable_and_changes_with_any_value() -> None:
    base = Settings()
    assert base.fingerprint() == Settings().fingerprint()
    assert base.fingerprint() == Settings().with_overrides({"wiring.window": 4}).fingerprint()
    changes = {
        "colony.seed": 43,
        "wiring.window": 5,
        "wiring.decay_rate": 0.006,
        "query.alpha": 0.7,
        "query.reinforce": False,
        "lexical.stemmer": "none",
        "storage.path": "other.db",
        "mcp.transport": "http",
    }
    prints = {base.fingerprint()}
    for key, value in changes.items():
        prints.add(base.with_overrides({key: value}).fingerprint())
    assert len(prints) == len(changes) + 1
