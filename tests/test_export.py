"""``Colony.export``: json (everything), graphml and triples, each checked against the colony it came from."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import networkx as nx
import pytest

from phago import Colony, InputError, Settings

UNICODE_DOC = (
    "Zürich bakers knead naïve dough. Zürich bakers bake crème loaves. Naïve dough rises slowly in Zürich bakeries."
)


@pytest.fixture(scope="module")
def colony(corpus: Callable[..., list[str]], eventful: Callable[..., Settings]) -> Iterator[Colony]:
    with Colony(settings=eventful()) as c:
        for i, text in enumerate(corpus(24)):
            c.ingest(text, title=f"Doc <{i}> & co", metadata={"n": i})
        c.ingest(UNICODE_DOC, title="Zürich")
        c.digest()
        c.run(10)
        assert c.stats().edges > 0 and c.insights()
        yield c


def export_text(colony: Colony, fmt: str) -> str:
    buf = io.StringIO()
    colony.export(fmt, buf)
    return buf.getvalue()


# -- json ----------------------------------------------------------------------------------------------
def test_json_holds_every_concept_and_edge(colony: Colony) -> None:
    data = json.loads(export_text(colony, "json"))
    assert data["format"] == "phago-export/1"
    concepts = {c.label: c for c in colony.concept_list()}
    assert sorted(c["label"] for c in data["concepts"]) == sorted(concepts)
    for c in data["concepts"]:
        assert {k: v for k, v in c.items() if k != "community"} == dataclasses.asdict(concepts[c["label"]])
    assert data["edges"] == [dataclasses.asdict(e) for e in colony.edges()]


def test_json_holds_stats_documents_communities_and_insights(colony: Colony) -> None:
    data = json.loads(export_text(colony, "json"))
    assert data["stats"] == json.loads(json.dumps(dataclasses.asdict(colony.stats())))
    membership = colony.concept_communities()
    labels = [c.label for c in colony.concept_list()]
    assert {c["label"]: c["community"] for c in data["concepts"]} == {lab: membership.get(lab) for lab in labels}
    assert sum(c["size"] for c in data["communities"]) == len(membership)
    docs = {d.id: d for d in colony.documents()}
    assert sorted(d["id"] for d in data["documents"]) == sorted(docs)
    for d in data["documents"]:
        assert d["title"] == docs[d["id"]].title
        assert [p["id"] for p in d["passages"]] == [p.id for p in colony.passages(d["id"])]
    assert len(data["insights"]) == len(colony.insights())
    assert len(data["anomalies"]) == len(colony.anomalies())


# -- graphml -------------------------------------------------------------------------------------------
def test_graphml_round_trips_through_networkx(colony: Colony, tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    with path.open("w", encoding="utf-8") as fh:
        colony.export("graphml", fh)
    g = nx.read_graphml(path)
    stats = colony.stats()
    assert g.number_of_nodes() == stats.concepts
    assert g.number_of_edges() == stats.edges
    assert not g.is_directed()

    label = {n: attrs["label"] for n, attrs in g.nodes(data=True)}
    concepts = {c.label: c for c in colony.concept_list()}
    assert sorted(label.values()) == sorted(concepts)
    assert {"zürich", "naïve"} <= set(label.values())
    for _, attrs in g.nodes(data=True):
        c = concepts[attrs["label"]]
        assert (attrs["kind"], attrs["occurrences"], attrs["passages"]) == (c.kind, c.occurrences, c.passages)
    exported = {frozenset((label[a], label[b])): (w, n) for a, b, w, n in _edge_attrs(g)}
    assert exported == {frozenset((e.source, e.target)): (e.weight, e.coactivations) for e in colony.edges()}


def _edge_attrs(g: nx.Graph) -> Iterator[tuple[str, str, float, int]]:
    for a, b, attrs in g.edges(data=True):
        yield a, b, attrs["weight"], attrs["coactivations"]


# -- triples -------------------------------------------------------------------------------------------
def test_triples_one_line_per_edge(colony: Colony) -> None:
    lines = export_text(colony, "triples").splitlines()
    edges = colony.edges()
    assert len(lines) == len(edges)
    triples = [json.loads(line) for line in lines]
    for t in triples:
        assert {"subject", "predicate", "object", "weight"} <= set(t)
        assert isinstance(t["predicate"], str) and t["predicate"]
    assert [(t["subject"], t["object"], t["weight"], t["coactivations"]) for t in triples] == [
        (e.source, e.target, e.weight, e.coactivations) for e in edges
    ]


# -- errors and edge cases -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "JSON", "", "graphml "])
def test_unknown_format_is_an_input_error(colony: Colony, fmt: str) -> None:
    buf = io.StringIO()
    with pytest.raises(InputError) as info:
        colony.export(fmt, buf)
    assert all(name in str(info.value) for name in ("json", "graphml", "triples"))
    assert buf.getvalue() == ""


def test_empty_colony_exports_in_every_format(tmp_path: Path) -> None:
    with Colony() as empty:
        data = json.loads(export_text(empty, "json"))
        assert (data["concepts"], data["edges"], data["documents"]) == ([], [], [])
        assert export_text(empty, "triples") == ""
        path = tmp_path / "empty.graphml"
        path.write_text(export_text(empty, "graphml"), encoding="utf-8")
        g = nx.read_graphml(path)
        assert (g.number_of_nodes(), g.number_of_edges()) == (0, 0)


def test_export_survives_reopening_the_colony_file(tmp_path: Path, corpus: Callable[..., list[str]]) -> None:
    db = tmp_path / "c.db"
    with Colony.open(db) as c:
        for text in corpus(8, seed=3):
            c.ingest(text)
        c.digest()
        before = {fmt: export_text(c, fmt) for fmt in ("json", "graphml", "triples")}
    with Colony.open(db) as again:
        after = {fmt: export_text(again, fmt) for fmt in ("json", "graphml", "triples")}
    assert after == before
