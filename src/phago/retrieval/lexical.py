"""Incremental BM25 over passages, with the passage's document as context.

Scores follow Lucene's BM25 (as bm25s' default ``lucene`` method):
``idf = ln(1 + (N − df + 0.5)/(df + 0.5))`` and ``tf / (tf + k1·(1 − b + b·|d|/avgdl))``.
A passage's lexical score is its own BM25 plus ``document_weight`` × the BM25 of its whole document
(title included), so a passage is also judged by the context it came from.

Postings live in per-term dicts (cheap incremental add / remove); a term's postings are turned into numpy
arrays lazily, on the first query that needs them after a change, so scoring is vectorised.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


class BM25Field:
    """One BM25 field keyed by non-negative integers."""

    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b
        self.postings: dict[str, dict[int, int]] = {}
        self._arrays: dict[str, tuple[IntArray, FloatArray]] = {}
        # term -> (generation, keys, BM25 contributions); valid while the field's generation is unchanged
        self._scored: dict[str, tuple[int, IntArray, FloatArray]] = {}
        self.generation = 0  # bumped by every add / remove (N, avgdl and postings may change)
        self.lengths: FloatArray = np.zeros(1024, dtype=np.float64)
        self.count = 0
        self.total_length = 0.0

    def add(self, key: int, terms: Sequence[str]) -> None:
        self.add_counts(key, Counter(terms), len(terms))

    def add_counts(self, key: int, counts: Mapping[str, int], length: int) -> None:
        """Index a unit given its term frequencies and length (in terms)."""
        if key >= len(self.lengths):
            grown = np.zeros(max(key + 1, 2 * len(self.lengths)), dtype=np.float64)
            grown[: len(self.lengths)] = self.lengths
            self.lengths = grown
        elif self.lengths[key] != 0:
            raise ValueError(f"key {key} is already indexed")
        postings = self.postings
        stale = self._arrays
        for term, tf in counts.items():
            plist = postings.get(term)
            if plist is None:
                postings[term] = {key: tf}
            else:
                plist[key] = tf
                if term in stale:
                    del stale[term]
        # an empty unit still counts in N; a tiny positive length marks it as present
        self.generation += 1
        self.lengths[key] = length or 1e-9
        self.count += 1
        self.total_length += length

    def remove(self, key: int, terms: Sequence[str]) -> None:
        for term in set(terms):
            plist = self.postings[term]
            del plist[key]
            self._arrays.pop(term, None)
            if not plist:
                del self.postings[term]
        self.generation += 1
        self.total_length -= len(terms)
        self.lengths[key] = 0.0
        self.count -= 1

    def _postings(self, term: str) -> tuple[IntArray, FloatArray] | None:
        arr = self._arrays.get(term)
        if arr is None:
            plist = self.postings.get(term)
            if not plist:
                return None
            keys = np.fromiter(plist.keys(), dtype=np.int64, count=len(plist))
            tfs = np.fromiter(plist.values(), dtype=np.float64, count=len(plist))
            arr = (keys, tfs)
            self._arrays[term] = arr
        return arr

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1.0 + (self.count - df + 0.5) / (df + 0.5))

    def avgdl(self) -> float:
        return self.total_length / self.count if self.count and self.total_length > 0 else 1.0

    def term_scores(self, term: str) -> tuple[IntArray, FloatArray] | None:
        """Keys containing ``term`` and the term's BM25 contribution to each (cached until the next change)."""
        cached = self._scored.get(term)
        if cached is not None and cached[0] == self.generation:
            return cached[1], cached[2]
        post = self._postings(term)
        if post is None:
            return None
        keys, tfs = post
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths[keys] / self.avgdl())
        contrib = self.idf(term) * tfs / (tfs + norm)
        self._scored[term] = (self.generation, keys, contrib)
        return keys, contrib

    def score_dense(self, terms: Sequence[str], size: int) -> FloatArray:
        """BM25 of every key < ``size`` for the distinct query terms (zeros where nothing matches)."""
        parts = [ts for t in dict.fromkeys(terms) if (ts := self.term_scores(t)) is not None]
        if not parts:
            return np.zeros(size, dtype=np.float64)
        keys = np.concatenate([k for k, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        return np.bincount(keys, weights=vals, minlength=size)[:size].astype(np.float64, copy=False)

    def score(self, terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """(keys, scores) of every unit matching at least one distinct query term."""
        parts = [ts for t in dict.fromkeys(terms) if (ts := self.term_scores(t)) is not None]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        keys = np.concatenate([k for k, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        uniq, inv = np.unique(keys, return_inverse=True)
        return uniq.astype(np.int64), np.bincount(inv, weights=vals, minlength=uniq.size).astype(np.float64)


@dataclass(frozen=True, slots=True)
class LexicalHit:
    passage_id: int
    score: float
    terms: tuple[tuple[str, float], ...]  # each matched query term's contribution to the passage


class DocumentField:
    """Document-level BM25 derived at query time from the passage postings (a document's term frequency is
    the sum over its passages), so documents need no index of their own. Lengths are kept per document."""

    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b
        self.lengths: FloatArray = np.zeros(1024, dtype=np.float64)
        self.count = 0
        self.total_length = 0.0
        self.generation = 0
        self._scored: dict[str, tuple[tuple[int, int], IntArray, FloatArray]] = {}

    def add(self, key: int, length: int) -> None:
        if key >= len(self.lengths):
            grown = np.zeros(max(key + 1, 2 * len(self.lengths)), dtype=np.float64)
            grown[: len(self.lengths)] = self.lengths
            self.lengths = grown
        self.lengths[key] = length
        self.count += 1
        self.total_length += length
        self.generation += 1

    def remove(self, key: int) -> None:
        self.total_length -= self.lengths[key]
        self.lengths[key] = 0.0
        self.count -= 1
        self.generation += 1

    def term_scores(self, term: str, passages: BM25Field, owner: IntArray) -> tuple[IntArray, FloatArray] | None:
        stamp = (passages.generation, self.generation)
        cached = self._scored.get(term)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        post = passages._postings(term)
        if post is None:
            return None
        docs, inv = np.unique(owner[post[0]], return_inverse=True)
        tfs = np.bincount(inv, weights=post[1], minlength=docs.size)
        avgdl = self.total_length / self.count if self.count and self.total_length > 0 else 1.0
        idf = math.log(1.0 + (self.count - docs.size + 0.5) / (docs.size + 0.5))
        contrib = idf * tfs / (tfs + self.k1 * (1.0 - self.b + self.b * self.lengths[docs] / avgdl))
        self._scored[term] = (stamp, docs, contrib)
        return docs, contrib


class LexicalIndex:
    """Passages (and their documents, as context) under BM25."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, document_weight: float = 1.0) -> None:
        self.passages = BM25Field(k1, b)
        self.documents = DocumentField(k1, b)
        self.document_weight = document_weight
        self.owner: IntArray = np.zeros(1024, dtype=np.int64)  # passage id -> document key (grows by doubling)
        self._size = 0  # one past the largest passage id indexed

    def __len__(self) -> int:
        return self.passages.count

    def add_document(self, doc_key: int, length: int) -> None:
        """Register a document (after its passages) with its length in index terms."""
        self.documents.add(doc_key, length)

    def remove_document(self, doc_key: int) -> None:
        self.documents.remove(doc_key)

    def _document_scores(self, terms: Sequence[str]) -> FloatArray:
        size = len(self.documents.lengths)
        parts = [
            ts for t in dict.fromkeys(terms) if (ts := self.documents.term_scores(t, self.passages, self.owner))
        ]
        if not parts:
            return np.zeros(size, dtype=np.float64)
        keys = np.concatenate([k for k, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        return np.bincount(keys, weights=vals, minlength=size).astype(np.float64, copy=False)

    def add(self, passage_id: int, doc_key: int, terms: Sequence[str]) -> Counter[str]:
        """Index a passage; returns its term counts (the caller may sum them for the document)."""
        if passage_id >= len(self.owner):
            grown = np.zeros(max(passage_id + 1, 2 * len(self.owner)), dtype=np.int64)
            grown[: len(self.owner)] = self.owner
            self.owner = grown
        self.owner[passage_id] = doc_key
        self._size = max(self._size, passage_id + 1)
        counts = Counter(terms)
        self.passages.add_counts(passage_id, counts, len(terms))
        return counts

    def remove(self, passage_id: int, terms: Sequence[str]) -> None:
        self.passages.remove(passage_id, terms)

    def score(self, terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """(passage ids, lexical scores) of every passage matching a query term."""
        dense = self.score_dense(terms)
        pids = np.flatnonzero(dense > 0).astype(np.int64)
        return pids, dense[pids]

    @property
    def size(self) -> int:
        """One past the largest passage id ever indexed (the length of dense score vectors)."""
        return self._size

    def score_dense(self, terms: Sequence[str]) -> FloatArray:
        """Lexical score of every passage id (< :attr:`size`): its BM25 plus document context."""
        scores = self.passages.score_dense(terms, self.size)
        if self.document_weight and scores.any():
            docs = self._document_scores(terms)
            scores = scores + self.document_weight * docs[self.owner[: self.size]] * (scores > 0)
        return scores

    def search(self, terms: Sequence[str], k: int) -> list[LexicalHit]:
        """Top ``k`` passages (ties broken by passage id)."""
        pids, scores = self.score(terms)
        if pids.size == 0 or k <= 0:
            return []
        top = top_k(pids, scores, k)
        chosen = [int(pids[i]) for i in top]
        return [LexicalHit(pid, float(scores[i]), expl)
                for pid, i, expl in zip(chosen, top, self.explain_many(terms, chosen), strict=True)]

    def explain(self, terms: Sequence[str], passage_id: int) -> tuple[tuple[str, float], ...]:
        return self.explain_many(terms, [passage_id])[0]

    def explain_many(self, terms: Sequence[str], passage_ids: Sequence[int]) -> list[tuple[tuple[str, float], ...]]:
        """Each passage's matched query terms with their BM25 contribution (one pass over the query's terms)."""
        f = self.passages
        avgdl = f.avgdl()
        matched = [(t, plist, f.idf(t)) for t in dict.fromkeys(terms) if (plist := f.postings.get(t))]
        out = []
        for pid, length in zip(passage_ids, f.lengths[np.asarray(passage_ids, dtype=np.int64)].tolist(), strict=True):
            norm = f.k1 * (1.0 - f.b + f.b * length / avgdl)
            out.append(tuple((t, idf * tf / (tf + norm)) for t, plist, idf in matched if (tf := plist.get(pid))))
        return out


def top_k(keys: IntArray, scores: FloatArray, k: int) -> list[int]:
    """Indices of the ``k`` best scores, best first; ties by smaller key."""
    if scores.size > k:
        cut = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[cut].min()
        cand = np.flatnonzero(scores >= threshold)  # keep every tie at the boundary
    else:
        cand = np.arange(scores.size)
    order = np.lexsort((keys[cand], -scores[cand]))
    best: list[int] = cand[order][:k].tolist()
    return best
