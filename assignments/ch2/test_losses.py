"""Public tests for ch2/losses.py: run `pytest assignments/ch2`.

Quick checks of values you can work out by hand. The hidden tests go further:
random logits and targets compared with torch, float32 and float64, CPU and
CUDA, logits up to ±1e4, label smoothing with both kinds of target, random
upstream gradients, and the inputs must not be modified.
"""
import math

import pytest
import torch

from ch2 import losses

LOG2, LOG4 = math.log(2.0), math.log(4.0)


def test_log_softmax_of_equal_logits():
    out = losses.log_softmax(torch.zeros(2, 4), dim=1)
    torch.testing.assert_close(out, torch.full((2, 4), -LOG4))


def test_log_softmax_known_values():
    out = losses.log_softmax(torch.tensor([0.0, math.log(3.0)]), dim=0)
    torch.testing.assert_close(out, torch.tensor([math.log(0.25), math.log(0.75)]))


def test_log_softmax_uses_dim():
    x = torch.tensor([[0.0, 5.0, 1.0], [0.0, -5.0, 1.0]])
    for dim in (0, 1, -1):
        out = losses.log_softmax(x, dim=dim)
        assert out.shape == x.shape
        sums = out.exp().sum(dim=dim)
        torch.testing.assert_close(sums, torch.ones_like(sums))
    torch.testing.assert_close(losses.log_softmax(x, dim=0)[:, 0], torch.tensor([-LOG2, -LOG2]))


def test_log_softmax_is_stable_for_huge_logits():
    out = losses.log_softmax(torch.tensor([1e4, -1e4, 1e4]), dim=0)
    torch.testing.assert_close(out, torch.tensor([-LOG2, -2e4 - LOG2, -LOG2]))


def test_cross_entropy_of_equal_logits_is_log_c():
    x, t = torch.zeros(2, 4), torch.tensor([0, 3])
    assert losses.cross_entropy(x, t).item() == pytest.approx(LOG4)
    assert losses.cross_entropy(x, t, reduction="sum").item() == pytest.approx(2 * LOG4)
    torch.testing.assert_close(losses.cross_entropy(x, t, reduction="none"), torch.tensor([LOG4, LOG4]))


def test_cross_entropy_class_ids_equal_one_hot_probabilities():
    x = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    t = torch.tensor([1, 2])
    probs = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(losses.cross_entropy(x, t, reduction="none"),
                               losses.cross_entropy(x, probs, reduction="none"))


def test_cross_entropy_label_smoothing():
    x = torch.tensor([[0.0, math.log(3.0)]])       # softmax [0.25, 0.75]
    smoothed = -(0.9 * math.log(0.25) + 0.1 * math.log(0.75))   # target (1 - 0.2) * [1, 0] + 0.2 / 2
    out = losses.cross_entropy(x, torch.tensor([0]), label_smoothing=0.2)
    assert out.item() == pytest.approx(smoothed)


def test_cross_entropy_is_stable_for_huge_logits():
    x = torch.tensor([[1e4, -1e4], [1e4, -1e4]])
    out = losses.cross_entropy(x, torch.tensor([0, 1]), reduction="none")
    torch.testing.assert_close(out, torch.tensor([0.0, 2e4]))


def test_bce_with_logits_values():
    x = torch.tensor([0.0, 0.0, 1e4, -1e4, 1e4])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    out = losses.binary_cross_entropy_with_logits(x, y, reduction="none")
    torch.testing.assert_close(out, torch.tensor([LOG2, LOG2, 1e4, 1e4, 0.0]))
    assert losses.binary_cross_entropy_with_logits(x, y).item() == pytest.approx((2 * LOG2 + 2e4) / 5)


def test_bce_with_logits_pos_weight_scales_the_positive_term_per_class():
    x, y = torch.zeros(2, 2), torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    out = losses.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=torch.tensor([3.0, 1.0]))
    torch.testing.assert_close(out, torch.tensor([[3 * LOG2, LOG2], [LOG2, LOG2]]))


def test_cross_entropy_backward_is_softmax_minus_one_hot():
    x, t = torch.zeros(2, 4), torch.tensor([0, 3])
    want = torch.tensor([[-0.75, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, -0.75]])
    g = torch.tensor(2.0)
    torch.testing.assert_close(losses.cross_entropy_backward(g, x, t, reduction="sum"), 2 * want)
    torch.testing.assert_close(losses.cross_entropy_backward(g, x, t, reduction="mean"), want)
    torch.testing.assert_close(losses.cross_entropy_backward(torch.tensor([1.0, -1.0]), x, t, reduction="none"),
                               want * torch.tensor([[1.0], [-1.0]]))


def test_unknown_reduction_raises_value_error():
    x, t = torch.zeros(2, 3), torch.tensor([0, 1])
    with pytest.raises(ValueError):
        losses.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError):
        losses.binary_cross_entropy_with_logits(x, x, reduction="avg")
    with pytest.raises(ValueError):
        losses.cross_entropy_backward(torch.tensor(1.0), x, t, reduction="avg")


def test_float64_stays_float64():
    x, t = torch.zeros(2, 3, dtype=torch.float64), torch.tensor([0, 1])
    assert losses.log_softmax(x, 1).dtype == torch.float64
    assert losses.cross_entropy(x, t).dtype == torch.float64
    assert losses.binary_cross_entropy_with_logits(x, x).dtype == torch.float64
    assert losses.cross_entropy_backward(torch.tensor(1.0, dtype=torch.float64), x, t).dtype == torch.float64
