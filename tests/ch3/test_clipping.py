"""Hidden suite for ch3/clipping.py: against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
(foreach=False).

Every case has five parameters of different shapes, one of which (the second) has no gradient,
at different scales per parameter, and compares the returned norm, every gradient after the call
(values and, for in-place-ness, that each `.grad` is still the same tensor object) and the
parameters (never touched) with torch's. The norm cases cover p = 2, 1, inf, 0.5 and 3, both a
total above `max_norm` (clipping) and below it (no scaling up), gradients so small (total about
6e-6) that the `+ 1e-6` in the coefficient changes the answer by 15% (compared with a tolerance
scaled down with them), all-zero gradients and `error_if_nonfinite=True` on a finite norm.
Further tests: `parameters` as one tensor, a tuple or a generator (consumed once); no gradients at
all (torch returns tensor(0.)); non-finite norms (returned, and the gradients scaled as torch
does); `error_if_nonfinite=True` raising before any gradient changes; the meta device.
"""
import math

import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.suite_helpers import DEFAULT_ATOL, gen, where

SHAPES = [(3, 4), (2, 2), (5,), (2, 3, 2), (4, 1)]
NO_GRAD = 1                          # the parameter whose .grad stays None
SCALES = [1.0, 1.0, 0.3, 2.0, 0.05]  # gradient scale per parameter

NORM_CASES = [  # (case id, norm_type, max_norm, overall gradient scale, extra keyword arguments)
    ("l2-clips", 2.0, 1.0, 1.0, {}),
    ("l2-below-max-norm", 2.0, 50.0, 1.0, {}),
    ("l1", 1.0, 5.0, 1.0, {}),
    ("inf", math.inf, 0.5, 1.0, {}),
    ("inf-below-max-norm", math.inf, 10.0, 1.0, {}),
    ("p0.5", 0.5, 100.0, 1.0, {}),
    ("p3", 3.0, 1.0, 1.0, {}),
    ("tiny-grads", 2.0, 5e-6, 1e-6, {}),
    ("zero-grads", 2.0, 1.0, 0.0, {}),
    ("error_if_nonfinite-finite", 2.0, 1.0, 1.0, {"error_if_nonfinite": True}),
]


def clip(impl, name, values, grads, container, args, kwargs):
    """Probe: parameters with the given values and `.grad`s (None: no gradient), handed to
    impl.<name> as a list, a tuple, a generator or (container 'tensor') the first parameter alone.
    Returns the gradients afterwards, whether each is still the same tensor object, the parameters,
    and for clip_grad_norm_ the returned norm."""
    params = [v.clone() for v in values]
    for p, g in zip(params, grads):
        if g is not None:
            p.grad = g.clone()
    before = [p.grad for p in params]
    if container == "tensor":
        arg = params[0]
    elif container == "generator":
        arg = (p for p in params)
    elif container == "tuple":
        arg = tuple(params)
    else:
        arg = params
    out = getattr(impl, name)(arg, *args, **kwargs)
    result = {"grads": [p.grad for p in params],
              "same_grad_objects": [p.grad is b for p, b in zip(params, before)],
              "params": params}
    if name == "clip_grad_norm_":
        result["norm_is_tensor"] = isinstance(out, torch.Tensor)
        result["norm"] = out
    return result


def clip_raising(impl, values, grads, max_norm, kwargs):
    """Probe: clip_grad_norm_ on the parameters, expected to raise; what happened, and the
    gradients afterwards."""
    params = [v.clone() for v in values]
    for p, g in zip(params, grads):
        if g is not None:
            p.grad = g.clone()
    happened = probes.outcome(lambda: impl.clip_grad_norm_(params, max_norm, **kwargs))
    return {"outcome": happened, "grads": [p.grad for p in params]}


def make_problem(device, dtype, seed, scale=1.0, plant=None):
    """Values and gradients of the five parameters; `plant` (a float such as inf or nan) is put
    into the first gradient."""
    g = gen(seed)
    values = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    grads = [scale * s * torch.randn(shape, generator=g, dtype=torch.float64) for s, shape in zip(SCALES, SHAPES)]
    if plant is not None:
        grads[0][1, 2] = plant
    grads[NO_GRAD] = None
    return ([v.to(device, dtype) for v in values],
            [None if t is None else t.to(device, dtype) for t in grads])


