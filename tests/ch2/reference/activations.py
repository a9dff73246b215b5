"""Torch-backed reference for ch2/activations.py: torch's functions and autograd."""
import torch
import torch.nn.functional as F

relu = torch.relu
leaky_relu = F.leaky_relu
sigmoid = torch.sigmoid
tanh = torch.tanh
gelu = F.gelu
silu = F.silu


def _vjp(fn, grad_output, x, *args, **kwargs):
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(fn(x, *args, **kwargs), x, grad_output)
    return grad


def relu_backward(grad_output, x):
    return _vjp(relu, grad_output, x)


def leaky_relu_backward(grad_output, x, negative_slope=0.01):
    return _vjp(leaky_relu, grad_output, x, negative_slope)


def sigmoid_backward(grad_output, x):
    return _vjp(sigmoid, grad_output, x)


def tanh_backward(grad_output, x):
    return _vjp(tanh, grad_output, x)


def gelu_backward(grad_output, x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(approximate)
    return _vjp(gelu, grad_output, x, approximate=approximate)


def silu_backward(grad_output, x):
    return _vjp(silu, grad_output, x)
