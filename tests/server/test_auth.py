"""API keys, roles and tenant isolation; ``phago keys`` and the refusal to bind publicly without keys."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from phago import Colony
from phago.config import Settings
from phago.server import create_app
from phago.server.command import check_bind, is_loopback, keys, serve
from phago.server.keys import KeyStore, hash_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tenants(tmp_path: Path, keyring: Callable[[str, str], str]) -> dict[str, str]:
    return {
        "a_admin": keyring("alpha", "admin"), "a_write": keyring("alpha", "write"), "a_read": keyring("alpha", "read"),
        "b_admin": keyring("beta", "admin"), "b_write": keyring("beta", "write"),
    }


@pytest.fixture
def secured(tmp_path: Path, tenants: dict[str, str], settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    app = create_app(settings_for(tmp_path))  # auth decided by the lifespan: keys exist, so it is on
    with TestClient(app) as c:
        yield c


def test_requests_without_a_valid_key_are_refused(secured: TestClient, tenants: dict[str, str]) -> None:
    r = secured.get("/api/stats")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["error"]["code"] == "unauthorized" and "Authorization: Bearer" in r.json()["error"]["message"]
    assert secured.get("/api/stats", headers=bearer("phago_not-a-key")).status_code == 401
    assert secured.get("/api/stats", headers=bearer(tenants["a_read"])).status_code == 200
    assert secured.get("/api/stats", headers={"X-API-Key": tenants["a_read"]}).status_code == 200
    assert secured.get("/healthz").status_code == 200  # operations endpoints stay open


def test_tenant_a_cannot_read_query_or_delete_b_data(
    secured: TestClient, tenants: dict[str, str], tmp_path: Path
) -> None:
    a, b = bearer(tenants["a_admin"]), bearer(tenants["b_admin"])
    b_doc = secured.post("/api/documents", json={"text": "Beta secret: quasars emit jets."}, headers=b).json()["ids"][0]
    a_doc = secured.post("/api/documents", json={"text": "Alpha notes: enzymes fold."}, headers=a).json()["ids"][0]
    # A sees only its own document
    assert [d["id"] for d in secured.get("/api/documents", headers=a).json()["items"]] == [a_doc]
    assert secured.get(f"/api/documents/{b_doc}", headers=a).status_code == 404
    assert secured.get(f"/api/documents/{b_doc}/passages", headers=a).status_code == 404
    assert secured.post("/api/query", json={"query": "quasars jets"}, headers=a).json()["results"] == []
    assert secured.delete(f"/api/documents/{b_doc}", headers=a).status_code == 404
    # ... and B's document is still there for B
    assert secured.get(f"/api/documents/{b_doc}", headers=b).status_code == 200
    assert secured.post("/api/query", json={"query": "quasars"}, headers=b).json()["results"][0]["document_id"] == b_doc
    assert secured.get("/api/stats", headers=a).json()["tenant"] == "alpha"
    # each tenant has its own colony file
    files = sorted(p.name for p in (tmp_path / "data" / "tenants").iterdir() if p.suffix == ".db")
    assert files == ["alpha.db", "beta.db"]
    with Colony.open(tmp_path / "data" / "tenants" / "beta.db") as colony:
        assert [d.id for d in colony.documents()] == [b_doc]


def test_roles(secured: TestClient, tenants: dict[str, str]) -> None:
    read, write, admin = (bearer(tenants[k]) for k in ("a_read", "a_write", "a_admin"))
    doc = {"text": "Role test document about membranes."}
    r = secured.post("/api/documents", json=doc, headers=read)
    assert r.status_code == 403 and "'write' is needed" in r.json()["error"]["message"]
    assert secured.post("/api/query", json={"query": "membranes"}, headers=read).status_code == 200
    assert secured.post("/api/run", json={"ticks": 1}, headers=read).status_code == 403
    assert secured.post("/api/documents", json=doc, headers=write).status_code == 201
    assert secured.post("/api/run", json={"ticks": 1}, headers=write).status_code == 200
    agent = secured.get("/api/agents", headers=read).json()[0]["id"]
    assert secured.post(f"/api/agents/{agent}/apoptosis", headers=write).status_code == 403
    assert secured.get("/api/export", headers=write).status_code == 403
    assert secured.get("/api/keys", headers=write).status_code == 403
    assert secured.post(f"/api/agents/{agent}/apoptosis", headers=admin).status_code == 200
    assert secured.get("/api/export", headers=admin).status_code == 200
    me = secured.get("/api/whoami", headers=write).json()
    assert me["tenant"] == "alpha" and me["role"] == "write" and me["auth"] is True


def test_admin_manages_only_its_own_tenant_keys(secured: TestClient, tenants: dict[str, str]) -> None:
    a, b = bearer(tenants["a_admin"]), bearer(tenants["b_admin"])
    created = secured.post("/api/keys", json={"role": "read"}, headers=a).json()
    assert created["key"]["tenant"] == "alpha" and created["token"].startswith("phago_")
    assert secured.get("/api/stats", headers=bearer(created["token"])).json()["tenant"] == "alpha"
    assert all(k["tenant"] == "alpha" for k in secured.get("/api/keys", headers=a).json())
    assert secured.delete(f"/api/keys/{created['key']['id']}", headers=b).status_code == 404  # not B's key
    revoked = secured.delete(f"/api/keys/{created['key']['id']}", headers=a).json()
    assert revoked["revoked_at"] is not None
    assert secured.get("/api/stats", headers=bearer(created["token"])).status_code == 401


def test_websocket_needs_a_key_and_sees_only_its_tenant(secured: TestClient, tenants: dict[str, str]) -> None:
    with secured.websocket_connect("/ws/events") as ws:
        msg = ws.receive_json()
        assert msg["type"] == "error" and msg["status"] == 401
    with secured.websocket_connect(f"/ws/events?token={tenants['a_read']}") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["stats"]["tenant"] == "alpha"
        secured.post("/api/documents", json={"text": "Only beta hears of this."}, headers=bearer(tenants["b_write"]))
        secured.post("/api/documents", json={"text": "Alpha hears of this."}, headers=bearer(tenants["a_write"]))
        event = ws.receive_json()
        assert event["type"] == "document_ingested" and event["title"] == "Alpha hears of this."


# -- the key database and the CLI -----------------------------------------------------------------------
def test_tokens_are_stored_hashed(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path, create=True)
    assert store is not None
    _, token = store.create("alpha", "read")
    store.close()
    assert token.startswith("phago_") and len(token) > 40
    rows = sqlite3.connect(tmp_path / "keys.db").execute("SELECT * FROM api_keys").fetchall()
    flat = json.dumps(rows)
    assert token not in flat and hash_token(token) in flat
    assert (tmp_path / "keys.db").stat().st_mode & 0o077 == 0  # not readable by others


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "d")]
    r = runner.invoke(keys, ["create", "--role", "write", "--tenant", "team-a", "--json", *data])
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert made["role"] == "write" and made["tenant"] == "team-a" and made["token"].startswith("phago_")
    listed = json.loads(runner.invoke(keys, ["list", "--json", *data]).stdout)
    assert [k["id"] for k in listed] == [made["id"]] and "token" not in listed[0]
    r = runner.invoke(keys, ["revoke", made["id"], *data])
    assert r.exit_code == 0 and "revoked" in r.stdout
    assert json.loads(runner.invoke(keys, ["list", "--json", *data]).stdout)[0]["revoked_at"] is not None
    bad = runner.invoke(keys, ["create", "--role", "write", "--tenant", "Bad Name", *data])
    assert bad.exit_code != 0 and "invalid tenant name" in str(bad.exception or bad.output)
    bad_role = runner.invoke(keys, ["create", "--role", "owner", "--tenant", "a", *data])
    assert bad_role.exit_code == 2 and "owner" in bad_role.output
    text = runner.invoke(keys, ["create", "--role", "read", "--tenant", "b", *data])
    assert "token: phago_" in text.stdout and "cannot be shown again" in text.stderr


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    r = CliRunner().invoke(serve, ["--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path)])
    assert r.exit_code != 0
    assert "refusing to start" in str(r.exception) and "phago keys create" in str(r.exception)
    r = CliRunner().invoke(serve, ["--require-auth", "--port", "0", "--data-dir", str(tmp_path)])
    assert r.exit_code != 0 and "server.require_auth" in str(r.exception)


def test_bind_rules() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.org")
    keys_file = Path("keys.db")
    assert check_bind("127.0.0.1", False, 0, keys_file) is False  # auth off: single local tenant
    assert check_bind("127.0.0.1", False, 2, keys_file) is True  # keys exist: auth on
    assert check_bind("0.0.0.0", False, 1, keys_file) is True
    with pytest.raises(ValueError, match="refusing to start"):
        check_bind("10.0.0.5", False, 0, keys_file)
    with pytest.raises(ValueError, match="require_auth"):
        check_bind("127.0.0.1", True, 0, keys_file)
