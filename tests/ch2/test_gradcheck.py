"""Hidden suite for ch2/gradcheck.py.

numerical_gradient: against an independent central-difference loop (same
evaluation points, so only rounding differs), which is itself checked against
the closed-form gradients; some test functions have a wrong backward or none, so
autograd cannot stand in for finite differences.
relative_error: against the closed form.
gradcheck: the verdict against torch.autograd.gradcheck, and against the verdict
each case was designed to have (correct backward: True; wrong: False).
Gradient checks run in float64 (rule 9); one float32 test checks dtype handling.
"""
import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.suite_helpers import gen, where

# --------------------------------------------------------------- numerical_gradient

FUNCTIONS = ["sin", "cubic", "logsumexp", "wrong_backward", "python_float"]


def make_x(shape, device, dtype=torch.float64, seed=0):
    g = gen(seed)
    return (4 * torch.rand(shape, generator=g, dtype=torch.float64) - 2).to(device=device, dtype=dtype)


def numgrad(impl, name, x, eps=None, transpose=False, requires_grad=False):
    """numerical_gradient of a named test function at x; also x afterwards and the closed form."""

    class WrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * t  # wrong on purpose: d(t*t)/dt = 2t

    if transpose:
        x = x.t()  # a non-contiguous view
    if requires_grad:
        x = x.detach().requires_grad_()
    w = torch.linspace(-1.5, 2.5, x.numel(), dtype=x.dtype, device=x.device).reshape(x.shape)

    def softmax_all(t):
        e = torch.exp(t * w - (t * w).max())
        return e / e.sum()

    functions = {  # name: (f, closed-form gradient)
        "sin": (lambda t: (torch.sin(t) * w).sum(), lambda t: torch.cos(t) * w),
        "cubic": (lambda t: (t ** 3 * w).sum() / 3, lambda t: t * t * w),
        "logsumexp": (lambda t: torch.log(torch.exp(t * w).sum()), lambda t: w * softmax_all(t)),
        "wrong_backward": (lambda t: (WrongSquare.apply(t) * w).sum(), lambda t: 2 * t * w),
        "python_float": (lambda t: float((torch.tanh(t) * w).sum()), lambda t: (1 - torch.tanh(t) ** 2) * w),
    }
    f, exact = functions[name]
    seen = set()

    def watched(t):   # f sees points x +- eps e_i: tensors with x's shape, dtype and device
        seen.add((str(t.dtype), tuple(t.shape), t.device.type))
        return f(t)

    kwargs = {} if eps is None else {"eps": eps}
    grad = impl.numerical_gradient(watched, x, **kwargs)
    return {"grad": grad, "x_after": x.detach(), "x_requires_grad_after": x.requires_grad,
            "exact": exact(x.detach()), "f_saw": sorted(seen)}


def check_numgrad(student, reference, args, kwargs, what, exact_atol=1e-6, atol=1e-8, rtol=1e-7):
    """Both sides evaluate f at the same points; only the last bits may differ (e.g. x - eps formed
    as (x + eps) - 2 eps in a copy: about 1e-9 here), far below a one-sided difference's error (1e-6)."""
    got = student.run(numgrad, *args, **kwargs)
    want = reference.run(numgrad, *args, **kwargs)
    expect_close(got["grad"], want["grad"], atol=atol, rtol=rtol, what=what)
    expect_equal(got["x_after"], want["x_after"], what=f"{what}: x after the call (must not change)")
    expect_equal(got["x_requires_grad_after"], want["x_requires_grad_after"],
                 what=f"{what}: x.requires_grad after the call")
    # Kit self-check: the reference agrees with the closed-form gradient.
    expect_close(want["grad"], want["exact"], atol=exact_atol, rtol=1e-6,
                 what=f"kit self-check, reference vs closed form: {what}")


@pytest.mark.exercise("ch2.gradcheck.numerical_gradient")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_numerical_gradient_matches_central_differences(student, reference, name, device):
    x = make_x((3, 4), device)
    check_numgrad(student, reference, (name, x), {},
                  f"numerical_gradient(f={name}, x[3, 4] float64 on {device})")


