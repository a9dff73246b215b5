"""Torch-backed reference for ch4/normalization.py: torch's own modules (same names, arguments and
state_dict keys), and for batch_norm_forward / batch_norm_backward `F.batch_norm` in training mode
and autograd through it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BatchNorm1d = nn.BatchNorm1d
BatchNorm2d = nn.BatchNorm2d
LayerNorm = nn.LayerNorm
GroupNorm = nn.GroupNorm


def batch_norm_forward(x, gamma, beta, eps=1e-5):
    out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    return out, (x, gamma, beta, eps)


def batch_norm_backward(grad_out, cache):
    x, gamma, beta, eps = cache
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (x, gamma, beta)]
        out = F.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True, eps=eps)
        dx, dgamma, dbeta = torch.autograd.grad(out, leaves, grad_out)
    return dx, dgamma, dbeta
