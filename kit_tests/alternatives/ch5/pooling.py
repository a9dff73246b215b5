"""A differently written correct ch5/pooling.py (kit_tests/test_chapters.py gives it full marks):
explicit loops over the output positions, padding by slice assignment into a filled tensor, and
the backward's ties broken by an explicit scan for the first maximum, which it finds by
comparing each window with max_pool2d's output (CURRICULUM rule 12: graded with the kit's
max_pool2d in its place)."""
import torch


def _two(value):
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _geometry(input, kernel_size, stride, padding):
    """((kh, kw), (sh, sw), (ph, pw), (out_h, out_w)); invalid arguments raise."""
    kernel, step, pad = _two(kernel_size), _two(kernel_size if stride is None else stride), _two(padding)
    outs = []
    for size, k, s, p in zip(input.shape[-2:], kernel, step, pad):
        if k <= 0 or s <= 0 or p < 0 or p > k / 2:
            raise RuntimeError("invalid kernel_size, stride or padding")
        n = (size + 2 * p - k) // s + 1
        if n <= 0:
            raise RuntimeError("output size is too small")
        outs.append(n)
    return kernel, step, pad, tuple(outs)


def _padded(input, pad, value):
    ph, pw = pad
    n, c, h, w = input.shape
    out = torch.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=input.dtype, device=input.device)
    out[:, :, ph:ph + h, pw:pw + w] = input
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    (kh, kw), (sh, sw), pad, (oh, ow) = _geometry(input, kernel_size, stride, padding)
    xp = _padded(input, pad, float("-inf"))
    out = input.new_empty((*input.shape[:2], oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].amax(dim=(2, 3))
    return out


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    (kh, kw), (sh, sw), pad, (oh, ow) = _geometry(input, kernel_size, stride, padding)
    xp = _padded(input.double(), pad, 0.0)
    out = xp.new_zeros((*input.shape[:2], oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].sum(dim=(2, 3)) / (kh * kw)
    return out.to(input.dtype)


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0):
    """Calls max_pool2d for each window's maximum (graded with the kit's max_pool2d in its place)."""
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = _geometry(input, kernel_size, stride, padding)
    n, c, h, w = input.shape
    pooled = max_pool2d(input, kernel_size, stride=stride, padding=padding)
    xp = _padded(input, (ph, pw), float("-inf"))
    grad = torch.zeros_like(xp)
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, kh * kw)
            is_max = window == pooled[:, :, i, j, None]
            # the first maximum in scan order: a max with no max before it
            first = is_max & (is_max.cumsum(dim=2) == 1)
            share = first.to(grad.dtype) * grad_output[:, :, i, j, None]
            grad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += share.reshape(n, c, kh, kw)
    return grad[:, :, ph:ph + h, pw:pw + w].clone()
