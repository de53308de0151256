"""``phago serve`` and ``phago keys``: thin click commands over the server and the key database.

They take their own ``--db``/``--config``/``--data-dir`` options and fall back to the main CLI's
(``phago --db X serve``). FastAPI and uvicorn are imported only when ``serve`` runs.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from phago.config import Settings, load_settings
from phago.errors import ConfigError, MissingExtra
from phago.server.keys import ROLES, ApiKey, KeyStore, keys_path

F = TypeVar("F", bound=Callable[..., Any])


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _parent(ctx: click.Context) -> Any:
    return ctx.find_root().obj


def _settings(ctx: click.Context, config_file: Path | None, overrides: dict[str, Any]) -> Settings:
    config = config_file if config_file is not None else getattr(_parent(ctx), "config_file", None)
    given = {k: v for k, v in overrides.items() if v is not None}
    return load_settings(config, cwd=Path.cwd(), env=os.environ, overrides=given or None)


def _wants_json(ctx: click.Context, flag: bool) -> bool:
    return flag or bool(getattr(_parent(ctx), "json", False))


def _config_options(fn: F) -> F:
    fn = click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path),
        help="Folder of the key database and tenant colonies (default: server.data_dir).",
    )(fn)
    fn = click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
        help="Configuration file (default: the nearest phago.toml here or above).",
    )(fn)
    return fn


def check_bind(host: str, require_auth: bool, active_keys: int, keys_file: Path) -> bool:
    """Whether auth is on for ``host``; raises :class:`ConfigError` if it must be on but no key exists."""
    must = require_auth or not is_loopback(host)
    if must and active_keys == 0:
        why = "server.require_auth is set" if require_auth else f"{host} is not a loopback address"
        raise ConfigError(
            f"refusing to start: {why}, so API keys are required, but {keys_file} holds no active key. "
            "Create one with `phago keys create --role admin --tenant NAME`, or bind 127.0.0.1.",
            key="server.host",
        )
    return must or active_keys > 0


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Colony file served when auth is off (default: storage.path).")
@click.option("--host", help="Address to bind (default: server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: server.port; 0 = any free port).")
@click.option("--require-auth", is_flag=True, default=None, help="Require API keys even on 127.0.0.1.")
@click.option("--tick-interval", type=click.FloatRange(0, 3600),
              help="Seconds between background ticks (0 = none; default: server.tick_interval).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True, help="Level of the JSON-lines logs on stderr.")
@click.option("--embeddings", is_flag=True, default=False,
              help="Attach the MiniLM embedder for dense retrieval (pip install 'phago[embeddings]').")
@_config_options
@click.pass_context
def serve(
    ctx: click.Context, db: Path | None, host: str | None, port: int | None, require_auth: bool | None,
    tick_interval: float | None, log_level: str, embeddings: bool, data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Serve the REST API, the live event stream and the dashboard.

    On 127.0.0.1 without API keys, auth is off and the --db colony is served. Otherwise every request
    needs a key (`phago keys create`) and each tenant has its own colony in --data-dir.
    """
    try:
        import uvicorn

        from phago.server.app import create_app
        from phago.server.logs import configure_logging
    except ModuleNotFoundError as exc:
        raise MissingExtra("server", (exc.name or "fastapi").split(".")[0]) from None

    settings = _settings(ctx, config_file, {
        "server.host": host, "server.port": port, "server.data_dir": str(data_dir) if data_dir else None,
        "server.require_auth": require_auth, "server.tick_interval": tick_interval,
    })
    srv = settings.server
    db = db if db is not None else getattr(_parent(ctx), "db_option", None)
    colony_file = db if db is not None else Path(settings.storage.path)
    store = KeyStore.open(Path(srv.data_dir), create=False)
    active = store.count_active() if store is not None else 0
    if store is not None:
        store.close()
    auth = check_bind(srv.host, srv.require_auth, active, keys_path(Path(srv.data_dir)))
    embedder = None
    if embeddings or getattr(_parent(ctx), "embeddings", False):  # also `phago --embeddings serve`
        from phago.retrieval.dense import default_embedder

        embedder = default_embedder()
    configure_logging(log_level)
    where = f"tenant colonies in {Path(srv.data_dir) / 'tenants'}" if auth else f"colony {colony_file}"
    state = "on" if auth else "off"
    click.echo(f"phago: serving http://{srv.host}:{srv.port}/ (auth {state}; {where})", err=True)
    app = create_app(settings, db=colony_file, auth=auth, embedder=embedder)
    uvicorn.run(app, host=srv.host, port=srv.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)


