"""Hidden suite for ch5/conv.py: conv2d against F.conv2d, conv2d_backward against autograd through
F.conv2d, conv_output_size against the shapes F.conv2d gives, receptive_field against a measured
field (the reference's docstring) and the closed form.

The cases come in groups, one test per group, so a mistake costs the points of the groups it
breaks: plain (strides that differ along H and W, rectangular inputs and kernels, a batch of 1,
no bias), padding (int, pair, 'valid', 'same' with odd and even kernels and with dilation: an
even kernel pads one more zero at the bottom/right), dilation (along H only, along W only, with
padding and stride) and groups (2 blocks, depthwise, depthwise with 2 outputs per channel, with
stride and 'same'). No two sizes of a case are equal where mixing them up changes the answer, and
the default stride 1 with kernels of 2 or more makes neighbouring windows overlap, so a backward
that overwrites instead of adding the overlapping contributions fails. Upstream gradients are
random. Tensors are small (a loop over output positions finishes in well under a second).

Tolerances: float64 the defaults; float32 compare.reference_answer's atol (at least 1e-5, or 4
times torch's own float32-versus-float64 error on the case) with the default rtol 1e-5, which
covers any order of the at most 144 products summed here: measured over 10 seed offsets, the
solution (unfold and matmul) and the loop alternative use at most 0.29 of that tolerance.
"""
import warnings

import pytest
import torch
import torch.nn.functional as F

from autograder.compare import expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import gen, where

# ------------------------------------------------------------------ probes


def conv_forward(impl, x, weight, bias, kwargs):
    """impl.conv2d (bias by keyword, left out when None), and the inputs after the call."""
    if bias is not None:
        kwargs = dict(kwargs, bias=bias)
    out = impl.conv2d(x, weight, **kwargs)
    return {"out": out, "inputs_after": [x, weight, bias]}


def conv_backward(impl, grad_output, x, weight, kwargs):
    """impl.conv2d_backward's three gradients, and the inputs after the call."""
    d_input, d_weight, d_bias = impl.conv2d_backward(grad_output, x, weight, **kwargs)
    return {"d_input": d_input, "d_weight": d_weight, "d_bias": d_bias,
            "inputs_after": [grad_output, x, weight]}


def output_sizes(impl, cases):
    """impl.conv_output_size for each (args, kwargs)."""
    return [impl.conv_output_size(*args, **kwargs) for args, kwargs in cases]


def receptive_fields(impl, stacks):
    """impl.receptive_field for each list of layers."""
    return [impl.receptive_field(layers) for layers in stacks]


# ------------------------------------------------------------------ cases

# (x shape, weight shape, with bias, keyword arguments)
CASES = {
    "plain": [
        ((2, 3, 6, 8), (4, 3, 3, 2), True, {}),
        ((2, 3, 6, 8), (4, 3, 2, 3), False, {}),
        ((1, 2, 5, 7), (3, 2, 3, 3), True, {}),
        ((2, 3, 9, 7), (4, 3, 3, 2), True, {"stride": 2}),
        ((2, 2, 9, 11), (3, 2, 2, 3), True, {"stride": (2, 3)}),
        ((2, 2, 10, 7), (3, 2, 2, 2), False, {"stride": (3, 1)}),
    ],
    "padding": [
        ((2, 3, 6, 7), (4, 3, 3, 3), True, {"padding": 1}),
        ((2, 3, 6, 7), (4, 3, 3, 2), True, {"padding": (2, 1)}),
        ((2, 2, 7, 9), (3, 2, 3, 3), False, {"padding": (0, 3), "stride": (1, 2)}),
        ((2, 3, 6, 7), (4, 3, 3, 2), True, {"padding": "valid"}),
        ((2, 3, 6, 7), (4, 3, 3, 3), True, {"padding": "same"}),
        ((2, 3, 6, 7), (4, 3, 2, 4), True, {"padding": "same"}),
        ((2, 3, 7, 6), (4, 3, 4, 3), False, {"padding": "same", "dilation": (1, 2)}),
        ((1, 2, 7, 8), (3, 2, 2, 2), True, {"padding": "same", "dilation": 3}),
        ((2, 3, 5, 6), (4, 3, 1, 1), True, {"padding": "same"}),
    ],
    "dilation": [
        ((2, 3, 8, 9), (4, 3, 3, 3), True, {"dilation": 2}),
        ((2, 3, 6, 9), (4, 3, 2, 2), True, {"dilation": (1, 3), "padding": 1}),
        ((2, 2, 9, 8), (3, 2, 3, 2), False, {"dilation": (2, 1), "stride": 2, "padding": (1, 2)}),
        ((1, 2, 10, 9), (3, 2, 2, 3), True, {"dilation": (3, 2), "stride": (1, 2)}),
    ],
    "groups": [
        ((2, 4, 6, 7), (6, 2, 3, 2), True, {"groups": 2}),
        ((2, 3, 6, 5), (3, 1, 3, 3), True, {"groups": 3}),
        ((2, 3, 7, 6), (6, 1, 2, 2), False, {"groups": 3, "padding": 1}),
        ((1, 6, 7, 8), (4, 3, 3, 3), True, {"groups": 2, "stride": 2, "padding": (1, 0)}),
        ((2, 4, 6, 7), (8, 1, 2, 3), True, {"groups": 4, "padding": "same", "dilation": 2}),
    ],
}
GROUPS = list(CASES)


