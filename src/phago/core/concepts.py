"""Concept extraction: salient terms and recurring multi-word phrases, and the local wiring window.

Concept identity is the exact normalised label (lower-cased token, or tokens joined by one space for a
phrase); nothing is ever merged by substring, so "gene" and "generation" stay two concepts.
Extraction depends only on the document, the digester's genome and its vocabulary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass

from phago.core.text import STOP_WORDS
from phago.core.types import ConceptKind

_TOKEN_RE = re.compile(r"\b\w\w+\b", re.UNICODE)
_JOINER_RE = re.compile(r"[ \t\-]*")


@dataclass(frozen=True, slots=True)
class Occurrence:
    label: str
    start: int
    kind: ConceptKind


@dataclass(frozen=True, slots=True)
class DocumentProfile:
    """Document-level counts that make salience and phrase detection document-aware, and the document's
    runs of candidate tokens (so passages need not be tokenised again)."""

    term_counts: dict[str, int]
    phrase_counts: dict[str, int]
    runs: tuple[tuple[tuple[str, int], ...], ...] = ()

    def runs_between(self, start: int, end: int) -> list[list[tuple[str, int]]]:
        """The runs inside ``[start, end)`` with offsets relative to ``start`` (runs never cross passages
        because passages end at whitespace between sentences, where a run is broken anyway)."""
        out = []
        for run in self.runs:
            if run[0][1] >= end:
                break
            inside = [(tok, pos - start) for tok, pos in run if start <= pos < end]
            if inside:
                out.append(inside)
        return out


@dataclass(frozen=True, slots=True)
class PassageConcepts:
    counts: dict[str, int]
    kinds: dict[str, ConceptKind]
    sequence: tuple[str, ...]


def _candidate(token: str, min_length: int) -> bool:
    return len(token) >= min_length and token not in STOP_WORDS and not token.isdigit()


def _runs(text: str, min_length: int) -> list[list[tuple[str, int]]]:
    """Maximal runs of adjacent candidate tokens (joined only by spaces or hyphens)."""
    runs: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    prev_end = -1
    for m in _TOKEN_RE.finditer(text):
        token = m.group().lower()
        if not _candidate(token, min_length):
            if current:
                runs.append(current)
            current, prev_end = [], -1
            continue
        if current and not _JOINER_RE.fullmatch(text, prev_end, m.start()):
            runs.append(current)
            current = []
        current.append((token, m.start()))
        prev_end = m.end()
    if current:
        runs.append(current)
    return runs


def _ngrams(run: Sequence[tuple[str, int]], max_words: int) -> list[tuple[str, int]]:
    out = []
    for n in range(2, max_words + 1):
        for i in range(len(run) - n + 1):
            out.append((" ".join(tok for tok, _ in run[i : i + n]), run[i][1]))
    return out


def profile_document(
    text: str, *, min_term_length: int, phrase_min_count: int, phrase_max_words: int
) -> DocumentProfile:
    terms: Counter[str] = Counter()
    grams: Counter[str] = Counter()
    runs = _runs(text, min_term_length)
    for run in runs:
        terms.update(tok for tok, _ in run)
        if phrase_max_words >= 2:
            grams.update(g for g, _ in _ngrams(run, phrase_max_words))
    kept = {g: c for g, c in grams.items() if c >= phrase_min_count}
    # Drop an n-gram subsumed by a longer kept phrase that occurs as often (it never occurs on its own).
    subsumed: set[str] = set()
    for g, c in kept.items():
        words = g.split(" ")
        for n in range(2, len(words)):
            for i in range(len(words) - n + 1):
                sub = " ".join(words[i : i + n])
                if kept.get(sub) == c:
                    subsumed.add(sub)
    phrases = {g: c for g, c in kept.items() if g not in subsumed}
    return DocumentProfile(dict(terms), phrases, tuple(tuple(r) for r in runs))


def extract(
    passage_text: str,
    profile: DocumentProfile,
    *,
    offset: int | None = None,
    min_term_length: int,
    phrase_max_words: int,
    min_salience: float,
    max_concepts: int,
    vocabulary: Container[str] = (),
    vocabulary_boost: float = 0.0,
) -> PassageConcepts:
    """Select the passage's salient concepts and list their occurrences in textual order.

    With ``offset`` (the passage's start in the profiled document) the profile's runs are reused.
    Salience of a term is ``(1 + ln tf_passage)(1 + ln tf_document)``, times ``1 + boost`` when the term is
    in the digester's vocabulary; a phrase scores the same times its word count. The ``max_concepts`` most
    salient (ties by first position) whose salience reaches ``min_salience`` are kept.
    """
    occurrences: list[Occurrence] = []
    runs = (
        profile.runs_between(offset, offset + len(passage_text))
        if offset is not None and profile.runs
        else _runs(passage_text, min_term_length)
    )
    for run in runs:
        occurrences.extend(Occurrence(tok, start, "term") for tok, start in run)
        if phrase_max_words >= 2 and profile.phrase_counts:
            occurrences.extend(
                Occurrence(g, start, "phrase")
                for g, start in _ngrams(run, phrase_max_words)
                if g in profile.phrase_counts
            )
    occurrences.sort(key=lambda o: (o.start, o.kind == "phrase", o.label))
    counts: Counter[str] = Counter(o.label for o in occurrences)
    kinds: dict[str, ConceptKind] = {}
    first: dict[str, int] = {}
    for o in occurrences:
        kinds.setdefault(o.label, o.kind)
        first.setdefault(o.label, o.start)
    scored = []
    for label, tf in counts.items():
        if kinds[label] == "phrase":
            doc_tf = profile.phrase_counts.get(label, tf)
            s = (1.0 + math.log(tf)) * (1.0 + math.log(doc_tf)) * (label.count(" ") + 1)
        else:
            doc_tf = profile.term_counts.get(label, tf)
            s = (1.0 + math.log(tf)) * (1.0 + math.log(doc_tf))
            if vocabulary_boost and label in vocabulary:
                s *= 1.0 + vocabulary_boost
        if s >= min_salience:
            scored.append((-s, first[label], label))
    scored.sort()
    keep = {label for _, _, label in scored[:max_concepts]}
    return PassageConcepts(
        counts={label: counts[label] for label in keep},
        kinds={label: kinds[label] for label in keep},
        sequence=tuple(o.label for o in occurrences if o.label in keep),
    )


def window_pairs(sequence: Sequence[str], window: int) -> Counter[tuple[str, str]]:
    """Co-activations: each pair of distinct concepts at most ``window`` positions apart, counted once per
    occurrence pair; keys are ordered ``(smaller, larger)``. Work is linear in the passage length."""
    pairs: Counter[tuple[str, str]] = Counter()
    n = len(sequence)
    for i in range(n):
        a = sequence[i]
        for j in range(i + 1, min(i + 1 + window, n)):
            b = sequence[j]
            if a != b:
                pairs[(a, b) if a < b else (b, a)] += 1
    return pairs
