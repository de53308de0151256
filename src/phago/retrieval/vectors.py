"""Vector indexes for dense retrieval: the :class:`VectorIndex` Protocol and exact numpy brute force.

Scores are dot products, which are cosines for the unit vectors an :class:`~phago.retrieval.dense.Embedder`
returns. :class:`NumpyVectorIndex` keeps the vectors in one contiguous float32 matrix (amortised doubling on
add, swap-with-last on remove, an id → row map), so every query is one matrix–vector product.

Results do not depend on the order vectors were added or removed in: a BLAS product may round a row's
score differently depending on where the row sits in the matrix, so the final scores of the candidates
are recomputed with a row-by-row kernel whose result depends only on the two vectors, and ties are broken
by ascending id.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from phago.errors import NotFound

IdArray = NDArray[np.int64]
ScoreArray = NDArray[np.float32]

_EPS32 = float(np.finfo(np.float32).eps) / 2  # unit roundoff of float32


@runtime_checkable
class VectorIndex(Protocol):
    """Vectors under int64 ids, searched by dot product (cosine for unit vectors)."""

    def add(self, ids: IdArray, vectors: NDArray[np.float32]) -> None:
        """Store ``vectors[i]`` under ``ids[i]``; an id already present is an error."""
        ...

    def remove(self, ids: IdArray) -> None:
        """Forget the vectors under ``ids``; an unknown id is an error and nothing is removed."""
        ...

    def search(self, query: NDArray[np.float32], k: int) -> tuple[IdArray, ScoreArray]:
        """The ``k`` best ids and their scores, best first, ties by ascending id."""
        ...

    def scores(self, query: NDArray[np.float32]) -> tuple[IdArray, ScoreArray]:
        """Every stored id (ascending) with its score against ``query``."""
        ...

    def __len__(self) -> int: ...


class NumpyVectorIndex:
    """Exact brute-force search over a contiguous float32 matrix; not thread-safe.

    Vectors are stored as given (not normalised here). ``dim`` is the width every vector must have.
    """

    _MIN_CAPACITY = 64

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dim must be at least 1, got {dim}")
        self.dim = dim
        self._matrix: NDArray[np.float32] = np.zeros((self._MIN_CAPACITY, dim), dtype=np.float32)
        self._ids: IdArray = np.zeros(self._MIN_CAPACITY, dtype=np.int64)
        self._row: dict[int, int] = {}
        self._size = 0
        self._max_norm = 0.0  # an upper bound on the stored vectors' norms, for the rescoring margin
        self._by_id: IdArray | None = None  # rows in ascending id order, rebuilt after a change

    def __len__(self) -> int:
        return self._size

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, int | np.integer) and int(ident) in self._row

    def __repr__(self) -> str:
        return f"NumpyVectorIndex(dim={self.dim}, size={self._size})"

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        keys = _as_ids(ids)
        rows = np.asarray(vectors, dtype=np.float32)
        if rows.ndim != 2 or rows.shape != (len(keys), self.dim):
            raise ValueError(f"vectors must have shape ({len(keys)}, {self.dim}), got {rows.shape}")
        if not np.isfinite(rows).all():
            raise ValueError("vectors must be finite")
        if len(np.unique(keys)) != len(keys):
            raise ValueError("ids repeat within one add()")
        present = [k for k in keys.tolist() if k in self._row]
        if present:
            raise ValueError(f"id {present[0]} is already in the index")
        if not len(keys):
            return
        start, end = self._size, self._size + len(keys)
        if end > len(self._ids):
            self._resize(max(end, 2 * len(self._ids)))
        self._matrix[start:end] = rows
        self._ids[start:end] = keys
        self._row.update(zip(keys.tolist(), range(start, end), strict=True))
        self._size = end
        self._max_norm = max(self._max_norm, float(np.linalg.norm(rows, axis=1).max()))
        self._by_id = None

    def remove(self, ids: ArrayLike) -> None:
        keys = np.unique(_as_ids(ids))
        missing = [k for k in keys.tolist() if k not in self._row]
        if missing:
            raise NotFound("vector", missing[0])
        if not len(keys):
            return
        holes = np.array(sorted(self._row.pop(k) for k in keys.tolist()), dtype=np.int64)
        size = self._size - len(holes)
        # rows at or past the new end that survive fill the holes below it (swap-remove, vectorised)
        movers = np.setdiff1d(np.arange(size, self._size), holes, assume_unique=True)
        targets = holes[holes < size]
        self._matrix[targets] = self._matrix[movers]
        self._ids[targets] = self._ids[movers]
        self._row.update(zip(self._ids[targets].tolist(), targets.tolist(), strict=True))
        self._matrix[size : self._size] = 0.0
        self._size = size
        self._by_id = None
        if len(self._ids) > self._MIN_CAPACITY and size < len(self._ids) // 4:
            self._resize(max(self._MIN_CAPACITY, len(self._ids) // 2))

    def search(self, query: ArrayLike, k: int) -> tuple[IdArray, ScoreArray]:
        q = self._query(query)
        if k < 0:
            raise ValueError(f"k must not be negative, got {k}")
        n = self._size
        if k == 0 or n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        matrix = self._matrix[:n]
        if k < n:
            # BLAS picks the candidates: every row whose score could, after worst-case rounding either way,
            # reach the k-th score is rescored exactly, so the choice cannot depend on the rows' positions
            approx = matrix @ q
            kth = float(np.partition(approx, n - k)[n - k])
            margin = 4.0 * self.dim * _EPS32 * self._max_norm * float(np.linalg.norm(q)) + 1e-30
            candidates = np.flatnonzero(approx >= kth - margin)
            exact = _row_dots(matrix[candidates], q)
            ids = self._ids[candidates]
        else:
            exact = _row_dots(matrix, q)
            ids = self._ids[:n]
        best = np.lexsort((ids, -exact))[:k]
        return ids[best], exact[best]

    def scores(self, query: ArrayLike) -> tuple[IdArray, ScoreArray]:
        q = self._query(query)
        n = self._size
        if self._by_id is None:
            self._by_id = np.argsort(self._ids[:n], kind="stable")
        order = self._by_id
        return self._ids[order], _row_dots(self._matrix[:n], q)[order]

    def _query(self, query: ArrayLike) -> NDArray[np.float32]:
        q = np.ascontiguousarray(query, dtype=np.float32)
        if q.shape != (self.dim,):
            raise ValueError(f"query must have shape ({self.dim},), got {q.shape}")
        if not np.isfinite(q).all():
            raise ValueError("query must be finite")
        return q

    def _resize(self, capacity: int) -> None:
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        ids = np.zeros(capacity, dtype=np.int64)
        matrix[: self._size] = self._matrix[: self._size]
        ids[: self._size] = self._ids[: self._size]
        self._matrix, self._ids = matrix, ids


def _as_ids(ids: ArrayLike) -> IdArray:
    keys = np.asarray(ids)
    if keys.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {keys.shape}")
    if len(keys) and not np.issubdtype(keys.dtype, np.integer):
        raise ValueError(f"ids must be integers, got {keys.dtype}")
    if len(keys) and keys.dtype.kind == "u" and int(keys.max()) > np.iinfo(np.int64).max:
        raise ValueError("ids must fit in int64")
    return keys.astype(np.int64, copy=False)


def _row_dots(matrix: NDArray[np.float32], q: NDArray[np.float32]) -> ScoreArray:
    """``matrix @ q`` with each row's result depending only on that row and ``q`` (not on its position)."""
    dots: ScoreArray = np.einsum("ij,j->i", matrix, q)
    return dots
