"""Dense retrieval through the facade: passage vectors are embedded, stored, reloaded and forgotten."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from phago import Colony, InputError
from phago.retrieval.dense import MiniLMEmbedder


class CountingEmbedder:
    """Wraps the real embedder and counts the texts it embeds."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_dense_mode_finds_a_paraphrase_and_forgets(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    emb = CountingEmbedder(minilm)
    with Colony.open(tmp_path / "c.db", embedder=emb) as c:
        hive = c.ingest("Honeybees cool the hive by fanning their wings near the entrance.", title="Hive")
        c.ingest("Magma rises through cracks in the crust and erupts from volcanoes.", title="Magma")
        hits = c.query("insects regulating the temperature of their nest", k=2, mode="dense")
        assert hits[0].document_id == hive
        assert hits[0].components.dense is not None and hits[0].components.dense > 0
        c.forget(hive)
        assert all(h.document_id != hive for h in c.query("insects in a nest", k=2, mode="dense"))
    embedded = emb.texts
    reopened = CountingEmbedder(minilm)
    with Colony.open(tmp_path / "c.db", embedder=reopened) as c:  # stored vectors are loaded, not recomputed
        assert c.query("volcano", k=1, mode="dense")[0].title == "Magma"
    assert reopened.texts == 1  # only the query
    assert embedded >= 3


def test_dense_mode_without_an_embedder_is_refused() -> None:
    with Colony() as c:
        c.ingest("Some text about bees.")
        with pytest.raises(InputError):
            c.query("bees", mode="dense")
