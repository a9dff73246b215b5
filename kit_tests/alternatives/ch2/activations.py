"""A differently written correct activations module: float64 inside, other exact formulas."""
import math

import torch


def _back(x, value):
    return value.to(x.dtype)


def relu(x):
    return (x + x.abs()) / 2


def relu_backward(grad_output, x):
    return grad_output * torch.heaviside(x, torch.zeros((), dtype=x.dtype, device=x.device))


def leaky_relu(x, negative_slope=0.01):
    return x.clamp(min=0) + negative_slope * x.clamp(max=0)


def leaky_relu_backward(grad_output, x, negative_slope=0.01):
    out = grad_output.clone()
    out[x <= 0] *= negative_slope
    return out


def sigmoid(x):
    return _back(x, 0.5 * (1 + torch.tanh(x.double() / 2)))


def sigmoid_backward(grad_output, x):
    s = 0.5 * (1 + torch.tanh(x.double() / 2))
    return _back(x, grad_output.double() * s * (1 - s))


def tanh(x):
    x64 = x.double()
    return _back(x, torch.sign(x64) * torch.expm1(-2 * x64.abs()).neg() / (1 + torch.exp(-2 * x64.abs())))


def tanh_backward(grad_output, x):
    return _back(x, grad_output.double() * (1 - tanh(x.double()) ** 2))


def gelu(x, approximate="none"):
    if approximate == "none":
        return _back(x, x.double() * torch.special.ndtr(x.double()))
    if approximate == "tanh":
        x64 = x.double()
        return _back(x, x64 * torch.special.expit(2 * math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)))
    raise ValueError(approximate)


def gelu_backward(grad_output, x, approximate="none"):
    x64, g64 = x.double(), grad_output.double()
    if approximate == "none":
        return _back(x, g64 * (torch.special.ndtr(x64) + x64 * torch.exp(-x64 ** 2 / 2) / math.sqrt(2 * math.pi)))
    if approximate == "tanh":
        u = 2 * math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)
        s = torch.special.expit(u)
        du = 2 * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x64 ** 2)
        return _back(x, g64 * (s + x64 * s * (1 - s) * du))
    raise ValueError(approximate)


def silu(x):
    return _back(x, x.double() / (1 + torch.exp(-x.double())))


def silu_backward(grad_output, x):
    x64 = x.double()
    s = 1 / (1 + torch.exp(-x64))
    return _back(x, grad_output.double() * s * (1 + x64 * (1 - s)))
