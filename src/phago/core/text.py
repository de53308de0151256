"""Text processing: normalisation, tokens, stop words, sentences and sentence-aware passages.

All functions are pure and deterministic. Tokens are lower-cased runs of two or more word characters
(the same rule as bm25s and scikit-learn), so lexical scores can be checked against bm25s on the same tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"\b\w\w+\b", re.UNICODE)
_WORD_RE = re.compile(r"\S+")
_SPACE_RE = re.compile(r"[ \t\f\v]+")
_BLANKS_RE = re.compile(r"\n\s*\n+")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace.
_SENT_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    """
    e.g i.e et al etc vs fig figs dr mr mrs ms prof st no vol approx cf eq eqs ref refs sec ca inc ltd jr sr
    """.split()  # noqa: SIM905
)

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also although always
    am among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became
    because become becomes becoming been before beforehand behind being below beside besides between beyond
    both but by can cannot could did do does doing done down due during each either else elsewhere enough
    even ever every everyone everything everywhere except few for former formerly from further had has have
    having he hence her here hereafter hereby herein hers herself him himself his how however i if in indeed
    into is it its itself just last latter latterly least less many may me meanwhile might mine more
    moreover most mostly much must my myself namely neither never nevertheless next no nobody none noone nor
    not nothing now nowhere of off often on once one only onto or other others otherwise our ours ourselves
    out over own per perhaps please rather re same seem seemed seeming seems several she should since so
    some somehow someone something sometime sometimes somewhere still such than that the their theirs them
    themselves then thence there thereafter thereby therefore therein thereupon these they this those though
    through throughout thru thus to together too toward towards under until up upon us very via was we well
    were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
    whether which while whither who whoever whole whom whose why will with within without would yet you your
    yours yourself yourselves also known called using used use uses within each like may can could would
    shall upon onto
    """.split()  # noqa: SIM905
)


def normalise(text: str) -> str:
    """Unicode NFC, unified line endings, collapsed runs of spaces; paragraph breaks are kept."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:  # most texts need no substitution
        text = _SPACE_RE.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of two or more characters, stop words included."""
    return _TOKEN_RE.findall(text.lower())


def has_words(text: str) -> bool:
    """Whether :func:`tokenize` would find at least one token."""
    return _TOKEN_RE.search(text) is not None


def index_terms(text: str) -> list[str]:
    """Tokens used by the lexical index: :func:`tokenize` without stop words."""
    return [t for t in _TOKEN_RE.findall(text.lower()) if t not in STOP_WORDS]


def token_spans(text: str) -> list[tuple[str, int]]:
    """(lower-cased token, start offset) for each token, stop words included."""
    return [(m.group().lower(), m.start()) for m in _TOKEN_RE.finditer(text)]


def is_concept_candidate(token: str, min_length: int) -> bool:
    """A token may name a concept: long enough, not a stop word, not purely numeric."""
    return len(token) >= min_length and token not in STOP_WORDS and not token.isdigit()


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` of a text."""

    start: int
    end: int


def sentences(text: str) -> list[Span]:
    """Sentence spans: split at . ! ? before whitespace (not after common abbreviations) and at blank lines."""
    spans: list[Span] = []
    for para_start, para_end in _paragraphs(text):
        start = para_start
        for m in _SENT_END_RE.finditer(text, para_start, para_end):
            end = m.end()
            if _is_abbreviation(text, start, m.start()):
                continue
            _append_span(spans, text, start, end)
            start = end
        _append_span(spans, text, start, para_end)
    return spans


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for m in _BLANKS_RE.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    # the word before the dot (a longer word than the window is no abbreviation and no initial either)
    before = text[max(start, dot - 32) : dot]
    word = "" if not before or before[-1].isspace() else before.split()[-1].lower().strip("(\"'[")
    if word in _ABBREVIATIONS:
        return True
    # Single capital letter initials ("J. Smith") and decimals are not sentence ends.
    return len(word) == 1 and word.isalpha()


def _append_span(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def passages(text: str, max_words: int) -> list[Span]:
    """Group whole sentences into passages of at most ``max_words`` words.

    A sentence longer than ``max_words`` is cut at word boundaries. Passages never overlap and cover every
    word of the text in order.
    """
    out: list[Span] = []
    cur_start = cur_end = -1
    cur_words = 0
    for sent in sentences(text):
        n_words = len(text[sent.start : sent.end].split())
        if n_words > max_words:
            words = _word_spans(text, sent)
            if cur_start >= 0:
                out.append(Span(cur_start, cur_end))
                cur_start, cur_words = -1, 0
            for i in range(0, len(words), max_words):
                chunk = words[i : i + max_words]
                out.append(Span(chunk[0][0], chunk[-1][1]))
            continue
        if cur_start >= 0 and cur_words + n_words > max_words:
            out.append(Span(cur_start, cur_end))
            cur_start, cur_words = -1, 0
        if cur_start < 0:
            cur_start = sent.start
        cur_end = sent.end
        cur_words += n_words
    if cur_start >= 0:
        out.append(Span(cur_start, cur_end))
    return out


def _word_spans(text: str, span: Span) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD_RE.finditer(text, span.start, span.end)]
