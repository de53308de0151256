"""``phago bench`` through click's CliRunner, on tiny data sets written to ``tmp_path``.

The figures are checked for shape and range (and, where the data make the answer obvious, for quality);
the timings themselves are machine-dependent and only checked to be positive and ordered.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import strict_mode
from phago.cli import EXIT_CODES, main
from phago.errors import InputError

TOPICS = {
    "volcano": [
        "magma",
        "lava",
        "eruption",
        "crater",
        "basalt",
        "ash",
        "caldera",
        "tephra",
        "vent",
        "pumice",
        "obsidian",
        "fissure",
        "pyroclastic",
        "summit",
        "crust",
        "plume",
    ],
    "bees": [
        "honeybee",
        "hive",
        "nectar",
        "pollen",
        "queen",
        "worker",
        "drone",
        "comb",
        "swarm",
        "forager",
        "wax",
        "brood",
        "larvae",
        "apiary",
        "beekeeper",
        "propolis",
    ],
    "bread": [
        "flour",
        "yeast",
        "dough",
        "sourdough",
        "starter",
        "crumb",
        "knead",
        "oven",
        "gluten",
        "loaf",
        "proof",
        "rye",
        "baker",
        "crust",
        "ferment",
        "levain",
    ],
}
GLUE = ["the", "and", "of", "with", "in", "a", "is"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No phago.toml or PHAGO_* variable from outside; benchmark scratch files under tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PHAGO_"):
            monkeypatch.delenv(name)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))


@pytest.fixture
def cli() -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(main, [str(a) for a in args], env={}, catch_exceptions=False)

    return invoke


def figures(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    for key, value in data.items():  # a flat object of named figures
        assert isinstance(key, str)
        assert isinstance(value, int | float | str) and not isinstance(value, bool), (key, value)
        if isinstance(value, float):
            assert math.isfinite(value), (key, value)
    return data


def sentences(vocab: Sequence[str], rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        words = [rng.choice(vocab) if rng.random() < 0.75 else rng.choice(GLUE) for _ in range(10)]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


# -- BEIR --------------------------------------------------------------------------------------------------


def write_beir(
    root: Path,
    *,
    per_topic: int = 10,
    extra_docs: Sequence[dict[str, str]] = (),
    extra_qrels: Sequence[tuple[str, str, int]] = (),
) -> Path:
    """corpus.jsonl (3 topics × ``per_topic`` documents), queries.jsonl (2 per topic, one unjudged query)
    and qrels/test.tsv with its header: each query's relevant documents are its topic's."""
    rng = random.Random(4)
    corpus, queries, qrels = [], [], []
    for t, (topic, vocab) in enumerate(TOPICS.items()):
        for i in range(per_topic):
            corpus.append(
                {"_id": f"{topic}-{i}", "title": f"{topic.title()} note {i}", "text": sentences(vocab, rng, 4)}
            )
        for j in range(2):
            qid = f"q{t}{j}"
            queries.append({"_id": qid, "text": " ".join(rng.sample(vocab, 3))})
            qrels += [(qid, f"{topic}-{i}", 1) for i in range(per_topic)]
        qrels.append((f"q{t}0", f"{list(TOPICS)[(t + 1) % 3]}-0", 0))  # judged non-relevant
    queries.append({"_id": "unjudged", "text": "nothing judged here"})
    corpus += list(extra_docs)
    qrels += list(extra_qrels)
    root.mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n", encoding="utf-8")
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n", encoding="utf-8")
    (root / "qrels").mkdir(exist_ok=True)
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in qrels]
    (root / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


BEIR_MODES = ("lexical", "lexical+graph", "rrf", "graph", "default")


def check_beir_figures(data: dict[str, Any], *, with_bm25s: bool) -> None:
    assert data["documents"] == 30
    assert data["queries"] == 6  # judged queries only
    modes = BEIR_MODES + (("bm25s",) if with_bm25s else ())
    for mode in modes:
        for metric in ("ndcg@10", "recall@100"):
            assert 0.0 <= data[f"{metric}.{mode}"] <= 1.0, (metric, mode)
    # the topics share no content word: lexical retrieval (ours and bm25s) is perfect
    for mode in ("lexical", "lexical+graph", "default") + (("bm25s",) if with_bm25s else ()):
        assert data[f"ndcg@10.{mode}"] == pytest.approx(1.0), mode
        assert data[f"recall@100.{mode}"] == pytest.approx(1.0), mode
    assert 0 < data["query_ms.p50"] <= data["query_ms.p99"] < 60_000
    assert 0 < data["query_ms.p50.lexical"] <= data["query_ms.p99.lexical"] < 60_000
    assert data["ingest_docs_per_s"] > 0
    assert 1 < data["peak_rss_mb"] < 1_000_000
    assert data["concepts"] > 0 and data["edges"] > 0
    assert any(k.endswith(".bm25s") for k in data) == with_bm25s
    if with_bm25s:
        assert data["ingest_docs_per_s.bm25s"] > 0
        assert 0 < data["query_ms.p50.bm25s"] <= data["query_ms.p99.bm25s"]


def test_bench_beir_reports_every_figure(cli: Callable[..., Result], tmp_path: Path) -> None:
    strict_mode.require_module("bm25s", "bm25s comes with the bench extra: pip install 'phago[bench]'")
    data = figures(cli("--json", "bench", "beir", "--data", write_beir(tmp_path / "beir")))
    check_beir_figures(data, with_bm25s=True)


def test_bench_beir_without_bm25s(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = figures(cli("--json", "bench", "beir", "--data", write_beir(tmp_path / "beir"), "--no-bm25s"))
    check_beir_figures(data, with_bm25s=False)


def test_bench_beir_human_output_is_a_table(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("bench", "beir", "--data", write_beir(tmp_path / "beir"), "--no-bm25s")
    assert result.exit_code == 0, result.stderr
    assert "ndcg@10.lexical" in result.stdout and "peak_rss_mb" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


@pytest.mark.parametrize("missing", ["qrels/test.tsv", "corpus.jsonl", "queries.jsonl"])
def test_bench_beir_names_a_missing_file(cli: Callable[..., Result], tmp_path: Path, missing: str) -> None:
    data = write_beir(tmp_path / "beir")
    (data / missing).unlink()
    result = cli("--json", "bench", "beir", "--data", data, "--no-bm25s")
    assert result.exit_code == next(code for cls, code in EXIT_CODES if issubclass(InputError, cls)) != 0
    assert missing in result.stderr
    assert result.stdout == ""


def test_bench_beir_accepts_a_title_only_document(cli: Callable[..., Result], tmp_path: Path) -> None:
    # BEIR corpora (TREC-COVID, for one) hold documents whose text is empty and whose title is not
    data = write_beir(tmp_path / "beir", extra_docs=[{"_id": "t-only", "title": "Glacier moraine", "text": ""}])
    out = figures(cli("--json", "bench", "beir", "--data", data, "--no-bm25s"))
    assert out["documents"] == 31
    assert out["ndcg@10.lexical"] == pytest.approx(1.0)


def test_bench_beir_keeps_documents_with_the_same_text_apart(cli: Callable[..., Result], tmp_path: Path) -> None:
    twin = {"_id": "twin", "title": "Another title", "text": "Pumice obsidian fissure vent pumice caldera."}
    data = write_beir(
        tmp_path / "beir",
        extra_docs=[{**twin, "_id": "twin-a"}, {**twin, "_id": "twin-b"}],
        extra_qrels=[("q00", "twin-a", 1), ("q00", "twin-b", 1)],
    )
    out = figures(cli("--json", "bench", "beir", "--data", data, "--no-bm25s"))
    assert out["recall@100.lexical"] == pytest.approx(1.0)


# -- phago-corpus ------------------------------------------------------------------------------------------


def write_phago_corpus(root: Path, per_topic: int = 4) -> Path:
    """docs/<topic>_NN.txt and queries.json (query + relevant concept labels), as the original corpus."""
    rng = random.Random(9)
    (root / "docs").mkdir(parents=True)
    for topic, vocab in TOPICS.items():
        for i in range(1, per_topic + 1):
            paragraphs = [sentences(vocab, rng, 5) for _ in range(2)]
            (root / "docs" / f"{topic}_{i:02d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    queries = [
        {"query": "magma lava eruption", "relevant": ["magma", "lava", "eruption", "crater", "basalt"]},
        {"query": "hive nectar", "relevant": ["hive", "nectar", "honeybee", "pollen", "comb", "queen"]},
        {"query": "sourdough starter yeast", "relevant": ["sourdough", "starter", "yeast", "dough", "flour"]},
    ]
    (root / "queries.json").write_text(json.dumps(queries, indent=1), encoding="utf-8")
    return root


def test_bench_phago_corpus_reports_every_figure(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = figures(cli("--json", "bench", "phago-corpus", "--data", write_phago_corpus(tmp_path / "pc")))
    assert data["documents"] == 12
    assert data["queries"] == 3
    for system in ("phago", "tfidf"):
        for metric in ("p@5", "p@5_standard", "mrr", "ndcg@10"):
            assert 0.0 <= data[f"{metric}.{system}"] <= 1.0, (metric, system)
        # at least 5 labels come back for every query, so both P@5 variants agree
        assert data[f"p@5.{system}"] == pytest.approx(data[f"p@5_standard.{system}"])
        # the query's own words are relevant labels: the first label is relevant
        assert data[f"mrr.{system}"] == pytest.approx(1.0)
        assert data[f"ndcg@10.{system}"] > 0.5
    assert 0.9 <= data["nmi.documents"] <= 1.0  # the three topics share no content word
    assert data["communities.documents"] == 3
    assert data["concepts"] > 0 and data["edges"] > 0


def test_bench_phago_corpus_rejects_another_layout(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "pc").mkdir()
    result = cli("--json", "bench", "phago-corpus", "--data", tmp_path / "pc")
    assert result.exit_code != 0
    assert "queries.json" in result.stderr


# -- louvain -----------------------------------------------------------------------------------------------


def test_bench_louvain_recovers_planted_blocks(cli: Callable[..., Result]) -> None:
    # --size 25 at the default p_in (0.1) gives blocks of mean inner degree 2.4, too sparse to be found
    # reliably; a denser planted partition must be recovered almost exactly
    args = ("--blocks", "4", "--size", "25", "--repeat", "2", "--p-in", "0.3", "--p-out", "0.01")
    data = figures(cli("--json", "bench", "louvain", *args))
    assert data["nodes"] == 100 and data["blocks"] == 4
    assert data["edges"] > 0
    assert data["nmi.median"] >= 0.9
    assert 0.3 < data["modularity.median"] < 1.0
    assert 0 < data["louvain_ms.min"] <= data["louvain_ms.median"]
    again = figures(cli("--json", "bench", "louvain", *args))  # seeded: the same figures
    assert (again["nmi.median"], again["modularity.median"], again["edges"]) == (
        data["nmi.median"],
        data["modularity.median"],
        data["edges"],
    )


def test_bench_louvain_default_probabilities(cli: Callable[..., Result]) -> None:
    data = figures(cli("--json", "bench", "louvain", "--blocks", "4", "--size", "25", "--repeat", "2"))
    assert 0.0 <= data["nmi.median"] <= 1.0
    assert data["nodes"] == 100


@pytest.mark.parametrize("args", [("--blocks", "1"), ("--size", "1"), ("--p-in", "1.5"), ("--repeat", "0")])
def test_bench_louvain_rejects_invalid_options(cli: Callable[..., Result], args: tuple[str, str]) -> None:
    result = cli("--json", "bench", "louvain", *args)
    assert result.exit_code == 2
    assert args[0] in result.stderr
