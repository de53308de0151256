"""The ``phago`` command line, through click's CliRunner (plus a few real ``python -m phago`` processes).

Every test runs in its own temporary folder with no ``PHAGO_*`` variables, so no ``phago.toml`` or colony
file outside ``tmp_path`` is read or written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner, Result

from phago import Colony, Settings, __version__
from phago.cli import EXIT_CODES, main
from phago.config import load_settings
from phago.demo import corpus as demo_corpus
from phago.errors import ConfigError, InputError, NotFound, SourceError


def exit_code(error: type[BaseException]) -> int:
    """The code ``phago.cli.EXIT_CODES`` gives an error class (first match wins, as in the CLI)."""
    return next(code for cls, code in EXIT_CODES if issubclass(error, cls))


CONFIG_EXIT = exit_code(ConfigError)
NOT_FOUND_EXIT = exit_code(NotFound)
INPUT_EXIT = exit_code(SourceError)

Invoke = Callable[..., Result]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PHAGO_")}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PHAGO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def cli() -> Invoke:
    runner = CliRunner()

    def invoke(*args: str | Path, env: Mapping[str, str] | None = None) -> Result:
        return runner.invoke(main, [str(a) for a in args], env=dict(env or {}), catch_exceptions=False)

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


# -- a small corpus on disk ----------------------------------------------------------------------------
BEES = (
    "Honeybees cool the hive by fanning their wings at the entrance. Honeybees warm the hive in winter "
    "by shivering their flight muscles. The hive stores honey for the winter."
)
VOLCANO = (
    "Magma rises through the crust and erupts from volcanoes as lava. Volcanoes release gas and ash when "
    "magma reaches the surface. Explosive volcanoes trap gas in sticky magma."
)
BREAD = (
    "Sourdough bread rises because yeast in the starter releases carbon dioxide. The starter also holds "
    "lactic acid bacteria that sour the bread dough."
)


def write_corpus(root: Path) -> Path:
    """Five supported files (one per format, two nested), plus a hidden and an unsupported file that a
    directory walk skips. Eight documents: the JSON array holds two records, the JSONL file three (one,
    about glaciers, shares no word with the others, so the graph has more than one component)."""
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "bees.txt").write_text(BEES, encoding="utf-8")
    (root / "sub" / "volcanoes.md").write_text("# Volcanoes\n\n" + VOLCANO, encoding="utf-8")
    (root / "sub" / "deeper" / "bread.html").write_text(
        f"<html><head><title>Sourdough</title><script>var hive = 1;</script></head>"
        f"<body><h1>Bread</h1><p>{BREAD}</p></body></html>",
        encoding="utf-8",
    )
    (root / "records.json").write_text(
        json.dumps(
            [
                {"text": "Worker bees dance in the hive to show where flowers grow.", "title": "Dance"},
                {"text": "Lava flows from volcanoes cool into basalt rock.", "metadata": {"topic": "rock"}},
            ]
        ),
        encoding="utf-8",
    )
    (root / "records.jsonl").write_text(
        json.dumps({"text": "Bakers feed the sourdough starter with flour and water."})
        + "\n\n"
        + json.dumps({"text": "Ash from volcanoes drifts for hundreds of kilometres.", "title": "Ash"})
        + "\n"
        + json.dumps({"text": "Glaciers carve deep valleys into granite mountains.", "title": "Ice"})
        + "\n",
        encoding="utf-8",
    )
    (root / ".hidden.txt").write_text("Hidden notes about secret volcanoes.", encoding="utf-8")
    (root / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return root


CORPUS_FILES = 5
CORPUS_DOCUMENTS = 8


def state(db: Path) -> tuple[dict[str, Any], list[str]]:
    """What a colony file holds, seen through the library: its stats and its document ids."""
    with Colony.open(db) as colony:
        return dataclasses.asdict(colony.stats()), sorted(d.id for d in colony.documents())


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A digested colony of the corpus, built once through the CLI; tests get a private copy (``db``)."""
    root = tmp_path_factory.mktemp("built")
    write_corpus(root / "corpus")
    db = root / "colony.db"
    result = CliRunner().invoke(main, ["--db", str(db), "ingest", "--digest", str(root / "corpus")], env=_clean_env())
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture
def db(built_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "colony.db"
    for suffix in ("", "-wal", "-shm"):
        src = built_db.with_name(built_db.name + suffix)
        if src.exists():
            shutil.copy(src, copy.with_name(copy.name + suffix))
    return copy


def no_colony_files(folder: Path, name: str) -> bool:
    return not any(folder.glob(name + "*"))


# -- top level -----------------------------------------------------------------------------------------
def test_version(cli: Invoke) -> None:
    out = ok(cli("--version")).stdout
    assert "phago" in out
    assert __version__ in out


def test_help_lists_every_command(cli: Invoke) -> None:
    out = ok(cli("--help")).stdout
    for name in ("init", "ingest", "run", "digest", "query", "forget", "stats", "explore", "export", "demo"):
        assert f"  {name}" in out


# -- init ----------------------------------------------------------------------------------------------
def test_init_writes_a_file_that_loads_back_to_the_defaults(cli: Invoke, tmp_path: Path) -> None:
    result = ok(cli("init"))
    path = tmp_path / "phago.toml"
    assert path.is_file()
    assert "phago.toml" in result.stdout
    assert load_settings(path) == Settings()
    assert load_settings(cwd=tmp_path, env={}) == Settings()


def test_init_to_a_given_path_with_json_output(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "conf" / "custom.toml"
    target.parent.mkdir()
    data = as_json(cli("--json", "init", target))
    assert data == {"written": str(target)}
    assert load_settings(target) == Settings()
    assert not (tmp_path / "phago.toml").exists()


def test_init_refuses_to_overwrite_without_force(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "phago.toml"
    path.write_text("# mine\n[wiring]\nwindow = 6\n", encoding="utf-8")
    result = cli("init")
    assert result.exit_code == INPUT_EXIT == 5
    assert "phago.toml" in result.stderr
    assert "--force" in result.stderr
    assert path.read_text(encoding="utf-8") == "# mine\n[wiring]\nwindow = 6\n"

    ok(cli("init", "--force"))
    assert load_settings(path) == Settings()


# -- ingest --------------------------------------------------------------------------------------------
def test_ingest_a_directory_recursively(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    result = ok(cli("--db", db, "ingest", corpus))
    assert f"ingested {CORPUS_DOCUMENTS} documents from {CORPUS_FILES} files" in result.stdout
    assert f"({CORPUS_DOCUMENTS} new, 0 already known)" in result.stdout
    with Colony.open(db) as colony:
        docs = colony.documents()
        sources = {Path(d.source).name for d in docs}
        titles = {d.title for d in docs}
        assert colony.stats().undigested_documents == CORPUS_DOCUMENTS  # no --digest: not digested yet
    assert len(docs) == CORPUS_DOCUMENTS
    assert sources == {"bees.txt", "volcanoes.md", "bread.html", "records.json", "records.jsonl"}
    assert {"bees", "Volcanoes", "Sourdough", "Dance", "Ash"} <= titles  # stem, heading, <title>, records
    assert not any("secret" in d.text or "a,b" in d.text for d in docs)  # hidden and .csv files skipped
    assert not any("var hive" in d.text for d in docs)  # HTML scripts dropped


def test_ingest_named_files(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    result = ok(cli("--db", db, "ingest", corpus / "bees.txt", corpus / "records.jsonl"))
    assert "ingested 4 documents from 2 files" in result.stdout
    assert len(state(db)[1]) == 4


def test_ingest_json_output_has_the_ids(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    data = as_json(cli("--json", "--db", db, "ingest", corpus))
    assert data["files"] == CORPUS_FILES
    assert data["documents"] == CORPUS_DOCUMENTS
    assert data["new"] == CORPUS_DOCUMENTS
    assert data["duplicates"] == 0
    assert "ticks" not in data
    assert len(data["ids"]) == CORPUS_DOCUMENTS
    assert all(i.startswith("doc_") for i in data["ids"])
    assert sorted(data["ids"]) == state(db)[1]


def test_ingest_counts_duplicates(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    first = as_json(cli("--json", "--db", db, "ingest", corpus))
    again = as_json(cli("--json", "--db", db, "ingest", corpus))
    assert again["ids"] == first["ids"]
    assert (again["new"], again["duplicates"]) == (0, CORPUS_DOCUMENTS)
    human = ok(cli("--db", db, "ingest", corpus / "bees.txt")).stdout
    assert "(0 new, 1 already known)" in human

    # the same text under two names in one batch is one new document and one duplicate
    (tmp_path / "x1.txt").write_text("Tides follow the moon around the earth.", encoding="utf-8")
    (tmp_path / "x2.txt").write_text("Tides follow the moon around the earth.", encoding="utf-8")
    both = as_json(cli("--json", "--db", db, "ingest", tmp_path / "x1.txt", tmp_path / "x2.txt"))
    assert (both["documents"], both["new"], both["duplicates"]) == (2, 1, 1)
    assert both["ids"][0] == both["ids"][1]
    assert len(state(db)[1]) == CORPUS_DOCUMENTS + 1


def test_ingest_with_digest(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    data = as_json(cli("--json", "--db", db, "ingest", "--digest", corpus))
    assert data["ticks"] >= 1
    stats, _ = state(db)
    assert stats["undigested_documents"] == 0
    assert stats["concepts"] > 0 and stats["edges"] > 0


def test_ingest_into_the_default_colony_file(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BEES, encoding="utf-8")
    ok(cli("ingest", "a.txt"))
    assert (tmp_path / "phago.db").is_file()  # storage.path default, relative to the working folder
    assert len(state(tmp_path / "phago.db")[1]) == 1


# -- ingest: bad input ---------------------------------------------------------------------------------
BAD_FILES: dict[str, tuple[str, bytes | None, str]] = {
    # id: (file name, content (None: do not create), what the message says)
    "empty": ("empty.txt", b"", "empty"),
    "blank": ("blank.md", b"  \n\t\n", "empty"),
    "binary": ("binary.txt", b"GIF89a\x00\x01\x02 binary bytes", "binary"),
    "latin-1": ("latin1.txt", "Crème brûlée à la café".encode("latin-1"), "UTF-8"),
    "malformed-json": ("broken.json", b'{"text": "an unfinished record",', "JSON"),
    "json-without-text": ("notext.json", b'[{"title": "no text here"}]', "text"),
    "malformed-jsonl": ("broken.jsonl", b'{"text": "fine line"}\n{"text": oops}\n', "line 2"),
    "missing": ("does-not-exist.txt", None, "no such file"),
    "unsupported": ("picture.png", b"\x89PNG not really", "unsupported"),
}


def _bad(tmp_path: Path, case: str) -> tuple[Path, str]:
    name, content, says = BAD_FILES[case]
    path = tmp_path / "inbox" / name
    path.parent.mkdir(exist_ok=True)
    if content is not None:
        path.write_bytes(content)
    return path, says


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_creates_no_colony(cli: Invoke, tmp_path: Path, case: str) -> None:
    bad, says = _bad(tmp_path, case)
    result = cli("--db", tmp_path / "new.db", "ingest", bad)
    assert result.exit_code == INPUT_EXIT
    assert bad.name in result.stderr
    assert says in result.stderr
    assert result.stdout == ""
    assert no_colony_files(tmp_path, "new.db")


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_one_bad_file_among_good_ones_ingests_nothing(cli: Invoke, db: Path, tmp_path: Path, case: str) -> None:
    bad, says = _bad(tmp_path, case)
    good = tmp_path / "good.txt"
    good.write_text("Tides follow the moon around the earth twice a day.", encoding="utf-8")
    before = state(db)
    result = cli("--db", db, "ingest", good, bad)
    assert result.exit_code == INPUT_EXIT
    assert bad.name in result.stderr
    assert says in result.stderr
    assert good.name not in result.stderr  # only the unusable file is blamed
    assert state(db) == before


def test_every_bad_file_is_reported_at_once(cli: Invoke, tmp_path: Path) -> None:
    paths = [_bad(tmp_path, case)[0] for case in ("empty", "binary", "latin-1", "malformed-json", "missing")]
    result = cli("--db", tmp_path / "new.db", "ingest", *paths)
    assert result.exit_code == INPUT_EXIT
    for p in paths:
        assert p.name in result.stderr
    assert no_colony_files(tmp_path, "new.db")


def test_empty_directory_is_refused(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.csv").write_text("x", encoding="utf-8")
    result = cli("--db", tmp_path / "new.db", "ingest", tmp_path / "nothing")
    assert result.exit_code == INPUT_EXIT
    assert "nothing" in result.stderr
    assert no_colony_files(tmp_path, "new.db")


def _big_and_small(tmp_path: Path) -> tuple[Path, Path]:
    small = tmp_path / "small.txt"
    small.write_text("Tiny note on bees.", encoding="utf-8")  # 18 bytes
    big = tmp_path / "big.txt"
    big.write_text("Volcanoes erupt. " * 20, encoding="utf-8")  # 340 bytes
    return small, big


def test_oversized_file_refused_with_limit_from_config_file(cli: Invoke, db: Path, tmp_path: Path) -> None:
    small, big = _big_and_small(tmp_path)
    conf = tmp_path / "tiny.toml"
    conf.write_text("[ingest]\nmax_file_bytes = 64\n", encoding="utf-8")
    before = state(db)
    result = cli("--config", conf, "--db", db, "ingest", small, big)
    assert result.exit_code == INPUT_EXIT
    assert "big.txt" in result.stderr
    assert "64" in result.stderr and "max_file_bytes" in result.stderr
    assert "small.txt" not in result.stderr
    assert state(db) == before
    ok(cli("--config", conf, "--db", db, "ingest", small))  # under the limit: accepted
    assert len(state(db)[1]) == len(before[1]) + 1


def test_oversized_file_refused_with_limit_from_environment(cli: Invoke, tmp_path: Path) -> None:
    small, big = _big_and_small(tmp_path)
    result = cli("--db", tmp_path / "new.db", "ingest", small, big, env={"PHAGO_INGEST__MAX_FILE_BYTES": "64"})
    assert result.exit_code == INPUT_EXIT
    assert "big.txt" in result.stderr and "64" in result.stderr
    assert no_colony_files(tmp_path, "new.db")
    ok(cli("--db", tmp_path / "new.db", "ingest", small, big))  # default limit: both fine


def test_ingest_needs_a_path(cli: Invoke, tmp_path: Path) -> None:
    result = cli("--db", tmp_path / "new.db", "ingest")
    assert result.exit_code == 2  # click usage error
    assert no_colony_files(tmp_path, "new.db")


# -- run and digest ------------------------------------------------------------------------------------
def test_run_advances_the_tick(cli: Invoke, db: Path) -> None:
    tick = state(db)[0]["tick"]
    data = as_json(cli("--json", "--db", db, "run", "--ticks", "3"))
    assert data["ticks"] == 3
    assert data["tick"] == tick + 3
    assert {"passages_digested", "concepts_formed", "edges_formed", "edges_pruned", "undigested_documents"} <= set(data)
    assert state(db)[0]["tick"] == tick + 3
    human = ok(cli("--db", db, "run", "--ticks", "2")).stdout
    assert f"ran 2 ticks (now at tick {tick + 5})" in human
    assert state(db)[0]["tick"] == tick + 5


def test_run_rejects_negative_ticks(cli: Invoke, db: Path) -> None:
    before = state(db)
    assert cli("--db", db, "run", "--ticks", "-1").exit_code == 2
    assert state(db) == before


def test_digest_digests_everything(cli: Invoke, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    db = tmp_path / "c.db"
    ok(cli("--db", db, "ingest", corpus))
    assert state(db)[0]["undigested_documents"] == CORPUS_DOCUMENTS
    one = as_json(cli("--json", "--db", db, "digest", "--max-ticks", "1"))
    assert one["ticks"] == 1
    data = as_json(cli("--json", "--db", db, "digest"))
    assert data["undigested_documents"] == 0
    assert one["passages_digested"] + data["passages_digested"] == state(db)[0]["passages"]
    stats = state(db)[0]
    assert stats["undigested_documents"] == 0 and stats["concepts"] > 0
    human = ok(cli("--db", db, "digest")).stdout
    assert human.startswith("digested in 0 ticks")


# -- query ---------------------------------------------------------------------------------------------
def _doc_id_of(db: Path, needle: str) -> str:
    with Colony.open(db) as colony:
        return next(d.id for d in colony.documents() if needle in d.text)


def test_query_table(cli: Invoke, db: Path) -> None:
    out = ok(cli("--db", db, "query", "how do honeybees warm the hive")).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["#", "score", "document", "title", "passage"]
    assert lines[2].split()[0] == "1"
    assert _doc_id_of(db, "Honeybees cool the hive") in lines[2]


def test_query_json(cli: Invoke, db: Path) -> None:
    hits = as_json(cli("--json", "--db", db, "query", "magma erupts from volcanoes", "-k", "2"))
    assert isinstance(hits, list) and 1 <= len(hits) <= 2
    assert hits[0]["document_id"] == _doc_id_of(db, "Magma rises")
    for h in hits:
        assert {"document_id", "passage_id", "title", "text", "start", "end", "score", "components"} <= set(h)
        assert {"lexical", "graph", "dense", "fused"} == set(h["components"])
        assert h["score"] == h["components"]["fused"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_query_k(cli: Invoke, db: Path) -> None:
    assert len(as_json(cli("--json", "--db", db, "query", "volcanoes", "-k", "1"))) == 1
    assert len(as_json(cli("--json", "--db", db, "query", "volcanoes", "-k", "3"))) == 3
    assert cli("--db", db, "query", "volcanoes", "-k", "0").exit_code == 2


def test_query_modes(cli: Invoke, db: Path) -> None:
    lexical = as_json(cli("--json", "--db", db, "query", "sourdough starter", "--mode", "lexical"))
    assert lexical and all(h["score"] == h["components"]["lexical"] for h in lexical)
    graph = as_json(cli("--json", "--db", db, "query", "sourdough starter", "--mode", "graph"))
    assert graph and all(h["score"] == h["components"]["graph"] for h in graph)
    rrf = as_json(cli("--json", "--db", db, "query", "sourdough starter", "--mode", "rrf"))
    assert rrf and all(0 < h["score"] < 1 for h in rrf)
    bad = cli("--db", db, "query", "sourdough", "--mode", "telepathy")
    assert bad.exit_code == 2 and "telepathy" in bad.stderr


def test_query_alpha(cli: Invoke, db: Path) -> None:
    def ranked_by(alpha: str, component: str) -> list[float]:
        hits = as_json(cli("--json", "--db", db, "query", "volcanoes gas ash hive", "--alpha", alpha, "-k", "6"))
        assert len(hits) > 1
        return [h["components"][component] for h in hits]

    lex = ranked_by("1.0", "lexical")  # alpha 1: lexical alone orders the results
    assert lex == sorted(lex, reverse=True)
    graph = ranked_by("0.0", "graph")  # alpha 0: the graph alone
    assert graph == sorted(graph, reverse=True)
    assert cli("--db", db, "query", "volcanoes", "--alpha", "1.5").exit_code == 2


def test_query_without_results(cli: Invoke, db: Path) -> None:
    assert ok(cli("--db", db, "query", "zzyzzx qwxvq")).stdout.strip() == "no results"
    assert as_json(cli("--json", "--db", db, "query", "zzyzzx qwxvq")) == []


# -- forget --------------------------------------------------------------------------------------------
def test_forget(cli: Invoke, db: Path) -> None:
    before_stats, before_ids = state(db)
    victim = _doc_id_of(db, "Magma rises")
    data = as_json(cli("--json", "--db", db, "forget", victim))
    assert data == {"forgotten": [victim]}
    after_stats, after_ids = state(db)
    assert after_ids == sorted(set(before_ids) - {victim})
    assert after_stats["passages"] < before_stats["passages"]
    hits = as_json(cli("--json", "--db", db, "query", "magma rises through the crust"))
    assert victim not in {h["document_id"] for h in hits}


def test_forget_unknown_id(cli: Invoke, db: Path) -> None:
    before = state(db)
    result = cli("--db", db, "forget", "doc_0000000000000000")
    assert result.exit_code == NOT_FOUND_EXIT == 4
    assert "doc_0000000000000000" in result.stderr
    assert state(db) == before


# -- stats ---------------------------------------------------------------------------------------------
STATS_KEYS = {
    "tick",
    "documents",
    "undigested_documents",
    "passages",
    "concepts",
    "edges",
    "agents",
    "births",
    "deaths",
    "insights",
    "anomalies",
    "mean_edge_weight",
    "path",
}


def test_stats_json(cli: Invoke, db: Path) -> None:
    data = as_json(cli("--json", "--db", db, "stats"))
    assert set(data) >= STATS_KEYS
    expected, _ = state(db)
    assert {k: data[k] for k in STATS_KEYS} == {k: expected[k] for k in STATS_KEYS}
    assert data["documents"] == CORPUS_DOCUMENTS
    assert set(data["agents"]) == {"digester", "synthesizer", "sentinel"}


def test_json_flag_after_the_command(cli: Invoke, db: Path) -> None:
    # README's `phago stats --json`: the flag works after a subcommand too
    assert as_json(cli("--db", db, "stats", "--json")) == as_json(cli("--json", "--db", db, "stats"))
    rows = as_json(cli("--db", db, "explore", "centrality", "-k", "2", "--json"))
    assert [set(r) for r in rows] == [{"concept", "score"}] * 2


def test_stats_table(cli: Invoke, db: Path) -> None:
    expected, _ = state(db)
    table = ok(cli("--db", db, "stats")).stdout.splitlines()
    rows = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in table[2:])
    for key in ("tick", "documents", "undigested", "passages", "concepts", "edges", "insights", "anomalies"):
        assert rows[key] == str(expected["undigested_documents" if key == "undigested" else key])
    assert rows["colony file"] == str(db)
    assert rows["agents"] == ", ".join(f"{n} {k}" for k, n in expected["agents"].items())


# -- explore -------------------------------------------------------------------------------------------
def _strong_pair(db: Path) -> tuple[str, str]:
    with Colony.open(db) as colony:
        e = max(colony.edges(), key=lambda e: (e.weight, e.source, e.target))
        return e.source, e.target


def test_explore_path(cli: Invoke, db: Path) -> None:
    a, b = _strong_pair(db)
    human = ok(cli("--db", db, "explore", "path", a, b)).stdout
    assert human.startswith(f"{a} -> ") and f" -> {b}  (" in human
    data = as_json(cli("--json", "--db", db, "explore", "path", a, b))
    assert data["concepts"][0] == a and data["concepts"][-1] == b
    assert len(data["weights"]) == len(data["concepts"]) - 1
    assert all(0 < w <= 1 for w in data["weights"])


def test_explore_path_between_unconnected_and_unknown_concepts(cli: Invoke, db: Path) -> None:
    with Colony.open(db) as colony:
        comps = colony.components(top=1)
    assert len(comps) >= 2, "the corpus should make more than one component"
    a, b = comps[0].top_concepts[0], comps[1].top_concepts[0]
    assert "not connected" in ok(cli("--db", db, "explore", "path", a, b)).stdout
    assert as_json(cli("--json", "--db", db, "explore", "path", a, b)) is None
    unknown = cli("--db", db, "explore", "path", a, "xylophonist")
    assert unknown.exit_code == NOT_FOUND_EXIT
    assert "xylophonist" in unknown.stderr


@pytest.mark.parametrize("kind", ["degree", "betweenness"])
def test_explore_centrality(cli: Invoke, db: Path, kind: str) -> None:
    rows = as_json(cli("--json", "--db", db, "explore", "centrality", "-k", "3", "--kind", kind))
    assert len(rows) == 3
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    with Colony.open(db) as colony:
        labels = {c.label for c in colony.concept_list()}
    assert {r["concept"] for r in rows} <= labels
    human = ok(cli("--db", db, "explore", "centrality", "-k", "3", "--kind", kind)).stdout
    assert human.split()[:2] == ["concept", kind]
    assert rows[0]["concept"] in human


def test_explore_bridges(cli: Invoke, db: Path) -> None:
    rows = as_json(cli("--json", "--db", db, "explore", "bridges", "-k", "4"))
    assert 1 <= len(rows) <= 4
    assert all(r["score"] > 0 for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert "bridge score" in ok(cli("--db", db, "explore", "bridges")).stdout


def test_explore_components(cli: Invoke, db: Path) -> None:
    comps = as_json(cli("--json", "--db", db, "explore", "components"))
    sizes = [c["size"] for c in comps]
    assert len(comps) >= 2
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) <= state(db)[0]["concepts"]
    assert all(1 <= len(c["top_concepts"]) <= c["size"] for c in comps)
    assert ok(cli("--db", db, "explore", "components")).stdout.split()[:3] == ["size", "top", "concepts"]


def test_explore_communities(cli: Invoke, db: Path) -> None:
    data = as_json(cli("--json", "--db", db, "explore", "communities", "--top", "3"))
    assert -0.5 <= data["modularity"] <= 1
    comms = data["communities"]
    assert comms and all(len(c["top_concepts"]) <= 3 for c in comms)
    assert sum(c["size"] for c in comms) == state(db)[0]["concepts"]
    assert ok(cli("--db", db, "explore", "communities")).stdout.startswith("modularity ")


def test_explore_document_communities(cli: Invoke, db: Path) -> None:
    data = as_json(cli("--json", "--db", db, "explore", "communities", "--documents"))
    members = [d for c in data["communities"] for d in c["documents"]]
    assert sorted(members) == state(db)[1]  # every document in exactly one community
    human = ok(cli("--db", db, "explore", "communities", "--documents")).stdout
    assert "documents" in human.splitlines()[1]


# -- export --------------------------------------------------------------------------------------------
def test_export_json_to_stdout(cli: Invoke, db: Path) -> None:
    data = as_json(cli("--db", db, "export"))  # json is the default format
    stats, ids = state(db)
    assert data["format"] == "phago-export/1"
    assert len(data["concepts"]) == stats["concepts"]
    assert len(data["edges"]) == stats["edges"]
    assert sorted(d["id"] for d in data["documents"]) == ids


def test_export_json_to_file(cli: Invoke, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    result = ok(cli("--db", db, "export", "--format", "json", "-o", out))
    assert result.stdout == ""
    assert str(out) in result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["stats"]["edges"] == state(db)[0]["edges"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("graph")] == ["graph.json"]  # no .tmp left


def test_export_graphml(cli: Invoke, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.graphml"
    ok(cli("--db", db, "export", "--format", "graphml", "--output", out))
    g = nx.read_graphml(out)
    stats, _ = state(db)
    assert g.number_of_nodes() == stats["concepts"]
    assert g.number_of_edges() == stats["edges"]
    stdout = ok(cli("--db", db, "export", "--format", "graphml")).stdout
    assert stdout == out.read_text(encoding="utf-8")


def test_export_triples(cli: Invoke, db: Path) -> None:
    lines = ok(cli("--db", db, "export", "--format", "triples")).stdout.splitlines()
    assert len(lines) == state(db)[0]["edges"] > 0
    for line in lines:
        t = json.loads(line)
        assert {"subject", "predicate", "object", "weight"} <= set(t)
        assert isinstance(t["subject"], str) and isinstance(t["object"], str)
        assert 0 < t["weight"] <= 1


def test_export_unknown_format(cli: Invoke, db: Path, tmp_path: Path) -> None:
    result = cli("--db", db, "export", "--format", "csv", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "x.csv").exists()


# -- demo ----------------------------------------------------------------------------------------------
def test_demo(cli: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    out = ok(cli("--db", db, "demo", "--ticks", "5")).stdout
    _, queries = demo_corpus()
    assert "ingested 12 sample documents" in out
    for q in queries:
        assert f"Q: {q}" in out
    assert state(db)[0]["documents"] == 12
    assert not (tmp_path / "phago-demo.db").exists()


def test_demo_json(cli: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    data = as_json(cli("--json", "--db", db, "demo", "--ticks", "5"))
    _, queries = demo_corpus()
    assert data["db"] == str(db)
    assert data["stats"]["documents"] == 12
    assert data["stats"]["undigested_documents"] == 0
    assert [a[0] for a in data["answers"]] == queries
    assert all(a[1] and a[1][0]["document_id"].startswith("doc_") for a in data["answers"])


# -- read commands without a colony file ---------------------------------------------------------------
READ_COMMANDS = [
    ["run", "--ticks", "1"],
    ["digest"],
    ["query", "bees"],
    ["forget", "doc_0000000000000000"],
    ["stats"],
    ["explore", "path", "bees", "hive"],
    ["explore", "centrality"],
    ["explore", "bridges"],
    ["explore", "components"],
    ["explore", "communities"],
    ["explore", "communities", "--documents"],
    ["export", "--format", "json"],
    ["export", "--format", "graphml", "-o", "out.graphml"],
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_read_command_on_missing_colony(cli: Invoke, tmp_path: Path, args: list[str]) -> None:
    result = cli("--db", tmp_path / "absent.db", *args)
    assert result.exit_code != 0
    assert "absent.db" in result.stderr
    assert no_colony_files(tmp_path, "absent.db")
    assert not (tmp_path / "out.graphml").exists()


def test_read_command_on_missing_default_colony(cli: Invoke, tmp_path: Path) -> None:
    result = cli("stats")
    assert result.exit_code != 0
    assert "phago.db" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- configuration errors ------------------------------------------------------------------------------
def test_bad_config_value_exits_3_naming_the_key(cli: Invoke, db: Path, tmp_path: Path) -> None:
    (tmp_path / "phago.toml").write_text("[wiring]\nwindow = 0\n", encoding="utf-8")
    result = cli("--db", db, "stats")
    assert result.exit_code == CONFIG_EXIT == 3
    assert "wiring.window" in result.stderr
    assert "phago.toml" in result.stderr
    assert result.stdout == ""


def test_bad_config_value_message_gives_the_allowed_range(cli: Invoke, db: Path, tmp_path: Path) -> None:
    # wiring.window is allowed from 1 to 64 (docs/configuration.md: ">= 1, <= 64"); the message should say so
    (tmp_path / "phago.toml").write_text("[wiring]\nwindow = 0\n", encoding="utf-8")
    err = cli("--db", db, "stats").stderr
    message = err.split("phago.toml", 1)[-1]  # the temporary path may hold digits
    assert re.search(r"\b1\b", message) and re.search(r"\b64\b", message), err


def test_bad_config_found_in_a_parent_folder(cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "phago.toml").write_text("[wiring]\nwindow = 0\n", encoding="utf-8")
    child = tmp_path / "a" / "b"
    child.mkdir(parents=True)
    monkeypatch.chdir(child)
    (child / "note.txt").write_text(BEES, encoding="utf-8")
    result = cli("ingest", "note.txt")
    assert result.exit_code == CONFIG_EXIT
    assert "wiring.window" in result.stderr
    assert no_colony_files(child, "phago.db")


def test_bad_config_ingests_nothing(cli: Invoke, tmp_path: Path) -> None:
    conf = tmp_path / "conf.toml"
    conf.write_text("[wiring]\nwindow = 0\n", encoding="utf-8")
    (tmp_path / "note.txt").write_text(BEES, encoding="utf-8")
    result = cli("--config", conf, "--db", tmp_path / "new.db", "ingest", "note.txt")
    assert result.exit_code == CONFIG_EXIT
    assert no_colony_files(tmp_path, "new.db")


def test_unknown_config_key_lists_the_known_keys(cli: Invoke, db: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf.toml"
    conf.write_text("[wiring]\nwindw = 5\n", encoding="utf-8")
    result = cli("--config", conf, "--db", db, "stats")
    assert result.exit_code == CONFIG_EXIT
    assert "wiring.windw" in result.stderr
    assert "window" in result.stderr and "decay_rate" in result.stderr


def test_bad_config_from_the_environment(cli: Invoke, db: Path) -> None:
    result = cli("--db", db, "stats", env={"PHAGO_WIRING__WINDOW": "zero"})
    assert result.exit_code == CONFIG_EXIT
    assert "wiring.window" in result.stderr and "zero" in result.stderr


def test_malformed_or_missing_config_file(cli: Invoke, db: Path, tmp_path: Path) -> None:
    conf = tmp_path / "broken.toml"
    conf.write_text("[wiring\nwindow = 4\n", encoding="utf-8")
    result = cli("--config", conf, "--db", db, "stats")
    assert result.exit_code == CONFIG_EXIT
    assert "broken.toml" in result.stderr
    missing = cli("--config", tmp_path / "nope.toml", "--db", db, "stats")
    assert missing.exit_code == CONFIG_EXIT
    assert "nope.toml" in missing.stderr


def test_valid_config_is_used(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "phago.toml").write_text('[storage]\npath = "from-config.db"\n', encoding="utf-8")
    (tmp_path / "note.txt").write_text(BEES, encoding="utf-8")
    ok(cli("ingest", "note.txt"))
    assert (tmp_path / "from-config.db").is_file()
    assert not (tmp_path / "phago.db").exists()


def test_exit_codes_table() -> None:
    assert exit_code(ConfigError) == 3
    assert exit_code(NotFound) == 4
    assert exit_code(InputError) == 5
    assert len({code for _, code in EXIT_CODES}) == len(EXIT_CODES)
    assert 0 not in {code for _, code in EXIT_CODES} and 2 not in {code for _, code in EXIT_CODES}


# -- real processes ------------------------------------------------------------------------------------
def _phago(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "phago", *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_real_process(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Crème brûlée".encode("latin-1"))
    failed = _phago(["--db", "e2e.db", "ingest", "latin1.txt"], tmp_path)
    assert failed.returncode == INPUT_EXIT
    assert "latin1.txt" in failed.stderr and "UTF-8" in failed.stderr
    assert failed.stdout == ""
    assert no_colony_files(tmp_path, "e2e.db")

    write_corpus(tmp_path / "corpus")
    ingest = _phago(["--json", "--db", "e2e.db", "ingest", "--digest", "corpus"], tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["documents"] == CORPUS_DOCUMENTS
    stats, ids = state(tmp_path / "e2e.db")
    assert len(ids) == CORPUS_DOCUMENTS and stats["undigested_documents"] == 0
