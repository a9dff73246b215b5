"""Hidden suite for ch1/debugging.py.

grad_global_norm against the norm torch.nn.utils.clip_grad_norm_ returns (on copies), for five
parameters of different shapes and scales, one without a gradient, with p = 2, 1, inf, 0.5 and 3,
negative entries (an odd p without |.| goes wrong), NaN and inf planted in a gradient, parameters
given as a list, a tuple, a generator (consumed once) or a single tensor, no gradients at all
(torch: tensor(0.)), gradients left unchanged, and the meta device.

find_nonfinite against an independent reference: names in input order (not sorted: the names
are chosen so that sorting changes the order), NaN, +inf and -inf each alone in a tensor, a tensor
that is all NaN next to ones with a single bad entry, None tensors, 0-d and empty tensors, pairs as
a list and as a generator, and a model's named_parameters() and its gradients.

check_shape against an independent reference: the returned bindings (names only, never literals)
for single calls and chains of calls that thread the returned dict; mismatches of a bound name (from
`dims`, from an earlier call, from earlier in the same spec), of a literal and of the rank raise
ValueError, and a mismatch message names the entry and both sizes (checked with multi-letter
names and sizes that appear nowhere else in the call).
"""
import math
import re

import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.suite_helpers import gen, where

# ------------------------------------------------------------------ grad_global_norm

SHAPES = [(3, 4), (2, 2), (5,), (2, 3, 2), (4, 1)]
NO_GRAD = 1                          # the parameter whose .grad stays None
SCALES = [1.0, 1.0, 0.3, 2.0, 0.05]  # gradient scale per parameter
NORM_TYPES = [2.0, 1.0, math.inf, 0.5, 3]


def global_norm(impl, values, grads, container, kwargs):
    """Probe: parameters with the given values and `.grad`s (None: no gradient), handed to
    impl.grad_global_norm as a list, a tuple, a generator or (container 'tensor') the first one
    alone. Returns the norm, whether it is a tensor, and the gradients afterwards."""
    params = [v.clone() for v in values]
    for p, g in zip(params, grads):
        if g is not None:
            p.grad = g.clone()
    arg = {"list": params, "tuple": tuple(params), "generator": (p for p in params),
           "tensor": params[0]}[container]
    out = impl.grad_global_norm(arg, **kwargs)
    return {"norm_is_tensor": isinstance(out, torch.Tensor), "norm": out, "grads": [p.grad for p in params]}


def make_grads(device, dtype, seed, plant=None):
    g = gen(seed)
    values = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    grads = [s * torch.randn(shape, generator=g, dtype=torch.float64) for s, shape in zip(SCALES, SHAPES)]
    if plant is not None:
        grads[3][1, 2, 0] = plant
    grads[NO_GRAD] = None
    return ([v.to(device, dtype) for v in values], [None if t is None else t.to(device, dtype) for t in grads])


def describe_params(device, dtype):
    shapes = ", ".join(f"{list(s)}" + (" (no grad)" if i == NO_GRAD else "") for i, s in enumerate(SHAPES))
    return f"parameters of shapes {shapes} {where(device, dtype)}"


def compare_norm(got, want, grads, what):
    expect_equal(got["norm_is_tensor"], True, what=f"{what}: the result is a tensor")
    expect_close(got["norm"], want["norm"], what=what)
    expect_equal(got["grads"], grads, what=f"{what}: the .grads after the call (must not change)")


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
def test_grad_global_norm_matches_torch(student, reference, norm_type, device, dtype):
    values, grads = make_grads(device, dtype, seed=1)
    args = (values, grads, "list", {"norm_type": norm_type})
    got = student.run(global_norm, *args)
    want = reference.run(global_norm, *args)
    compare_norm(got, want, grads,
                 f"grad_global_norm(params, norm_type={norm_type}) with {describe_params(device, dtype)}")


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
def test_grad_global_norm_default_is_l2(student, reference, device, dtype):
    values, grads = make_grads(device, dtype, seed=2)
    got = student.run(global_norm, values, grads, "list", {})
    want = reference.run(global_norm, values, grads, "list", {})
    compare_norm(got, want, grads, f"grad_global_norm(params) with {describe_params(device, dtype)}")


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
@pytest.mark.parametrize("container", ["tuple", "generator", "tensor"])
def test_grad_global_norm_takes_a_tuple_generator_or_tensor(student, reference, container, device):
    values, grads = make_grads(device, torch.float64, seed=3)
    got = student.run(global_norm, values, grads, container, {})
    want = reference.run(global_norm, values, grads, container, {})
    given = {"tensor": "the first parameter alone (a tensor)", "tuple": "a tuple of the parameters",
             "generator": "a generator over the parameters (it can be iterated only once)"}[container]
    compare_norm(got, want, grads, f"grad_global_norm(params) with params {given}; "
                                   f"{describe_params(device, torch.float64)}")


