"""Hidden suite for ch6/distill.py: the loss and its gradient against F.kl_div + F.cross_entropy.

Shapes are never square (B != C), so a KL averaged over the classes instead of
the batch, or a softmax over the wrong dim, changes the answer. Temperatures
1, 2 and 4.5 (T**2 vs T vs 1 differ except at T = 1) and alpha in {0, 0.3, 1}
(0.3 is not symmetric, so swapped weights show; 0 and 1 isolate each term).

Tolerance for logits up to ±1e4: float32 cannot do better than rounding each
logit by a relative eps (eps = 2**-23), and this loss is ill-conditioned there:
its derivative w.r.t. a logit reaches |log p_teacher - log p_student| ~ 2e4. A
correct float32 method that rounds elsewhere than torch (e.g. `x - logsumexp(x)`,
whose logsumexp carries an absolute error of eps * 1e4) differs from torch by up
to ~0.7 * eps * S, where S = sum over both inputs of |x| * |dL/dx| (measured with
kit_tests/alternatives/ch6/distill.py and a float32 logsumexp variant; S from the
float64 reference and autograd), while torch's own float32 error is much smaller
(its `x - max` is exact near the maximum). So
    atol = max(default atol, 4 * |torch float32 - torch float64|, 4 * eps * S).
That is about 2e-4 of the loss; a log of an underflowed softmax, or a softmax
without max-subtraction, gives inf/NaN there instead, and the formula itself is
pinned by the ordinary-logit tests at default tolerances. Gradients at ±1e4 are
compared in float64.
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal, to_float64
from autograder.devices import run_on_meta
from autograder.probes import apply
from autograder.suite_helpers import DEFAULT_ATOL, gen, logits, where

TEMPERATURES = [1.0, 2.0, 4.5]
ALPHAS = [0.0, 0.3, 1.0]
SHAPES = [(6, 9), (11, 4)]            # (B, C): fewer and more samples than classes


# ------------------------------------------------------------------ inputs

def large_logits(shape, device, dtype, seed):
    """Uniform in ±1e4 with near-ties at each row's maximum, and special rows:
    all 1e4, one 1e4 among -1e4 (a one-hot softmax: the other probabilities underflow
    to exactly 0), the same with the peak at another class, a staircase."""
    g = gen(seed)
    b, c = shape
    x = 1e4 * (2 * torch.rand(shape, generator=g, dtype=torch.float64) - 1)
    for r in range(b):
        cols = torch.randperm(c, generator=g)[:3]
        x[r, cols] = x[r].max() - 3 * torch.rand(len(cols), generator=g, dtype=torch.float64)
    x[0] = 1e4
    x[1] = -1e4
    x[1, seed % c] = 1e4
    x[2] = -1e4
    x[2, (seed + 1) % c] = 1e4
    x[3] = 1e4 - torch.arange(c, dtype=torch.float64)
    return x.to(device=device, dtype=dtype)


def class_ids(b, c, device, seed):
    g = gen(seed + 100)
    t = torch.randint(0, c, (b,), generator=g)
    t[0], t[-1] = 0, c - 1
    return t.to(device)


def case(shape, device, dtype, seed, large=False):
    make = large_logits if large else logits
    b, c = shape
    return make(shape, device, dtype, seed), make(shape, device, dtype, seed + 1), class_ids(b, c, device, seed)


def upstream(device, dtype, seed):
    """A random 0-d upstream gradient (never 1)."""
    g = gen(seed + 500)
    return (torch.randn((), generator=g, dtype=torch.float64) - 0.7).to(device=device, dtype=dtype)


def kwargs_text(kwargs):
    return ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "default temperature and alpha"


# ------------------------------------------------------------------ probes

def loss_and_grad(impl, student_logits, teacher_logits, targets, grad_output, kwargs):
    """The loss and d(grad_output * loss)/d student_logits; the teacher does not require grad."""
    s = student_logits.clone().requires_grad_()
    loss = impl.distillation_loss(s, teacher_logits, targets, **kwargs)
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        return {"loss": loss, "grad": "the loss does not depend on student_logits through autograd"}
    (grad,) = torch.autograd.grad(loss, s, grad_output)
    return {"loss": loss.detach(), "grad": grad}


def input_sensitivity(impl, student_logits, teacher_logits, targets, kwargs):
    """sum |x| * |dL/dx| over both logit tensors, in float64: how much rounding every
    logit by a relative eps moves the loss (run on the reference only)."""
    s = student_logits.double().requires_grad_()
    t = teacher_logits.double().requires_grad_()
    loss = impl.distillation_loss(s, t, targets, **kwargs)
    gs, gt = torch.autograd.grad(loss, [s, t])
    return ((s.abs() * gs.abs()).sum() + (t.abs() * gt.abs()).sum()).item()


# ------------------------------------------------------------------ checks

def check(student, reference, args, kwargs, what, large=False):
    """Student vs torch on the same inputs (with `large`, the ±1e4 tolerance)."""
    got = student.run(apply, "distillation_loss", args, kwargs)
    want = reference.run(apply, "distillation_loss", args, kwargs)
    atol = None
    if large:
        dtype = want["out"].dtype
        ref_err = 0.0
        if dtype != torch.float64:
            want64 = reference.run(apply, "distillation_loss", to_float64(list(args)), kwargs)
            ref_err = (want["out"].double() - want64["out"]).abs().item()
        sensitivity = reference.run(input_sensitivity, *args, kwargs)
        atol = max(DEFAULT_ATOL[dtype], 4 * ref_err, 4 * torch.finfo(dtype).eps * sensitivity)
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["args_after"], list(args), what=f"{what}: the inputs after the call (must not change)")


def check_grad(student, reference, args, kwargs, what):
    got = student.run(loss_and_grad, *args, kwargs)
    want = reference.run(loss_and_grad, *args, kwargs)
    expect_close(got["loss"], want["loss"], what=f"{what}: the loss")
    expect_close(got["grad"], want["grad"], what=f"{what}: the gradient w.r.t. student_logits")


# ------------------------------------------------------------------ the loss

@pytest.mark.exercise("ch6.distill.distillation_loss")
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("temperature", TEMPERATURES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_torch(student, reference, shape, temperature, alpha, device, dtype):
    args = case(shape, device, dtype, seed=1)
    kwargs = {"temperature": temperature, "alpha": alpha}
    check(student, reference, args, kwargs,
          f"distillation_loss(student{shape}, teacher{shape}, targets[{shape[0]}], {kwargs_text(kwargs)}) "
          f"{where(device, dtype)}")


@pytest.mark.exercise("ch6.distill.distillation_loss")
def test_default_temperature_and_alpha(student, reference, device, dtype):
    args = case((7, 5), device, dtype, seed=2)
    check(student, reference, args, {},
          f"distillation_loss(student(7, 5), teacher(7, 5), targets[7]) with the defaults "
          f"(temperature=2.0, alpha=0.5) {where(device, dtype)}")


@pytest.mark.exercise("ch6.distill.distillation_loss")
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("temperature", [1.0, 4.5])
def test_large_logits(student, reference, temperature, alpha, device, dtype):
    shape = (6, 7)
    args = case(shape, device, dtype, seed=3, large=True)
    kwargs = {"temperature": temperature, "alpha": alpha}
    check(student, reference, args, kwargs,
          f"distillation_loss(student{shape}, teacher{shape} with logits up to ±1e4, {kwargs_text(kwargs)}) "
          f"{where(device, dtype)}", large=True)


@pytest.mark.exercise("ch6.distill.distillation_loss")
def test_identical_logits_give_plain_cross_entropy(student, reference, device, dtype):
    """Student == teacher: the KL term is 0 for every T, so the loss is (1 - alpha) * CE."""
    s, _, t = case((5, 8), device, dtype, seed=4)
    kwargs = {"temperature": 3.0, "alpha": 0.3}
    check(student, reference, [s, s.clone(), t], kwargs,
          f"distillation_loss(x, x, targets) with student == teacher (5, 8), {kwargs_text(kwargs)} "
          f"{where(device, dtype)}")


# ------------------------------------------------------------------ the gradient

@pytest.mark.exercise("ch6.distill.distillation_loss")
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_gradient_matches_autograd(student, reference, temperature, alpha, device, dtype):
    shape = (6, 9)
    s, t, y = case(shape, device, dtype, seed=5)
    g = upstream(device, dtype, seed=5)
    kwargs = {"temperature": temperature, "alpha": alpha}
    check_grad(student, reference, [s, t, y, g], kwargs,
               f"distillation_loss(student{shape}, teacher{shape}, targets[{shape[0]}], {kwargs_text(kwargs)})"
               f".backward(grad_output={g.item():.3f}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.distill.distillation_loss")
@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("temperature", [1.0, 4.5])
def test_gradient_large_logits(student, reference, temperature, alpha, device):
    shape = (6, 7)
    s, t, y = case(shape, device, torch.float64, seed=6, large=True)
    g = upstream(device, torch.float64, seed=6)
    kwargs = {"temperature": temperature, "alpha": alpha}
    check_grad(student, reference, [s, t, y, g], kwargs,
               f"distillation_loss(student{shape}, teacher{shape} with logits up to ±1e4, {kwargs_text(kwargs)})"
               f".backward(grad_output={g.item():.3f}) on {device} float64")


# ------------------------------------------------------------------ device

@pytest.mark.exercise("ch6.distill.distillation_loss")
@pytest.mark.condition
def test_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return "distillation_loss", list(case((6, 9), device, torch.float32, seed=9)), {"temperature": 2.0,
                                                                                        "alpha": 0.3}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what="distillation_loss(student(6, 9), teacher(6, 9), targets[6]) "
                                              "on the meta device")
