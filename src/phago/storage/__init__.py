"""Persistence: the :class:`Store` Protocol, an in-memory store and the SQLite default."""

from phago.storage.base import ChangeSet, Store
from phago.storage.memory import MemoryStore
from phago.storage.sqlite import SQLiteStore

__all__ = ["ChangeSet", "MemoryStore", "SQLiteStore", "Store"]
