"""Text processing: normalisation, tokens, index terms, sentences and sentence-aware passages."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phago.core.text import STOP_WORDS, Span, index_terms, normalise, passages, sentences, tokenize


def _texts(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


# -- normalise -------------------------------------------------------------------------------------------


def test_normalise_unifies_line_endings_and_collapses_spaces() -> None:
    raw = "  Alpha \t  beta\r\ngamma\rdelta  \r\n\r\n\r\n  epsilon\f\vzeta  "
    assert normalise(raw) == "Alpha beta\ngamma\ndelta\n\n\nepsilon zeta"


@pytest.mark.parametrize("sep", ["\t", "\f", "\v", "  ", " \t", "\t "])
def test_normalise_turns_any_run_of_blanks_into_one_space(sep: str) -> None:
    assert normalise(f"alpha{sep}beta gamma") == "alpha beta gamma"


def test_normalise_keeps_paragraph_breaks() -> None:
    assert normalise("one\n\ntwo") == "one\n\ntwo"
    assert "\n\n" in normalise("First paragraph.  \n   \nSecond paragraph.")


def test_normalise_applies_nfc() -> None:
    decomposed = "cafe\u0301 re\u0301sume\u0301"
    out = normalise(decomposed)
    assert out == unicodedata.normalize("NFC", decomposed)
    assert out == "café résumé"


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é\u0301\t\r\n\f\v.")), max_size=60))
def test_normalise_is_idempotent_and_has_no_carriage_returns(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "\r" not in once
    assert "  " not in once
    assert once == once.strip()


# -- tokens ----------------------------------------------------------------------------------------------


def test_tokenize_lowercases_and_drops_single_characters() -> None:
    assert tokenize("The DNA of a Cell, x-ray & ATP2 is 42!") == [
        "the",
        "dna",
        "of",
        "cell",
        "ray",
        "atp2",
        "is",
        "42",
    ]


def test_tokenize_keeps_stop_words_and_unicode_words() -> None:
    toks = tokenize("Über die Brücke and the naïve café")
    assert toks == ["über", "die", "brücke", "and", "the", "naïve", "café"]


def test_index_terms_removes_stop_words() -> None:
    text = "The mitochondria are the powerhouse of the cell, and they produce ATP."
    terms = index_terms(text)
    assert terms == ["mitochondria", "powerhouse", "cell", "produce", "atp"]
    assert not set(terms) & STOP_WORDS


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["the", "of", "and", "cell", "Gene", "DNA", "a", "x", "42", "is", "ATP,"]),
        max_size=30,
    )
)
def test_index_terms_is_tokenize_without_stop_words(words: list[str]) -> None:
    text = " ".join(words)
    assert index_terms(text) == [t for t in tokenize(text) if t not in STOP_WORDS]


# -- sentences -------------------------------------------------------------------------------------------


def test_sentences_split_at_terminal_punctuation() -> None:
    text = "Cells divide. Do they grow? Yes! They do."
    assert _texts(text, sentences(text)) == ["Cells divide.", "Do they grow?", "Yes!", "They do."]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Enzymes, e.g. lactase, digest sugar. Next one.",
            ["Enzymes, e.g. lactase, digest sugar.", "Next one."],
        ),
        ("Dr. Smith met Mrs. Jones. They talked.", ["Dr. Smith met Mrs. Jones.", "They talked."]),
        (
            "Acids, i.e. proton donors, etc. are common. Bases too.",
            ["Acids, i.e. proton donors, etc. are common.", "Bases too."],
        ),
        (
            "See Fig. 3 and Smith et al. for details. Done.",
            ["See Fig. 3 and Smith et al. for details.", "Done."],
        ),
        ("J. Watson and F. Crick found it. Then more.", ["J. Watson and F. Crick found it.", "Then more."]),
        ("(e.g. saliva) works. Done.", ["(e.g. saliva) works.", "Done."]),
        ("Ends with a.\u00a0Next starts.", ["Ends with a.\u00a0Next starts."]),
        ("A " + "x" * 40 + ". Next one.", ["A " + "x" * 40 + ".", "Next one."]),
        ("Spaced out . Next one.", ["Spaced out .", "Next one."]),
    ],
)
def test_abbreviations_are_not_sentence_ends(text: str, expected: list[str]) -> None:
    assert _texts(text, sentences(text)) == expected


def test_blank_lines_split_sentences() -> None:
    text = "A heading without a stop\n\nThe body starts here. It goes on\n   \nlast words"
    assert _texts(text, sentences(text)) == [
        "A heading without a stop",
        "The body starts here.",
        "It goes on",
        "last words",
    ]


def test_single_newline_does_not_split() -> None:
    text = "a line that wraps\nonto the next line."
    assert _texts(text, sentences(text)) == [text]


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = 'He said "stop." Then (quietly.) it ended.'
    assert _texts(text, sentences(text)) == ['He said "stop."', "Then (quietly.)", "it ended."]


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert sentences("") == []
    assert sentences("  \n\n \t ") == []
    assert passages("", 10) == []
    assert passages(" \n\n ", 10) == []


# -- passages --------------------------------------------------------------------------------------------


def test_passages_group_whole_sentences() -> None:
    text = "One two three. Four five six. Seven eight nine. Ten."
    assert _texts(text, passages(text, 6)) == ["One two three. Four five six.", "Seven eight nine. Ten."]


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    text = "w1 w2 w3 w4 w5 w6 w7. Short one."
    assert _texts(text, passages(text, 3)) == ["w1 w2 w3", "w4 w5 w6", "w7.", "Short one."]


def test_passages_do_not_cross_a_paragraph_only_by_accident() -> None:
    # sentences are the unit: two short paragraphs may share a passage, but each stays whole
    text = "Alpha beta.\n\nGamma delta."
    out = _texts(text, passages(text, 10))
    assert out == ["Alpha beta.\n\nGamma delta."]


_PIECES = st.sampled_from(
    [
        "cell",
        "gene",
        "DNA",
        "e.g.",
        "Dr.",
        "J.",
        "etc.",
        "end.",
        "why?",
        "yes!",
        '"quote."',
        "(aside.)",
        "3.14",
        "x",
        "—",
        "über",
        "naïve",
    ]
)
_GAPS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", " \n \n ", "\t", "\r\n", "\u00a0", "\u3000"])


@st.composite
def _random_texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.tuples(_PIECES, _GAPS), max_size=60))
    lead = draw(_GAPS)
    return lead + "".join(p + g for p, g in pieces)


def _check_passage_invariants(text: str, max_words: int) -> None:
    spans = passages(text, max_words)
    # never exceed max_words
    for s in spans:
        assert 0 < len(text[s.start : s.end].split()) <= max_words, (s, text[s.start : s.end])
    # never overlap, in order
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    # every word of the text, in order, exactly once
    assert [w for s in spans for w in text[s.start : s.end].split()] == text.split()
    # spans start and end on words, not whitespace
    for s in spans:
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()


@settings(max_examples=40, deadline=None)
@given(_random_texts(), st.integers(min_value=1, max_value=25))
def test_passage_invariants_on_structured_texts(text: str, max_words: int) -> None:
    _check_passage_invariants(text, max_words)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=1, max_value=12))
def test_passage_invariants_on_arbitrary_unicode(text: str, max_words: int) -> None:
    _check_passage_invariants(text, max_words)


@settings(max_examples=30, deadline=None)
@given(_random_texts(), st.integers(min_value=8, max_value=40))
def test_passage_invariants_on_normalised_texts(text: str, max_words: int) -> None:
    _check_passage_invariants(normalise(text), max_words)


@settings(max_examples=30, deadline=None)
@given(_random_texts())
def test_sentences_cover_every_word_in_order(text: str) -> None:
    spans = sentences(text)
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    assert [w for s in spans for w in text[s.start : s.end].split()] == text.split()