@click.group()
def keys() -> None:
    """Create, list and revoke the server's API keys (stored hashed in server.data_dir/keys.db)."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="read: GET + query; write: + ingest/forget/run; admin: + agents, export, keys.")
@click.option("--tenant", required=True, help="Tenant whose colony the key opens (a-z, 0-9, - or _).")
@click.option("--json", "json_flag", is_flag=True, help="Machine-readable JSON output.")
@_config_options
@click.pass_context
def create_key(
    ctx: click.Context, role: str, tenant: str, json_flag: bool, data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Create a key and print its token (shown only this once)."""
    store = _store(ctx, data_dir, config_file, create=True)
    assert store is not None
    try:
        key, token = store.create(tenant, role)
    finally:
        store.close()
    if _wants_json(ctx, json_flag):
        click.echo(json.dumps({**_key_json(key), "token": token}))
        return
    click.echo(f"created {key.id} (role {key.role}, tenant {key.tenant})")
    click.echo(f"token: {token}")
    click.echo("Store the token now: only its hash is kept, it cannot be shown again.", err=True)


@keys.command("list")
@click.option("--tenant", help="Only this tenant's keys.")
@click.option("--json", "json_flag", is_flag=True, help="Machine-readable JSON output.")
@_config_options
@click.pass_context
def list_keys(
    ctx: click.Context, tenant: str | None, json_flag: bool, data_dir: Path | None, config_file: Path | None
) -> None:
    """List keys (ids, tenants, roles; never tokens)."""
    store = _store(ctx, data_dir, config_file, create=False)
    found: list[ApiKey] = []
    if store is not None:
        try:
            found = store.list(tenant)
        finally:
            store.close()
    if _wants_json(ctx, json_flag):
        click.echo(json.dumps([_key_json(k) for k in found]))
        return
    if not found:
        click.echo("no API keys", err=True)
    for k in found:
        state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
        click.echo(f"{k.id}\t{k.tenant}\t{k.role}\t{k.created_at}\t{state}")


@keys.command("revoke")
@click.argument("key_id")
@click.option("--json", "json_flag", is_flag=True, help="Machine-readable JSON output.")
@_config_options
@click.pass_context
def revoke_key(
    ctx: click.Context, key_id: str, json_flag: bool, data_dir: Path | None, config_file: Path | None
) -> None:
    """Revoke KEY_ID; requests with its token are refused from then on."""
    store = _store(ctx, data_dir, config_file, create=False)
    if store is None:
        from phago.errors import NotFound

        raise NotFound("API key", key_id)
    try:
        key = store.revoke(key_id)
    finally:
        store.close()
    if _wants_json(ctx, json_flag):
        click.echo(json.dumps(_key_json(key)))
    else:
        click.echo(f"revoked {key.id} (role {key.role}, tenant {key.tenant})")


def _store(
    ctx: click.Context, data_dir: Path | None, config_file: Path | None, *, create: bool
) -> KeyStore | None:
    folder = data_dir if data_dir is not None else Path(_settings(ctx, config_file, {}).server.data_dir)
    return KeyStore.open(folder, create=create)


def _key_json(k: ApiKey) -> dict[str, Any]:
    return {"id": k.id, "tenant": k.tenant, "role": k.role, "created_at": k.created_at,
            "revoked_at": k.revoked_at}