NONFINITE = [("nan", math.nan, 2.0), ("inf", math.inf, 2.0), ("-inf-l1", -math.inf, 1.0),
             ("-inf-norm-inf", -math.inf, math.inf), ("nan-norm-inf", math.nan, math.inf)]


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
@pytest.mark.parametrize("case_id,planted,norm_type", NONFINITE, ids=[c[0] for c in NONFINITE])
def test_grad_global_norm_nonfinite(student, reference, case_id, planted, norm_type, device, dtype):
    values, grads = make_grads(device, dtype, seed=4, plant=planted)
    got = student.run(global_norm, values, grads, "list", {"norm_type": norm_type})
    want = reference.run(global_norm, values, grads, "list", {"norm_type": norm_type})
    compare_norm(got, want, grads, f"grad_global_norm(params, norm_type={norm_type}) with a {planted} in the "
                                   f"fourth gradient; {describe_params(device, dtype)}")


def norm_without_grads(impl, container):
    """Probe: grad_global_norm where no parameter has a gradient; the norm as a number."""
    params = [torch.ones(3, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    arg = {"list": params, "empty-list": [], "generator": (p for p in params)}[container]
    out = impl.grad_global_norm(arg)
    return {"norm_is_tensor": isinstance(out, torch.Tensor), "norm": float(out)}


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
@pytest.mark.parametrize("container", ["list", "empty-list", "generator"])
def test_grad_global_norm_without_gradients_is_zero(student, reference, container):
    got = student.run(norm_without_grads, container)
    want = reference.run(norm_without_grads, container)
    what = f"grad_global_norm({container} of parameters none of which has a .grad)"
    expect_equal(got["norm_is_tensor"], True, what=f"{what}: the result is a tensor")
    expect_close(got["norm"], want["norm"], what=what)


@pytest.mark.exercise("ch1.debugging.grad_global_norm")
@pytest.mark.condition
@pytest.mark.parametrize("norm_type", [2.0, math.inf], ids=str)
def test_grad_global_norm_new_tensors_follow_the_device(student, reference, norm_type):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        values, grads = make_grads(device, torch.float32, seed=5)
        return values, grads, "list", {"norm_type": norm_type}

    got = run_on_meta(student, global_norm, inputs)
    want = reference.run(global_norm, *inputs("meta"))
    expect_close(got["norm"], want["norm"], what=f"grad_global_norm(params, norm_type={norm_type}) on the meta device")


# ------------------------------------------------------------------ find_nonfinite

def nonfinite(impl, names, tensors, container):
    """Probe: find_nonfinite on the (name, tensor) pairs, as a list or a generator; the answer and
    the tensors afterwards."""
    pairs = list(zip(names, tensors))
    arg = (pair for pair in pairs) if container == "generator" else pairs
    return {"names": impl.find_nonfinite(arg), "tensors_after": tensors}


def planted_tensors(device, dtype, seed):
    """Names (not in sorted order) and tensors: finite ones, one NaN, one +inf, one -inf, one all
    NaN, None, a 0-d inf, an empty tensor."""
    g = gen(seed)
    names = ["w2", "bias", "w1", "head", "attn", "skip", "emb", "norm", "scale", "empty"]
    tensors = [torch.randn(3, 4, generator=g, dtype=torch.float64) * 1e3 for _ in names]
    tensors[1][0, 2] = math.nan           # bias
    tensors[3][2, 3] = math.inf           # head
    tensors[4][1, 0] = -math.inf          # attn
    tensors[6] = torch.full((2, 5), math.nan, dtype=torch.float64)   # emb: all NaN
    tensors[5] = None                     # skip
    tensors[8] = torch.tensor(math.inf, dtype=torch.float64)          # scale: 0-d
    tensors[9] = torch.zeros(0, 3, dtype=torch.float64)               # empty
    return names, [None if t is None else t.to(device, dtype) for t in tensors]


@pytest.mark.exercise("ch1.debugging.find_nonfinite")
@pytest.mark.parametrize("container", ["list", "generator"])
def test_find_nonfinite(student, reference, container, device, dtype):
    names, tensors = planted_tensors(device, dtype, seed=10)
    got = student.run(nonfinite, names, tensors, container)
    want = reference.run(nonfinite, names, tensors, container)
    what = (f"find_nonfinite({container} of (name, tensor) pairs {where(device, dtype)}: 'bias' holds a NaN, "
            f"'head' +inf, 'attn' -inf, 'emb' is all NaN, 'scale' is a 0-d inf, 'skip' is None, the rest finite)")
    expect_equal(got["names"], want["names"], what=f"{what}: the names, in input order")
    expect_equal(got["tensors_after"], tensors, what=f"{what}: the tensors after the call (must not change)")


@pytest.mark.exercise("ch1.debugging.find_nonfinite")
@pytest.mark.parametrize("planted", ["nan", "inf", "-inf", "none"])
def test_find_nonfinite_one_kind(student, reference, planted, device, dtype):
    """One kind of bad value at a time, in two of four tensors (the second and the fourth)."""
    g = gen(11)
    names = ["z", "y", "x", "w"]
    tensors = [torch.randn(6, generator=g, dtype=torch.float64) for _ in names]
    if planted != "none":
        tensors[1][3] = float(planted)
        tensors[3][0] = float(planted)
    tensors = [t.to(device, dtype) for t in tensors]
    got = student.run(nonfinite, names, tensors, "list")
    want = reference.run(nonfinite, names, tensors, "list")
    where_bad = "nowhere" if planted == "none" else "in 'y' and 'w'"
    expect_equal(got["names"], want["names"], what=f"find_nonfinite(pairs named z, y, x, w with a {planted} "
                                                   f"{where_bad}) {where(device, dtype)}")


def model_nonfinite(impl):
    """Probe: a small model with a NaN planted in one weight and an inf in one gradient (the bias
    of the last layer has no gradient); find_nonfinite on named_parameters() and on the gradients."""
    g = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
            p.grad = torch.randn(p.shape, generator=g)
        model[0].bias[1] = math.nan
        model[0].weight.grad[2, 0] = math.inf
    model[2].bias.grad = None
    return {"params": impl.find_nonfinite(model.named_parameters()),
            "grads": impl.find_nonfinite((name, p.grad) for name, p in model.named_parameters())}


@pytest.mark.exercise("ch1.debugging.find_nonfinite")
def test_find_nonfinite_on_a_model(student, reference):
    got = student.run(model_nonfinite)
    want = reference.run(model_nonfinite)
    what = "find_nonfinite on a Linear(3, 4), ReLU, Linear(4, 2) model"
    expect_equal(got["params"], want["params"], what=f"{what}: model.named_parameters() with a NaN in '0.bias'")
    expect_equal(got["grads"], want["grads"], what=f"{what}: (name, p.grad) pairs with an inf in '0.weight''s "
                                                   f"gradient and '2.bias' without one (None)")


# ------------------------------------------------------------------ check_shape

def shape_calls(impl, calls, dims):
    """Probe: check_shape on each (tensor, spec) in turn, threading the returned dict (starting from
    `dims`). Returns the dict after each call, or at the first exception its class name, whether it is
    a ValueError and its message."""
    results = []
    for x, spec in calls:
        dims, exc = probes.attempt(lambda: impl.check_shape(x, spec, dims))
        if exc is not None:
            results.append({"error": type(exc).__name__, "is_value_error": isinstance(exc, ValueError),
                            "message": str(exc)})
            break
        results.append({"dims": dims})
    return results


def shaped(*shape, device="cpu"):
    return torch.zeros(shape, device=device)


def calls_text(calls, dims):
    texts = [f"check_shape(x{list(x.shape)}, {spec!r}, dims)" for x, spec in calls]
    return f"dims = {dims!r}, then " + "; ".join(texts)


GOOD = [  # (case id, [(shape, spec)], starting dims)
    ("B T D", [((2, 7, 5), "B T D")], None),
    ("B 3 H W", [((2, 3, 8, 6), "B 3 H W")], None),
    ("given dims", [((2, 7, 5), "B T D")], {"B": 2, "E": 9}),
    ("long names", [((4, 11), "batch hidden")], None),
    ("same name twice", [((4, 4, 3), "N N C")], None),
    ("chain", [((4, 7, 5), "B T D"), ((4, 5, 3), "B D K"), ((3, 2), "K 2")], None),
]


@pytest.mark.exercise("ch1.debugging.check_shape")
@pytest.mark.parametrize("case_id,calls,dims", GOOD, ids=[c[0] for c in GOOD])
def test_check_shape_binds_names(student, reference, case_id, calls, dims, device):
    calls = [(shaped(*shape, device=device), spec) for shape, spec in calls]
    got = student.run(shape_calls, calls, dims)
    want = reference.run(shape_calls, calls, dims)
    expect_equal(got, want, what=f"{calls_text(calls, dims)} {where(device)}: the dict each call returns "
                                 f"(the bindings of names to sizes; literals are not bindings)")


BAD = [  # (case id, [(shape, spec)], starting dims, the entry, expected and actual sizes to be named or None)
    ("bound in dims", [((2, 7, 13), "batch seq hidden")], {"hidden": 11}, ("hidden", 11, 13)),
    ("bound by an earlier call", [((4, 7, 5), "batch seq width"), ((4, 6), "batch width")], None, ("width", 5, 6)),
    ("bound earlier in the spec", [((3, 4), "side side")], None, ("side", 3, 4)),
    ("literal", [((2, 4, 8, 6), "B 3 H W")], None, (None, 3, 4)),
    ("rank", [((2, 7), "B T D")], None, None),
    ("rank in a chain", [((2, 7, 5), "B T D"), ((2, 7, 5, 1), "B T D")], None, None),
]


@pytest.mark.exercise("ch1.debugging.check_shape")
@pytest.mark.condition      # code that raises ValueError on every call meets the one-call cases
@pytest.mark.parametrize("case_id,calls,dims,named", BAD, ids=[c[0] for c in BAD])
def test_check_shape_mismatch_raises_value_error(student, reference, case_id, calls, dims, named, device):
    calls = [(shaped(*shape, device=device), spec) for shape, spec in calls]
    got = student.run(shape_calls, calls, dims)
    want = reference.run(shape_calls, calls, dims)
    what = f"{calls_text(calls, dims)} {where(device)}"
    expect_equal(len(got), len(want), what=f"{what}: the number of calls before one raised (the last must)")
    expect_equal([r.get("dims") for r in got[:-1]], [r["dims"] for r in want[:-1]],
                 what=f"{what}: the dicts returned before the mismatch")
    last = got[-1]
    raised = "ValueError" if last.get("is_value_error") else last.get("error", "no exception")
    expect_equal(raised, "ValueError", what=f"{what}: the last call must raise ValueError")
    if named is not None:
        entry, expected, actual = named
        message = last["message"]
        mentions = {"the entry": entry is None or entry in message,
                    "the expected size": re.search(rf"\b{expected}\b", message) is not None,
                    "the actual size": re.search(rf"\b{actual}\b", message) is not None}
        expect_equal(mentions, {k: True for k in mentions},
                     what=f"{what}: the error message {message!r} must name the dim{f' {entry!r}' if entry else ''}, "
                          f"the expected size {expected} and the actual size {actual}")
