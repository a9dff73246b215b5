"""Torch-backed reference for ch2/losses.py: torch's losses and autograd."""
import torch
import torch.nn.functional as F


def log_softmax(x, dim):
    return F.log_softmax(x, dim)


def cross_entropy(input, target, reduction="mean", label_smoothing=0.0):
    return F.cross_entropy(input, target, reduction=reduction, label_smoothing=label_smoothing)


def binary_cross_entropy_with_logits(input, target, reduction="mean", pos_weight=None):
    return F.binary_cross_entropy_with_logits(input, target, reduction=reduction, pos_weight=pos_weight)


def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    x = input.detach().requires_grad_()
    (grad,) = torch.autograd.grad(F.cross_entropy(x, target, reduction=reduction), x, grad_output)
    return grad