def describe_params(device, dtype):
    shapes = ", ".join(f"{list(s)}" + (" (no grad)" if i == NO_GRAD else "") for i, s in enumerate(SHAPES))
    return f"parameters of shapes {shapes} {where(device, dtype)}"


def compare_clip(got, want, what, atol=None):
    if "norm" in want:
        expect_equal(got["norm_is_tensor"], True, what=f"{what}: the returned norm is a tensor")
        expect_close(got["norm"], want["norm"], atol=atol, what=f"{what}: the returned total norm (before clipping)")
    expect_close(got["grads"], want["grads"], atol=atol, what=f"{what}: each parameter's .grad after the call")
    expect_equal(got["same_grad_objects"], want["same_grad_objects"],
                 what=f"{what}: each .grad is still the same tensor object (clip it in place)")
    expect_equal(got["params"], want["params"], what=f"{what}: the parameters themselves (must not change)")


# ------------------------------------------------------------------ clip_grad_norm_

@pytest.mark.exercise("ch3.clipping.clip_grad_norm_")
@pytest.mark.parametrize("case_id,norm_type,max_norm,scale,kwargs", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_clip_grad_norm_matches_torch(student, reference, case_id, norm_type, max_norm, scale, kwargs,
                                      device, dtype):
    values, grads = make_problem(device, dtype, seed=len(case_id), scale=scale)
    args = ("clip_grad_norm_", values, grads, "list", [max_norm], {"norm_type": norm_type, **kwargs})
    got = student.run(clip, *args)
    want = reference.run(clip, *args)
    atol = DEFAULT_ATOL[dtype] * scale if scale else None   # tiny gradients: a tolerance as tiny
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    what = f"clip_grad_norm_(params, {max_norm}, norm_type={norm_type}{extra}) with {describe_params(device, dtype)}"
    compare_clip(got, want, what, atol=atol)


CONTAINER_CASES = [("clip_grad_norm_", 1.0, 20), ("clip_grad_value_", 0.7, 60)]   # name, limit, seed
CONTAINERS = {"tensor": "the first parameter alone (a tensor)", "tuple": "a tuple of the parameters",
              "generator": "a generator over the parameters (it can be iterated only once)"}


@pytest.mark.exercise("ch3.clipping.{name}")
@pytest.mark.parametrize("name,limit,seed", CONTAINER_CASES, ids=[c[0] for c in CONTAINER_CASES])
@pytest.mark.parametrize("container", list(CONTAINERS))
def test_takes_a_tensor_tuple_or_generator(student, reference, name, limit, seed, container, device):
    dtype = torch.float64
    values, grads = make_problem(device, dtype, seed=seed)
    args = (name, values, grads, container, [limit], {})
    got = student.run(clip, *args)
    want = reference.run(clip, *args)
    compare_clip(got, want, f"{name}(params, {limit}) with params {CONTAINERS[container]}; "
                            f"{describe_params(device, dtype)}")


def clip_without_grads(impl, container):
    """Probe: clip_grad_norm_ where no parameter has a gradient; the returned norm as a number."""
    params = [torch.ones(3, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    arg = {"list": params, "empty-list": [], "generator": (p for p in params), "tensor": params[0]}[container]
    out = impl.clip_grad_norm_(arg, 1.0)
    return {"norm_is_tensor": isinstance(out, torch.Tensor), "norm": float(out),
            "grads": [p.grad for p in params]}


@pytest.mark.exercise("ch3.clipping.clip_grad_norm_")
@pytest.mark.parametrize("container", ["list", "empty-list", "generator", "tensor"])
def test_clip_grad_norm_without_gradients_returns_zero(student, reference, container):
    got = student.run(clip_without_grads, container)
    want = reference.run(clip_without_grads, container)
    what = f"clip_grad_norm_({container} of parameters none of which has a .grad, 1.0)"
    expect_equal(got["norm_is_tensor"], True, what=f"{what}: the returned norm is a tensor")
    expect_close(got["norm"], want["norm"], what=f"{what}: the returned norm")
    expect_equal(got["grads"], want["grads"], what=f"{what}: the .grads (still None)")


NONFINITE = [("inf", math.inf, 2.0), ("nan", math.nan, 2.0), ("inf-norm-type-inf", -math.inf, math.inf),
             ("nan-l1", math.nan, 1.0)]


@pytest.mark.exercise("ch3.clipping.clip_grad_norm_")
@pytest.mark.parametrize("case_id,planted,norm_type", NONFINITE, ids=[c[0] for c in NONFINITE])
def test_clip_grad_norm_nonfinite_norm(student, reference, case_id, planted, norm_type, device):
    dtype = torch.float32
    values, grads = make_problem(device, dtype, seed=30, plant=planted)
    args = ("clip_grad_norm_", values, grads, "list", [1.0], {"norm_type": norm_type})
    got = student.run(clip, *args)
    want = reference.run(clip, *args)
    what = (f"clip_grad_norm_(params, 1.0, norm_type={norm_type}) with a {planted} in the first gradient "
            f"(error_if_nonfinite=False: torch returns the non-finite norm and still multiplies every "
            f"gradient by clamp(1.0 / (norm + 1e-6), max=1.0)); {describe_params(device, dtype)}")
    compare_clip(got, want, what)


@pytest.mark.exercise("ch3.clipping.clip_grad_norm_")
@pytest.mark.condition
@pytest.mark.parametrize("case_id,planted,norm_type", NONFINITE[:2], ids=[c[0] for c in NONFINITE[:2]])
def test_clip_grad_norm_error_if_nonfinite_raises(student, case_id, planted, norm_type, device):
    values, grads = make_problem(device, torch.float64, seed=31, plant=planted)
    got = student.run(clip_raising, values, grads, 1.0, {"norm_type": norm_type, "error_if_nonfinite": True})
    what = (f"clip_grad_norm_(params, 1.0, error_if_nonfinite=True) with a {planted} in the first gradient "
            f"{where(device)}")
    expect_equal(got["outcome"], "raised", what=f"{what} must raise (the norm is not finite)")
    expect_equal(got["grads"], grads, what=f"{what}: the .grads (must be left untouched when it raises)")


@pytest.mark.exercise("ch3.clipping.clip_grad_norm_")
@pytest.mark.condition
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_new_tensors_follow_the_device(student, reference, norm_type):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        values, grads = make_problem(device, torch.float32, seed=40)
        return "clip_grad_norm_", values, grads, "list", [1.0], {"norm_type": norm_type}

    got = run_on_meta(student, clip, inputs)
    want = reference.run(clip, *inputs("meta"))
    compare_clip(got, want, f"clip_grad_norm_(params, 1.0, norm_type={norm_type}) on the meta device")


# ------------------------------------------------------------------ clip_grad_value_

VALUE_CASES = [("0.5", 0.5), ("1.5", 1.5), ("int-2", 2), ("above-every-entry", 100.0)]


@pytest.mark.exercise("ch3.clipping.clip_grad_value_")
@pytest.mark.parametrize("case_id,clip_value", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_clip_grad_value_matches_torch(student, reference, case_id, clip_value, device, dtype):
    values, grads = make_problem(device, dtype, seed=50 + len(case_id))
    grads[0][0, 0], grads[0][0, 1], grads[0][2, 3] = math.inf, -math.inf, math.nan
    args = ("clip_grad_value_", values, grads, "list", [clip_value], {})
    got = student.run(clip, *args)
    want = reference.run(clip, *args)
    what = (f"clip_grad_value_(params, {clip_value!r}) with {describe_params(device, dtype)} "
            f"(the first gradient holds inf, -inf and nan)")
    compare_clip(got, want, what)


@pytest.mark.exercise("ch3.clipping.clip_grad_value_")
@pytest.mark.condition
def test_clip_grad_value_new_tensors_follow_the_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        values, grads = make_problem(device, torch.float32, seed=70)
        return "clip_grad_value_", values, grads, "list", [0.5], {}

    got = run_on_meta(student, clip, inputs)
    want = reference.run(clip, *inputs("meta"))
    compare_clip(got, want, "clip_grad_value_(params, 0.5) on the meta device")
