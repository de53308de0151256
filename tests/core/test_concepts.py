"""Concept extraction: exact identity, recurring phrases, the local wiring window, the salience cap."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from phago.core.concepts import PassageConcepts, extract, profile_document, window_pairs

OPTS: dict[str, int] = {"min_term_length": 3, "phrase_max_words": 3}


def _extract(
    text: str,
    *,
    phrase_min_count: int = 2,
    max_concepts: int = 1024,
    min_salience: float = 0.0,
    vocabulary: frozenset[str] = frozenset(),
    vocabulary_boost: float = 0.0,
) -> PassageConcepts:
    profile = profile_document(text, phrase_min_count=phrase_min_count, **OPTS)
    return extract(
        text,
        profile,
        max_concepts=max_concepts,
        min_salience=min_salience,
        vocabulary=vocabulary,
        vocabulary_boost=vocabulary_boost,
        **OPTS,
    )


# -- identity --------------------------------------------------------------------------------------------


def test_substrings_are_not_merged() -> None:
    text = "The gene shapes each generation. A gene, genes and the genome; generation after generation."
    pc = _extract(text)
    assert pc.counts["gene"] == 2
    assert pc.counts["generation"] == 3
    assert pc.counts["genes"] == 1
    assert pc.counts["genome"] == 1
    assert {"gene", "generation", "genes", "genome"} <= set(pc.counts)


def test_identity_is_case_insensitive_and_exact() -> None:
    pc = _extract("DNA, dna; Dna. RNA.")
    assert pc.counts == {"dna": 3, "rna": 1}
    assert pc.kinds == {"dna": "term", "rna": "term"}


def test_stop_words_numbers_and_short_tokens_are_not_concepts() -> None:
    pc = _extract("The 2024 ox is in the cell, and 42 cells are there.")
    assert set(pc.counts) == {"cell", "cells"}


# -- phrases ---------------------------------------------------------------------------------------------


def test_phrase_needs_to_recur() -> None:
    once = "Oxidative phosphorylation makes energy."
    twice = "Oxidative phosphorylation makes energy. Cells rely on oxidative phosphorylation."
    assert "oxidative phosphorylation" not in profile_document(once, phrase_min_count=2, **OPTS).phrase_counts
    prof = profile_document(twice, phrase_min_count=2, **OPTS)
    assert prof.phrase_counts["oxidative phosphorylation"] == 2
    pc = _extract(twice)
    assert pc.kinds["oxidative phosphorylation"] == "phrase"
    assert pc.counts["oxidative phosphorylation"] == 2
    # the phrase's words remain concepts of their own
    assert pc.counts["oxidative"] == 2 and pc.counts["phosphorylation"] == 2


def test_phrases_do_not_span_stop_words_or_punctuation() -> None:
    text = "cell wall, cell wall. cell of wall, cell of wall"
    prof = profile_document(text, phrase_min_count=2, **OPTS)
    assert prof.phrase_counts == {"cell wall": 2}


def test_phrase_max_words_one_disables_phrases() -> None:
    text = "cell wall cell wall cell wall"
    prof = profile_document(text, min_term_length=3, phrase_min_count=2, phrase_max_words=1)
    assert prof.phrase_counts == {}


_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "the", "of", "cell", "x", "42", ",", "."])


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(_WORDS, min_size=1, max_size=60), st.integers(min_value=1, max_value=4))
def test_phrases_recur_at_least_phrase_min_count(words: list[str], min_count: int) -> None:
    text = " ".join(words)
    prof = profile_document(text, phrase_min_count=min_count, **OPTS)
    for phrase, count in prof.phrase_counts.items():
        assert count >= min_count
        assert 2 <= len(phrase.split()) <= OPTS["phrase_max_words"]
        # the count is the number of times the words occur adjacently in the text
        tokens = " ".join(w for w in words)
        assert f" {phrase} " in f" {tokens} "
    pc = extract(text, prof, max_concepts=1024, min_salience=0.0, **OPTS)
    for label, kind in pc.kinds.items():
        if kind == "phrase":
            assert prof.phrase_counts[label] >= min_count
        else:
            assert " " not in label


# -- window pairs ----------------------------------------------------------------------------------------


def test_window_pairs_example() -> None:
    pairs = window_pairs(["a", "b", "c", "a"], 2)
    # positions (0,1) (0,2) (1,2) (1,3) (2,3); (0,3) is 3 apart, past the window
    assert pairs == Counter({("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 1})
    assert window_pairs(["a", "x", "y", "b"], 2)[("a", "b")] == 0
    # the same concept twice is never an edge
    assert ("a", "a") not in window_pairs(["a", "a", "a"], 5)


def _brute_pairs(seq: list[str], window: int) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for i in range(len(seq)):
        for j in range(len(seq)):
            if i < j and j - i <= window and seq[i] != seq[j]:
                out[tuple(sorted((seq[i], seq[j])))] += 1  # type: ignore[index]
    return out


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.sampled_from("abcdefg"), max_size=40), st.integers(min_value=1, max_value=10))
def test_window_pairs_only_within_window(seq: list[str], window: int) -> None:
    pairs = window_pairs(seq, window)
    assert pairs == _brute_pairs(seq, window)
    for a, b in pairs:
        assert a < b
        # some occurrence of a and b lies within the window
        pos_a = [i for i, x in enumerate(seq) if x == a]
        pos_b = [i for i, x in enumerate(seq) if x == b]
        assert min(abs(i - j) for i in pos_a for j in pos_b) <= window


def test_window_pairs_are_linear_in_length() -> None:
    # distinct concepts far apart: a document of n concepts yields at most n·window co-activations,
    # never the n²/2 of all-pairs wiring
    seq = [f"c{i}" for i in range(5000)]
    pairs = window_pairs(seq, 4)
    assert sum(pairs.values()) == sum(min(4, len(seq) - 1 - i) for i in range(len(seq)))
    assert len(pairs) <= 4 * len(seq)
    assert ("c0", "c5") not in pairs and ("c0", "c4") in pairs


# -- salience and the cap --------------------------------------------------------------------------------


def _salience(label: str, tf: int, doc_tf: int) -> float:
    return (1.0 + math.log(tf)) * (1.0 + math.log(doc_tf)) * (label.count(" ") + 1)


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.lists(_WORDS, min_size=1, max_size=80),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([0.0, 1.0, 1.5, 3.0]),
)
def test_salience_cap_keeps_the_most_salient(words: list[str], cap: int, min_salience: float) -> None:
    text = " ".join(words)
    full = _extract(text, max_concepts=1024)
    capped = _extract(text, max_concepts=cap, min_salience=min_salience)
    assert len(capped.counts) <= cap
    assert set(capped.counts) <= set(full.counts)
    # the passage is the document here, so salience = the formula on its own counts
    score = {label: _salience(label, n, n) for label, n in full.counts.items()}
    kept, dropped = set(capped.counts), set(full.counts) - set(capped.counts)
    for label in kept:
        assert score[label] >= min_salience
        assert all(score[label] >= score[d] for d in dropped if score[d] >= min_salience)
    eligible = [label for label in full.counts if score[label] >= min_salience]
    assert len(kept) == min(cap, len(eligible))
    # the wiring sequence holds only kept concepts, in textual order
    assert set(capped.sequence) <= kept
    assert Counter(capped.sequence) == Counter(capped.counts)


def test_vocabulary_boost_changes_what_is_salient() -> None:
    text = "alpha alpha beta gamma"
    assert set(_extract(text, max_concepts=1).counts) == {"alpha"}
    boosted = _extract(text, max_concepts=1, vocabulary=frozenset({"gamma"}), vocabulary_boost=2.0)
    assert set(boosted.counts) == {"gamma"}
    # ties are broken by first position
    assert set(_extract("gamma beta", max_concepts=1).counts) == {"gamma"}
