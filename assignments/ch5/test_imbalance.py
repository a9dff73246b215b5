"""Public tests for ch5/imbalance.py: run `pytest assignments/ch5`.

Quick checks of values you can work out by hand. The hidden tests go further: every reduction and
many (alpha, gamma) pairs, soft targets, logits of ±50 and ±100, gradients, counts given as lists
and as integer or float tensors, class weights with beta up to 0.9999, a WeightedRandomSampler run,
float32 and float64, CPU and CUDA.
"""
import math

import pytest
import torch

from ch5 import imbalance


def assert_close(got, want):
    """got == want up to rounding (same shape and dtype); torch.allclose loads faster than torch.testing."""
    assert got.shape == want.shape and got.dtype == want.dtype, f"got {got}, expected {want}"
    assert torch.allclose(got, want, rtol=1e-6, atol=1e-7), f"got {got}, expected {want}"


def test_sigmoid_focal_loss_by_hand():
    # x = 0: p = 0.5, cross-entropy log 2, p_t = 0.5, factor (1 - 0.5)^2 = 0.25;
    # alpha 0.25 for the positive (t = 1), 0.75 for the negative (t = 0)
    x = torch.tensor([0.0, 0.0, math.log(3.0)])         # sigmoid(log 3) = 0.75
    t = torch.tensor([1.0, 0.0, 1.0])
    want = torch.tensor([0.25 * math.log(2) * 0.25, 0.75 * math.log(2) * 0.25, 0.25 * -math.log(0.75) * 0.25 ** 2])
    assert_close(imbalance.sigmoid_focal_loss(x, t), want)               # defaults: alpha 0.25, gamma 2, 'none'
    assert_close(imbalance.sigmoid_focal_loss(x, t, reduction="sum"), want.sum())
    assert_close(imbalance.sigmoid_focal_loss(x, t, reduction="mean"), want.mean())
    plain = imbalance.sigmoid_focal_loss(x, t, alpha=-1, gamma=0)       # no weighting: plain cross-entropy
    assert_close(plain, torch.tensor([math.log(2), math.log(2), -math.log(0.75)]))
    with pytest.raises(Exception):
        imbalance.sigmoid_focal_loss(x, t, reduction="avg")


def test_sigmoid_focal_loss_is_stable_for_large_logits():
    x = torch.tensor([50.0, -50.0])
    out = imbalance.sigmoid_focal_loss(x, torch.tensor([0.0, 0.0]), alpha=-1, gamma=0)
    assert torch.isfinite(out).all(), f"got {out}; compute the cross-entropy from the logits, not log(sigmoid(x))"
    assert_close(out, torch.tensor([50.0, 0.0]))


def test_class_weights_by_hand():
    counts = [30, 10, 20]                                # N = 60, C = 3
    assert_close(imbalance.class_weights(counts), torch.tensor([60 / 90, 60 / 30, 60 / 60]))
    assert_close(imbalance.class_weights(torch.tensor(counts), scheme="inverse"), torch.tensor([2 / 3, 2.0, 1.0]))
    # beta = 0.5: (1 - 0.5) / (1 - 0.5^n) for n = 1, 2: 1 and 2/3; scaled to sum to C = 2
    weights = imbalance.class_weights(torch.tensor([1.0, 2.0], dtype=torch.float64), scheme="effective", beta=0.5)
    assert_close(weights, torch.tensor([1.2, 0.8], dtype=torch.float64))
    with pytest.raises(Exception):
        imbalance.class_weights(counts, scheme="balanced")
    with pytest.raises(ValueError):
        imbalance.class_weights([4, 0, 2])               # a class without examples has no finite weight


def test_balanced_sample_weights_by_hand():
    labels = torch.tensor([2, 0, 2, 2, 5])               # class 2 three times, 0 and 5 once (1, 3, 4 never)
    assert_close(imbalance.balanced_sample_weights(labels), torch.tensor([1 / 3, 1.0, 1 / 3, 1 / 3, 1.0]))
