"""The REST API in process (FastAPI's TestClient runs the app's lifespan)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from phago import Colony
from phago.server import create_app


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "details"}
    assert err["status"] == r.status_code  # type: ignore[attr-defined]
    return err  # type: ignore[no-any-return]


# -- documents -------------------------------------------------------------------------------------------
def test_ingest_json_then_read_list_and_forget(client: TestClient) -> None:
    r = client.post("/api/documents", json={"text": "Mitochondria make ATP. ATP powers the cell.",
                                            "title": "Cells", "metadata": {"lang": "en"}, "source": "notes"})
    assert r.status_code == 201
    body = r.json()
    (doc_id,) = body["ids"]
    assert body["documents"][0] == {"id": doc_id, "title": "Cells", "source": "notes", "passages": 1,
                                    "digested_passages": 0, "digested": False, "ingested_tick": 0}
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["metadata"] == {"lang": "en"} and doc["text"].startswith("Mitochondria")
    assert [p["document_id"] for p in client.get(f"/api/documents/{doc_id}/passages").json()] == [doc_id]
    listing = client.get("/api/documents").json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == doc_id
    # re-ingesting the same text returns the same id and adds nothing
    again = client.post("/api/documents", json={"text": "Mitochondria make ATP. ATP powers the cell."})
    assert again.json()["ids"] == [doc_id]
    assert client.delete(f"/api/documents/{doc_id}").status_code == 204
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    assert client.get("/api/documents").json()["total"] == 0
    err = _error(client.delete(f"/api/documents/{doc_id}"))
    assert err["code"] == "not_found" and doc_id in str(err["message"])


def test_multipart_upload_of_many_files(client: TestClient) -> None:
    files = [
        ("files", ("alpha.md", b"# Alpha notes\n\nEnzymes catalyse reactions in cells.", "text/markdown")),
        ("files", ("beta.txt", b"Ribosomes translate messenger RNA into protein.", "text/plain")),
        ("files", ("records.jsonl",
                   b'{"text": "Photosynthesis fixes carbon."}\n{"text": "Glycolysis splits glucose."}\n',
                   "application/x-ndjson")),
    ]
    r = client.post("/api/documents", files=files)
    assert r.status_code == 201, r.text
    docs = r.json()["documents"]
    assert len(r.json()["ids"]) == 4
    assert [d["source"] for d in docs] == ["alpha.md", "beta.txt", "records.jsonl", "records.jsonl"]
    assert docs[0]["title"] == "Alpha notes" and docs[1]["title"] == "beta"
    assert client.get("/api/stats").json()["documents"] == 4


def test_a_bad_file_refuses_the_whole_upload(client: TestClient) -> None:
    files = [
        ("files", ("good.txt", b"Neurons fire action potentials.", "text/plain")),
        ("files", ("bad.json", b"{not json", "application/json")),
    ]
    r = client.post("/api/documents", files=files)
    err = _error(r)
    assert r.status_code == 422 and err["code"] == "unreadable_file"
    assert str(err["message"]).startswith("bad.json:")  # names the file as uploaded, not a temp path
    assert client.get("/api/stats").json()["documents"] == 0  # nothing half-written


def test_unsupported_file_type_and_media_type(client: TestClient) -> None:
    r = client.post("/api/documents", files=[("files", ("x.pdf", b"%PDF-1.4", "application/pdf"))])
    assert r.status_code == 422 and ".pdf" in str(_error(r)["message"])
    r = client.post("/api/documents", content=b"hello", headers={"content-type": "text/plain"})
    err = _error(r)
    assert r.status_code == 415 and "application/json" in str(err["message"])
    r = client.post("/api/documents", content=b"", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 422)


def test_json_validation_errors_name_field_and_allowed_values(client: TestClient) -> None:
    r = client.post("/api/documents", json={"text": "ok words here", "titel": "typo"})
    err = _error(r)
    assert r.status_code == 422 and err["code"] == "invalid_request"
    assert {"where": "body.titel", "problem": "Extra inputs are not permitted", "allowed": "no extra fields",
            "got": "typo"} in err["details"]  # type: ignore[operator]
    r = client.post("/api/query", json={"query": "x", "k": 0, "alpha": 2})
    details = {d["where"]: d for d in _error(r)["details"]}  # type: ignore[attr-defined]
    assert details["body.k"]["allowed"] == ">= 1" and details["body.alpha"]["allowed"] == "<= 1.0"
    r = client.post("/api/documents", content=b"{broken", headers={"content-type": "application/json"})
    assert r.status_code == 422 and _error(r)["details"][0]["where"].startswith("body")  # type: ignore[index]
    r = client.post("/api/documents", json={"text": "\x00binary"})
    assert r.status_code == 400 and "NUL" in str(_error(r)["message"])


def test_body_over_the_limit_is_refused(tmp_path: Path, settings_for: Callable[..., object]) -> None:
    settings = settings_for(tmp_path, **{"server.max_upload_bytes": 1000})
    with TestClient(create_app(settings, auth=False)) as c:  # type: ignore[arg-type]
        r = c.post("/api/documents", json={"text": "word " * 500})
        err = _error(r)
        assert r.status_code == 413 and "server.max_upload_bytes" in str(err["message"])
        assert c.get("/api/stats").json()["documents"] == 0


def test_batch_is_all_or_nothing(client: TestClient) -> None:
    r = client.post("/api/documents/batch", json={"documents": [{"text": "Fine words here."}, {"text": "   "}]})
    assert r.status_code == 400 and "document 1" in str(_error(r)["message"])
    assert client.get("/api/documents").json()["total"] == 0


def test_paging_documents(client: TestClient, corpus: Callable[..., list[str]]) -> None:
    ids = client.post("/api/documents/batch", json={"documents": [{"text": t} for t in corpus(7)]}).json()["ids"]
    page = client.get("/api/documents", params={"offset": 5, "limit": 5}).json()
    assert page["total"] == 7 and [d["id"] for d in page["items"]] == ids[5:]
    assert client.get("/api/documents", params={"limit": 0}).status_code == 422


# -- query and graph -------------------------------------------------------------------------------------
def test_query_returns_passages_with_explanations(seeded: TestClient) -> None:
    doc = seeded.get("/api/documents").json()["items"][3]
    text = seeded.get(f"/api/documents/{doc['id']}").json()["text"]
    words = text.split()[4:9]
    r = seeded.post("/api/query", json={"query": " ".join(words), "k": 3, "alpha": 0.5})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    top = results[0]
    assert set(top["components"]) == {"lexical", "graph", "dense", "fused"}
    assert top["explanation"]["matched_terms"]
    assert [x["score"] for x in results] == sorted((x["score"] for x in results), reverse=True)
    assert seeded.post("/api/query", json={"query": "   "}).status_code == 400


def test_feedback_strengthens_and_weakens(seeded: TestClient) -> None:
    label = seeded.get("/api/graph/nodes", params={"limit": 1}).json()["items"][0]["label"]
    hit = seeded.post("/api/query", json={"query": label, "k": 1}).json()["results"][0]
    up = seeded.post("/api/feedback", json={"query": label, "passage_id": hit["passage_id"], "signal": 1})
    assert up.status_code == 200 and up.json()["edges_changed"] >= 1
    down = seeded.post("/api/feedback", json={"query": label, "passage_id": hit["passage_id"], "signal": -1})
    assert down.json()["edges_changed"] >= 1
    assert seeded.post("/api/feedback", json={"query": label, "passage_id": 10**9, "signal": 1}).status_code == 404
    r = seeded.post("/api/feedback", json={"query": label, "passage_id": hit["passage_id"], "signal": 2})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["where"] == "body.signal"


def test_graph_nodes_and_edges_paged_and_filtered(seeded: TestClient) -> None:
    g = seeded.get("/api/graph", params={"max_nodes": 20}).json()
    assert len(g["nodes"]) == 20 and g["total_nodes"] > 20
    labels = {n["label"] for n in g["nodes"]}
    assert all(e["source"] in labels and e["target"] in labels for e in g["edges"])
    strengths = [n["strength"] for n in g["nodes"]]
    assert strengths == sorted(strengths, reverse=True)

    nodes = seeded.get("/api/graph/nodes", params={"limit": 5, "offset": 5, "sort": "label"}).json()
    everything = seeded.get("/api/graph/nodes", params={"limit": 1000, "sort": "label"}).json()
    assert nodes["items"] == everything["items"][5:10] and nodes["total"] == everything["total"]
    community = everything["items"][0]["community"]
    members = seeded.get("/api/graph/nodes", params={"community": community, "limit": 1000}).json()["items"]
    assert members and all(n["community"] == community for n in members)

    heavy = seeded.get("/api/graph/edges", params={"min_weight": 0.2, "limit": 1000}).json()
    assert all(e["weight"] >= 0.2 for e in heavy["items"])
    inside = seeded.get("/api/graph/edges", params={"community": community, "limit": 1000}).json()["items"]
    member_labels = {n["label"] for n in members}
    assert all(e["source"] in member_labels and e["target"] in member_labels for e in inside)
    label = everything["items"][0]["label"]
    own = seeded.get("/api/graph/edges", params={"concept": label, "limit": 1000}).json()["items"]
    assert own and all(label in (e["source"], e["target"]) for e in own)


def test_concept_details_and_passages(seeded: TestClient) -> None:
    label = seeded.get("/api/graph/nodes", params={"limit": 1}).json()["items"][0]["label"]
    c = seeded.get(f"/api/concepts/{label}").json()
    assert c["label"] == label and c["neighbours"] and c["community"] is not None
    passages = seeded.get(f"/api/concepts/{label}/passages", params={"k": 3}).json()
    assert passages and any(label in p["text"].lower() for p in passages)
    assert _error(seeded.get("/api/concepts/nosuchconcept"))["code"] == "not_found"


def test_explore_endpoints(seeded: TestClient) -> None:
    top = seeded.get("/api/explore/centrality", params={"k": 3}).json()
    assert len(top) == 3 and top[0]["score"] >= top[-1]["score"]
    assert len(seeded.get("/api/explore/centrality", params={"k": 2, "kind": "betweenness"}).json()) == 2
    assert seeded.get("/api/explore/centrality", params={"kind": "pagerank"}).status_code == 422
    a, b = top[0]["label"], top[1]["label"]
    path = seeded.get("/api/explore/path", params={"source": a, "target": b}).json()
    assert path["found"] and path["concepts"][0] == a and path["concepts"][-1] == b
    assert seeded.get("/api/explore/path", params={"source": a, "target": "nosuch"}).status_code == 404
    assert isinstance(seeded.get("/api/explore/bridges").json(), list)
    comps = seeded.get("/api/explore/components", params={"top": 3}).json()
    assert comps and comps[0]["size"] >= 1
    comms = seeded.get("/api/explore/communities").json()
    assert comms["modularity"] is not None and all(c["size"] >= 2 for c in comms["communities"])


def test_stats_insights_and_anomalies(seeded: TestClient) -> None:
    s = seeded.get("/api/stats").json()
    assert s["tenant"] == "default" and s["documents"] == 24 and s["undigested_documents"] == 0
    assert s["concepts"] > 0 and s["edges"] > 0 and s["modularity"] is not None
    assert s["agents_total"] == sum(s["agents"].values())
    assert isinstance(seeded.get("/api/insights").json(), list)
    assert isinstance(seeded.get("/api/anomalies").json(), list)


# -- agents and running ----------------------------------------------------------------------------------
def test_agents_inspect_and_apoptosis(seeded: TestClient) -> None:
    agents = seeded.get("/api/agents").json()
    digester = next(a for a in agents if a["kind"] == "digester")
    one = seeded.get(f"/api/agents/{digester['id']}").json()
    assert one["id"] == digester["id"] and 0.0 <= one["health"] <= 1.0 and isinstance(one["vocabulary"], list)
    r = seeded.post(f"/api/agents/{digester['id']}/apoptosis")
    assert r.json() == {"agent_id": digester["id"], "died": True}
    assert seeded.get(f"/api/agents/{digester['id']}").status_code == 404
    assert digester["id"] not in {a["id"] for a in seeded.get("/api/agents").json()}
    assert seeded.post(f"/api/agents/{digester['id']}/apoptosis").status_code == 404
    assert seeded.get("/api/stats").json()["deaths"].get("forced") == 1


def test_run_digest_and_ticker(client: TestClient, corpus: Callable[..., list[str]]) -> None:
    client.post("/api/documents/batch", json={"documents": [{"text": t} for t in corpus(6)]})
    r = client.post("/api/run", json={"ticks": 3}).json()
    assert r["ticks"] == 3 and r["tick"] == 3
    assert client.post("/api/run", json={"ticks": -1}).status_code == 422
    d = client.post("/api/digest", json={}).json()
    assert d["undigested_documents"] == 0
    assert client.get("/api/ticker").json()["paused"] is False
    assert client.put("/api/ticker", json={"paused": True}).json()["paused"] is True
    assert client.get("/api/ticker").json()["paused"] is True


def test_export_formats(seeded: TestClient) -> None:
    r = seeded.get("/api/export", params={"format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["edges"] and data["concepts"]
    r = seeded.get("/api/export", params={"format": "graphml"})
    assert r.headers["content-type"].startswith("application/xml") and "<graphml" in r.text
    r = seeded.get("/api/export", params={"format": "triples"})
    first = json.loads(r.text.splitlines()[0])
    assert isinstance(first, dict)
    assert seeded.get("/api/export", params={"format": "csv"}).status_code == 422


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    assert _error(client.get("/api/nothing"))["code"] == "not_found"
    r = client.put("/api/stats")
    assert r.status_code == 405 and _error(r)["code"] == "method_not_allowed"


def test_state_survives_a_restart(tmp_path: Path, settings_for: Callable[..., object]) -> None:
    settings = settings_for(tmp_path)
    with TestClient(create_app(settings, db=tmp_path / "c.db", auth=False)) as c:  # type: ignore[arg-type]
        ids = c.post("/api/documents/batch", json={"documents": [{"text": "Alpha beta gamma."},
                                                                 {"text": "Delta epsilon zeta."}]}).json()["ids"]
        c.post("/api/run", json={"ticks": 4})
    with Colony.open(tmp_path / "c.db") as colony:
        assert sorted(d.id for d in colony.documents()) == sorted(ids) and colony.tick == 4


def test_dashboard_and_openapi_are_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "<canvas id=\"graph\"" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/graph.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/documents" in schema["paths"] and "/api/query" in schema["paths"]
    assert set(schema["paths"]["/api/documents"]["post"]["requestBody"]["content"]) == {
        "application/json", "multipart/form-data"}
    assert client.get("/docs").status_code == 200


def test_whoami_without_auth(client: TestClient) -> None:
    me = client.get("/api/whoami").json()
    assert me["tenant"] == "default" and me["role"] == "admin" and me["auth"] is False
    assert client.get("/api/keys").status_code == 409
