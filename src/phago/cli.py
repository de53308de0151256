"""The ``phago`` command line: thin wrappers over :class:`phago.Colony`.

Human tables by default, ``--json`` for machines. Errors are translated to exit codes in one table
(:data:`EXIT_CODES`); the message goes to stderr and names what was wrong.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import click

from phago._version import __version__
from phago.config import CONFIG_FILENAME, Settings, default_config_text, load_settings
from phago.errors import (
    ConfigError,
    InputError,
    MissingExtra,
    NotFound,
    PhagoError,
    StorageError,
)

# One table: error class -> exit code (first match wins; order from specific to general).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, 3),
    (NotFound, 4),
    (InputError, 5),
    (StorageError, 6),
    (MissingExtra, 7),
    (PhagoError, 1),
)


@dataclass
class CliState:
    """What the top-level options give every command (``ctx.obj``)."""

    config_file: Path | None
    db_option: Path | None
    json: bool
    embeddings: bool = False
    _settings: Settings | None = None

    def embedder(self) -> Any:
        """The MiniLM embedder when ``--embeddings`` was given (extra ``embeddings``), else ``None``."""
        if not self.embeddings:
            return None
        from phago.retrieval.dense import default_embedder

        return default_embedder()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file, cwd=Path.cwd(), env=os.environ)
        return self._settings

    @property
    def db(self) -> Path:
        return self.db_option if self.db_option is not None else Path(self.settings.storage.path)


class PhagoGroup(click.Group):
    """Translates Phago errors into a one-line message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PhagoError as exc:
            code = next(c for cls, c in EXIT_CODES if isinstance(exc, cls))
            click.echo(f"error: {exc}", err=True)
            ctx.exit(code)


@click.group(cls=PhagoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), help="Colony file (default: storage.path)."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Configuration file (default: the nearest {CONFIG_FILENAME} here or above).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.option("--embeddings", is_flag=True,
              help="Attach the MiniLM embedder for dense retrieval (pip install 'phago[embeddings]').")
@click.version_option(__version__, prog_name="phago")
@click.pass_context
def main(ctx: click.Context, db: Path | None, config_file: Path | None, as_json: bool, embeddings: bool) -> None:
    """Phago: a self-organising memory for AI agents."""
    ctx.obj = CliState(config_file, db, as_json, embeddings)


def _state(ctx: click.Context) -> CliState:
    obj = ctx.find_object(CliState)
    assert obj is not None
    return obj


def _open(ctx: click.Context, *, must_exist: bool) -> Any:
    from phago.facade import Colony

    st = _state(ctx)
    settings = st.settings
    if must_exist and not st.db.exists():
        raise InputError(f"no colony at {st.db}; create one with `phago ingest PATH` (or pass --db)")
    return Colony.open(st.db, settings, embedder=st.embedder())


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _emit(ctx: click.Context, data: Any, human: Callable[[], None]) -> None:
    if _state(ctx).json:
        click.echo(json.dumps(_jsonable(data), indent=1, default=str))
    else:
        human()


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _snippet(text: str, width: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 3] + "..."


