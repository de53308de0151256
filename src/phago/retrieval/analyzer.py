"""The lexical analyzer: tokens without stop words, optionally stemmed (Snowball English via PyStemmer).

Stemming lifts SciFact nDCG@10 from 0.662 to 0.686 (measured, see docs/benchmarks.md), so it is the
default. Concepts are never stemmed: they keep their surface form ("proteins" stays "proteins").
"""

from __future__ import annotations

from collections.abc import Callable

from phago.core.text import index_terms
from phago.errors import ConfigError

STEMMERS = ("english", "none")
STEM_CACHE_SIZE = 500_000  # distinct words remembered (a word is stemmed once; the cache restarts when full)


def make_analyzer(stemmer: str) -> Callable[[str], list[str]]:
    if stemmer == "none":
        return index_terms
    if stemmer != "english":
        raise ConfigError(f"lexical.stemmer: invalid value {stemmer!r} (allowed: {', '.join(STEMMERS)})")
    import Stemmer  # PyStemmer, a core dependency

    stem_word = Stemmer.Stemmer("english").stemWord
    stems: dict[str, str] = {}

    def analyze(text: str) -> list[str]:
        out = []
        for word in index_terms(text):
            stem = stems.get(word)
            if stem is None:
                if len(stems) >= STEM_CACHE_SIZE:
                    stems.clear()
                stem = stems[word] = stem_word(word)
            out.append(stem)
        return out

    return analyze
