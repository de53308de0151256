"""API keys: a small SQLite database of hashed tokens, one role and one tenant per key.

A token is ``phago_`` + 32 random bytes from :mod:`secrets` (URL-safe base64). Only its SHA-256 is stored;
the token itself is shown once, when the key is created. Keys are revoked, never deleted, so the list
stays auditable.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from phago.errors import InputError, NotFound, StorageError

Role = Literal["read", "write", "admin"]
ROLES: tuple[Role, ...] = ("read", "write", "admin")
ROLE_RANK: dict[str, int] = {r: i for i, r in enumerate(ROLES)}
KEYS_FILENAME = "keys.db"
TOKEN_PREFIX = "phago_"
_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant);
"""


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant: str
    role: Role
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def check_tenant(name: str) -> str:
    """Tenant names become file names: lower-case letters, digits, ``-`` and ``_``, at most 64."""
    if not isinstance(name, str) or not _TENANT_RE.fullmatch(name):
        raise InputError(
            f"invalid tenant name {name!r}: use 1-64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InputError(f"invalid role {role!r}; allowed: {', '.join(ROLES)}")
    return role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keys_path(data_dir: Path) -> Path:
    return data_dir / KEYS_FILENAME


class KeyStore:
    """The keys database. Thread-safe (one connection behind a lock); safe to share with the CLI (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"{path}: cannot open the API-key database: {exc}") from None

    @classmethod
    def open(cls, data_dir: Path, *, create: bool) -> KeyStore | None:
        """The store in ``data_dir``; ``None`` when it does not exist and ``create`` is false."""
        path = keys_path(data_dir)
        if not path.exists():
            if not create:
                return None
            data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
        return cls(path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(self, tenant: str, role: str) -> tuple[ApiKey, str]:
        """A new key; returns it with its token (the only time the token is available)."""
        check_tenant(tenant)
        checked = check_role(role)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey("key_" + secrets.token_hex(6), tenant, checked, _now(), None)
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (id, tenant, role, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                (key.id, key.tenant, key.role, hash_token(token), key.created_at),
            )
        return key, token

    def list(self, tenant: str | None = None) -> list[ApiKey]:
        sql = "SELECT id, tenant, role, created_at, revoked_at FROM api_keys"
        args: tuple[str, ...] = ()
        if tenant is not None:
            sql += " WHERE tenant = ?"
            args = (tenant,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, id", args).fetchall()
        return [ApiKey(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def revoke(self, key_id: str, *, tenant: str | None = None) -> ApiKey:
        """Revoke ``key_id`` (only within ``tenant`` when given). Revoking twice is harmless."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, tenant, role, created_at, revoked_at FROM api_keys WHERE id = ?", (key_id,)
            ).fetchone()
            if row is None or (tenant is not None and row[1] != tenant):
                raise NotFound("API key", key_id)
            if row[4] is None:
                row = (*row[:4], _now())
                self._db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (row[4], key_id))
        return ApiKey(row[0], row[1], row[2], row[3], row[4])

    def lookup(self, token: str) -> ApiKey | None:
        """The active key whose token is ``token``, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, tenant, role, created_at, revoked_at FROM api_keys "
                "WHERE token_sha256 = ? AND revoked_at IS NULL",
                (hash_token(token),),
            ).fetchone()
        return ApiKey(row[0], row[1], row[2], row[3], row[4]) if row else None

    def count_active(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").fetchone()
        return int(n)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
