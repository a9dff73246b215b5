"""Hidden suite for ch1/linear_regression.py: mse_loss against F.mse_loss, mse_grad against
autograd (through F.mse_loss, in float64), fit_linear_regression against gradient descent with
that gradient and, at convergence, against torch.linalg.lstsq computed here on the trusted side.

Shapes are never square (N, D and K all differ), so a forgotten transpose fails with an error and
a mean over the samples only (1/N instead of 1/(N*K)) changes the answer. Upstream values are
random, never all ones.

Convergence of fit_linear_regression (test_fit_reaches_least_squares): the loss is quadratic in
each output's (weight row, bias) with Hessian H = 2 / (N*K) * A.T @ A, A = [x, 1]. Gradient
descent with step lr contracts the error by rho = max |1 - lr * eig(H)| per step. The test asserts
rho < 0.8 for its data (checked here; 0.66 with the grading seed), so after STEPS = 300 steps the
distance to the least-squares solution is below 0.8**300 (~1e-29) times the start distance: only
rounding is left. That rounding is a fixed point of float arithmetic within about
cond(H) * eps * |solution| of the exact answer (cond(H) below 10 here), hence atol 1e-4 in float32
(eps 6e-8, |solution| about 3; measured 3e-7) and 1e-9 in float64 (measured 1.3e-15).
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, gen, where

REDUCTIONS = ["mean", "sum", "none"]
LOSS_SHAPES = [(2, 3, 5), (7,), ()]
GRAD_SHAPES = [(7, 5, 3), (1, 4, 2), (12, 3, 1)]   # (N, D, K)


def draw(shape, seed, device, dtype, scale=1.0, shift=0.0):
    """scale * N(0, 1) + shift values, drawn in float64 on the CPU from gen(seed), then moved."""
    values = scale * torch.randn(shape, generator=gen(seed), dtype=torch.float64) + shift
    return values.to(device=device, dtype=dtype)


# ------------------------------------------------------------------ mse_loss

@pytest.mark.exercise("ch1.linear_regression.mse_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=str)
def test_mse_loss_matches_torch(student, reference, shape, reduction, device, dtype):
    args = [draw(shape, 1, device, dtype, scale=2.0), draw(shape, 2, device, dtype)]
    kwargs = {"reduction": reduction}
    got = student.run(apply, "mse_loss", args, kwargs)
    want = reference.run(apply, "mse_loss", args, kwargs)
    call = call_text("mse_loss", f"input{list(shape)}", f"target{list(shape)}", kwargs=kwargs)
    what = f"{call} {where(device, dtype)}"
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], args, what=f"{what}: input and target after the call (must not change)")


@pytest.mark.exercise("ch1.linear_regression.mse_loss")
def test_mse_loss_default_reduction_is_mean(student, reference, device, dtype):
    args = [draw((4, 3), 3, device, dtype), draw((4, 3), 4, device, dtype)]
    got = student.run(apply, "mse_loss", args, {})
    want = reference.run(apply, "mse_loss", args, {})
    expect_close(got["out"], want["out"], what=f"mse_loss(input[4, 3], target[4, 3]) {where(device, dtype)}")


@pytest.mark.exercise("ch1.linear_regression.mse_loss")
@pytest.mark.condition
@pytest.mark.parametrize("reduction", ["average", "batchmean"])
def test_mse_loss_unknown_reduction_raises(student, reduction):
    args = [draw((4, 3), 5, "cpu", torch.float64), draw((4, 3), 6, "cpu", torch.float64)]
    got = student.run(raises, "mse_loss", args, {"reduction": reduction})
    expect_equal(got, "raised", what=f"mse_loss(input[4, 3], target[4, 3], reduction={reduction!r}) must raise")


@pytest.mark.exercise("ch1.linear_regression.mse_loss")
@pytest.mark.condition
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_new_tensors_follow_the_device(student, reference, reduction):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return "mse_loss", [draw((4, 3), 7, device, torch.float32), draw((4, 3), 8, device, torch.float32)], \
            {"reduction": reduction}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what=f"mse_loss(input[4, 3], target[4, 3], reduction={reduction!r}) "
                                               f"on the meta device")


# ------------------------------------------------------------------ mse_grad

def grad_problem(n, d, k, device, dtype, seed):
    """x[N, D], y[N, K], weight[K, D], bias[K] from one seed: random, never all ones."""
    return [draw((n, d), seed, device, dtype), draw((n, k), seed + 1, device, dtype, scale=3.0),
            draw((k, d), seed + 2, device, dtype), draw((k,), seed + 3, device, dtype)]


def grad_call(n, d, k):
    return call_text("mse_grad", f"x[{n}, {d}]", f"y[{n}, {k}]", f"weight[{k}, {d}]", f"bias[{k}]")


@pytest.mark.exercise("ch1.linear_regression.mse_grad")
@pytest.mark.parametrize("n,d,k", GRAD_SHAPES, ids=str)
def test_mse_grad_matches_autograd(student, reference, n, d, k, device, dtype):
    args = grad_problem(n, d, k, device, dtype, seed=10 * n + k)
    got = student.run(apply, "mse_grad", args, {})
    want = reference.run(apply, "mse_grad", args, {})
    what = f"{grad_call(n, d, k)} {where(device, dtype)}"
    expect_equal(isinstance(got["out"], (tuple, list)) and len(got["out"]) == 2, True,
                 what=f"{what} returns a pair (d_weight, d_bias)")
    expect_close(got["out"][0], want["out"][0], what=f"{what}: d_weight")
    expect_close(got["out"][1], want["out"][1], what=f"{what}: d_bias")
    expect_equal(got["args_after"], args, what=f"{what}: x, y, weight and bias after the call (must not change)")


@pytest.mark.exercise("ch1.linear_regression.mse_grad")
@pytest.mark.condition
def test_mse_grad_new_tensors_follow_the_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return "mse_grad", grad_problem(7, 5, 3, device, torch.float32, seed=40), {}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(list(got["out"]), list(want["out"]), what=f"{grad_call(7, 5, 3)} on the meta device")


# ------------------------------------------------------------------ fit_linear_regression

def regression_problem(n, d, k, device, dtype, seed):
    """x[N, D] (features with a small offset, so weight and bias interact) and
    y = x @ true_weight.T + true_bias + noise, [N, K]."""
    g = gen(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) + 0.3
    true_weight = 2 * torch.randn(k, d, generator=g, dtype=torch.float64)
    true_bias = torch.randn(k, generator=g, dtype=torch.float64)
    y = x @ true_weight.T + true_bias + 0.1 * torch.randn(n, k, generator=g, dtype=torch.float64)
    return x.to(device, dtype), y.to(device, dtype)


def fit(impl, x, y, lr, steps):
    """Probe: fit_linear_regression(x, y, lr, steps) (graded with the kit's mse_grad), its result and
    the inputs afterwards."""
    weight, bias = impl.fit_linear_regression(x, y, lr, steps)
    return {"weight": weight, "bias": bias, "x_after": x, "y_after": y}


def fit_call(n, d, k, lr, steps):
    return call_text("fit_linear_regression", f"x[{n}, {d}]", f"y[{n}, {k}]", repr(lr), repr(steps))


def expect_fit(got, want, x, y, what, atol=None):
    expect_close(got["weight"], want["weight"], atol=atol, what=f"{what}: the weight [K, D]")
    expect_close(got["bias"], want["bias"], atol=atol, what=f"{what}: the bias [K]")
    expect_equal([got["x_after"], got["y_after"]], [x, y], what=f"{what}: x and y after the call (must not change)")


@pytest.mark.exercise("ch1.linear_regression.fit_linear_regression")
@pytest.mark.parametrize("steps", [0, 1, 4])
def test_fit_follows_gradient_descent(student, reference, steps, device, dtype):
    """Zeros, then `steps` full-batch steps: the exact trajectory of gradient descent."""
    n, d, k, lr = 20, 3, 2, 0.3
    x, y = regression_problem(n, d, k, device, dtype, seed=50)
    got = student.run(fit, x, y, lr, steps)
    want = reference.run(fit, x, y, lr, steps)
    expect_fit(got, want, x, y, f"{fit_call(n, d, k, lr, steps)} (weight and bias start at zeros) "
                                f"{where(device, dtype)}")


@pytest.mark.exercise("ch1.linear_regression.fit_linear_regression")
def test_fit_reaches_least_squares(student, device, dtype):
    n, d, k, lr, steps = 64, 3, 2, 0.5, 300
    x, y = regression_problem(n, d, k, device, dtype, seed=60)
    a = torch.cat([x.cpu().double(), torch.ones(n, 1, dtype=torch.float64)], dim=1)
    hessian_eigs = torch.linalg.eigvalsh(2 / (n * k) * a.T @ a)
    rho = (1 - lr * hessian_eigs).abs().max().item()
    assert rho < 0.8, f"the test's problem: gradient descent contracts by {rho} per step"   # the design
    solution = torch.linalg.lstsq(a, y.cpu().double()).solution   # [D + 1, K]
    want = {"weight": solution[:d].T.to(device, dtype), "bias": solution[d].to(device, dtype), "x_after": x,
            "y_after": y}
    got = student.run(fit, x, y, lr, steps)
    atol = 1e-4 if dtype == torch.float32 else 1e-9
    expect_fit(got, want, x, y, f"{fit_call(n, d, k, lr, steps)} {where(device, dtype)}, against the least-squares "
                                f"solution (torch.linalg.lstsq)", atol=atol)


@pytest.mark.exercise("ch1.linear_regression.fit_linear_regression")
@pytest.mark.condition
def test_fit_new_tensors_follow_the_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        x, y = regression_problem(20, 3, 2, device, torch.float32, seed=70)
        return x, y, 0.3, 3

    got = run_on_meta(student, fit, inputs)
    want = reference.run(fit, *inputs("meta"))
    what = f"{fit_call(20, 3, 2, 0.3, 3)} on the meta device"
    expect_close([got["weight"], got["bias"]], [want["weight"], want["bias"]], what=what)
