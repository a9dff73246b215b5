"""Public tests for ch3/clipping.py: run `pytest assignments/ch3`.

Quick checks of values you can work out by hand. The hidden tests go further: norms of order 1,
2, inf, 0.5 and 3 against torch.nn.utils on many parameters of different shapes, tiny and zero
gradients, NaN and inf in the gradients, float32 and float64, CPU and CUDA.
"""
import math

import torch

from ch3 import clipping


def assert_close(got, want, atol=1e-6):
    """got == want up to rounding (same shape); torch.allclose is quicker to load than torch.testing."""
    assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-5, atol=atol), f"got {got}, expected {want}"


def params_with_grads():
    """Two parameters with gradients [3, 0] and [4] (total 2-norm 5), and one without a gradient."""
    p, q, r = torch.zeros(2), torch.zeros(1), torch.zeros(3)
    p.grad, q.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
    return p, q, r


def test_clip_grad_norm_scales_down_to_max_norm():
    p, q, r = params_with_grads()
    grad_p = p.grad
    total = clipping.clip_grad_norm_([p, q, r], 1.0)
    assert_close(total, torch.tensor(5.0))                # the norm BEFORE clipping
    coef = 1.0 / (5.0 + 1e-6)
    assert_close(p.grad, torch.tensor([3.0, 0.0]) * coef)
    assert_close(q.grad, torch.tensor([4.0]) * coef)
    assert p.grad is grad_p                               # in place
    assert r.grad is None                                 # no gradient: skipped
    assert_close(p, torch.zeros(2))                       # parameters untouched


def test_clip_grad_norm_never_scales_up():
    p, q, _ = params_with_grads()
    total = clipping.clip_grad_norm_((t for t in [p, q]), 10.0)   # a generator works too
    assert_close(total, torch.tensor(5.0))
    assert_close(p.grad, torch.tensor([3.0, 0.0]))
    assert_close(q.grad, torch.tensor([4.0]))


def test_clip_grad_norm_other_norms():
    p, q, _ = params_with_grads()
    assert_close(clipping.clip_grad_norm_([p, q], 100.0, norm_type=1.0), torch.tensor(7.0))
    assert_close(clipping.clip_grad_norm_([p, q], 2.0, norm_type=math.inf), torch.tensor(4.0))
    assert_close(q.grad, torch.tensor([2.0]), atol=1e-5)  # 4 * 2 / (4 + 1e-6)


def test_clip_grad_norm_without_gradients():
    total = clipping.clip_grad_norm_([torch.zeros(2)], 1.0)
    assert_close(total, torch.tensor(0.0))


def test_clip_grad_value_():
    p, q, r = params_with_grads()
    p.grad = torch.tensor([-2.0, 0.5])
    grad_p = p.grad
    clipping.clip_grad_value_([p, q, r], 1.0)
    assert_close(p.grad, torch.tensor([-1.0, 0.5]))
    assert_close(q.grad, torch.tensor([1.0]))
    assert p.grad is grad_p and r.grad is None
    clipping.clip_grad_value_(q, 0.25)                    # a single tensor
    assert_close(q.grad, torch.tensor([0.25]))
