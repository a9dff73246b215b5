"""Hidden suite for ch2/init.py: gains exactly, fans, in-place-ness, bounds and statistics of the draws.

Draws are never compared one by one with torch's (any correct way of drawing
passes): a filled tensor is checked against the bound or standard deviation
that torch's formula gives for its fans, with statistical limits whose
false-failure probability is computed below. The same check runs first on
torch.nn.init itself (the reference), so a wrong expectation in this file shows
up as a failing reference, never as a student's mistake.

False failures: each `check_draws` call fails a correct implementation with
probability at most 1e-7 (see `check_uniform` / `check_normal`); a test makes
at most 4 such calls (2 on the reference, 2 on the student), so at most 4e-7
per test. The seeds are fixed, so in practice the outcome for torch's own way
of drawing is deterministic.
"""
import math

import pytest
import torch

from autograder.compare import Mismatch, expect_close, expect_equal
from autograder.probes import raises
from autograder.suite_helpers import DTYPE_NAMES, case_seed

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
# Gains written out from torch's documentation table (leaky_relu: see leaky_gain).
GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
         "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5 / 3,
         "relu": math.sqrt(2.0), "selu": 0.75}

# Weight shapes with their fans worked out by hand: fan_in = shape[1] * prod(shape[2:]),
# fan_out = shape[0] * prod(shape[2:]). No square shapes, fan_in != fan_out everywhere.
SHAPES = {
    "linear[120,500]": ((120, 500), 500, 120),            # nn.Linear(500, 120).weight
    "conv2d[64,12,5,3]": ((64, 12, 5, 3), 180, 960),      # Conv2d(36, 64, (5, 3), groups=3)
    "conv1d[40,8,7]": ((40, 8, 7), 56, 280),              # 3-D weight
    "conv3d[24,6,3,4,2]": ((24, 6, 3, 4, 2), 144, 576),   # 5-D weight
}
SHAPE_IDS = list(SHAPES)

UNIFORM = ("xavier_uniform_", "kaiming_uniform_")
INITS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def leaky_gain(slope):
    return math.sqrt(2.0 / (1 + slope ** 2))


def expected_std(name, fan_in, fan_out, kwargs):
    """The standard deviation torch's formula gives (uniform bound = sqrt(3) * this)."""
    if name.startswith("xavier"):
        return kwargs.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    nonlinearity = kwargs.get("nonlinearity", "leaky_relu")
    a = kwargs.get("a", 0)
    gain = leaky_gain(a) if nonlinearity == "leaky_relu" else GAINS[nonlinearity]
    fan = fan_out if kwargs.get("mode", "fan_in") == "fan_out" else fan_in
    return gain / math.sqrt(fan)


def call_text(name, shape, kwargs, device=None, dtype=None):
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    where = f" on {device} {DTYPE_NAMES.get(dtype, dtype)}" if device else ""
    return f"{name}(w{list(shape)}{args}){where}"


# ------------------------------------------------------------------ probes

def gain_of(impl, nonlinearity, kwargs):
    return impl.calculate_gain(nonlinearity, **kwargs)



def fill(impl, name, shape, dtype, device, seed, kwargs):
    """impl.<name>(w, generator=g, **kwargs) on a fresh NaN-filled w: its values, and was it in place?"""
    w = torch.full(shape, math.nan, dtype=getattr(torch, dtype), device=device)
    ptr = w.data_ptr()
    g = torch.Generator(device=device).manual_seed(seed)
    out = getattr(impl, name)(w, generator=g, **kwargs)
    return {"returns_its_argument": out is w, "same_storage": w.data_ptr() == ptr, "values": w}


