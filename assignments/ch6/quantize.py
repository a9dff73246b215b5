# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Symmetric per-channel int8 weight quantization, by hand.

A float weight is stored as 8-bit integers `q` plus one float `scale` per
output channel, so that `w ≈ q * scale`: four times less memory than float32.
Per channel (not one scale for the whole tensor) because channels often differ
in size by orders of magnitude, and one large channel would otherwise leave the
small ones only a handful of integer levels.

Conventions (the hidden tests compare with torch's own int8 quantizer,
`torch.quantize_per_channel(w, scale, zero_points=0, axis, torch.qint8)`, given these scales):
- symmetric: zero point 0, so 0.0 is stored exactly as 0;
- `scale_c = max|w_c| / 127` for channel c (the largest entry maps to ±127);
  a channel that is all zeros gets `scale_c = 1.0` (never divide by 0);
- `q = round(w / scale_c)`, rounding half to even (`torch.round`: 2.5 -> 2,
  3.5 -> 4, -2.5 -> -2), clamped to [-127, 127] (-128 is never used), int8.
  (Where w / scale_c is a tie only up to float rounding, either neighbour is accepted.)
- precision follows the input: for a float64 `w` compute the scales (and `w / scale`)
  in float64, not float32: float64 scales and `int8_linear` outputs are compared at
  float64 precision (about 1e-7 relative).

torch's quantization is not allowed: `torch.quantize_per_channel`,
`torch.quantize_per_tensor`, `torch.fake_quantize_per_channel_affine`,
`torch.dequantize` (also the tensor method `.dequantize()`) and anything in
`torch.ao`. Everything else in torch is (`torch.round`, `F.linear`, ...).
"""
import torch
import torch.nn.functional as F


def quantize_per_channel_int8(w, axis=0):
    """Quantize `w` to int8 with one scale per channel along `axis`; returns `(q, scale)`.

    `w`: a float32 or float64 tensor with 2 to 4 dims (a linear weight
    `[out, in]`, a conv weight `[out, in, kh, kw]`, ...). `axis`: the channel
    axis; negative values count from the end (`-1` is the last dim).

    Returns
    - `q`: `torch.int8`, the shape of `w`, `q = round_half_to_even(w / scale_c)`
      clamped to [-127, 127], where c is the element's index along `axis`;
    - `scale`: 1-D, `[w.shape[axis]]`, w's dtype and device,
      `scale_c = max|w_c| / 127` over all elements of channel c, and exactly
      1.0 for a channel whose elements are all 0.

    So `q * scale_c` is within `scale_c / 2` of `w` (plus float rounding).
    `w` is not modified.

    Not allowed here (scores 0): `torch.quantize_per_channel`, `torch.ao`,
    `torch.quantize_per_tensor`, `torch.fake_quantize_per_channel_affine`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def dequantize(q, scale, axis=0):
    """Float values `q * scale_c` of a per-channel quantized tensor.

    `q`: integer tensor (int8); `scale`: 1-D, `[q.shape[axis]]`; `axis` as in
    `quantize_per_channel_int8` (negative counts from the end).
    Returns a tensor of q's shape in scale's dtype and device, element
    `q[..., c, ...] * scale[c]` with c the index along `axis`.
    For `(q, scale) = quantize_per_channel_int8(w, axis)`:
    `|dequantize(q, scale, axis) - w| <= scale_c / 2` (plus float rounding).

    Not allowed here (scores 0): `torch.quantize_per_channel`, `torch.ao`,
    `torch.dequantize`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def int8_linear(x, q, scale, bias=None):
    """A linear layer with an int8 weight: `x @ W.T + bias` with `W = dequantize(q, scale, axis=0)`.

    `x`: `[..., in]` (any number of leading dims), `q`: int8 `[out, in]`
    quantized per output channel (axis 0, as `quantize_per_channel_int8(weight)`
    of an `nn.Linear` weight), `scale`: `[out]`, `bias`: `[out]` or None.
    `x`, `scale` and `bias` share one float dtype (float32 or float64) and device.
    Returns `[..., out]` in x's dtype: the same as `F.linear(x, W, bias)`
    (`F.linear` is allowed). The inputs are not modified.

    (Real int8 kernels multiply the integers and apply the scales afterwards;
    this "weight-only" version dequantizes first, which gives the same numbers
    up to float rounding.)

    Not allowed here (scores 0): `torch.quantize_per_channel`, `torch.ao`,
    `torch.dequantize`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
