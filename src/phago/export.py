"""Exporting a colony: full JSON, GraphML (for Gephi, Cytoscape, networkx) and weighted triples (JSONL)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import quoteattr

from phago.errors import InputError

if TYPE_CHECKING:
    from phago.facade import Colony

FORMATS = ("json", "graphml", "triples")


def export(colony: Colony, fmt: str, out: TextIO) -> None:
    """Write the colony's graph to ``out`` in ``fmt`` (one of :data:`FORMATS`)."""
    writers = {"json": _json, "graphml": _graphml, "triples": _triples}
    writer = writers.get(fmt)
    if writer is None:
        raise InputError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")
    writer(colony, out)


def _community_of(colony: Colony) -> dict[str, int]:
    return colony.concept_communities()


def _json(colony: Colony, out: TextIO) -> None:
    community = _community_of(colony)
    data = {
        "format": "phago-export/1",
        "stats": asdict(colony.stats()),
        "concepts": [
            {**asdict(c), "community": community.get(c.label)}
            for c in sorted(colony.concept_list(), key=lambda c: c.id)
        ],
        "edges": [asdict(e) for e in colony.edges()],
        "communities": [asdict(c) for c in colony.communities()],
        "documents": [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source,
                "metadata": d.metadata,
                "digested": d.digested,
                "passages": [{"id": p.id, "start": p.start, "end": p.end} for p in colony.passages(d.id)],
            }
            for d in colony.documents()
        ],
        "insights": [asdict(i) for i in colony.insights()],
        "anomalies": [asdict(a) for a in colony.anomalies()],
    }
    json.dump(data, out, indent=1, sort_keys=False)
    out.write("\n")


def _graphml(colony: Colony, out: TextIO) -> None:
    community = _community_of(colony)
    concepts = sorted(colony.concept_list(), key=lambda c: c.id)
    ids = {c.label: f"c{c.id}" for c in concepts}
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for key, target, name, typ in (
        ("d0", "node", "label", "string"),
        ("d1", "node", "kind", "string"),
        ("d2", "node", "occurrences", "int"),
        ("d3", "node", "passages", "int"),
        ("d4", "node", "community", "int"),
        ("d5", "edge", "weight", "double"),
        ("d6", "edge", "coactivations", "int"),
    ):
        out.write(f'  <key id="{key}" for="{target}" attr.name="{name}" attr.type="{typ}"/>\n')
    out.write('  <graph id="phago" edgedefault="undirected">\n')
    for c in concepts:
        out.write(f"    <node id={quoteattr(ids[c.label])}>")
        out.write(f'<data key="d0">{_text(c.label)}</data><data key="d1">{c.kind}</data>')
        out.write(f'<data key="d2">{c.occurrences}</data><data key="d3">{c.passages}</data>')
        out.write(f'<data key="d4">{community.get(c.label, -1)}</data></node>\n')
    for e in colony.edges():
        out.write(f"    <edge source={quoteattr(ids[e.source])} target={quoteattr(ids[e.target])}>")
        out.write(f'<data key="d5">{e.weight!r}</data><data key="d6">{e.coactivations}</data></edge>\n')
    out.write("  </graph>\n</graphml>\n")


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _triples(colony: Colony, out: TextIO) -> None:
    for e in colony.edges():
        out.write(
            json.dumps(
                {
                    "subject": e.source,
                    "predicate": "co_occurs_with",
                    "object": e.target,
                    "weight": e.weight,
                    "coactivations": e.coactivations,
                }
            )
        )
        out.write("\n")