def in_place(impl, name, dtype, device, kwargs):
    """A weight that requires grad (like an nn.Parameter) and a transposed, non-contiguous view."""
    dt = getattr(torch, dtype)
    g = torch.Generator(device=device).manual_seed(11)
    param = torch.full((120, 500), math.nan, dtype=dt, device=device).requires_grad_()
    out_param = getattr(impl, name)(param, generator=g, **kwargs)
    base = torch.full((500, 120), math.nan, dtype=dt, device=device)
    view = base.t()
    out_view = getattr(impl, name)(view, generator=g, **kwargs)
    return {
        "parameter": {"returns_its_argument": out_param is param, "requires_grad": param.requires_grad,
                      "is_leaf": param.is_leaf, "values": param.detach()},
        "view": {"returns_its_argument": out_view is view, "values": base.t()},
    }


def generator_use(impl, name, shape, dtype, device, kwargs):
    """Fills with seeded generators and with the global generator (RNG state restored afterwards)."""
    dt = getattr(torch, dtype)
    cuda = torch.device(device).type == "cuda"

    def draw(seed, global_seed):
        torch.manual_seed(global_seed)
        w = torch.empty(shape, dtype=dt, device=device)
        g = None if seed is None else torch.Generator(device=device).manual_seed(seed)
        getattr(impl, name)(w, generator=g, **kwargs)
        return w

    with torch.random.fork_rng(devices=[torch.device(device).index or 0] if cuda else []):
        seeded = draw(1, 100)
        seeded_again = draw(1, 200)       # same generator seed, other global state
        other_seed = draw(2, 100)         # other generator seed, same global state
        global_a = draw(None, 100)
        global_b = draw(None, 100)
        global_c = draw(None, 200)
    return {"seeded": seeded, "seeded_again": seeded_again,
            "other_seed_differs": bool((seeded != other_seed).any()),
            "global_repeats": bool(torch.equal(global_a, global_b)),
            "global_follows_manual_seed": bool((global_a != global_c).any())}


def zero_elements(impl, name, shape, kwargs):
    w = torch.empty(shape)
    out = getattr(impl, name)(w, **kwargs)
    return {"returns_its_argument": out is w, "shape": list(w.shape)}


# ------------------------------------------------------- trusted statistics

# Per check_* call: false-failure probability <= 1e-7 (5e-8 uniform, 7.1e-8 normal).
P_END = 2.5e-8      # uniform: P(the max stays below b(1 - delta)), and the same for the min
Z_MEAN = 5.6        # normal: P(|N(0,1)| > 5.6) = 2.1e-8
X_CHI2 = 17.5       # normal: each chi-square tail <= exp(-17.5) = 2.5e-8 (Laurent & Massart 2000)
REL_BOUND = 1e-6    # rounding slack on the uniform bound (float32 eps 6e-8; a bound computed in float32)


def _finite_or_fail(v, what):
    bad = ~torch.isfinite(v)
    if bad.any():
        raise Mismatch(f"{what}: {int(bad.sum())} of {v.numel()} values are NaN or inf after the call "
                       "(the tensor starts as NaN: every element must be filled)")


def check_uniform(values, bound, what):
    """All values in [-b, b] and both ends reached.

    For n iid U(-b, b) draws, P(max < b(1 - delta)) = (1 - delta/2)**n; with
    delta = 2 (1 - P_END**(1/n)) that is P_END, the same for the min: at most
    2 * P_END = 5e-8 per call. (For n = 2240, delta = 0.016; for n = 60000, 5.8e-4.)
    """
    v = values.detach().double().cpu().reshape(-1)
    _finite_or_fail(v, what)
    n = v.numel()
    delta = 2 * (1 - P_END ** (1 / n))
    hi, lo = v.max().item(), v.min().item()
    formula = f"U(-b, b) with b = {bound:.6g}"
    if hi > bound * (1 + REL_BOUND) or lo < -bound * (1 + REL_BOUND):
        worst = max(hi, -lo)
        raise Mismatch(f"{what}: values should come from {formula}, but one is {worst:.6g} "
                       f"({worst / bound:.4g} b) in absolute value: the bound is too large")
    if hi < bound * (1 - delta) or lo > -bound * (1 - delta):
        raise Mismatch(f"{what}: values should come from {formula}; {n} draws span [{lo:.6g}, {hi:.6g}] "
                       f"= [{lo / bound:.4g} b, {hi / bound:.4g} b], short of an end by more than "
                       f"{delta:.2g} b (chance {P_END:g} for a correct draw): the bound is too small")


