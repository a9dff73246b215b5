"""A second correct ch6/quantize.py: channels moved last, float64 inside, loops.

The scale is computed in float64 and only the returned copy is rounded to w's dtype
(the codes use the unrounded float64 scale: at most 1 ulp apart, which can only
matter within float rounding of a round-half tie); rounding half to even via
`torch.round` on float64 quotients; dequantize one channel at a time; int8_linear
multiplies by the integer codes first and applies the per-output scale afterwards.
"""
import torch


def quantize_per_channel_int8(w, axis=0):
    moved = w.double().movedim(axis, -1)              # [..., C]
    flat = moved.reshape(-1, moved.shape[-1])         # [N, C]
    q = torch.empty(flat.shape, dtype=torch.int8, device=w.device)
    scale64 = torch.empty(flat.shape[1], dtype=torch.float64, device=w.device)
    for c in range(flat.shape[1]):
        column = flat[:, c]
        m = column.abs().max()
        s = m / 127 if m.item() != 0 else torch.ones((), dtype=torch.float64, device=w.device)
        scale64[c] = s
        q[:, c] = torch.round(column / s).clamp(-127, 127).to(torch.int8)
    q = q.reshape(moved.shape).movedim(-1, axis)
    return q, scale64.to(w.dtype)


def dequantize(q, scale, axis=0):
    out = torch.empty(q.shape, dtype=scale.dtype, device=q.device)
    for c in range(q.shape[axis]):
        out.select(axis, c).copy_(q.select(axis, c).to(scale.dtype) * scale[c])
    return out


def int8_linear(x, q, scale, bias=None):
    acc = torch.matmul(x, q.t().to(x.dtype))          # [..., out], integer weights
    y = acc * scale.to(x.dtype)
    if bias is not None:
        y = y + bias
    return y