@pytest.mark.exercise("ch2.gradcheck.numerical_gradient")
@pytest.mark.parametrize("shape,name", [((), "cubic"), ((7,), "logsumexp"), ((2, 3, 2), "logsumexp")],
                         ids=["0d", "1d", "3d"])
def test_numerical_gradient_any_shape(student, reference, shape, name, device):
    x = make_x(shape, device, seed=1)
    check_numgrad(student, reference, (name, x), {},
                  f"numerical_gradient(f={name}, x{list(shape)} float64 on {device})")


@pytest.mark.exercise("ch2.gradcheck.numerical_gradient")
@pytest.mark.parametrize("name", ["sin", "cubic"])
def test_numerical_gradient_uses_eps(student, reference, name, device):
    """A large step: a one-sided difference or an ignored eps is far off here."""
    x = make_x((4, 3), device, seed=2)
    check_numgrad(student, reference, (name, x), {"eps": 1e-2},
                  f"numerical_gradient(f={name}, x[4, 3] float64 on {device}, eps=1e-2)", exact_atol=3e-4)


@pytest.mark.exercise("ch2.gradcheck.numerical_gradient")
@pytest.mark.parametrize("name", ["sin", "wrong_backward"])
def test_numerical_gradient_noncontiguous_input_requiring_grad(student, reference, name, device):
    x = make_x((4, 3), device, seed=3)
    check_numgrad(student, reference, (name, x), {"transpose": True, "requires_grad": True},
                  f"numerical_gradient(f={name}, x = a transposed [3, 4] float64 view with "
                  f"requires_grad=True, on {device})")


@pytest.mark.exercise("ch2.gradcheck.numerical_gradient")
def test_numerical_gradient_keeps_float32(student, reference, device):
    x = make_x((3, 4), device, dtype=torch.float32, seed=4)
    got = student.run(numgrad, "sin", x, eps=1e-2)
    want = reference.run(numgrad, "sin", x, eps=1e-2)
    want64 = reference.run(numgrad, "sin", x.double(), eps=1e-2)
    # float32 rounding of the evaluation points and of f: allow 4x the reference's own error.
    atol = max(5e-4, 4 * (want["grad"].double() - want64["grad"]).abs().max().item())
    what = f"numerical_gradient(f=sin, x[3, 4] float32 on {device}, eps=1e-2)"
    expect_close(got["grad"], want["grad"], atol=atol, rtol=1e-3, what=what)
    expect_equal(got["f_saw"], want["f_saw"], what=f"{what}: the (dtype, shape, device) of the tensors f was "
                                                    "called with (the points x +- eps e_i keep x's dtype)")
    expect_equal(got["x_after"], want["x_after"], what=f"{what}: x after the call (must not change)")


# ------------------------------------------------------------------ relative_error

def rel_err(impl, a, b):
    out = impl.relative_error(a, b)
    return {"out": out, "args_after": [a, b]}


def check_rel_err(student, reference, a, b, what):
    got = student.run(rel_err, a, b)
    want = reference.run(rel_err, a, b)
    rtol = 1e-5 if a.dtype == torch.float32 else None   # the reference computes in float64
    expect_close(got["out"], want["out"], rtol=rtol, what=what)
    expect_equal(got["args_after"], [a, b], what=f"{what}: the inputs after the call (must not change)")


@pytest.mark.exercise("ch2.gradcheck.relative_error")
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4)], ids=str)
def test_relative_error_random(student, reference, shape, device, dtype):
    g = gen(5)
    a = torch.randn(shape, generator=g, dtype=torch.float64)
    b = a + 0.05 * torch.randn(shape, generator=g, dtype=torch.float64) * torch.rand(shape, generator=g,
                                                                                     dtype=torch.float64)
    a.view(-1)[:2] = 0.0          # both zero there: ratio 0
    b.view(-1)[:2] = 0.0
    a, b = a.to(device=device, dtype=dtype), b.to(device=device, dtype=dtype)
    check_rel_err(student, reference, a, b, f"relative_error(a, b) with a, b {list(shape)} {where(device, dtype)}")


