"""Hidden suite for ch6/quantize.py: int8 codes against torch's quantizer, error bounds, int8_linear.

`q` is compared with `torch.quantize_per_channel(w, scale, 0, axis, torch.qint8).int_repr()`
(the reference; float64 weights: the float64 formula round(w / scale), cross-checked
against torch here). Where w / scale lies within float rounding of a half-integer,
correct methods may round either way: torch multiplies by a float32 1/scale, a student
may divide, divide in float64, or compute max * (1/127) for the scale (1 ulp apart).
Every such method is within |w / scale| * (a few eps) < 1e-4 of the exact quotient
(|w / scale| <= 127, float32 eps = 1.2e-7), so:

- small inputs: the tests first check that no element of w / scale (float64, with the
  reference's scale) is within NEAR_TIE = 1e-3 of a half-integer, then require q to be
  exactly torch's (CURRICULUM: exact on small inputs);
- large inputs: q exactly torch's except within NEAR_TIE of a half-integer, where it may
  differ by 1 (CURRICULUM: within ±1 at round-half ties on large ones);
- exact ties are planted with power-of-two scales (max|w_c| = 127 * 2**-k, so every
  formula for the scale gives exactly 2**-k and w / scale is exact): there round half to
  even is required exactly (2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -0.5 -> 0).

Error bounds: q = round(fl(w / s)) with |fl(w / s) - w / s| <= 127 eps, so
|q * s - w| <= s * (1/2 + 128 eps) (checked in float64 on the trusted side).

Weights have channels of very different sizes (1e-3 to 10), so one scale for the
whole tensor (per-tensor) or the wrong axis changes most codes; shapes are never
square, and one channel is all zeros in some cases (scale exactly 1.0, codes 0).
"""
import warnings

import pytest
import torch

from autograder.compare import Mismatch, describe, expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply
from autograder.suite_helpers import dtype_text, gen, where

NEAR_TIE = 1e-3
SMALL = [((6, 10), 0, 0), ((6, 10), 1, 0), ((6, 10), -1, 0), ((5, 3, 4), -2, 0), ((8, 3, 3, 2), 0, 0),
         ((8, 3, 3, 2), 1, 1), ((4, 6, 2, 3), -1, 0)]   # (shape, axis, seed)
LARGE = [((96, 200), 0), ((40, 24, 3, 3), 1), ((30, 70), -1)]
DEQUANT = [((6, 10), 0), ((6, 10), 1), ((5, 3, 4), -1), ((8, 3, 3, 2), 1), ((4, 6, 2, 3), -3)]
LINEAR = [((7, 12), (5, 12)), ((2, 3, 12), (5, 12)), ((4, 33), (9, 33))]   # x shape, weight [out, in]


def case_ids(cases):
    return [f"{case[0]}-axis{case[1]}" for case in cases]


# ------------------------------------------------------------------ inputs

def weight(shape, axis, device, dtype, seed, zero_channel=None, away_from_ties=False):
    """randn times one magnitude per channel, log-spaced from 1e-3 to 10 in random order.
    away_from_ties: values whose w / scale lies within NEAR_TIE of a half-integer are moved by
    2 * NEAR_TIE * scale (never a channel's largest, whose quotient is 127), so every seed gives
    a case without near-ties."""
    g = gen(seed)
    w = torch.randn(shape, generator=g, dtype=torch.float64)
    n = shape[axis]
    mags = torch.logspace(-3, 1, n, dtype=torch.float64)[torch.randperm(n, generator=g)]
    view = [1] * len(shape)
    view[axis] = n
    w = w * mags.reshape(view)
    if zero_channel is not None:
        w.select(axis, zero_channel).zero_()
    if away_from_ties:
        scale = channel_view(w.abs().amax(dim=[d for d in range(w.dim()) if d != axis % w.dim()]) / 127,
                             w.dim(), axis)
        w = torch.where(near_ties(w, scale.flatten(), axis), w + 2 * NEAR_TIE * scale * w.sign(), w)
    return w.to(device=device, dtype=dtype)


def channel_view(t, ndim, axis):
    """A 1-D per-channel tensor reshaped to broadcast along `axis`."""
    view = [1] * ndim
    view[axis] = -1
    return t.reshape(view)


def quotient(w, scale, axis):
    """w / scale in float64 (the exact-as-possible value that q rounds)."""
    return w.double().cpu() / channel_view(scale.double().cpu(), w.dim(), axis)


