"""Public tests for ch4/normalization.py: run `pytest assignments/ch4`.

Quick checks of values you can work out by hand (eps = 1e-5 moves them by about 1e-5). The hidden
tests go further: several training steps against torch's modules with the same state_dict (outputs,
gradients with random upstream gradients, running stats after every step), every option, CPU and
CUDA, float32 and float64, and batch_norm_backward against autograd.
"""
import math

import pytest
import torch

from ch4 import normalization


def assert_close(got, want, atol=1e-4):
    """got == want up to eps and rounding (same shape); torch.allclose is quicker to load than torch.testing."""
    want = torch.as_tensor(want, dtype=got.dtype)
    assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-4, atol=atol), f"got {got}, expected {want}"


def two_by_two():
    """Channel 0: 1, 3 (mean 2, biased var 1, unbiased 2); channel 1: 2, 6 (mean 4, var 4, unbiased 8)."""
    return torch.tensor([[1.0, 2.0], [3.0, 6.0]])


def test_batchnorm1d_training_step():
    bn = normalization.BatchNorm1d(2)
    assert set(bn.state_dict()) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    x = two_by_two()
    assert_close(bn(x), [[-1.0, -1.0], [1.0, 1.0]])
    assert_close(bn.running_mean, [0.1 * 2, 0.1 * 4])                   # 0.9 * 0 + 0.1 * mean
    assert_close(bn.running_var, [0.9 + 0.1 * 2, 0.9 + 0.1 * 8])         # unbiased variance goes in
    assert int(bn.num_batches_tracked) == 1
    assert_close(x, two_by_two())                                        # the input is left alone


def test_batchnorm1d_eval_uses_running_stats():
    bn = normalization.BatchNorm1d(2)
    bn.eval()
    x = two_by_two()
    assert_close(bn(x), x / math.sqrt(1 + 1e-5))                        # running mean 0, running var 1
    assert int(bn.num_batches_tracked) == 0


def test_batchnorm1d_momentum_none_is_a_cumulative_average():
    bn = normalization.BatchNorm1d(2, momentum=None)
    bn(two_by_two())                                                     # means 2, 4
    bn(torch.tensor([[0.0, 0.0], [2.0, 2.0]]))                           # means 1, 1
    assert_close(bn.running_mean, [1.5, 2.5])


def test_batchnorm1d_options_and_errors():
    bn = normalization.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.bias is None and bn.running_mean is None
    bn.eval()
    assert_close(bn(torch.tensor([[0.0, 1.0, 2.0], [2.0, 3.0, 6.0]])), [[-1.0] * 3, [1.0] * 3])   # batch stats
    with pytest.raises(Exception):
        normalization.BatchNorm1d(2)(torch.ones(1, 2))                   # one value per channel
    assert normalization.BatchNorm1d(2)(torch.ones(1, 2, 3)).shape == (1, 2, 3)


def test_batchnorm2d_statistics_over_n_h_w():
    x = torch.tensor([1.0, 3.0, 5.0, 7.0]).reshape(2, 1, 1, 2)           # one channel: mean 4, var 5
    out = normalization.BatchNorm2d(1)(x)
    assert_close(out, torch.tensor([-3.0, -1.0, 1.0, 3.0]).reshape(2, 1, 1, 2) / math.sqrt(5))


def test_batch_norm_forward():
    gamma, beta = torch.tensor([2.0, 1.0]), torch.tensor([0.0, 1.0])
    out, _ = normalization.batch_norm_forward(two_by_two(), gamma, beta)
    assert_close(out, [[-2.0, 0.0], [2.0, 2.0]])


def test_batch_norm_backward():
    x = torch.tensor([[-1.0], [-1.0], [1.0], [1.0]])                   # mean 0, var 1: x_hat = x
    out, cache = normalization.batch_norm_forward(x, torch.tensor([2.0]), torch.tensor([0.0]))
    grad_out = torch.tensor([[1.0], [0.0], [0.0], [0.0]])
    dx, dgamma, dbeta = normalization.batch_norm_backward(grad_out, cache)
    # dx = gamma / std * (g - mean(g) - x_hat * mean(g * x_hat)) = 2 * (g - 0.25 + 0.25 * x_hat)
    assert_close(dx, [[1.0], [-1.0], [0.0], [0.0]])
    assert_close(dgamma, [-1.0])                                         # sum of g * x_hat
    assert_close(dbeta, [1.0])                                           # sum of g


def test_layernorm():
    assert_close(normalization.LayerNorm(2)(torch.tensor([[1.0, 3.0], [0.0, -4.0]])), [[-1.0, 1.0], [1.0, -1.0]])
    ln = normalization.LayerNorm((2, 2), bias=False)
    assert ln.weight.shape == (2, 2) and ln.bias is None
    assert_close(ln(torch.tensor([[[0.0, 2.0], [2.0, 0.0]]])), [[[-1.0, 1.0], [1.0, -1.0]]])   # mean 1, var 1


def test_groupnorm():
    x = torch.tensor([1.0, 3.0, 10.0, 14.0]).reshape(1, 4, 1)           # groups: channels (0, 1) and (2, 3)
    gn = normalization.GroupNorm(2, 4)
    assert gn.weight.shape == (4,)
    assert_close(gn(x), torch.tensor([-1.0, 1.0, -1.0, 1.0]).reshape(1, 4, 1))
    with pytest.raises(Exception):
        normalization.GroupNorm(3, 4)(torch.ones(2, 4, 1))               # 4 channels do not split into 3 groups
