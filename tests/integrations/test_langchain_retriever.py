"""``phago.integrations.langchain.PhagoRetriever``: LangChain's standard retriever tests, plus what the
standard tests do not check (metadata, explanations, errors, the missing-extra error)."""

from __future__ import annotations

import importlib
import sys

import pytest

from strict_mode import require_module

require_module("langchain_core", "pip install 'phago[langchain]'")
require_module("langchain_tests", "pip install langchain-tests")

from biology_notes import NOTES, biology_colony  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_tests.integration_tests import RetrieversIntegrationTests  # noqa: E402

from phago import Colony, InputError, MissingExtra  # noqa: E402
from phago.integrations.langchain import PhagoRetriever  # noqa: E402

pytestmark = pytest.mark.anyio


class TestPhagoRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return PhagoRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, object]:
        return {"colony": biology_colony()}

    @property
    def retriever_query_example(self) -> str:
        return "How do cells make ATP?"


def test_documents_carry_scores_and_explanations(colony: Colony) -> None:
    docs = PhagoRetriever(colony=colony, k=3).invoke("ATP from the electron transport chain")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    best = docs[0]
    meta = best.metadata
    assert best.page_content in NOTES[meta["title"]]
    assert best.id == f"{meta['document_id']}#{meta['passage_id']}"
    assert meta["score"] == meta["scores"]["fused"]
    assert set(meta["scores"]) == {"lexical", "graph", "dense", "fused"}
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)
    explanation = meta["explanation"]
    assert "atp" in {term for term, _ in explanation["matched_terms"]}
    assert set(explanation) == {"matched_terms", "query_concepts", "edges", "passage_concepts"}


def test_k_per_call_overrides_the_default(colony: Colony) -> None:
    retriever = PhagoRetriever(colony=colony, k=4)
    assert len(retriever.invoke("ATP", k=1)) == 1
    assert retriever.k == 4


async def test_ainvoke_matches_invoke(colony: Colony) -> None:
    retriever = PhagoRetriever(colony=colony, k=2, mode="lexical")
    assert [d.id for d in await retriever.ainvoke("protein")] == [d.id for d in retriever.invoke("protein")]


def test_bad_arguments(colony: Colony) -> None:
    with pytest.raises(ValueError):
        PhagoRetriever(colony=colony, k=0)
    with pytest.raises(InputError):
        PhagoRetriever(colony=colony).invoke("   ")


def test_import_without_langchain_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "phago.integrations.langchain")
    for name in [n for n in sys.modules if n == "langchain_core" or n.startswith("langchain_core.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtra) as info:
        importlib.import_module("phago.integrations.langchain")
    assert info.value.extra == "langchain" and "pip install 'phago[langchain]'" in str(info.value)