def kwargs_text(kwargs):
    return "".join(f", {k}={v!r}" for k, v in kwargs.items())


def conv_inputs(x_shape, w_shape, with_bias, seed, device, dtype):
    g = gen(seed)
    x = torch.randn(x_shape, generator=g, dtype=torch.float64)
    weight = torch.randn(w_shape, generator=g, dtype=torch.float64)
    bias = torch.randn(w_shape[0], generator=g, dtype=torch.float64) if with_bias else None
    return [None if t is None else t.to(device=device, dtype=dtype) for t in (x, weight, bias)]


def upstream_gradient(x, weight, kwargs, seed):
    """A random grad_output of the shape conv2d gives (the shape from torch's own conv2d; its warning
    about a padded copy for 'same' with an even kernel is about speed, not shapes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shape = F.conv2d(x.to("meta"), weight.to("meta"), **kwargs).shape
    return torch.randn(shape, generator=gen(seed), dtype=torch.float64).to(device=x.device, dtype=x.dtype)


# ------------------------------------------------------------------ conv2d


@pytest.mark.exercise("ch5.conv.conv2d")
@pytest.mark.parametrize("group", GROUPS)
def test_conv2d_matches_torch(student, reference, group, device, dtype):
    for i, (x_shape, w_shape, with_bias, kwargs) in enumerate(CASES[group]):
        x, weight, bias = conv_inputs(x_shape, w_shape, with_bias, 10 * i, device, dtype)
        args = [x, weight, bias, kwargs]
        got = student.run(conv_forward, *args)
        want, atol = reference_answer(reference, conv_forward, args, dtype)
        bias_text = f", bias[{w_shape[0]}]" if with_bias else ""
        what = (f"conv2d(x{list(x_shape)}, weight{list(w_shape)}{bias_text}{kwargs_text(kwargs)}) "
                f"{where(device, dtype)}")
        expect_close(got["out"], want["out"], atol=atol, what=what)
        expect_equal(got["inputs_after"], [x, weight, bias],
                     what=f"{what}: the inputs after the call (must not change)")


# ------------------------------------------------------------------ conv2d_backward


@pytest.mark.exercise("ch5.conv.conv2d_backward")
@pytest.mark.parametrize("group", GROUPS)
def test_conv2d_backward_matches_autograd(student, reference, group, device, dtype):
    for i, (x_shape, w_shape, _, kwargs) in enumerate(CASES[group]):
        x, weight, _ = conv_inputs(x_shape, w_shape, False, 10 * i + 1, device, dtype)
        grad_output = upstream_gradient(x, weight, kwargs, 10 * i + 2)
        args = [grad_output, x, weight, kwargs]
        got = student.run(conv_backward, *args)
        want, atol = reference_answer(reference, conv_backward, args, dtype)
        what = (f"conv2d_backward(grad_output{list(grad_output.shape)} (random), x{list(x_shape)}, "
                f"weight{list(w_shape)}{kwargs_text(kwargs)}) {where(device, dtype)}")
        for name in ("d_input", "d_weight", "d_bias"):
            expect_close(got[name], want[name], atol=atol, what=f"{what}: {name}")
        expect_equal(got["inputs_after"], args[:3], what=f"{what}: the inputs after the call (must not change)")


# ------------------------------------------------------------------ both: devices and arguments

META_CASES = [CASES["padding"][5], CASES["groups"][3], CASES["dilation"][2]]


@pytest.mark.exercise("ch5.conv.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["conv2d", "conv2d_backward"])
def test_new_tensors_follow_the_input_device(student, reference, name):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    for i, (x_shape, w_shape, with_bias, kwargs) in enumerate(META_CASES):
        def inputs(device):
            x, weight, bias = conv_inputs(x_shape, w_shape, with_bias, i, "cpu", torch.float32)
            if name == "conv2d":
                return [t if t is None else t.to(device) for t in (x, weight, bias)] + [kwargs]
            grad_output = upstream_gradient(x, weight, kwargs, 7)
            return [t.to(device) for t in (grad_output, x, weight)] + [kwargs]

        probe = conv_forward if name == "conv2d" else conv_backward
        got = run_on_meta(student, probe, inputs)
        want = reference.run(probe, *inputs("meta"))
        expect_close(got, want, what=f"{name}(x{list(x_shape)}, weight{list(w_shape)}{kwargs_text(kwargs)}) "
                                     f"on the meta device")


BAD_ARGUMENTS = [  # torch raises: 'same' with a stride, an unknown padding string
    ({"padding": "same", "stride": 2}, "padding='same' with stride=2"),
    ({"padding": "same", "stride": (1, 2)}, "padding='same' with stride=(1, 2)"),
    ({"padding": "full"}, "padding='full' (not a padding torch knows)"),
]


@pytest.mark.exercise("ch5.conv.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["conv2d", "conv2d_backward"])
def test_rejects_what_torch_rejects(student, name):
    x, weight, _ = conv_inputs((1, 2, 6, 7), (3, 2, 3, 3), False, 3, "cpu", torch.float64)
    grad_output = torch.randn((1, 3, 4, 5), generator=gen(4), dtype=torch.float64)
    args = [x, weight] if name == "conv2d" else [grad_output, x, weight]
    for kwargs, text in BAD_ARGUMENTS:
        got = student.run(raises, name, args, kwargs)
        expect_equal(got, "raised", what=f"{name}(..., {text}) must raise (any exception), as torch's conv2d does")


# ------------------------------------------------------------------ conv_output_size

SIZE_CASES = {  # (size, kernel_size), {stride, padding, dilation}
    "without dilation": [
        ((7, 3), {}), ((8, 1), {}), ((5, 5), {}), ((10, 4), {}),
        ((7, 3), {"stride": 2}), ((8, 3), {"stride": 2}), ((10, 3), {"stride": 3}), ((11, 2), {"stride": 4}),
        ((7, 3), {"padding": 1}), ((6, 4), {"padding": 2}), ((9, 3), {"stride": 2, "padding": 1}),
        ((32, 7), {"stride": 2, "padding": 3}), ((5, 2), {"stride": 3, "padding": 1}), ((1, 3), {"padding": 1}),
    ],
    "with dilation": [
        ((9, 3), {"dilation": 2}), ((10, 2), {"dilation": 3}), ((12, 3), {"dilation": 2, "stride": 2}),
        ((13, 3), {"dilation": 3, "stride": 2, "padding": 1}), ((8, 3), {"dilation": 2, "padding": 2}),
        ((16, 4), {"dilation": 2, "stride": 3, "padding": 2}), ((7, 1), {"dilation": 4}),
    ],
}


@pytest.mark.exercise("ch5.conv.conv_output_size")
@pytest.mark.parametrize("group", list(SIZE_CASES))
def test_conv_output_size_matches_torch(student, reference, group):
    cases = [(list(args), kwargs) for args, kwargs in SIZE_CASES[group]]
    got = student.run(output_sizes, cases)
    want = reference.run(output_sizes, cases)
    expect_equal(len(got), len(want), what="conv_output_size: one answer per case")
    for (args, kwargs), g, w in zip(cases, got, want):
        expect_equal(g, w, what=f"conv_output_size({args[0]}, {args[1]}{kwargs_text(kwargs)}) "
                                f"(the size of F.conv2d's output)")


# ------------------------------------------------------------------ receptive_field

FIELD_CASES = {  # lists of (kernel_size, stride, dilation)
    "stride 1": [
        [], [(3, 1, 1)], [(1, 1, 1)], [(3, 1, 1), (3, 1, 1)], [(5, 1, 1), (3, 1, 1), (2, 1, 1)],
        [(3, 1, 2), (3, 1, 4)], [(2, 1, 3), (4, 1, 1)],
    ],
    "with strides": [
        [(3, 2, 1)], [(3, 2, 1), (3, 1, 1)], [(3, 1, 1), (3, 2, 1)], [(7, 2, 1), (3, 2, 1), (3, 1, 1), (3, 2, 1)],
        [(2, 2, 1), (2, 2, 1), (2, 2, 1)], [(3, 3, 2), (2, 1, 3), (4, 2, 1)], [(1, 4, 1), (3, 1, 2)],
    ],
}


def closed_form_field(layers):
    """1 + sum over layers of dilation * (kernel - 1) * (product of the strides before it)."""
    field, step = 1, 1
    for kernel_size, stride, dilation in layers:
        field, step = field + dilation * (kernel_size - 1) * step, step * stride
    return field


@pytest.mark.exercise("ch5.conv.receptive_field")
@pytest.mark.parametrize("group", list(FIELD_CASES))
def test_receptive_field_matches_a_measured_one(student, reference, group):
    stacks = FIELD_CASES[group]
    got = student.run(receptive_fields, stacks)
    want = reference.run(receptive_fields, stacks)
    expect_equal(want, [closed_form_field(layers) for layers in stacks],
                 what="the reference's measured receptive fields agree with the closed form (a kit bug, not yours)")
    expect_equal(len(got), len(want), what="receptive_field: one answer per list of layers")
    for layers, g, w in zip(stacks, got, want):
        expect_equal(g, w, what=f"receptive_field({layers}) (layers as (kernel_size, stride, dilation))")