def near_ties(w, scale, axis):
    u = quotient(w, scale, axis).abs()
    return (u - u.floor() - 0.5).abs() < NEAR_TIE


def torch_codes(w, scale, axis):
    """torch's own int8 codes (float32 weights; its quantizer is CPU float32 only)."""
    zero_points = torch.zeros(scale.shape[0], dtype=torch.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # quantized tensors are deprecated in torch 2.13
        return torch.quantize_per_channel(w.float().cpu(), scale.double().cpu(), zero_points,
                                          axis % w.dim(), torch.qint8).int_repr()


# ------------------------------------------------------------------ probes

def quantize_roundtrip(impl, w, axis):
    """quantize, then the values q * scale (computed here, not with the student's dequantize)."""
    q, scale = impl.quantize_per_channel_int8(w, axis=axis)
    return {"q": q, "scale": scale, "w_after": w}


# ------------------------------------------------------------------ checks

def check_quantized(got, want, w, axis, what, allow_near_ties):
    """q and scale of one call: scale close, q exact (or ±1 at near-ties)."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2
            and all(isinstance(t, torch.Tensor) for t in got)):
        raise Mismatch(f"{what}: expected a tuple (q, scale) of two tensors, got {describe(got)}")
    got_q, got_scale = got
    want_q, want_scale = want
    expect_close(got_scale, want_scale, what=f"{what}: scale")
    if got_q.shape != want_q.shape or got_q.dtype != want_q.dtype or got_q.device != want_q.device:
        expect_equal(got_q, want_q, what=f"{what}: q")      # reports the shape/dtype/device difference
    if not allow_near_ties:
        expect_equal(got_q, want_q, what=f"{what}: q (int8 codes)")
        return
    loose = near_ties(w, want_scale, axis).to(want_q.device)
    expect_equal(torch.where(loose, want_q, got_q), want_q,
                 what=f"{what}: q (int8 codes) away from round-half ties")
    diff = (got_q.int() - want_q.int()).abs().max().item() if got_q.numel() else 0
    if diff > 1:
        raise Mismatch(f"{what}: q (int8 codes) within {NEAR_TIE} of a round-half tie may differ from "
                       f"torch by 1, but differs by {diff}")


def check_bound(q, scale, w, axis, what):
    """|q * scale_c - w| <= scale_c * (1/2 + 128 eps), in float64."""
    eps = torch.finfo(w.dtype).eps
    s = channel_view(scale.double().cpu(), w.dim(), axis)
    err = (q.double().cpu() * s - w.double().cpu()).abs()
    bound = s * (0.5 + 128 * eps)
    expect_close(torch.minimum(err, bound.expand_as(err)), err, rtol=0.0, atol=0.0,
                 what=f"{what}: |q * scale - w| must be <= scale / 2 (+ float rounding), "
                      f"shown as min(error, bound) vs error")


# ------------------------------------------------------------------ quantize_per_channel_int8

@pytest.mark.exercise("ch6.quantize.quantize_per_channel_int8")
@pytest.mark.parametrize("shape,axis,seed", SMALL, ids=case_ids(SMALL))
def test_quantize_matches_torch_exactly(student, reference, shape, axis, seed, device, dtype):
    zero = 2 if shape[axis] > 3 else None
    w = weight(shape, axis, device, dtype, seed=seed, zero_channel=zero, away_from_ties=True)
    args, kwargs = [w], {"axis": axis}
    want = reference.run(apply, "quantize_per_channel_int8", args, kwargs)
    ties = near_ties(w, want["out"][1], axis)
    assert not ties.any(), f"test input has {int(ties.sum())} near-ties: this test is wrong"
    if dtype == torch.float64:   # the float64 reference formula agrees with torch's quantizer
        assert torch.equal(want["out"][0].cpu(), torch_codes(w, want["out"][1], axis))
    got = student.run(apply, "quantize_per_channel_int8", args, kwargs)
    what = f"quantize_per_channel_int8(w{shape}, axis={axis}) {where(device, dtype)}"
    check_quantized(got["out"], want["out"], w, axis, what, allow_near_ties=False)
    expect_equal(got["args_after"], args, what=f"{what}: w after the call (must not change)")


@pytest.mark.exercise("ch6.quantize.quantize_per_channel_int8")
@pytest.mark.parametrize("axis", [0, 1])
def test_quantize_rounds_half_to_even(student, reference, axis, device, dtype):
    """Exact ties: channel c has max|w| = 127 * 2**-k_c, so scale_c = 2**-k_c exactly."""
    halves = torch.tensor([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -3.5, 126.5, -126.5, 127.0, 4.0, -7.25],
                          dtype=torch.float64)
    powers = torch.tensor([1.0, 0.25, 2.0 ** -7, 8.0], dtype=torch.float64)
    w = powers[:, None] * halves[None, :]          # [4, 13]: every row has max |w| = 127 * power
    w[1] = w[1].flip(0)
    if axis == 1:
        w = w.t().contiguous()
    w = w.to(device=device, dtype=dtype)
    args, kwargs = [w], {"axis": axis}
    got = student.run(apply, "quantize_per_channel_int8", args, kwargs)
    want = reference.run(apply, "quantize_per_channel_int8", args, kwargs)
    assert torch.equal(want["out"][0].cpu(), torch_codes(w, want["out"][1], axis))
    check_quantized(got["out"], want["out"], w, axis,
                    f"quantize_per_channel_int8(w{tuple(w.shape)} with exact round-half ties such as 2.5 and "
                    f"-3.5, axis={axis}) {where(device, dtype)}: round half to even (torch.round)",
                    allow_near_ties=False)


@pytest.mark.exercise("ch6.quantize.quantize_per_channel_int8")
@pytest.mark.parametrize("shape,axis", LARGE, ids=case_ids(LARGE))
def test_quantize_large_inputs(student, reference, shape, axis, device, dtype):
    w = weight(shape, axis, device, dtype, seed=7, zero_channel=5)
    args, kwargs = [w], {"axis": axis}
    got = student.run(apply, "quantize_per_channel_int8", args, kwargs)
    want = reference.run(apply, "quantize_per_channel_int8", args, kwargs)
    what = f"quantize_per_channel_int8(w{shape}, axis={axis}) {where(device, dtype)}"
    check_quantized(got["out"], want["out"], w, axis, what, allow_near_ties=True)


@pytest.mark.exercise("ch6.quantize.quantize_per_channel_int8")
@pytest.mark.parametrize("shape,axis", LARGE[:2], ids=case_ids(LARGE[:2]))
def test_quantize_error_bound(student, shape, axis, device, dtype):
    w = weight(shape, axis, device, dtype, seed=8)
    got = student.run(quantize_roundtrip, w, axis)
    what = f"quantize_per_channel_int8(w{shape}, axis={axis}) {where(device, dtype)}"
    expect_equal(got["w_after"], w, what=f"{what}: w after the call (must not change)")
    if not (isinstance(got["q"], torch.Tensor) and got["q"].shape == w.shape and got["q"].dtype == torch.int8
            and isinstance(got["scale"], torch.Tensor) and got["scale"].shape == (shape[axis],)):
        raise Mismatch(f"{what}: expected q, int8 of shape {tuple(w.shape)}, and scale of shape ({shape[axis]},); "
                       f"got {describe(got['q'])} and {describe(got['scale'])}")
    check_bound(got["q"], got["scale"], w, axis, what)


# ------------------------------------------------------------------ dequantize

def codes_and_scale(shape, axis, device, dtype, seed):
    g = gen(seed)
    q = torch.randint(-127, 128, shape, generator=g, dtype=torch.int8)
    scale = torch.logspace(-3, 1, shape[axis], dtype=torch.float64)[torch.randperm(shape[axis], generator=g)]
    return q.to(device), scale.to(device=device, dtype=dtype)


@pytest.mark.exercise("ch6.quantize.dequantize")
@pytest.mark.parametrize("shape,axis", DEQUANT, ids=case_ids(DEQUANT))
def test_dequantize_matches_torch(student, reference, shape, axis, device, dtype):
    q, scale = codes_and_scale(shape, axis, device, dtype, seed=11)
    args, kwargs = [q, scale], {"axis": axis}
    got = student.run(apply, "dequantize", args, kwargs)
    want = reference.run(apply, "dequantize", args, kwargs)
    if dtype == torch.float32:   # the reference agrees with torch's own per-channel dequantize
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qt = torch._make_per_channel_quantized_tensor(q.cpu(), scale.double().cpu(),
                                                          torch.zeros(shape[axis], dtype=torch.int64),
                                                          axis % len(shape))
            assert torch.equal(qt.dequantize(), want["out"].cpu())
    what = f"dequantize(q{shape} int8, scale[{shape[axis]}] {dtype_text(dtype)}, axis={axis}) on {device}"
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], args, what=f"{what}: the inputs after the call (must not change)")


@pytest.mark.exercise("ch6.quantize.dequantize")
@pytest.mark.parametrize("shape,axis", LARGE[:2], ids=case_ids(LARGE[:2]))
def test_dequantize_error_bound(student, reference, shape, axis, device, dtype):
    """dequantize(quantize(w)) is within scale_c / 2 of w (q and scale from the reference)."""
    w = weight(shape, axis, device, dtype, seed=12, zero_channel=3)
    q, scale = reference.run(apply, "quantize_per_channel_int8", [w], {"axis": axis})["out"]
    got = student.run(apply, "dequantize", [q, scale], {"axis": axis})
    what = f"dequantize(*quantize_per_channel_int8(w{shape}, axis={axis}), axis={axis}) {where(device, dtype)}"
    want = reference.run(apply, "dequantize", [q, scale], {"axis": axis})
    expect_close(got["out"], want["out"], what=what)
    eps = torch.finfo(dtype).eps
    s = channel_view(scale.double().cpu(), w.dim(), axis)
    err = (got["out"].double().cpu() - w.double().cpu()).abs()
    bound = (s * (0.5 + 128 * eps) + eps * w.double().cpu().abs()).expand_as(err)
    expect_close(torch.minimum(err, bound), err, rtol=0.0, atol=0.0,
                 what=f"{what}: |dequantized - w| must be <= scale / 2 (+ float rounding), "
                      f"shown as min(error, bound) vs error")


# ------------------------------------------------------------------ int8_linear

def linear_case(x_shape, w_shape, device, dtype, bias, seed):
    g = gen(seed)
    x = torch.randn(x_shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    w = weight(w_shape, 0, device, dtype, seed=seed + 1)
    b = torch.randn(w_shape[0], generator=g, dtype=torch.float64).to(device=device, dtype=dtype) if bias else None
    return x, w, b


@pytest.mark.exercise("ch6.quantize.int8_linear")
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,w_shape", LINEAR, ids=[f"x{x}-w{w}" for x, w in LINEAR])
def test_int8_linear_matches_f_linear(student, reference, x_shape, w_shape, bias, device, dtype):
    x, w, b = linear_case(x_shape, w_shape, device, dtype, bias, seed=13)
    q, scale = reference.run(apply, "quantize_per_channel_int8", [w], {"axis": 0})["out"]
    args, kwargs = [x, q, scale], ({"bias": b} if bias else {})
    got = student.run(apply, "int8_linear", args, kwargs)
    want = reference.run(apply, "int8_linear", args, kwargs)
    # Tolerance: torch's own float32 error, and the rounding of a dot product of `in` terms
    # (a correct method may apply the scale after the integer matmul, or sum in another order).
    atol = None
    if dtype == torch.float32:
        args64 = [x.double(), q, scale.double()]
        kwargs64 = {"bias": b.double()} if bias else {}
        want64 = reference.run(apply, "int8_linear", args64, kwargs64)["out"]
        ref_err = (want["out"].double() - want64).abs().max().item()
        w_deq = (q.double() * scale.double()[:, None]).cpu()
        dot_scale = (x.double().cpu().abs() @ w_deq.abs().t()).max().item()
        atol = max(1e-5, 4 * ref_err, 4 * torch.finfo(dtype).eps * dot_scale)
    what = (f"int8_linear(x{x_shape}, q{w_shape} int8, scale[{w_shape[0]}], "
            f"bias={'[' + str(w_shape[0]) + ']' if bias else None}) {where(device, dtype)}")
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["args_after"], args, what=f"{what}: the inputs after the call (must not change)")


# ------------------------------------------------------------------ device

def _device_case(name, device):
    g = gen(7)

    def randn(*shape):
        return torch.randn(shape, generator=g).to(device)

    def int8(*shape):
        return torch.randint(-127, 128, shape, generator=g, dtype=torch.int8).to(device)

    if name == "quantize_per_channel_int8":
        return [randn(6, 10)], {"axis": 1}
    if name == "dequantize":
        return [int8(6, 10), randn(10).abs() + 0.1], {"axis": 1}
    return [randn(7, 12), int8(5, 12), randn(5).abs() + 0.1], {"bias": randn(5)}


@pytest.mark.exercise("ch6.quantize.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["quantize_per_channel_int8", "dequantize", "int8_linear"])
def test_new_tensors_follow_the_input_device(student, reference, name):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    got = run_on_meta(student, apply, lambda device: (name, *_device_case(name, device)))
    want = reference.run(apply, name, *_device_case(name, "meta"))
    expect_close(got["out"], want["out"], what=f"{name} on the meta device")
