"""Evaluation metrics (``phago.retrieval.evaluation``) on examples computed by hand."""

from __future__ import annotations

import random

import pytest

from phago.retrieval.evaluation import ndcg_at_k, nmi, precision_at_k, recall_at_k, reciprocal_rank

# Ranked results and judgements: a, b, c are relevant (c with grade 2, which counts as relevant);
# d is relevant but never retrieved; x is judged non-relevant (grade 0); y is unjudged.
RANKED = ["a", "x", "b", "y", "c"]
QRELS = {"a": 1, "b": 1, "c": 2, "d": 1, "x": 0}


def test_ndcg_on_a_hand_example() -> None:
    # DCG@5 = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1.886852807…
    # IDCG@5 over the 4 relevant judged items = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5) = 2.561606311…
    assert ndcg_at_k(RANKED, QRELS, 5) == pytest.approx(1.8868528072345416 / 2.5616063116448506, rel=1e-12)
    assert ndcg_at_k(RANKED, QRELS, 5) == pytest.approx(0.7365896932159578, rel=1e-12)
    # @2: DCG = 1, IDCG = 1 + 1/log2(3)
    assert ndcg_at_k(RANKED, QRELS, 2) == pytest.approx(1 / 1.6309297535714575, rel=1e-12)
    assert ndcg_at_k(RANKED, QRELS, 1) == 1.0
    assert ndcg_at_k(["a", "b", "c", "d"], QRELS, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], QRELS, 10) == 0.0
    assert ndcg_at_k(RANKED, {"x": 0}, 10) == 0.0  # nothing relevant: 0, not a division by zero
    assert ndcg_at_k([], QRELS, 10) == 0.0


def test_recall_on_a_hand_example() -> None:
    assert recall_at_k(RANKED, QRELS, 1) == 0.25
    assert recall_at_k(RANKED, QRELS, 3) == 0.5
    assert recall_at_k(RANKED, QRELS, 100) == 0.75
    assert recall_at_k(["a", "b", "c", "d"], QRELS, 4) == 1.0
    assert recall_at_k(RANKED, {"x": 0}, 10) == 0.0


def test_precision_standard_and_by_returned() -> None:
    assert precision_at_k(RANKED, QRELS, 3) == pytest.approx(2 / 3)
    assert precision_at_k(RANKED, QRELS, 3, by_returned=True) == pytest.approx(2 / 3)
    assert precision_at_k(RANKED, QRELS, 5) == pytest.approx(3 / 5)
    # fewer results than k: the standard divides by k, the original protocol by what came back
    assert precision_at_k(RANKED, QRELS, 10) == pytest.approx(3 / 10)
    assert precision_at_k(RANKED, QRELS, 10, by_returned=True) == pytest.approx(3 / 5)
    assert precision_at_k(["a"], QRELS, 5) == pytest.approx(1 / 5)
    assert precision_at_k(["a"], QRELS, 5, by_returned=True) == 1.0
    assert precision_at_k([], QRELS, 5) == 0.0
    assert precision_at_k([], QRELS, 5, by_returned=True) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(RANKED, QRELS) == 1.0
    assert reciprocal_rank(["x", "y", "c"], QRELS) == pytest.approx(1 / 3)
    assert reciprocal_rank(["y", "b"], QRELS) == 0.5
    assert reciprocal_rank(["x", "y"], QRELS) == 0.0
    assert reciprocal_rank([], QRELS) == 0.0


def test_nmi_on_a_hand_example() -> None:
    # contingency: (0,0)=2, (0,1)=1, (1,1)=1, (1,2)=2 over n=6
    # MI = 2·(2/6)·ln(2·6/(3·2)) = (2/3)·ln 2; H(true) = ln 2, H(pred) = ln 3
    # NMI (arithmetic mean) = (2/3)·ln 2 / ((ln 2 + ln 3)/2) = (4/3)·ln 2 / ln 6 = 0.51580374…
    true = [0, 0, 0, 1, 1, 1]
    pred = ["p", "p", "q", "q", "r", "r"]
    assert nmi(true, pred) == pytest.approx(0.5158037429793888, rel=1e-12)
    assert nmi(pred, true) == pytest.approx(0.5158037429793888, rel=1e-12)  # symmetric


def test_nmi_is_one_for_the_same_partition_under_any_labels() -> None:
    true = [0, 0, 1, 1, 1, 2, 3, 3]
    relabelled = ["d", "d", "a", "a", "a", "c", "b", "b"]
    assert nmi(true, relabelled) == pytest.approx(1.0, abs=1e-12)
    assert nmi(["x"] * 5, [7] * 5) == 1.0  # one cluster each: identical partitions
    assert nmi([0, 1, 2], ["a", "b", "c"]) == pytest.approx(1.0, abs=1e-12)


def test_nmi_is_about_zero_for_independent_partitions() -> None:
    rng = random.Random(3)
    n = 20_000
    a = [rng.randrange(4) for _ in range(n)]
    b = [rng.randrange(5) for _ in range(n)]
    assert 0.0 <= nmi(a, b) < 0.002
    # an uninformative (single-cluster) prediction shares no information
    assert nmi(a, [0] * n) == 0.0
    # a refinement of the truth scores between the two extremes
    refined = [x * 2 + (i % 2) for i, x in enumerate(a)]
    assert 0.5 < nmi(a, refined) < 1.0


def test_nmi_input_errors_and_empty() -> None:
    with pytest.raises(ValueError):
        nmi([0, 1], [0])
    assert nmi([], []) == 0.0