# -- commands ------------------------------------------------------------------------------------------
@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_FILENAME)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, path: Path, force: bool) -> None:
    """Write a commented default configuration file (phago.toml)."""
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")
    path.write_text(default_config_text(), encoding="utf-8")
    _emit(ctx, {"written": str(path)}, lambda: click.echo(f"wrote {path}"))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--digest", "digest_now", is_flag=True, help="Digest the new documents into the graph at once.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], digest_now: bool) -> None:
    """Ingest files and directories (recursive): .txt .md .json .jsonl .html.

    Every file is read and checked first; if any is unusable nothing is written.
    """
    from phago.sources import load_files

    st = _state(ctx)
    bar: Any = None

    def progress(total: int, path: Path) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="reading", file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(1)

    try:
        docs = load_files(list(paths), max_bytes=st.settings.ingest.max_file_bytes, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    files = sorted({d.source for d in docs})
    with _open(ctx, must_exist=False) as colony:
        before = len(colony.documents())
        ids = colony.ingest_many(docs)
        new = len(colony.documents()) - before
        report = colony.digest() if digest_now else None
    data = {"files": len(files), "documents": len(ids), "new": new, "duplicates": len(ids) - new, "ids": ids}
    if report is not None:
        data["ticks"] = report.ticks
    _emit(
        ctx,
        data,
        lambda: click.echo(
            f"ingested {len(ids)} documents from {len(files)} files ({new} new, {len(ids) - new} already known)"
            + (f"; digested in {report.ticks} ticks" if report is not None else "")
        ),
    )


@main.command()
@click.option("--ticks", type=click.IntRange(min=0), default=50, show_default=True, help="Ticks to run.")
@click.pass_context
def run(ctx: click.Context, ticks: int) -> None:
    """Advance the colony: agents digest, wire, decay and evolve."""
    with _open(ctx, must_exist=True) as colony:
        report = colony.run(ticks)
        tick = colony.tick
    _emit(
        ctx,
        {**asdict(report), "tick": tick},
        lambda: click.echo(
            f"ran {report.ticks} ticks (now at tick {tick}): {report.passages_digested} passages digested, "
            f"{report.concepts_formed} concepts and {report.edges_formed} edges formed, "
            f"{report.edges_pruned} pruned; {report.undigested_documents} documents left to digest"
        ),
    )


@main.command()
@click.option("--max-ticks", type=click.IntRange(min=1), default=None, help="Stop after this many ticks.")
@click.pass_context
def digest(ctx: click.Context, max_ticks: int | None) -> None:
    """Run until every document is digested."""
    with _open(ctx, must_exist=True) as colony:
        report = colony.digest(max_ticks)
    _emit(
        ctx,
        asdict(report),
        lambda: click.echo(
            f"digested in {report.ticks} ticks: {report.passages_digested} passages, "
            f"{report.concepts_formed} concepts, {report.edges_formed} edges"
        ),
    )


@main.command()
@click.argument("text")
@click.option("-k", type=click.IntRange(min=1), default=None, help="Results (default: query.k).")
@click.option("--alpha", type=click.FloatRange(0.0, 1.0), default=None, help="Weight of lexical vs graph.")
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "graph", "dense", "rrf"]), default=None)
@click.pass_context
def query(ctx: click.Context, text: str, k: int | None, alpha: float | None, mode: str | None) -> None:
    """Find the passages that best answer TEXT."""
    with _open(ctx, must_exist=True) as colony:
        hits = colony.query(text, k, alpha=alpha, mode=mode)
    _emit(
        ctx,
        hits,
        lambda: (
            _table(
                ["#", "score", "document", "title", "passage"],
                [
                    (i + 1, f"{h.score:.3f}", h.document_id, _snippet(h.title, 30), _snippet(h.text, 60))
                    for i, h in enumerate(hits)
                ],
            )
            if hits
            else click.echo("no results")
        ),
    )


@main.command()
@click.argument("document_ids", nargs=-1, required=True)
@click.pass_context
def forget(ctx: click.Context, document_ids: tuple[str, ...]) -> None:
    """Forget documents and exactly what they contributed."""
    with _open(ctx, must_exist=True) as colony:
        colony.forget_many(document_ids)  # all or nothing: an unknown id forgets none
    _emit(ctx, {"forgotten": list(document_ids)}, lambda: click.echo(f"forgot {len(document_ids)} documents"))


