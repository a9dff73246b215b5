"""Hidden suite for ch2/activations.py: forward against torch, backward against autograd."""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, gen, where

FORWARD = [  # (function, extra keyword arguments)
    ("relu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
]
CASE_IDS = [name + "".join(f"-{v}" for v in kw.values()) for name, kw in FORWARD]
SHAPES = [(2, 3, 5), (7,)]
EXTREMES = [-1e4, -100.0, -30.0, -1.0, -0.0, 0.0, 1e-7, 1.0, 30.0, 100.0, 1e4]


def make_input(shape, device, dtype, seed=0):
    """Random values with the kinks (0, -0, ±tiny) planted at the front."""
    g = gen(seed)
    x = 3 * torch.randn(shape, generator=g, dtype=torch.float64)
    special = torch.tensor([0.0, -0.0, 1e-30, -1e-30, 0.0], dtype=torch.float64)
    flat = x.reshape(-1)
    n = min(len(special), flat.numel())
    flat[:n] = special[:n]
    return x.to(device=device, dtype=dtype)




def check(student, reference, name, args, kwargs, what):
    got = student.run(apply, name, args, kwargs)
    want = reference.run(apply, name, args, kwargs)
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], list(args), what=f"{what}: the inputs after the call (must not change)")


@pytest.mark.exercise("ch2.activations.{name}")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,kwargs", FORWARD, ids=CASE_IDS)
def test_forward_matches_torch(student, reference, name, kwargs, shape, device, dtype):
    x = make_input(shape, device, dtype)
    check(student, reference, name, [x], kwargs,
          f"{call_text(name, f'x{shape}', kwargs=kwargs)} {where(device, dtype)}")


@pytest.mark.exercise("ch2.activations.{name}")
@pytest.mark.parametrize("name,kwargs", FORWARD, ids=CASE_IDS)
def test_forward_extreme_inputs(student, reference, name, kwargs, device, dtype):
    x = torch.tensor(EXTREMES, device=device, dtype=dtype)
    check(student, reference, name, [x], kwargs, f"{name}(x) at x={EXTREMES} {where(device, dtype)}")


@pytest.mark.exercise("ch2.activations.{name}_backward")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,kwargs", FORWARD, ids=CASE_IDS)
def test_backward_matches_autograd(student, reference, name, kwargs, shape, device, dtype):
    x = make_input(shape, device, dtype, seed=1)
    g = make_input(shape, device, dtype, seed=2).neg().add(0.5)  # random upstream gradient
    check(student, reference, f"{name}_backward", [g, x], kwargs,
          f"{call_text(name + '_backward', 'grad_output', f'x{shape}', kwargs=kwargs)} {where(device, dtype)}")


@pytest.mark.exercise("ch2.activations.{name}_backward")
@pytest.mark.parametrize("name,kwargs", FORWARD, ids=CASE_IDS)
def test_backward_extreme_inputs(student, reference, name, kwargs, device, dtype):
    x = torch.tensor(EXTREMES, device=device, dtype=dtype)
    g = torch.linspace(-2, 3, len(EXTREMES), device=device, dtype=dtype)
    check(student, reference, f"{name}_backward", [g, x], kwargs,
          f"{name}_backward(grad_output, x) at x={EXTREMES} {where(device, dtype)}")


@pytest.mark.exercise("ch2.activations.{name}")
@pytest.mark.parametrize("name,slope", [("relu_backward", 0.0), ("leaky_relu_backward", 0.01),
                                         ("leaky_relu_backward", 0.3)])
def test_backward_at_the_kink_follows_torch(student, reference, name, slope):
    x = torch.tensor([0.0, -0.0, 0.0])
    g = torch.tensor([1.0, 2.0, -3.0])
    kwargs = {"negative_slope": slope} if name.startswith("leaky") else {}
    check(student, reference, name, [g, x], kwargs, f"{call_text(name, 'grad_output', 'x', kwargs=kwargs)} at x == 0")


@pytest.mark.exercise("ch2.activations.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["gelu", "gelu_backward"])
def test_gelu_rejects_unknown_approximation(student, name):
    x = torch.randn(4, dtype=torch.float64)
    args = [x] if name == "gelu" else [x, x]
    got = student.run(raises, name, args, {"approximate": "fast"})
    expect_equal(got, "raised", what=f"{name}(..., approximate='fast') must raise (the docstring says ValueError)")


@pytest.mark.exercise("ch2.activations.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,kwargs", FORWARD, ids=CASE_IDS)
def test_new_tensors_follow_the_input_device(student, reference, name, kwargs):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return name, [make_input((4, 3), device, torch.float32)], kwargs

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what=f"{name}(x) on the meta device")
