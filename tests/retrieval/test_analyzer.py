"""The lexical analyzer: index terms, stemmed with Snowball English (memoised) or left as they are."""

from __future__ import annotations

import pytest
import Stemmer  # type: ignore[import-not-found]

from phago.core.text import index_terms
from phago.demo import corpus as demo_corpus
from phago.errors import ConfigError
from phago.retrieval import analyzer
from phago.retrieval.analyzer import make_analyzer


def _texts() -> list[str]:
    return [item.text for item in demo_corpus()[0]]


@pytest.mark.parametrize("cache_size", [analyzer.STEM_CACHE_SIZE, 3])
def test_english_analysis_equals_snowball_on_the_index_terms(monkeypatch: pytest.MonkeyPatch,
                                                             cache_size: int) -> None:
    monkeypatch.setattr(analyzer, "STEM_CACHE_SIZE", cache_size)  # 3: the memo restarts many times
    analyze = make_analyzer("english")
    reference = Stemmer.Stemmer("english")
    for text in _texts() * 2:  # the second pass is answered from the memo
        assert analyze(text) == reference.stemWords(index_terms(text))


def test_no_stemming_keeps_the_index_terms() -> None:
    text = _texts()[0]
    assert make_analyzer("none")(text) == index_terms(text)


def test_an_unknown_stemmer_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"lexical\.stemmer"):
        make_analyzer("klingon")
