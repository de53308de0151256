"""Columnar edge storage: numpy arrays plus a dict from the ordered concept-id pair to its row.

Rows of removed edges are recycled. Every bulk operation (decay, prune, degree cap) is vectorised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class EdgeTable:
    __slots__ = ("_free", "alive", "changed", "coact", "created", "dst", "index", "last", "src", "weight")

    def __init__(self, capacity: int = 1024) -> None:
        self.src: IntArray = np.zeros(capacity, dtype=np.int64)
        self.dst: IntArray = np.zeros(capacity, dtype=np.int64)
        self.weight: FloatArray = np.zeros(capacity, dtype=np.float64)
        self.coact: IntArray = np.zeros(capacity, dtype=np.int64)
        self.created: IntArray = np.zeros(capacity, dtype=np.int64)
        self.last: IntArray = np.zeros(capacity, dtype=np.int64)
        self.alive: BoolArray = np.zeros(capacity, dtype=np.bool_)
        self.changed: BoolArray = np.zeros(capacity, dtype=np.bool_)  # rows to save at the next save
        self.index: dict[tuple[int, int], int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))

    def __len__(self) -> int:
        return len(self.index)

    def _grow(self) -> None:
        old = len(self.src)
        new = max(1024, old * 2)
        for name in ("src", "dst", "weight", "coact", "created", "last", "alive", "changed"):
            arr = getattr(self, name)
            grown = np.zeros(new, dtype=arr.dtype)
            grown[:old] = arr
            setattr(self, name, grown)
        self._free.extend(range(new - 1, old - 1, -1))

    def row(self, a: int, b: int) -> int | None:
        return self.index.get((a, b) if a < b else (b, a))

    def add(self, a: int, b: int, weight: float, coact: int, created: int, last: int) -> int:
        key = (a, b) if a < b else (b, a)
        if key in self.index:
            raise ValueError(f"edge {key} exists")
        if not self._free:
            self._grow()
        r = self._free.pop()
        self.src[r], self.dst[r] = key
        self.weight[r] = weight
        self.coact[r] = coact
        self.created[r] = created
        self.last[r] = last
        self.alive[r] = True
        self.changed[r] = True
        self.index[key] = r
        return r

    def add_many(self, keys: list[tuple[int, int]], weights: FloatArray, coact: list[int], tick: int) -> None:
        """Add new edges (keys ordered ``a < b`` and absent) in one vectorised step."""
        while len(self._free) < len(keys):
            self._grow()
        rows = [self._free.pop() for _ in keys]
        idx = np.array(rows, dtype=np.int64)
        arr = np.array(keys, dtype=np.int64).reshape(-1, 2)
        self.src[idx] = arr[:, 0]
        self.dst[idx] = arr[:, 1]
        self.weight[idx] = weights
        self.coact[idx] = coact
        self.created[idx] = tick
        self.last[idx] = tick
        self.alive[idx] = True
        self.changed[idx] = True
        self.index.update(zip(keys, rows, strict=True))

    def bulk_load(self, rows: list[tuple[int, int, float, int, int, int]]) -> None:
        """Fill an empty table from stored rows ``(a, b, weight, coact, created, last)``; nothing is marked
        changed."""
        if self.index:
            raise ValueError("bulk_load needs an empty table")
        n = len(rows)
        while len(self.src) < n:
            self._grow()
        if n:
            cols = list(zip(*rows, strict=True))
            self.src[:n], self.dst[:n] = cols[0], cols[1]
            self.weight[:n], self.coact[:n] = cols[2], cols[3]
            self.created[:n], self.last[:n] = cols[4], cols[5]
            self.alive[:n] = True
        self.index = {(a, b): i for i, (a, b, *_rest) in enumerate(rows)}
        taken = set(range(n))
        self._free = [r for r in self._free if r not in taken]

    def remove_rows(self, rows: IntArray) -> list[tuple[int, int]]:
        keys = []
        for r in rows.tolist():
            key = (int(self.src[r]), int(self.dst[r]))
            del self.index[key]
            self._free.append(r)
            keys.append(key)
        self.alive[rows] = False
        self.changed[rows] = False
        self.weight[rows] = 0.0
        self.coact[rows] = 0
        return keys

    def changed_rows(self) -> IntArray:
        """Live rows changed since the last :meth:`mark_saved`, ordered by (source, target)."""
        rows = np.flatnonzero(self.changed & self.alive)
        return rows[np.lexsort((self.dst[rows], self.src[rows]))]

    def mark_saved(self) -> None:
        self.changed[:] = False

    def live_rows(self) -> IntArray:
        return np.flatnonzero(self.alive)
