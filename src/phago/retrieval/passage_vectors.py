"""Passage vectors for dense retrieval: an embedder, a vector index, and the vectors still to be saved.

A passage is embedded as ``title + "\\n" + text`` so every passage carries its document's subject. Vectors are
stored with the passage and the embedder's name; on open, stored vectors of the same embedder are loaded and
any passage without one (ingested before the embedder was attached, or by another model) is embedded then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from phago.core.types import Passage
from phago.retrieval.dense import Embedder
from phago.retrieval.vectors import NumpyVectorIndex

EMBED_BATCH = 256  # passages embedded per call


class PassageVectors:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.index = NumpyVectorIndex(embedder.dim)
        self.pending: dict[int, tuple[str, bytes]] = {}  # passage -> (model, float32 bytes), not yet saved

    def load(self, stored: Mapping[int, tuple[str, bytes]], passages: Mapping[int, Passage],
             titles: Mapping[str, str]) -> None:
        """Fill the index from stored vectors; embed the passages that have none for this embedder."""
        name, dim = self.embedder.name, self.embedder.dim
        known = sorted(pid for pid, (model, _) in stored.items() if model == name and pid in passages)
        if known:
            matrix = np.stack([np.frombuffer(stored[pid][1], dtype=np.float32) for pid in known])
            if matrix.shape[1] != dim:
                raise ValueError(f"stored vectors of {name!r} have width {matrix.shape[1]}, expected {dim}")
            self.index.add(np.array(known, dtype=np.int64), matrix)
        have = set(known)
        self.add_passages([p for pid, p in sorted(passages.items()) if pid not in have], titles)

    def add_passages(self, passages: Sequence[Passage], titles: Mapping[str, str]) -> None:
        """Embed and index new passages (in batches); their vectors are pending until saved."""
        for lo in range(0, len(passages), EMBED_BATCH):
            batch = passages[lo : lo + EMBED_BATCH]
            texts = [f"{titles.get(p.document_id, '')}\n{p.text}".strip() for p in batch]
            vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
            ids = np.array([p.id for p in batch], dtype=np.int64)
            self.index.add(ids, vectors)
            for pid, vec in zip(ids.tolist(), vectors, strict=True):
                self.pending[pid] = (self.embedder.name, vec.tobytes())

    def remove(self, passage_ids: Iterable[int]) -> None:
        ids = [pid for pid in passage_ids if pid in self.index]
        for pid in ids:
            self.pending.pop(pid, None)
        if ids:
            self.index.remove(np.array(ids, dtype=np.int64))

    def scores(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Cosine of every indexed passage to ``text``."""
        query = np.asarray(self.embedder.embed([text]), dtype=np.float32)[0]
        ids, scores = self.index.scores(query)
        return ids.astype(np.int64), scores.astype(np.float64)
