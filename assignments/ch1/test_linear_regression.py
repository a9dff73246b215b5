"""Public tests for ch1/linear_regression.py: run `pytest assignments/ch1`.

Quick checks of values you can work out by hand. The hidden tests go further: F.mse_loss on
several shapes, your gradient against autograd, gradient descent step by step and at convergence
against the least-squares solution, float32 and float64, CPU and CUDA.
"""
import torch

from ch1 import linear_regression


def assert_close(got, want):
    """got == want up to rounding (same shape); torch.allclose is quicker to load than torch.testing."""
    assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-5, atol=1e-6), f"got {got}, expected {want}"


def test_mse_loss():
    input, target = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0])   # squared errors 0, 4, 9
    assert_close(linear_regression.mse_loss(input, target), torch.tensor(13.0 / 3))
    assert_close(linear_regression.mse_loss(input, target, reduction="sum"), torch.tensor(13.0))
    assert_close(linear_regression.mse_loss(input, target, reduction="none"), torch.tensor([0.0, 4.0, 9.0]))


def test_mse_grad():
    # N=2 samples, D=1 feature, K=1 output; at zero weight and bias the residual is pred - y = [-1, -3],
    # d loss / d pred = 2 * residual / (N * K) = [-1, -3]
    x, y = torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [3.0]])
    d_weight, d_bias = linear_regression.mse_grad(x, y, torch.zeros(1, 1), torch.zeros(1))
    assert_close(d_weight, torch.tensor([[-7.0]]))   # -1 * 1 + -3 * 2
    assert_close(d_bias, torch.tensor([-4.0]))       # -1 + -3


def test_fit_linear_regression():
    x, y = torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [3.0]])
    weight, bias = linear_regression.fit_linear_regression(x, y, 0.1, 0)
    assert_close(weight, torch.zeros(1, 1))          # no step: the zeros it starts from
    assert_close(bias, torch.zeros(1))
    weight, bias = linear_regression.fit_linear_regression(x, y, 0.1, 1)
    assert_close(weight, torch.tensor([[0.7]]))      # one step: 0 - 0.1 * (-7)
    assert_close(bias, torch.tensor([0.4]))          # 0 - 0.1 * (-4)
    x, y = torch.tensor([[0.0], [1.0], [2.0]]), torch.tensor([[-1.0], [1.0], [3.0]])   # y = 2 x - 1 exactly
    weight, bias = linear_regression.fit_linear_regression(x, y, 0.3, 200)
    assert_close(weight, torch.tensor([[2.0]]))
    assert_close(bias, torch.tensor([-1.0]))
