"""Hidden suite for ch5/pooling.py: max_pool2d and avg_pool2d against torch's F.max_pool2d and
F.avg_pool2d (their defaults: count_include_pad=True, ceil_mode=False), max_pool2d_backward against
autograd through F.max_pool2d.

One grid of window settings serves every exercise (each test runs the whole grid, so the test count
does not grow with it). Its cases catch the likely mistakes:
- the default stride: `stride=None` means stride = kernel_size (a stride of 1 gives more outputs);
- the floor rule: the spatial sizes leave a partial window at the bottom and right edge, which must
  be dropped (ceil would add an output, or index past the input);
- rectangular inputs and kernels, with tuple strides and paddings whose two entries differ, so a
  swapped (h, w) changes the output's shape or values;
- overlapping windows (stride < kernel) with padding up to half the kernel: max pooling pads with
  -inf (zero padding beats negative inputs; one test has only negative inputs), avg pooling divides
  by the whole window also where it is partly padding (count_include_pad=True).

The backward gets random upstream gradients (never all ones) and inputs of two kinds: distinct
random values, and inputs full of ties (constants, small integers, a window of equal values), where
torch gives each window's gradient to its first maximum in scan order; overlapping windows that
share a maximum add their gradients.

Every call also returns its inputs afterwards (they must not change). Padding above half the kernel
must raise (torch refuses it; any exception counts, CURRICULUM rule 8). The meta-device check also
covers the backward: code whose argmax needs values (a loop with .item(), boolean masks) cannot run
on meta, and run_on_meta then runs it on CPU inputs with the tensors made without device= tracked.

Tolerances: compare.py's defaults. The outputs are single values of the input (max), means of at
most 16 values (avg), and sums of at most 4 upstream gradients (backward): float32 rounding stays
near 1e-7 relative, far inside 1e-5, and every mistake above changes values by order 1.
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, gen, where


def pair(value):
    """(a, b) from an int a or a pair (a, b)."""
    return (value, value) if isinstance(value, int) else value


CASES = [  # (input shape [N, C, H, W], kernel_size, keyword arguments); H != W everywhere
    ((2, 3, 7, 9), 3, {}),                                               # stride = kernel; floor drops a row, a column
    ((2, 3, 7, 9), 3, {"stride": 2, "padding": 1}),                      # overlapping, padded
    ((1, 2, 8, 11), (2, 3), {"stride": (2, 1), "padding": (1, 0)}),      # rectangular, tuples
    ((2, 2, 9, 6), (3, 2), {"stride": (1, 2), "padding": (1, 1)}),       # rectangular the other way
    ((2, 2, 9, 10), (3, 2), {"padding": (1, 0)}),                        # tuple kernel, default stride (3, 2)
    ((1, 3, 7, 8), (2, 3), {"stride": 2, "padding": 1}),                 # tuple kernel, int stride and padding
    ((1, 3, 10, 13), 4, {"stride": 3, "padding": 2}),                    # padding = kernel / 2
    ((2, 1, 5, 7), 2, {"padding": 1}),                                   # padding with the default stride
    ((1, 2, 5, 6), 1, {"stride": 2}),                                    # 1x1 windows: subsampling
]
OVERLAPPING = [(shape, kernel_size, kwargs) for shape, kernel_size, kwargs in CASES   # stride < kernel in a dim
               if any(s < k for k, s in zip(pair(kernel_size), pair(kwargs.get("stride") or kernel_size)))]
TOO_MUCH_PADDING = [(3, {"padding": 2}), ((2, 4), {"padding": (1, 3)}), ((4, 3), {"stride": 1, "padding": (2, 2)})]
EXERCISES = ["max_pool2d", "avg_pool2d", "max_pool2d_backward"]


def output_shape(shape, kernel_size, kwargs):
    """[N, C, out_h, out_w] by the floor rule (for the upstream gradients)."""
    kernel, stride = pair(kernel_size), pair(kwargs.get("stride") or kernel_size)
    padding = pair(kwargs.get("padding", 0))
    return (*shape[:2], *[(n + 2 * p - k) // s + 1 for n, k, s, p in zip(shape[2:], kernel, stride, padding)])


def random_input(shape, device, dtype, seed, shift=0.0):
    g = gen(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) + shift).to(device=device, dtype=dtype)


def tied_inputs(shape, device, dtype, seed):
    """Inputs where windows hold several equal maxima: a constant, small integers, and a random
    input with one window (its top-left 2x2 block) of equal values."""
    g = gen(seed)
    integers = torch.randint(0, 3, shape, generator=g).to(torch.float64)
    planted = torch.randn(shape, generator=g, dtype=torch.float64)
    planted[..., :2, :2] = 1.5 + planted.abs().max()
    as_input = dict(device=device, dtype=dtype)
    return {"a constant": torch.full(shape, -2.5, **as_input),
            "integers 0..2": integers.to(**as_input), "a window of equal maxima": planted.to(**as_input)}


def check(student, reference, name, args, kwargs, what):
    got = student.run(apply, name, args, kwargs)
    want = reference.run(apply, name, args, kwargs)
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], list(args), what=f"{what}: the inputs after the call (must not change)")


def call_description(name, shape, kernel_size, kwargs, device, dtype):
    """'max_pool2d_backward(grad_output, x[2,3,7,9], 3, stride=2, padding=1) on cpu float32'."""
    inputs = ["grad_output"] * name.endswith("_backward") + [f"x[{','.join(map(str, shape))}]"]
    return f"{call_text(name, *inputs, repr(kernel_size), kwargs=kwargs)} {where(device, dtype)}"


# ------------------------------------------------------------------ forward


@pytest.mark.exercise("ch5.pooling.{name}")
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pooling_matches_torch(student, reference, name, device, dtype):
    for seed, (shape, kernel_size, kwargs) in enumerate(CASES):
        x = random_input(shape, device, dtype, seed)
        check(student, reference, name, [x, kernel_size], kwargs,
              call_description(name, shape, kernel_size, kwargs, device, dtype))


@pytest.mark.exercise("ch5.pooling.max_pool2d")
def test_max_pool2d_of_negative_inputs_never_takes_the_padding(student, reference, device, dtype):
    """Every input below -3: a zero padding would show as a 0 in every window at the border."""
    for seed, (shape, kernel_size, kwargs) in enumerate(CASES):
        if kwargs.get("padding"):
            x = random_input(shape, device, dtype, 10 + seed, shift=-3.0).clamp(max=-3.0)
            check(student, reference, "max_pool2d", [x, kernel_size], kwargs,
                  f"{call_description('max_pool2d', shape, kernel_size, kwargs, device, dtype)}, every x < 0")


# ------------------------------------------------------------------ backward


@pytest.mark.exercise("ch5.pooling.max_pool2d_backward")
def test_max_pool2d_backward_matches_autograd(student, reference, device, dtype):
    for seed, (shape, kernel_size, kwargs) in enumerate(CASES):
        x = random_input(shape, device, dtype, 20 + seed)
        grad_output = random_input(output_shape(shape, kernel_size, kwargs), device, dtype, 40 + seed)
        check(student, reference, "max_pool2d_backward", [grad_output, x, kernel_size], kwargs,
              call_description("max_pool2d_backward", shape, kernel_size, kwargs, device, dtype))


@pytest.mark.exercise("ch5.pooling.max_pool2d_backward")
def test_max_pool2d_backward_gives_ties_to_the_first_max(student, reference, device, dtype):
    for seed, (shape, kernel_size, kwargs) in enumerate(CASES):
        grad_output = random_input(output_shape(shape, kernel_size, kwargs), device, dtype, 60 + seed)
        for kind, x in tied_inputs(shape, device, dtype, 80 + seed).items():
            what = call_description("max_pool2d_backward", shape, kernel_size, kwargs, device, dtype)
            check(student, reference, "max_pool2d_backward", [grad_output, x, kernel_size], kwargs,
                  f"{what}, x: {kind}")


@pytest.mark.exercise("ch5.pooling.max_pool2d_backward")
def test_max_pool2d_backward_overlapping_windows_add_up(student, reference, device, dtype):
    """One large value in the middle: the maximum of every window that covers it, so it receives
    the sum of their gradients."""
    for seed, (shape, kernel_size, kwargs) in enumerate(OVERLAPPING):
        x = random_input(shape, device, dtype, 100 + seed)
        x[..., shape[2] // 2, shape[3] // 2] = 10.0
        grad_output = random_input(output_shape(shape, kernel_size, kwargs), device, dtype, 120 + seed)
        what = call_description("max_pool2d_backward", shape, kernel_size, kwargs, device, dtype)
        check(student, reference, "max_pool2d_backward", [grad_output, x, kernel_size], kwargs,
              f"{what}, x with one large value in the middle")


# ------------------------------------------------------------------ conditions


def exercise_args(name, shape, kernel_size, kwargs, device, dtype):
    """The positional arguments of `name` for one case (the backward gets an upstream gradient)."""
    x = random_input(shape, device, dtype, 0)
    if name != "max_pool2d_backward":
        return [x, kernel_size]
    return [random_input(output_shape(shape, kernel_size, kwargs), device, dtype, 1), x, kernel_size]


@pytest.mark.exercise("ch5.pooling.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", EXERCISES)
def test_padding_above_half_the_kernel_raises(student, name):
    shape = (1, 2, 8, 9)
    for kernel_size, kwargs in TOO_MUCH_PADDING:
        args = exercise_args(name, shape, kernel_size, kwargs, "cpu", torch.float64)
        got = student.run(raises, name, args, kwargs)
        what = call_description(name, shape, kernel_size, kwargs, "cpu", torch.float64)
        expect_equal(got, "raised", what=f"{what} must raise: torch refuses a padding above half the kernel size")


@pytest.mark.exercise("ch5.pooling.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", EXERCISES)
def test_new_tensors_follow_the_input_device(student, reference, name):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    shape, kernel_size, kwargs = CASES[3]

    def inputs(device):
        return name, exercise_args(name, shape, kernel_size, kwargs, device, torch.float32), kwargs

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    what = call_text(name, "...", repr(kernel_size), kwargs=kwargs)
    expect_close(got["out"], want["out"], what=f"{what} on the meta device")
