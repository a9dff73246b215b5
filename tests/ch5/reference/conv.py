"""Torch-backed reference for ch5/conv.py.

- `conv2d`: `F.conv2d` itself (its warning about a padded copy for 'same' with an even kernel
  silenced: it is about speed, not the answer).
- `conv2d_backward`: autograd through `F.conv2d`, with a bias leaf so that `d_bias` is what a
  bias would get (`grad_output` summed over dims 0, 2, 3), whether or not the forward had one.
- `conv_output_size`: the size `F.conv2d` gives on the meta device (shapes only, no arithmetic of
  ours), for a 1-pixel-wide input.
- `receptive_field`: measured, not computed: a stack of 1-pixel-wide convolutions with all-ones
  weights over a line of inputs; the receptive field of output 0 is the span of inputs with a
  nonzero gradient (all weights positive: no cancellation). It agrees with the closed form
  `1 + sum_l d_l (k_l - 1) prod_{m<l} s_m` on every case of the suite (checked there).
"""
import warnings

import torch
import torch.nn.functional as F


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return F.conv2d(input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
    with torch.enable_grad():
        x = input.detach().requires_grad_()
        w = weight.detach().requires_grad_()
        b = torch.zeros(weight.shape[0], device=weight.device, dtype=weight.dtype, requires_grad=True)
        out = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
        d_input, d_weight, d_bias = torch.autograd.grad(out, (x, w, b), grad_output)
    return d_input, d_weight, d_bias


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    x = torch.empty(1, 1, size, 1, device="meta")
    w = torch.empty(1, 1, kernel_size, 1, device="meta")
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2]


def receptive_field(layers):
    length = 1 + sum(d * (k - 1) for k, _, d in layers)   # times every stride: more than the field
    for _, stride, _ in layers:
        length *= stride
    with torch.enable_grad():
        x = torch.ones(1, 1, length, 1, dtype=torch.float64, requires_grad=True)
        out = x
        for kernel_size, stride, dilation in layers:
            ones = torch.ones(1, 1, kernel_size, 1, dtype=torch.float64)
            out = F.conv2d(out, ones, stride=(stride, 1), dilation=(dilation, 1))
        (grad,) = torch.autograd.grad(out[0, 0, 0, 0], x)
    return int(grad.reshape(-1).nonzero().max()) + 1
