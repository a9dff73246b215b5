"""Public tests for ch2/activations.py: run `pytest assignments/ch2`.

Quick checks of values you can work out by hand. The hidden tests go further:
random shapes and upstream gradients, float32 and float64, CPU and CUDA, extreme
inputs like ±1e4, and the inputs must not be modified.
"""
import math

import pytest
import torch

from ch2 import activations as act

X = torch.tensor([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
G = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])


def test_relu():
    torch.testing.assert_close(act.relu(X), torch.tensor([[0.0, 0.0, 0.0], [0.5, 1.0, 3.0]]))


def test_relu_backward_is_zero_at_the_kink():
    torch.testing.assert_close(act.relu_backward(G, X), torch.tensor([[0.0, 0.0, 0.0], [-1.0, 0.5, 2.0]]))


def test_leaky_relu():
    out = act.leaky_relu(X, negative_slope=0.1)
    torch.testing.assert_close(out, torch.tensor([[-0.2, -0.05, 0.0], [0.5, 1.0, 3.0]]))


def test_leaky_relu_backward():
    out = act.leaky_relu_backward(G, X, negative_slope=0.1)
    torch.testing.assert_close(out, torch.tensor([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]]))


def test_sigmoid_values_and_no_overflow():
    assert act.sigmoid(torch.tensor(0.0)).item() == 0.5
    big = act.sigmoid(torch.tensor([-1e4, 1e4]))
    torch.testing.assert_close(big, torch.tensor([0.0, 1.0]))


def test_sigmoid_backward_at_zero():
    assert act.sigmoid_backward(torch.tensor(2.0), torch.tensor(0.0)).item() == pytest.approx(0.5)


def test_tanh_values_and_no_nan():
    out = act.tanh(torch.tensor([-1e4, 0.0, 1.0, 1e4]))
    torch.testing.assert_close(out, torch.tensor([-1.0, 0.0, math.tanh(1.0), 1.0]))


def test_tanh_backward_at_zero():
    assert act.tanh_backward(torch.tensor(3.0), torch.tensor(0.0)).item() == pytest.approx(3.0)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_shape_and_known_values(approximate):
    out = act.gelu(X, approximate=approximate)
    assert out.shape == X.shape and out.dtype == X.dtype
    assert out[0, 2].item() == 0.0
    assert out[1, 2].item() == pytest.approx(2.9960, abs=1e-3)


def test_gelu_backward_at_zero_is_one_half():
    for approximate in ("none", "tanh"):
        assert act.gelu_backward(torch.tensor(1.0), torch.tensor(0.0), approximate).item() == pytest.approx(0.5)


def test_silu():
    torch.testing.assert_close(act.silu(torch.tensor([0.0, 1e4])), torch.tensor([0.0, 1e4]))


def test_silu_backward_at_zero_is_one_half():
    assert act.silu_backward(torch.tensor(1.0), torch.tensor(0.0)).item() == pytest.approx(0.5)


def test_float64_stays_float64():
    x = X.double()
    for fn in (act.relu, act.leaky_relu, act.sigmoid, act.tanh, act.gelu, act.silu):
        assert fn(x).dtype == torch.float64, fn.__name__