SPECIAL = {  # id: (a, b, what the case is about)
    "all_zero": ([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
                 "both zero everywhere: 0, not NaN (the 1e-8 floor)"),
    "tiny": ([1e-9, 0.5, 0.0], [-2e-9, 0.5, 0.0], "|a|+|b| below 1e-8: divide by 1e-8"),
    "max_not_mean": ([1.0, 2.0, 3.0, 4.0], [1.0, -2.0, 3.1, 4.0], "the largest elementwise ratio"),
    "scalar": (2.0, 2.5, "0-d tensors"),
}


@pytest.mark.exercise("ch2.gradcheck.relative_error")
@pytest.mark.parametrize("case", list(SPECIAL))
def test_relative_error_special_values(student, reference, case, device, dtype):
    a, b, about = SPECIAL[case]
    a = torch.tensor(a, device=device, dtype=dtype)
    b = torch.tensor(b, device=device, dtype=dtype)
    check_rel_err(student, reference, a, b,
                  f"relative_error(a={a.tolist()}, b={b.tolist()}) {where(device, dtype)} ({about})")


# ----------------------------------------------------------------------- gradcheck

def run_gradcheck(impl, name, tensors, requires, kwargs, container="tuple"):
    """gradcheck(f, inputs, **kwargs) for a named test function; also the inputs afterwards.
    container: how the inputs are passed, "tuple", "list" or "tensor" (a single tensor as it is)."""

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t ** 3

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * 3 * t ** 2

    class CubeWrongFactor(Cube):
        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * 2 * t ** 2          # wrong: 3 t^2

    class MulWrongSecond(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * b         # wrong for b only: grad * a

    class Doubles(torch.autograd.Function):   # 2 * t; the subclasses below get its backward wrong
        @staticmethod
        def forward(ctx, t):
            return 2 * t

    class FlipBackward(Doubles):
        @staticmethod
        def backward(ctx, grad):
            return 2 * grad.flip(-1)          # wrong, but right for grad = all ones (out.sum())

    class DropsLastOutput(Doubles):
        @staticmethod
        def backward(ctx, grad):
            grad = grad.clone()
            grad.reshape(-1)[-1] = 0          # wrong for the last output element only
            return 2 * grad

    class ExpRelErr(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t, rel):
            ctx.save_for_backward(t)
            ctx.rel = rel
            return torch.exp(t)

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * torch.exp(t) * (1 + ctx.rel), None

    class SinAbsErr(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return torch.sin(t)

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * (torch.cos(t) + 3e-3)

    class NanInBackward(Doubles):
        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")     # NaN never passes

    class RaisesInBackward(Doubles):
        @staticmethod
        def backward(ctx, grad):
            raise RuntimeError("this backward is broken")

    functions = {
        "sin_mul": lambda a, b: torch.sin(a) * b,
        "matmul_tanh": lambda a, b: torch.tanh(a @ b),
        "three_inputs": lambda a, b, c: (a * b).sum(0) + torch.sin(c) * b,
        "cube_sum": lambda t: Cube.apply(t).sum(),
        "cube": lambda t: Cube.apply(t),
        "cube_wrong_factor": lambda t: CubeWrongFactor.apply(t),
        "cube_wrong_factor_sum": lambda t: CubeWrongFactor.apply(t).sum(),
        "mul_wrong_second": lambda a, b: MulWrongSecond.apply(a, b),
        "mul_wrong_second_sum": lambda a, b: MulWrongSecond.apply(a, b).sum(),
        "flip_backward": lambda t: FlipBackward.apply(t),
        "drops_last_output": lambda t: DropsLastOutput.apply(t),
        "exp_rel_1e-4": lambda t: ExpRelErr.apply(t, 1e-4),
        "exp_rel_1e-2": lambda t: ExpRelErr.apply(t, 1e-2),
        "sin_abs_3e-3": lambda t: SinAbsErr.apply(t),
        "raises_in_backward": lambda t: RaisesInBackward.apply(t),
        "nan_in_backward": lambda t: NanInBackward.apply(t),
        "constant": lambda t: torch.zeros(3, dtype=t.dtype, device=t.device),   # output requires no grad
        "detached": lambda t: t.detach() * 2,                                  # no grad, but depends on t
        "raises_in_forward": lambda t: t.reshape(5, 5),
        "unused_input": lambda a, b: torch.exp(a),
        "exp3x": lambda t: torch.exp(3 * t),
    }
    inputs = tuple(t.requires_grad_(r) for t, r in zip(tensors, requires))

    def verdict_of_gradcheck():
        given = {"tuple": inputs, "list": list(inputs), "tensor": inputs[0]}[container]
        verdict = impl.gradcheck(functions[name], given, **kwargs)
        return verdict if isinstance(verdict, str) else bool(verdict)

    verdict, error = probes.attempt(verdict_of_gradcheck)
    if error is not None:
        verdict = f"raised {type(error).__name__}: {error} (expected True or False)"
    return {"verdict": verdict, "inputs_after": [t.detach() for t in inputs],
            "requires_grad_after": [t.requires_grad for t in inputs]}


GRADCHECK_CASES = [  # (id, function, input shapes, requires_grad flags, kwargs, designed verdict)
    ("sin_mul", "sin_mul", [(3, 4), (3, 4)], [True, True], {}, True),
    ("matmul_tanh", "matmul_tanh", [(3, 4), (4, 2)], [True, True], {}, True),
    ("matmul_tanh_only_second", "matmul_tanh", [(3, 4), (4, 2)], [False, True], {}, True),
    ("three_inputs_first_and_last", "three_inputs", [(3, 4), (4,), (4,)], [True, False, True], {}, True),
    ("custom_correct_scalar_out", "cube_sum", [(2, 3)], [True], {}, True),
    ("custom_correct", "cube", [(2, 3)], [True], {}, True),
    ("custom_wrong_factor", "cube_wrong_factor", [(2, 3)], [True], {}, False),
    ("custom_wrong_factor_scalar_out", "cube_wrong_factor_sum", [(2, 3)], [True], {}, False),
    ("wrong_grad_of_second_input", "mul_wrong_second", [(3, 2), (3, 2)], [True, True], {}, False),
    ("wrong_grad_of_second_input_scalar_out", "mul_wrong_second_sum", [(2, 3), (2, 3)], [True, True], {}, False),
    ("wrong_grad_of_input_not_checked", "mul_wrong_second", [(3, 2), (3, 2)], [True, False], {}, True),
    ("wrong_jacobian_right_column_sums", "flip_backward", [(2, 3)], [True], {}, False),
    ("wrong_last_output_row", "drops_last_output", [(2, 3)], [True], {}, False),
    ("wrong_last_output_row_1d", "drops_last_output", [(5,)], [True], {}, False),
    ("relative_error_1e-4_passes", "exp_rel_1e-4", [(3, 4)], [True], {}, True),
    ("relative_error_1e-2_fails", "exp_rel_1e-2", [(3, 4)], [True], {}, False),
    ("relative_error_1e-2_with_rtol", "exp_rel_1e-2", [(3, 4)], [True], {"rtol": 0.05}, True),
    ("absolute_error_fails", "sin_abs_3e-3", [(3, 4)], [True], {}, False),
    ("absolute_error_with_atol", "sin_abs_3e-3", [(3, 4)], [True], {"atol": 1e-2}, True),
    ("absolute_error_with_rtol", "sin_abs_3e-3", [(3, 4)], [True], {"rtol": 1e-2}, True),
    ("large_eps_truncation_error", "exp3x", [(2, 3)], [True], {"eps": 0.1}, False),
    ("default_eps", "exp3x", [(2, 3)], [True], {}, True),
    ("unused_input", "unused_input", [(2, 3), (3,)], [True, True], {}, True),
    ("no_input_requires_grad", "sin_mul", [(3, 4), (3, 4)], [False, False], {}, False),
    ("backward_raises", "raises_in_backward", [(2, 3)], [True], {}, False),
    ("nan_in_backward", "nan_in_backward", [(2, 3)], [True], {}, False),
    ("output_requires_no_grad_constant", "constant", [(2, 3)], [True], {}, True),
    ("output_requires_no_grad_but_depends", "detached", [(2, 3)], [True], {}, False),
    ("forward_raises", "raises_in_forward", [(2, 3)], [True], {}, False),
]


# Each verdict test also asks for the opposite verdict on a plain case (x ** 3 with its right or
# a wrong backward), so that a gradcheck that always says True, or always False, fails every test.
OPPOSITE = {True: ("cube_wrong_factor", False), False: ("cube", True)}


def check_the_opposite_verdict(student, designed, device, container="tuple"):
    name, verdict = OPPOSITE[designed]
    x = (2 * torch.rand((2, 3), generator=gen(8), dtype=torch.float64) - 1).to(device)
    got = student.run(run_gradcheck, name, [x], [True], {}, container)
    expect_equal(got["verdict"], verdict, what=f"gradcheck(f={name}, an input of shape (2, 3), float64 on {device}): "
                                               f"x ** 3 with {'a wrong' if not verdict else 'its right'} backward")


@pytest.mark.exercise("ch2.gradcheck.gradcheck")
@pytest.mark.parametrize("case,name,shapes,requires,kwargs,designed", GRADCHECK_CASES,
                         ids=[c[0] for c in GRADCHECK_CASES])
def test_gradcheck_verdict(student, reference, case, name, shapes, requires, kwargs, designed, device):
    g = gen(6)
    tensors = [(2 * torch.rand(s, generator=g, dtype=torch.float64) - 1).to(device) for s in shapes]
    what = (f"gradcheck(f={name}, inputs of shapes {shapes} (float64 on {device}) with requires_grad "
            f"{requires}{', ' + str(kwargs) if kwargs else ''}) [{case}]")
    got = student.run(run_gradcheck, name, tensors, requires, kwargs)
    want = reference.run(run_gradcheck, name, tensors, requires, kwargs)
    # Kit self-check: torch.autograd.gradcheck gives the verdict this case was designed for.
    expect_equal(want["verdict"], designed, what=f"kit self-check, torch.autograd.gradcheck: {what}")
    expect_equal(got["verdict"], want["verdict"], what=what)
    check_the_opposite_verdict(student, designed, device)
    expect_equal(got["inputs_after"], tensors, what=f"{what}: the input values after the call (must not change)")
    expect_equal(got["requires_grad_after"], list(requires),
                 what=f"{what}: the inputs' requires_grad after the call (must not change)")


CONTAINER_CASES = [  # (how the inputs are passed, id, function, input shapes, designed verdict)
    ("list", "custom_correct", "cube", [(2, 3)], True),
    ("list", "custom_wrong_factor", "cube_wrong_factor", [(2, 3)], False),
    ("list", "wrong_grad_of_second_input", "mul_wrong_second", [(3, 2), (3, 2)], False),
    ("tensor", "custom_correct", "cube", [(2, 3)], True),
    ("tensor", "custom_wrong_factor", "cube_wrong_factor", [(2, 3)], False),
]


@pytest.mark.exercise("ch2.gradcheck.gradcheck")
@pytest.mark.parametrize("container,case,name,shapes,designed", CONTAINER_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CONTAINER_CASES])
def test_gradcheck_inputs_as_a_list_or_a_single_tensor(student, reference, container, case, name, shapes, designed):
    g = gen(7)
    tensors = [2 * torch.rand(s, generator=g, dtype=torch.float64) - 1 for s in shapes]
    requires = [True] * len(tensors)
    given = {"list": f"a list of {len(tensors)} tensors", "tensor": "a single tensor (standing for (tensor,))"}
    what = f"gradcheck(f={name}, inputs = {given[container]} of shapes {shapes}, float64) [{case}]"
    got = student.run(run_gradcheck, name, tensors, requires, {}, container)
    want = reference.run(run_gradcheck, name, tensors, requires, {}, container)
    expect_equal(want["verdict"], designed, what=f"kit self-check, torch.autograd.gradcheck: {what}")
    expect_equal(got["verdict"], want["verdict"], what=what)
    check_the_opposite_verdict(student, designed, "cpu", container)