def check_normal(values, std, what):
    """Mean about 0, mean square about std**2, and a normal (not uniform) shape.

    mean ~ N(0, std**2/n): |mean| <= Z_MEAN std / sqrt(n) fails with probability 2.1e-8.
    S = sum(v**2) / std**2 ~ chi-square(n): P(S >= n + 2 sqrt(n x) + 2x) <= e^-x and
    P(S <= n - 2 sqrt(n x)) <= e^-x (Laurent & Massart 2000), x = 17.5: 2.5e-8 each.
    Normal shape: P(max |v| < 2 std) = (1 - 0.0455)**n < 1e-40 for n >= 2000.
    Total at most 7.1e-8 per call.
    """
    v = values.detach().double().cpu().reshape(-1)
    _finite_or_fail(v, what)
    n = v.numel()
    mean = v.mean().item()
    rms = v.square().mean().sqrt().item()
    hi_ratio = math.sqrt((n + 2 * math.sqrt(n * X_CHI2) + 2 * X_CHI2) / n)
    lo_ratio = math.sqrt((n - 2 * math.sqrt(n * X_CHI2)) / n)
    formula = f"N(0, std**2) with std = {std:.6g}"
    if abs(mean) > Z_MEAN * std / math.sqrt(n):
        raise Mismatch(f"{what}: values should come from {formula}, but the mean of {n} draws is "
                       f"{mean:.4g} ({mean / std:.3g} std): not centred on 0")
    if not lo_ratio <= rms / std <= hi_ratio:
        raise Mismatch(f"{what}: values should come from {formula}, but the {n} draws have standard "
                       f"deviation {rms:.6g} ({rms / std:.4g} times the expected; allowed "
                       f"{lo_ratio:.4f} to {hi_ratio:.4f})")
    if v.abs().max().item() < 2 * std:
        raise Mismatch(f"{what}: values should come from {formula}, but none of {n} draws reaches 2 std "
                       "(uniform draws? a normal distribution has tails)")


def check_draws(name, values, std, what):
    if name in UNIFORM:
        check_uniform(values, math.sqrt(3.0) * std, what)
    else:
        check_normal(values, std, what)


def check_fill(student, reference, name, shape_id, kwargs, device, dtype, seed=0):
    shape, fan_in, fan_out = SHAPES[shape_id]
    std = expected_std(name, fan_in, fan_out, kwargs)
    what = call_text(name, shape, kwargs, device, dtype)
    args = (name, shape, DTYPE_NAMES[dtype], device, case_seed(seed), kwargs)
    want = reference.run(fill, *args)
    check_draws(name, want["values"], std, f"[the reference torch.nn.init failed: this test is wrong] {what}")
    got = student.run(fill, *args)
    expect_equal(got["returns_its_argument"], True, what=f"{what} returns the tensor it was given (`out is w`)")
    expect_equal(got["same_storage"], True, what=f"{what} fills w in place (same data_ptr)")
    v = got["values"]
    if tuple(v.shape) != shape or v.dtype != dtype or v.device.type != torch.device(device).type:
        raise Mismatch(f"{what}: w changed to shape {tuple(v.shape)}, {v.dtype}, on {v.device}")
    check_draws(name, v, std, what)


# ------------------------------------------------------------ calculate_gain

@pytest.mark.exercise("ch2.init.calculate_gain")
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain(student, reference, nonlinearity):
    got = student.run(gain_of, nonlinearity, {})
    want = reference.run(gain_of, nonlinearity, {})
    expect_close(got, want, what=f"calculate_gain({nonlinearity!r})")


@pytest.mark.exercise("ch2.init.calculate_gain")
@pytest.mark.parametrize("param", [0.2, 0.0, 0, 1, 3, -0.5, 0.01], ids=repr)
def test_calculate_gain_leaky_relu_slope(student, reference, param):
    got = student.run(gain_of, "leaky_relu", {"param": param})
    want = reference.run(gain_of, "leaky_relu", {"param": param})
    expect_close(got, want, what=f"calculate_gain('leaky_relu', param={param!r})")


