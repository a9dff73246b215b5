"""Trusted comparisons: is what came (`got`) what was expected (`want`)?

Values are plain data: tensors, numbers, strings, None, and lists/tuples/dicts
of them. A failure names where in the structure it happened and, for tensors,
shape, dtype, device and the worst absolute/relative error with its index.
"""
from __future__ import annotations

import math
import numbers

import torch

# Default tolerances: |got - want| <= atol + rtol * |want|, elementwise.
TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1e-2, 1e-2),
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-9),
}
SCALAR_TOLERANCE = (1e-7, 1e-9)   # for Python floats


class Mismatch(AssertionError):
    """What came differs from what was expected; the message says how and where."""


def expect_close(got, want, *, rtol=None, atol=None, what="result"):
    """Fail with a readable message unless `got` matches `want` within tolerance."""
    problem = find_mismatch(got, want, rtol=rtol, atol=atol, where=what)
    if problem:
        raise Mismatch(problem)


def expect_equal(got, want, *, what="result"):
    """Fail unless `got` equals `want` exactly (values; tensors also shape, dtype, device)."""
    expect_close(got, want, rtol=0.0, atol=0.0, what=what)


def is_close(got, want, *, rtol=None, atol=None) -> bool:
    return find_mismatch(got, want, rtol=rtol, atol=atol) is None


def reference_answer(reference, probe, args, dtype):
    """The reference's answer to `probe(*args)` and the absolute tolerance to compare with it.

    float32: atol = max(1e-5, 4 * the reference's own float32-vs-float64 error), so a
    correct solution that rounds differently (float64 inside, loops, another order of
    operations) is not punished for rounding torch itself makes; float64: the
    default tolerances (atol None)."""
    want = reference.run(probe, *args)
    if dtype != torch.float32:
        return want, None
    want64 = reference.run(probe, *to_float64(args))
    return want, max(1e-5, 4 * max_abs_diff(want, want64))


def to_float64(value):
    """Plain data with every floating tensor in float64."""
    if isinstance(value, torch.Tensor):
        return value.double() if value.is_floating_point() else value
    if isinstance(value, (list, tuple)):
        return type(value)(to_float64(v) for v in value)
    if isinstance(value, dict):
        return {k: to_float64(v) for k, v in value.items()}
    return value


def max_abs_diff(a, b) -> float:
    """Largest |a - b| over the finite floating elements of two like structures."""
    if isinstance(a, torch.Tensor):
        if not a.is_floating_point() or not a.numel():
            return 0.0
        a, b = a.double().cpu(), b.double().cpu()
        finite = a.isfinite() & b.isfinite()
        return (a - b)[finite].abs().max().item() if finite.any() else 0.0
    if isinstance(a, (list, tuple)):
        return max((max_abs_diff(x, y) for x, y in zip(a, b)), default=0.0)
    if isinstance(a, dict):
        return max((max_abs_diff(a[k], b[k]) for k in a), default=0.0)
    return 0.0


def describe(value) -> str:
    """A short description of a value's kind, for messages (never raises)."""
    try:
        if isinstance(value, torch.Tensor):
            return f"a tensor of shape {tuple(value.shape)}, {value.dtype}, on {value.device}"
        if isinstance(value, (list, tuple)):
            return f"a {type(value).__name__} of {len(value)} items"
        if isinstance(value, dict):
            return f"a dict with keys {sorted(map(str, value))}"[:200]
        return f"{type(value).__name__} {value!r}"[:200]
    except Exception:
        return f"a {type(value).__name__}"