@main.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Counts: documents, passages, concepts, edges, agents, tick."""
    with _open(ctx, must_exist=True) as colony:
        s = colony.stats()

    def human() -> None:
        rows: list[tuple[str, object]] = [
            ("colony file", s.path),
            ("tick", s.tick),
            ("documents", s.documents),
            ("undigested", s.undigested_documents),
            ("passages", s.passages),
            ("concepts", s.concepts),
            ("edges", s.edges),
            ("mean edge weight", f"{s.mean_edge_weight:.3f}"),
            ("agents", ", ".join(f"{n} {k}" for k, n in s.agents.items())),
            ("births", s.births),
            ("deaths", ", ".join(f"{n} {k}" for k, n in s.deaths.items()) or "0"),
            ("insights", s.insights),
            ("anomalies", s.anomalies),
        ]
        _table(["", "value"], rows)

    _emit(ctx, s, human)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "graphml", "triples"]), default="json", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the graph: json (everything), graphml, or triples (JSONL with weights)."""
    with _open(ctx, must_exist=True) as colony:
        if output is None:
            colony.export(fmt, sys.stdout)
            return
        tmp = output.with_name(output.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            colony.export(fmt, fh)
        tmp.replace(output)  # never leave a half-written export behind
    click.echo(f"wrote {output}", err=True)


# -- explore -------------------------------------------------------------------------------------------
@main.group()
def explore() -> None:
    """Structural queries: path, centrality, bridges, components, communities."""


@explore.command("path")
@click.argument("source")
@click.argument("target")
@click.pass_context
def explore_path(ctx: click.Context, source: str, target: str) -> None:
    """The strongest path between two concepts."""
    with _open(ctx, must_exist=True) as colony:
        p = colony.path(source, target)
    if p is None:
        _emit(ctx, None, lambda: click.echo(f"{source!r} and {target!r} are not connected"))
        return
    _emit(
        ctx,
        p,
        lambda: click.echo(" -> ".join(p.concepts) + "  (" + ", ".join(f"{w:.3f}" for w in p.weights) + ")"),
    )


@explore.command("centrality")
@click.option("-k", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--kind", type=click.Choice(["degree", "betweenness"]), default="degree", show_default=True)
@click.pass_context
def explore_centrality(ctx: click.Context, k: int, kind: str) -> None:
    """Most central concepts (weighted degree, or sampled betweenness)."""
    with _open(ctx, must_exist=True) as colony:
        rows = colony.centrality(k, kind)
    _emit(
        ctx,
        [{"concept": c, "score": s} for c, s in rows],
        lambda: _table(["concept", kind], [(c, f"{s:.4f}") for c, s in rows]),
    )


@explore.command("bridges")
@click.option("-k", type=click.IntRange(min=1), default=10, show_default=True)
@click.pass_context
def explore_bridges(ctx: click.Context, k: int) -> None:
    """Concepts that connect clusters."""
    with _open(ctx, must_exist=True) as colony:
        rows = colony.bridges(k)
    _emit(
        ctx,
        [{"concept": c, "score": s} for c, s in rows],
        lambda: _table(["concept", "bridge score"], [(c, f"{s:.4f}") for c, s in rows]),
    )


@explore.command("components")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True)
@click.pass_context
def explore_components(ctx: click.Context, top: int) -> None:
    """Connected components, largest first."""
    with _open(ctx, must_exist=True) as colony:
        comps = colony.components(top)
    _emit(
        ctx,
        comps,
        lambda: _table(["size", "top concepts"], [(c.size, ", ".join(c.top_concepts)) for c in comps[:20]]),
    )


@explore.command("communities")
@click.option("--top", type=click.IntRange(min=1), default=8, show_default=True, help="Labels per community.")
@click.option(
    "--documents", "of_documents", is_flag=True, help="Communities of documents instead of concepts."
)
@click.pass_context
def explore_communities(ctx: click.Context, top: int, of_documents: bool) -> None:
    """Communities (Louvain) of concepts, or of documents, with modularity."""
    with _open(ctx, must_exist=True) as colony:
        if of_documents:
            part = colony.document_communities()
            titles = {d.id: d.title for d in colony.documents()}
            groups: dict[int, list[str]] = {}
            for doc_id, c in sorted(part.membership.items()):
                groups.setdefault(c, []).append(doc_id)
            data: Any = {
                "modularity": part.modularity,
                "communities": [{"id": c, "documents": groups[c]} for c in sorted(groups)],
            }
            rows = [
                (c, len(groups[c]), ", ".join(_snippet(titles[d], 24) for d in groups[c][:3]))
                for c in sorted(groups)
            ]
            headers = ["id", "documents", "examples"]
        else:
            comms = colony.communities(top)
            q = colony.modularity()
            data = {"modularity": q, "communities": _jsonable(comms)}
            rows = [(c.id, c.size, ", ".join(c.top_concepts)) for c in comms[:30]]
            headers = ["id", "size", "top concepts"]
    def human() -> None:
        click.echo(f"modularity {data['modularity']:.3f}")
        _table(headers, rows)

    _emit(ctx, data, human)


# -- demo ----------------------------------------------------------------------------------------------
@main.command()
@click.option(
    "--ticks",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Extra ticks to run after digestion (lets the colony mature).",
)
@click.pass_context
def demo(ctx: click.Context, ticks: int) -> None:
    """Ingest the bundled sample corpus, run the colony, show stats and answer a few queries.

    Writes to --db (default phago-demo.db in the current folder).
    """
    from phago.demo import run_demo

    st = _state(ctx)
    db = st.db_option if st.db_option is not None else Path("phago-demo.db")
    result = run_demo(db, st.settings, ticks=ticks, echo=None if st.json else click.echo)
    if st.json:
        click.echo(json.dumps(_jsonable(result), indent=1, default=str))


# -- bench ---------------------------------------------------------------------------------------------
@main.group()
def bench() -> None:
    """Benchmarks (quality, speed, memory); `--json` gives a flat object of named figures."""


def _print_figures(ctx: click.Context, figures: dict[str, Any]) -> None:
    _emit(ctx, figures, lambda: _table(
        ["figure", "value"], [(k, f"{v:.4f}" if isinstance(v, float) else v) for k, v in figures.items()]
    ))


@bench.command("beir")
@click.option("--data", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="A BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")
@click.option("--no-bm25s", is_flag=True, help="Skip the bm25s reference run.")
@click.pass_context
def bench_beir(ctx: click.Context, data: Path, no_bm25s: bool) -> None:
    """nDCG@10 / Recall@100 per mode, ingest docs/s, query latency, peak RSS; bm25s beside.

    With the global --embeddings flag the dense and lexical+graph+dense figures are added."""
    from phago.benchmarks import beir

    st = _state(ctx)
    _print_figures(ctx, beir.run(data, st.settings, with_bm25s=not no_bm25s, embedder=st.embedder()))


@bench.command("phago-corpus")
@click.option("--data", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="The phago-corpus folder: docs/*.txt and queries.json.")
@click.pass_context
def bench_corpus(ctx: click.Context, data: Path) -> None:
    """The original protocol: concept-label P@5 / MRR / NDCG@10 beside TF-IDF; document-community NMI."""
    from phago.benchmarks import corpus

    _print_figures(ctx, corpus.run(data, _state(ctx).settings))


@bench.command("louvain")
@click.option("--blocks", type=click.IntRange(min=2), default=10, show_default=True)
@click.option("--size", type=click.IntRange(min=2), default=100, show_default=True)
@click.option("--p-in", type=click.FloatRange(0, 1), default=0.1, show_default=True)
@click.option("--p-out", type=click.FloatRange(0, 1), default=0.005, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=7, show_default=True)
@click.pass_context
def bench_louvain(ctx: click.Context, blocks: int, size: int, p_in: float, p_out: float, repeat: int) -> None:
    """Community detection on a planted-partition graph: NMI, modularity, time."""
    from phago.benchmarks import louvain

    _print_figures(ctx, louvain.run(blocks, size, p_in, p_out, repeat))


def _register_extras() -> None:
    """Commands of optional extras; their heavy imports happen only when they run."""
    for module, names in (("phago.server.command", ("serve", "keys")), ("phago.mcp.command", ("mcp",))):
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:  # the extra's package is not part of this installation
            continue
        mod = importlib.import_module(module)
        for name in names:
            cmd = getattr(mod, name, None)
            if isinstance(cmd, click.Command):
                main.add_command(cmd, name)


def _json_everywhere(group: click.Group) -> None:
    """Accept ``--json`` after any subcommand too (``phago stats --json``), not only before it."""

    def set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            state = ctx.find_object(CliState)
            if state is not None:
                state.json = True

    for cmd in group.commands.values():
        if isinstance(cmd, click.Group):
            _json_everywhere(cmd)
        elif not any(getattr(p, "name", None) == "json_flag" for p in cmd.params):
            cmd.params.append(click.Option(["--json", "json_flag"], is_flag=True, expose_value=False,
                                           callback=set_json, is_eager=True, help="Machine-readable JSON output."))


_register_extras()
_json_everywhere(main)