@pytest.mark.exercise("ch2.init.calculate_gain")
@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "linear", "selu", "sigmoid", "conv2d"])
def test_calculate_gain_ignores_param_of_other_nonlinearities(student, reference, nonlinearity):
    got = student.run(gain_of, nonlinearity, {"param": 0.3})
    want = reference.run(gain_of, nonlinearity, {"param": 0.3})
    expect_close(got, want, what=f"calculate_gain({nonlinearity!r}, param=0.3) (param is for leaky_relu only)")


@pytest.mark.exercise("ch2.init.calculate_gain")
@pytest.mark.condition
@pytest.mark.parametrize("nonlinearity", ["softmax", "gelu", "Relu", "leaky-relu", "conv4d", ""])
def test_calculate_gain_rejects_unknown_names(student, nonlinearity):
    got = student.run(raises, "calculate_gain", [nonlinearity], {})
    expect_equal(got, "raised", what=f"calculate_gain({nonlinearity!r}) must raise (the docstring says ValueError)")


@pytest.mark.exercise("ch2.init.calculate_gain")
@pytest.mark.condition
@pytest.mark.parametrize("param", [True, "0.2", [0.1]], ids=repr)
def test_calculate_gain_rejects_a_slope_that_is_not_a_number(student, reference, param):
    """A bool or anything but an int or float must raise (the docstring and torch: ValueError; rule 8: any
    exception counts, the table names no type). True is not a slope of 1."""
    want = reference.run(raises, "calculate_gain", ["leaky_relu", param], {})
    expect_equal(want, "raised", what="[the reference: this test is wrong]")
    got = student.run(raises, "calculate_gain", ["leaky_relu", param], {})
    expect_equal(got, "raised", what=f"calculate_gain('leaky_relu', {param!r}) must raise (ValueError): the slope "
                                     "must be an int or a float, not a bool")


# ------------------------------------------------------------------- xavier

@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.parametrize("kwargs", [{}, {"gain": 1.7}], ids=["gain-default", "gain-1.7"])
@pytest.mark.parametrize("shape_id", SHAPE_IDS)
@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_fans_bounds_and_statistics(student, reference, name, shape_id, kwargs, device, dtype):
    check_fill(student, reference, name, shape_id, kwargs, device, dtype)


# ------------------------------------------------------------------ kaiming

KAIMING_CASES = [{}, {"a": 0.5}, {"nonlinearity": "relu"}]
KAIMING_IDS = ["default", "leaky_relu-a0.5", "relu"]


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.parametrize("case", KAIMING_CASES, ids=KAIMING_IDS)
@pytest.mark.parametrize("shape_id", SHAPE_IDS)
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_fans_modes_and_statistics(student, reference, name, shape_id, case, device, dtype):
    """Both modes in one test, fan_in first: feedback can then tell a mode bug from swapped fans."""
    for mode in ("fan_in", "fan_out"):
        check_fill(student, reference, name, shape_id, {**case, "mode": mode}, device, dtype)


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.parametrize("a", [None, 0.3], ids=["a-default", "a0.3"])
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_every_nonlinearity(student, reference, name, nonlinearity, a, device):
    """a is the leaky_relu slope and ignored by the others; the big linear shape gives a tight check."""
    kwargs = {"nonlinearity": nonlinearity} if a is None else {"a": a, "nonlinearity": nonlinearity}
    check_fill(student, reference, name, "linear[120,500]", kwargs, device, torch.float64, seed=3)


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("kwargs", [{"mode": "fan_avg"}, {"mode": "in"}, {"nonlinearity": "softmax"},
                                    {"nonlinearity": "gelu"}], ids=["mode-fan_avg", "mode-in", "softmax", "gelu"])
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_rejects_bad_arguments(student, name, kwargs):
    w = torch.empty(6, 4)
    got = student.run(raises, name, [w], kwargs)
    expect_equal(got, "raised", what=f"{call_text(name, (6, 4), kwargs)} must raise (the docstring says ValueError)")


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("shape,mode", [((0, 4), "fan_out"), ((5, 0), "fan_in"), ((0, 3, 2, 2), "fan_in"),
                                        ((0,), "fan_in"), ((0, 4), "fan_avg")],   # before any other check
                         ids=["0x4-fan_out", "5x0-fan_in", "0x3x2x2", "0-one-dim", "0x4-unknown-mode"])
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_tensor_without_elements_is_returned(student, reference, name, shape, mode):
    got = student.run(zero_elements, name, shape, {"mode": mode})
    want = reference.run(zero_elements, name, shape, {"mode": mode})
    expect_equal(got, want, what=f"{call_text(name, shape, {'mode': mode})} on a tensor with no elements")


