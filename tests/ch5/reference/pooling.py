"""Torch-backed reference for ch5/pooling.py: torch's F.max_pool2d and F.avg_pool2d with their
defaults (no dilation, count_include_pad=True, ceil_mode=False), and autograd through F.max_pool2d
for the backward."""
import torch
import torch.nn.functional as F


def max_pool2d(input, kernel_size, stride=None, padding=0):
    return F.max_pool2d(input, kernel_size, stride=stride, padding=padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    return F.avg_pool2d(input, kernel_size, stride=stride, padding=padding,
                        ceil_mode=False, count_include_pad=True)


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0):
    leaf = input.detach().requires_grad_()
    (grad,) = torch.autograd.grad(max_pool2d(leaf, kernel_size, stride, padding), leaf, grad_output)
    return grad
