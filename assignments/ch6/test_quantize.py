"""Public tests for ch6/quantize.py: run `pytest assignments/ch6`.

Quick checks of values you can work out by hand. The hidden tests go further:
random weights of 2 to 4 dims compared with torch's own int8 quantizer, every
axis (also negative), float32 and float64, CPU and CUDA, exact round-half ties,
the error bound |dequantize(quantize(w)) - w| <= scale / 2, int8_linear against
F.linear, and the inputs must not be modified.
"""
import torch

from ch6 import quantize

# Row 0: max |w| = 254, scale 2; row 1: max |w| = 63.5, scale 0.5; row 2: all zero, scale 1.
W = torch.tensor([[254.0, -5.0, 3.0, 1.0], [0.0, 63.5, -31.75, 1.25], [0.0, 0.0, 0.0, 0.0]])


def test_scales_per_row_and_codes():
    q, scale = quantize.quantize_per_channel_int8(W)
    torch.testing.assert_close(scale, torch.tensor([2.0, 0.5, 1.0]))
    assert q.dtype == torch.int8 and q.shape == W.shape
    # -2.5, 1.5, 0.5, -63.5 and 2.5 are ties: half to even gives -2, 2, 0, -64 and 2
    assert q.tolist() == [[127, -2, 2, 0], [0, 127, -64, 2], [0, 0, 0, 0]]


def test_scales_per_column_with_axis_1_and_minus_1():
    q, scale = quantize.quantize_per_channel_int8(W, axis=1)
    torch.testing.assert_close(scale, torch.tensor([2.0, 0.5, 0.25, 1.25 / 127]))
    assert q.tolist() == [[127, -10, 12, 102], [0, 127, -127, 127], [0, 0, 0, 0]]
    q_last, scale_last = quantize.quantize_per_channel_int8(W, axis=-1)
    torch.testing.assert_close(scale_last, scale)
    assert torch.equal(q_last, q)


def test_conv_weight_channels():
    w = torch.zeros(3, 2, 2, 2)
    w[0, 1, 1, 0] = -4.0
    w[2] = 0.5
    q, scale = quantize.quantize_per_channel_int8(w)
    torch.testing.assert_close(scale, torch.tensor([4.0 / 127, 1.0, 0.5 / 127]))
    assert q[0, 1, 1, 0].item() == -127 and (q[2] == 127).all() and (q[1] == 0).all()


def test_dequantize_multiplies_along_the_axis():
    q = torch.tensor([[1, -2, 3], [4, 5, -127]], dtype=torch.int8)
    out = quantize.dequantize(q, torch.tensor([0.5, 2.0]), axis=0)
    torch.testing.assert_close(out, torch.tensor([[0.5, -1.0, 1.5], [8.0, 10.0, -254.0]]))
    out = quantize.dequantize(q, torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64), axis=1)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, torch.tensor([[1.0, -1.0, 0.75], [4.0, 2.5, -31.75]], dtype=torch.float64))


def test_roundtrip_error_is_at_most_half_a_step():
    w = torch.linspace(-3.0, 2.0, 24).reshape(4, 6)
    q, scale = quantize.quantize_per_channel_int8(w)
    err = (quantize.dequantize(q, scale) - w).abs()
    assert (err <= scale[:, None] / 2 + 1e-6).all()


def test_int8_linear_is_f_linear_with_the_dequantized_weight():
    q = torch.tensor([[1, -2, 3], [4, 5, -127]], dtype=torch.int8)
    scale = torch.tensor([0.5, 2.0])
    x = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0], [1.0, 1.0, 1.0], [2.0, 0.0, 0.0]])
    bias = torch.tensor([1.0, -1.0])
    # W = q * scale per row = [[0.5, -1, 1.5], [8, 10, -254]]; y = x @ W.T + bias
    y = quantize.int8_linear(x, q, scale, bias=bias)
    assert y.shape == (4, 2)
    torch.testing.assert_close(y, torch.tensor([[4.5, -501.0], [-1.5, 263.0], [2.0, -237.0], [2.0, 15.0]]))
    torch.testing.assert_close(quantize.int8_linear(x, q, scale)[0], torch.tensor([3.5, -500.0]))
