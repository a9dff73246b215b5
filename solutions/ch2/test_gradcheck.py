"""Public tests for ch2/gradcheck.py: run `pytest assignments/ch2`.

Quick checks you can work out by hand. The hidden tests go further: functions
whose autograd backward is wrong (so finite differences must not use autograd),
non-contiguous inputs, several inputs of which only some require grad,
non-scalar outputs, custom eps/atol/rtol, CPU and CUDA, inputs left unchanged.
"""
import pytest
import torch

from ch2 import gradcheck as gc


class SquareWrongBackward(torch.autograd.Function):
    """t * t with a deliberately wrong backward (the derivative is 2t, not t)."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * t


def test_numerical_gradient_of_a_quadratic():
    x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype=torch.float64)
    grad = gc.numerical_gradient(lambda t: (t * t).sum(), x)
    assert grad.shape == x.shape and grad.dtype == torch.float64
    torch.testing.assert_close(grad, 2 * x, atol=1e-6, rtol=0)


def test_numerical_gradient_leaves_x_unchanged():
    x = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    before = x.clone()
    gc.numerical_gradient(lambda t: torch.sin(t).sum(), x)
    assert torch.equal(x, before)


def test_numerical_gradient_does_not_trust_autograd():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    grad = gc.numerical_gradient(lambda t: SquareWrongBackward.apply(t).sum(), x)
    torch.testing.assert_close(grad, 2 * x, atol=1e-6, rtol=0)


def test_numerical_gradient_accepts_a_python_float():
    x = torch.tensor(3.0, dtype=torch.float64)
    grad = gc.numerical_gradient(lambda t: float(t) ** 2, x, eps=1e-3)
    assert grad.item() == pytest.approx(6.0, abs=1e-6)


def test_relative_error_values():
    a = torch.tensor([1.0, 0.0, 3.0])
    b = torch.tensor([1.0, 0.0, 1.0])
    assert gc.relative_error(a, b) == pytest.approx(0.5)          # |3 - 1| / (3 + 1)
    assert gc.relative_error(torch.zeros(3), torch.zeros(3)) == 0.0
    assert gc.relative_error(torch.tensor([1e-9]), torch.tensor([0.0])) == pytest.approx(0.1)  # floor 1e-8


def test_gradcheck_accepts_a_correct_gradient():
    x = torch.rand(2, 3, dtype=torch.float64, requires_grad=True)
    y = torch.rand(3, dtype=torch.float64)
    assert gc.gradcheck(lambda a, b: torch.sin(a) * b, (x, y)) is True


def test_gradcheck_rejects_a_wrong_gradient():
    x = torch.rand(4, dtype=torch.float64, requires_grad=True)
    assert gc.gradcheck(lambda t: SquareWrongBackward.apply(t), (x,)) is False
