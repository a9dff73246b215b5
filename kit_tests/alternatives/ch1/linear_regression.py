"""A differently written correct ch1/linear_regression.py (kit_tests/test_chapters.py gives it full
marks): mse_loss through a dict of reductions, mse_grad with explicit sums over samples in float64
(cast back), and gradient descent that updates weight and bias as one stacked matrix [K, D + 1]."""
import torch


def mse_loss(input, target, reduction="mean"):
    reducers = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}
    if reduction not in reducers:
        raise KeyError(reduction)
    diff = input - target
    return reducers[reduction](diff * diff)


def mse_grad(x, y, weight, bias):
    n, k = y.shape
    x64, y64 = x.double(), y.double()
    residual = torch.einsum("nd,kd->nk", x64, weight.double()) + bias.double() - y64
    d_weight = torch.einsum("nk,nd->kd", residual, x64) * (2.0 / (n * k))
    d_bias = residual.sum(0) * (2.0 / (n * k))
    return d_weight.to(weight.dtype), d_bias.to(bias.dtype)


def fit_linear_regression(x, y, lr, steps):
    n, d = x.shape
    params = x.new_zeros(y.shape[1], d + 1)   # [weight | bias]
    for _ in range(steps):
        d_weight, d_bias = mse_grad(x, y, params[:, :d], params[:, d])
        params = params - lr * torch.cat([d_weight, d_bias[:, None]], dim=1)
    return params[:, :d].clone(), params[:, d].clone()