def _is_scalar(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.dim() == 0 and value.device.type != "meta"   # a meta tensor has no value
    return isinstance(value, numbers.Number)


def _scalar(value):
    return value.item() if isinstance(value, torch.Tensor) else value


def find_mismatch(got, want, *, rtol=None, atol=None, where="result") -> str | None:
    """None when `got` matches `want`, else a message saying what differs and where. Never raises:
    what cannot be compared (e.g. an int too large for a float) is a mismatch."""
    try:
        return _mismatch(got, want, rtol, atol, where)
    except Exception:
        return f"{where}: expected {describe(want)}, got {describe(got)}, which cannot be compared with it"


def _mismatch(got, want, rtol, atol, where) -> str | None:
    if isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor):
        return _tensor_mismatch(got, want, rtol, atol, where)
    if _is_scalar(want) and _is_scalar(got) and not (isinstance(want, bool) or isinstance(got, bool)):
        return _scalar_mismatch(_scalar(got), _scalar(want), rtol, atol, where)
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{where}: expected {describe(want)}, got {describe(got)}"
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        if missing or extra:
            return (f"{where}: keys differ: missing {missing}, unexpected {extra}"
                    if extra else f"{where}: missing keys {missing}")[:1000]
        for key in want:
            problem = _mismatch(got[key], want[key], rtol, atol, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return f"{where}: expected {describe(want)}, got {describe(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = _mismatch(g, w, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if type(got) is not type(want) or got != want:
        return f"{where}: expected {describe(want)}, got {describe(got)}"
    return None


def _scalar_mismatch(got, want, rtol, atol, where):
    if isinstance(got, complex) or isinstance(want, complex):
        ok = got == want
    elif math.isnan(want) or math.isnan(got):
        ok = math.isnan(want) and math.isnan(got)
    elif math.isinf(want) or math.isinf(got):
        ok = got == want
    else:
        default_rtol, default_atol = SCALAR_TOLERANCE
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
        ok = abs(got - want) <= atol + rtol * abs(want)
    if ok:
        return None
    return f"{where}: expected {want!r}, got {got!r} (abs err {abs(got - want):.3g})"


def _tensor_mismatch(got, want, rtol, atol, where):
    for attr in ("shape", "dtype", "device"):
        if getattr(got, attr) != getattr(want, attr):
            return (f"{where}: expected {describe(want)}, got {describe(got)} "
                    f"(wrong {attr})")
    if want.device.type == "meta":
        return None
    default_rtol, default_atol = TOLERANCES.get(want.dtype, (0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    g = got.detach().cpu()
    w = want.detach().cpu()
    if not w.is_floating_point() and not w.is_complex():
        bad = g != w
        if not bad.any():
            return None
        return _report(where, want, g, w, bad, (g.double() - w.double()).abs(), exact=True)
    g64, w64 = g.double(), w.double()
    err = (g64 - w64).abs()
    same_special = (g64 == w64) | (g64.isnan() & w64.isnan())
    finite = w64.isfinite() & g64.isfinite()
    bad = ~same_special & ~(finite & (err <= atol + rtol * w64.abs()))
    if not bad.any():
        return None
    return _report(where, want, g64, w64, bad, err.nan_to_num(nan=math.inf), rtol=rtol, atol=atol)


def _report(where, want, g, w, bad, err, rtol=0.0, atol=0.0, exact=False):
    """The worst offending element (largest error among the failing ones). Shape, dtype and device
    matched, and `where` names the case: the report does not repeat them."""
    err = torch.where(bad, err, torch.full_like(err, -1.0))
    flat = int(err.reshape(-1).argmax())
    index = tuple(torch.unravel_index(torch.tensor(flat), w.shape)) if w.dim() else ()
    index = tuple(int(i) for i in index)
    gv, wv = g.reshape(-1)[flat].item(), w.reshape(-1)[flat].item()
    rel = abs(gv - wv) / abs(wv) if wv not in (0, 0.0) and math.isfinite(wv) else math.inf
    count = int(bad.sum())
    rule = "exact match" if exact else f"atol={atol:g}, rtol={rtol:g}"
    return (f"{where}: {count} of {w.numel()} elements differ ({rule}); "
            f"worst at index {index}: expected {wv:.6g}, got {gv:.6g} "
            f"(abs err {abs(gv - wv):.3g}, rel err {rel:.3g})")
