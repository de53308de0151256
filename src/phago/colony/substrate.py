"""The 2-D substrate: signals from undigested documents and the traces digestion leaves behind.

A document's position is derived from its content hash, so placing it draws nothing from the random
generator. Digesters climb the signal field (chemotaxis): attraction to an open document is its remaining
passages over ``1 + distance``, damped by the trace already laid in its cell, which spreads agents out.
The substrate is also the dashboard's layout.
"""

from __future__ import annotations

import json

import numpy as np
from numpy.typing import NDArray

GRID = 16
EVAPORATION = 0.9


def position_from_hash(content_hash: str, size: float) -> tuple[float, float]:
    x = int(content_hash[0:8], 16) / 0xFFFFFFFF * size
    y = int(content_hash[8:16], 16) / 0xFFFFFFFF * size
    return x, y


class Substrate:
    def __init__(self, size: float) -> None:
        self.size = size
        self.traces: NDArray[np.float64] = np.zeros((GRID, GRID), dtype=np.float64)
        self.signals: dict[str, tuple[float, float, int]] = {}  # open document -> (x, y, remaining)
        # Columnar copy of the signals for vectorised sensing; withdrawn slots are masked, compacted lazily.
        self._slot: dict[str, int] = {}
        self._ids: list[str] = []
        self._xy: NDArray[np.float64] = np.zeros((0, 2))
        self._remaining: NDArray[np.float64] = np.zeros(0)
        self._open: NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._appended: list[tuple[str, float, float, int]] = []

    # -- signals ---------------------------------------------------------------------------------------
    def emit(self, doc_id: str, x: float, y: float, remaining: int) -> None:
        self.withdraw(doc_id)
        self.signals[doc_id] = (x, y, remaining)
        self._appended.append((doc_id, x, y, remaining))

    def withdraw(self, doc_id: str) -> None:
        if self.signals.pop(doc_id, None) is None:
            return
        slot = self._slot.pop(doc_id, None)
        if slot is not None:
            self._open[slot] = False
        else:
            self._appended = [a for a in self._appended if a[0] != doc_id]

    def _refresh(self) -> None:
        if self._appended:
            base = len(self._ids)
            for i, (doc_id, *_rest) in enumerate(self._appended):
                self._slot[doc_id] = base + i
            self._ids.extend(a[0] for a in self._appended)
            self._xy = np.vstack([self._xy, np.array([(a[1], a[2]) for a in self._appended]).reshape(-1, 2)])
            self._remaining = np.concatenate([self._remaining, [float(a[3]) for a in self._appended]])
            self._open = np.concatenate([self._open, np.ones(len(self._appended), dtype=np.bool_)])
            self._appended = []
        if len(self._ids) > 64 and len(self._slot) < len(self._ids) // 4:  # compact when mostly withdrawn
            keep = np.flatnonzero(self._open)
            self._ids = [self._ids[i] for i in keep.tolist()]
            self._xy, self._remaining = self._xy[keep], self._remaining[keep]
            self._open = np.ones(keep.size, dtype=np.bool_)
            self._slot = {doc_id: i for i, doc_id in enumerate(self._ids)}

    def strongest(self, x: float, y: float) -> tuple[str, float, float, float] | None:
        """The most attractive open document from (x, y): (id, its x, its y, distance)."""
        self._refresh()
        if not self._slot:
            return None
        d = np.hypot(self._xy[:, 0] - x, self._xy[:, 1] - y)
        cells = self._cells(self._xy)
        attraction = self._remaining / (1.0 + d) / (1.0 + self.traces[cells[:, 0], cells[:, 1]])
        attraction[~self._open] = -1.0
        best = np.flatnonzero(attraction == attraction.max())
        i = int(best[0]) if best.size == 1 else min(best.tolist(), key=lambda j: self._ids[j])
        return self._ids[i], float(self._xy[i, 0]), float(self._xy[i, 1]), float(d[i])

    # -- traces ----------------------------------------------------------------------------------------
    def _cells(self, xy: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.clip((xy / self.size * GRID).astype(np.int64), 0, GRID - 1)

    def deposit(self, x: float, y: float, amount: float) -> None:
        cx, cy = self._cells(np.array([[x, y]]))[0]
        self.traces[cx, cy] += amount

    def evaporate(self) -> None:
        self.traces *= EVAPORATION

    def clamp(self, v: float) -> float:
        return min(max(v, 0.0), self.size)

    def traces_json(self) -> str:
        return json.dumps(self.traces.ravel().tolist())

    def load_traces(self, blob: str) -> None:
        self.traces = np.asarray(json.loads(blob), dtype=np.float64).reshape(GRID, GRID)
