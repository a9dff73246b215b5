"""Hidden suite for ch2/losses.py: forward against torch, backward against autograd.

Shapes are never square (N != C, and the 3-D log_softmax input has three
different sizes), so a softmax or a mean over the wrong axis changes the answer.
Every numeric check runs on cpu and cuda, in float32 and float64, once on
ordinary logits (default tolerances) and once on logits up to ±1e4.

Tolerance for the ±1e4 inputs: a float32 logit x carries a rounding error of
about eps * |x| (eps = 2**-23, so ~1e-3 at 1e4), and the losses are 2-Lipschitz
in the logits, so a correct float32 method that rounds at a different place
than torch (for instance `x - logsumexp(x)` instead of `(x - max) - log(sum)`)
may differ from torch by a few eps * max|x| even where torch itself is exact.
Measured: up to 1.6 eps * max|x| (kit_tests/alternatives/ch2/losses.py). So
    atol = max(default atol, 4 * |torch float32 - torch float64|, 8 * eps * scale)
where scale is max|x| times what multiplies it (the pos_weight, the upstream
gradient, the number of summed terms for 'sum', 1/N for 'mean' in the backward).
A missing max-subtraction, a log of an underflowed softmax or a naive sigmoid
gives inf/NaN or errors of order 1e4 there, far above it.
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal, to_float64
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import DEFAULT_ATOL, call_text, gen, logits, where

REDUCTIONS = ["none", "mean", "sum"]
CE_SHAPES = [(5, 7), (9, 4)]                  # (N, C): fewer and more samples than classes
LOG_SOFTMAX_CASES = [((2, 3, 5), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((4, 6), 0), ((7,), -1)]
BCE_SHAPES = [(5, 7), (2, 3, 4)]


# ------------------------------------------------------------------ inputs

def large_logits(shape, device, dtype, seed=0):
    """Uniform in ±1e4, with near-ties at each row's maximum (so the answer is not
    just 0 or -2e4) and special rows: all 1e4, one 1e4 among -1e4, a staircase."""
    g = gen(seed)
    x = 1e4 * (2 * torch.rand(shape, generator=g, dtype=torch.float64) - 1)
    c = shape[-1]
    rows = x.reshape(-1, c)
    for r in range(rows.shape[0]):
        cols = torch.randperm(c, generator=g)[:3]
        rows[r, cols] = rows[r].max() - 3 * torch.rand(len(cols), generator=g, dtype=torch.float64)
    rows[0] = 1e4
    rows[1] = -1e4
    rows[2] = -1e4
    rows[2, 0] = 1e4
    rows[3] = 1e4 - torch.arange(c, dtype=torch.float64)
    return rows.reshape(shape).to(device=device, dtype=dtype)


def class_ids(n, c, device, seed=0):
    g = gen(seed + 100)
    t = torch.randint(0, c, (n,), generator=g)
    t[0], t[-1] = 0, c - 1
    t[2] = 1                               # in large_logits, row 2 peaks at class 0: a loss of ~2e4
    return t.to(device)


def probability_targets(n, c, device, dtype, seed=0):
    """Rows summing to 1: soft rows, a one-hot row, a row with exact zeros."""
    g = gen(seed + 200)
    p = torch.softmax(2 * torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)
    p[0] = 0.0
    p[0, c - 1] = 1.0
    p[1] = 0.0
    p[1, :2] = 0.5
    return p.to(device=device, dtype=dtype)


def bce_targets(shape, device, dtype, seed=0):
    """Values in [0, 1]: every other element rounded to exactly 0 or 1."""
    g = gen(seed + 300)
    y = torch.rand(shape, generator=g, dtype=torch.float64)
    flat = y.reshape(-1)
    flat[::2] = flat[::2].round()
    return y.to(device=device, dtype=dtype)


def class_weights(c, device, dtype, seed=0):
    g = gen(seed + 400)
    return (0.5 + 2.5 * torch.rand(c, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)


def upstream(reduction, n, device, dtype, seed=0):
    """A random upstream gradient (never all ones): 0-d for 'mean'/'sum', [N] for 'none'."""
    g = gen(seed + 500)
    shape = (n,) if reduction == "none" else ()
    return (torch.randn(shape, generator=g, dtype=torch.float64) - 0.7).to(device=device, dtype=dtype)


# ------------------------------------------------------------------ checks

def check(student, reference, name, args, kwargs, what, scale=None):
    """Student vs torch on the same inputs; with `scale`, the large-input tolerance."""
    got = student.run(apply, name, args, kwargs)
    want = reference.run(apply, name, args, kwargs)
    atol = None
    if scale is not None:
        dtype = want["out"].dtype
        ref_err = 0.0
        if dtype != torch.float64:
            want64 = reference.run(apply, name, to_float64(list(args)), to_float64(kwargs))
            ref_err = (want["out"].double() - want64["out"]).abs().max().item()
        atol = max(DEFAULT_ATOL[dtype], 4 * ref_err, 8 * torch.finfo(dtype).eps * scale)
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["args_after"], list(args), what=f"{what}: the inputs after the call (must not change)")


# ------------------------------------------------------------------ log_softmax

@pytest.mark.exercise("ch2.losses.log_softmax")
@pytest.mark.parametrize("shape,dim", LOG_SOFTMAX_CASES, ids=[f"{s}-dim{d}" for s, d in LOG_SOFTMAX_CASES])
def test_log_softmax_matches_torch(student, reference, shape, dim, device, dtype):
    x = logits(shape, device, dtype)
    check(student, reference, "log_softmax", [x, dim], {},
          f"log_softmax(x{shape}, dim={dim}) {where(device, dtype)}")


@pytest.mark.exercise("ch2.losses.log_softmax")
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_softmax_large_logits(student, reference, dim, device, dtype):
    x = large_logits((6, 4, 5), device, dtype, seed=1)
    check(student, reference, "log_softmax", [x, dim], {},
          f"log_softmax(x(6, 4, 5) with logits up to ±1e4, dim={dim}) {where(device, dtype)}", scale=1e4)


# ------------------------------------------------------------------ cross_entropy

def ce_inputs(kind, n, c, device, dtype, large=False, seed=0):
    x = large_logits((n, c), device, dtype, seed) if large else logits((n, c), device, dtype, seed)
    if kind == "class_ids":
        return x, class_ids(n, c, device, seed)
    return x, probability_targets(n, c, device, dtype, seed)


@pytest.mark.exercise("ch2.losses.cross_entropy")
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["class_ids", "probabilities"])
def test_cross_entropy_matches_torch(student, reference, kind, shape, reduction, label_smoothing, device, dtype):
    x, target = ce_inputs(kind, *shape, device, dtype, seed=2)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    check(student, reference, "cross_entropy", [x, target], kwargs,
          f"{call_text('cross_entropy', f'input{shape}', f'{kind} target', kwargs=kwargs)} {where(device, dtype)}")


@pytest.mark.exercise("ch2.losses.cross_entropy")
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["class_ids", "probabilities"])
def test_cross_entropy_large_logits(student, reference, kind, reduction, label_smoothing, device, dtype):
    n, c = 6, 7
    x, target = ce_inputs(kind, n, c, device, dtype, large=True, seed=3)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    check(student, reference, "cross_entropy", [x, target], kwargs,
          f"{call_text('cross_entropy', f'input({n}, {c}) with logits up to ±1e4', f'{kind} target', kwargs=kwargs)} "
          f"{where(device, dtype)}",
          scale=1e4 * (n if reduction == "sum" else 1))


@pytest.mark.exercise("ch2.losses.cross_entropy")
@pytest.mark.condition
@pytest.mark.parametrize("kind", ["class_ids", "probabilities"])
def test_cross_entropy_rejects_unknown_reduction(student, kind):
    x, target = ce_inputs(kind, 5, 7, "cpu", torch.float64)
    got = student.run(raises, "cross_entropy", [x, target], {"reduction": "avg"})
    expect_equal(got, "raised", what=f"cross_entropy(input, {kind} target, reduction='avg') must raise (the docstring "
                                     "says ValueError)")


@pytest.mark.exercise("ch2.losses.cross_entropy")
@pytest.mark.condition
@pytest.mark.parametrize("smoothing", [1.5])
@pytest.mark.parametrize("kind", ["class_ids", "probabilities"])
def test_cross_entropy_rejects_label_smoothing_outside_0_1(student, kind, smoothing):
    """Only above 1: torch, the reference, accepts a negative label_smoothing (its message says
    [0, 1]), so a solution that checks only what torch checks is not wrong."""
    x, target = ce_inputs(kind, 5, 7, "cpu", torch.float64)
    got = student.run(raises, "cross_entropy", [x, target], {"label_smoothing": smoothing})
    expect_equal(got, "raised", what=f"cross_entropy(input, {kind} target, label_smoothing={smoothing}): a value "
                                     "outside [0, 1] must raise (ValueError)")


# ------------------------------------------------------------------ binary_cross_entropy_with_logits

@pytest.mark.exercise("ch2.losses.binary_cross_entropy_with_logits")
@pytest.mark.parametrize("weighted", [False, True], ids=["no_pos_weight", "pos_weight_per_class"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", BCE_SHAPES, ids=str)
def test_bce_with_logits_matches_torch(student, reference, shape, reduction, weighted, device, dtype):
    x = logits(shape, device, dtype, seed=4)
    y = bce_targets(shape, device, dtype, seed=4)
    kwargs = {"reduction": reduction}
    if weighted:
        kwargs["pos_weight"] = class_weights(shape[-1], device, dtype, seed=4)
    check(student, reference, "binary_cross_entropy_with_logits", [x, y], kwargs,
          f"binary_cross_entropy_with_logits(input{shape}, target{shape}, reduction={reduction!r}, "
          f"pos_weight={'[' + str(shape[-1]) + ']' if weighted else None}) {where(device, dtype)}")


@pytest.mark.exercise("ch2.losses.binary_cross_entropy_with_logits")
@pytest.mark.parametrize("weighted", [False, True], ids=["no_pos_weight", "pos_weight_per_class"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_large_logits(student, reference, reduction, weighted, device, dtype):
    shape = (6, 7)
    x = large_logits(shape, device, dtype, seed=5)
    special = torch.tensor([-1e4, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e4], dtype=dtype, device=device)
    x.reshape(-1)[4:4 + len(special)] = special      # the end of row 0 and start of row 1 (all ±1e4)
    y = bce_targets(shape, device, dtype, seed=5)
    kwargs = {"reduction": reduction}
    weight = 1.0
    if weighted:
        kwargs["pos_weight"] = class_weights(shape[-1], device, dtype, seed=5)
        weight = 1 + kwargs["pos_weight"].max().item()
    scale = 1e4 * weight * (x.numel() if reduction == "sum" else 1)
    check(student, reference, "binary_cross_entropy_with_logits", [x, y], kwargs,
          f"binary_cross_entropy_with_logits(input{shape} with logits up to ±1e4, reduction={reduction!r}, "
          f"pos_weight={'[7]' if weighted else None}) {where(device, dtype)}", scale=scale)


@pytest.mark.exercise("ch2.losses.binary_cross_entropy_with_logits")
@pytest.mark.condition
def test_bce_with_logits_rejects_unknown_reduction(student):
    x = logits((5, 7), "cpu", torch.float64)
    y = bce_targets((5, 7), "cpu", torch.float64)
    got = student.run(raises, "binary_cross_entropy_with_logits", [x, y], {"reduction": "avg"})
    expect_equal(got, "raised", what="binary_cross_entropy_with_logits(input, target, reduction='avg') must raise "
                                     "(the docstring says ValueError)")


# ------------------------------------------------------------------ cross_entropy_backward

@pytest.mark.exercise("ch2.losses.cross_entropy_backward")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_backward_matches_autograd(student, reference, shape, reduction, device, dtype):
    n, c = shape
    x, target = ce_inputs("class_ids", n, c, device, dtype, seed=6)
    g = upstream(reduction, n, device, dtype, seed=6)
    check(student, reference, "cross_entropy_backward", [g, x, target], {"reduction": reduction},
          f"cross_entropy_backward(grad_output{tuple(g.shape)}, input{shape}, class ids, "
          f"reduction={reduction!r}) {where(device, dtype)}")


@pytest.mark.exercise("ch2.losses.cross_entropy_backward")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_backward_large_logits(student, reference, reduction, device, dtype):
    n, c = 6, 7
    x, target = ce_inputs("class_ids", n, c, device, dtype, large=True, seed=7)
    g = upstream(reduction, n, device, dtype, seed=7)
    scale = 1e4 * g.abs().max().item() / (n if reduction == "mean" else 1)
    check(student, reference, "cross_entropy_backward", [g, x, target], {"reduction": reduction},
          f"cross_entropy_backward(grad_output{tuple(g.shape)}, input({n}, {c}) with logits up to ±1e4, "
          f"reduction={reduction!r}) {where(device, dtype)}", scale=scale)


@pytest.mark.exercise("ch2.losses.cross_entropy_backward")
@pytest.mark.condition
def test_cross_entropy_backward_rejects_unknown_reduction(student):
    x, target = ce_inputs("class_ids", 5, 7, "cpu", torch.float64)
    g = upstream("mean", 5, "cpu", torch.float64)
    got = student.run(raises, "cross_entropy_backward", [g, x, target], {"reduction": "avg"})
    expect_equal(got, "raised", what="cross_entropy_backward(grad_output, input, target, reduction='avg') must raise "
                                     "(the docstring says ValueError)")


# ------------------------------------------------------------------ device

def _device_case(name, reduction, device):
    n, c, f32 = 5, 7, torch.float32
    x, ids = logits((n, c), device, f32), class_ids(n, c, device)
    if name == "log_softmax":
        return [logits((2, 3, 5), device, f32), 1], {}
    if name == "cross_entropy_ids":
        return [x, ids], {"reduction": reduction, "label_smoothing": 0.1}
    if name == "cross_entropy_probabilities":
        return [x, probability_targets(n, c, device, f32)], {"reduction": reduction, "label_smoothing": 0.1}
    if name == "binary_cross_entropy_with_logits":
        return [x, probability_targets(n, c, device, f32)], {"reduction": reduction,
                                                             "pos_weight": logits((c,), device, f32).abs()}
    return [upstream(reduction, n, device, f32), x, ids], {"reduction": reduction}


META_CASES = [("log_softmax", "log_softmax", None)] + [
    (exercise, case, reduction)
    for exercise, case in [("cross_entropy", "cross_entropy_ids"), ("cross_entropy", "cross_entropy_probabilities"),
                           ("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits"),
                           ("cross_entropy_backward", "cross_entropy_backward")]
    for reduction in ("none", "mean")
]


@pytest.mark.exercise("ch2.losses.{exercise}")
@pytest.mark.condition
@pytest.mark.parametrize("exercise,case,reduction", META_CASES, ids=[f"{c}-{r}" for _, c, r in META_CASES])
def test_new_tensors_follow_the_input_device(student, reference, exercise, case, reduction):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    args, kwargs = _device_case(case, reduction, "meta")
    got = run_on_meta(student, apply, lambda device: (exercise, *_device_case(case, reduction, device)))
    want = reference.run(apply, exercise, args, kwargs)
    expect_close(got["out"], want["out"], what=f"{call_text(exercise, case, kwargs=kwargs)} on the meta device")
