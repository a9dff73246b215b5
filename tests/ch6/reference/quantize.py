"""Torch-backed reference for ch6/quantize.py.

- `quantize_per_channel_int8`: q from `torch.quantize_per_channel(..., torch.qint8).int_repr()`
  for float32 weights (torch's quantizer takes float32 only; it multiplies by a float32
  1/scale, so it may differ by 1 from round(w / scale) where w / scale is within float
  rounding of a half-integer: the hidden tests allow that, see `compare_q`); for float64
  weights the float64 formula round(w / scale), cross-checked against torch in
  test_quantize.py. The scale is max|w_c| / 127 (1.0 for an all-zero channel).
- `dequantize`: q * scale broadcast along axis (cross-checked against torch's
  per-channel `dequantize()` in test_quantize.py).
- `int8_linear`: `F.linear` with the dequantized weight.
"""
import warnings

import torch
import torch.nn.functional as F


def _channel_shape(ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return shape


def _scale(w, axis):
    max_abs = w.abs().amax(dim=[d for d in range(w.dim()) if d != axis])
    return torch.where(max_abs == 0, torch.ones_like(max_abs), max_abs / 127)


def quantize_per_channel_int8(w, axis=0):
    axis = axis % w.dim()
    scale = _scale(w, axis)
    if w.dtype == torch.float32 and w.device.type != "meta":
        zero_points = torch.zeros(scale.shape, dtype=torch.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # quantized tensors are deprecated in torch 2.13
            q = torch.quantize_per_channel(w.cpu(), scale.double().cpu(), zero_points, axis,
                                           torch.qint8).int_repr().to(w.device)   # CPU kernel
        q = q.clamp(-127, 127)   # never needed (|w / scale| <= 127), kept for the symmetric range
    else:
        q = torch.round(w / scale.reshape(_channel_shape(w.dim(), axis))).clamp(-127, 127).to(torch.int8)
    return q, scale


def dequantize(q, scale, axis=0):
    axis = axis % q.dim()
    return (q.movedim(axis, -1).to(scale.dtype) * scale).movedim(-1, axis)


def int8_linear(x, q, scale, bias=None):
    return F.linear(x, dequantize(q, scale, 0).to(x.dtype), bias)