# ------------------------------------------------------------ all four inits

def default_kwargs(name):
    return {"gain": 1.3} if name.startswith("xavier") else {"mode": "fan_out", "nonlinearity": "relu"}


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.parametrize("name", INITS)
def test_in_place_on_parameters_and_views(student, reference, name, device, dtype):
    kwargs = default_kwargs(name)
    std = expected_std(name, 500, 120, kwargs)
    args = (name, DTYPE_NAMES[dtype], device, kwargs)
    want = reference.run(in_place, *args)
    for key in ("parameter", "view"):
        check_draws(name, want[key]["values"], std, f"[the reference failed: this test is wrong] {name} {key}")
    got = student.run(in_place, *args)
    what = call_text(name, (120, 500), kwargs, device, dtype)
    p, v = got["parameter"], got["view"]
    expect_equal(p["returns_its_argument"], True,
                 what=f"{what}, w requiring grad: returns the tensor it was given (`out is w`)")
    expect_equal([p["requires_grad"], p["is_leaf"]], [True, True],
                 what=f"{what}, w requiring grad: [w.requires_grad, w.is_leaf] afterwards (fill under torch.no_grad())")
    check_draws(name, p["values"], std, f"{what}, w requiring grad")
    expect_equal(v["returns_its_argument"], True,
                 what=f"{what}, w = base.t() (not contiguous): returns the tensor it was given")
    check_draws(name, v["values"], std, f"{what}, w = base.t() (not contiguous): the values seen through base")


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.parametrize("name", INITS)
def test_generator_decides_the_draws(student, name, device):
    kwargs = default_kwargs(name)
    shape = (24, 6, 3, 4, 2)
    what = call_text(name, shape, kwargs, device, torch.float32)
    got = student.run(generator_use, name, shape, "float32", device, kwargs)
    expect_equal(got["seeded"], got["seeded_again"],
                 what=f"{what} twice with generator=torch.Generator().manual_seed(1) (after different "
                      "torch.manual_seed calls): draw from `generator`, so both give the same tensor")
    expect_equal(got["other_seed_differs"], True,
                 what=f"{what} with generators seeded 1 and 2: the values should differ")
    expect_equal(got["global_repeats"], True,
                 what=f"{what} with generator=None twice after torch.manual_seed(100): the same values")
    expect_equal(got["global_follows_manual_seed"], True,
                 what=f"{what} with generator=None after torch.manual_seed(100) and (200): the values "
                      "should differ (draw from torch's global generator)")


@pytest.mark.exercise("ch2.init.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("shape", [(7,), ()], ids=["1-D", "0-D"])
@pytest.mark.parametrize("name", INITS)
def test_fewer_than_two_dims_raise(student, reference, name, shape):
    """Rule 8 of the curriculum: any exception counts (the table names no type; the docstring says ValueError)."""
    w = torch.zeros(shape)
    got = student.run(raises, name, [w], {})
    want = reference.run(raises, name, [w], {})
    expect_equal(want, "raised", what="[the reference: this test is wrong]")
    expect_equal(got, "raised", what=f"{name}(w of shape {shape}) must raise: fans need at least 2 dimensions")
