"""Hidden suite for ch1/tensors.py.

linear against F.linear: inputs with no, one and two leading dimensions and an empty batch,
weights that are never square (in_features 3, out_features 4), with and without bias; inputs
unchanged; the meta device.

one_hot against F.one_hot: several shapes, num_classes inferred (-1) or given larger than the
largest id; empty inputs with num_classes given; negative ids and ids >= num_classes must raise
(any exception: the curriculum names no type); the meta device (the ids have values, so this may
run on the CPU with device tracking, see autograder/devices.py).

pairwise_sq_dists against the closed form sum_d (a_id - b_jd)^2 in float64 on the same inputs
(equal to torch.cdist(a, b) ** 2 in float64 to 1e-12 on these cases). Points near the origin, and
points centred at 1e3, 1e4 and 1e6 with spread 1, where the expanded formula |a|^2 + |b|^2 - 2 a.b
is off by about eps * |a|^2 (float32: 0.3 at 1e3 with D = 5; float64: 1e-3 at 1e6), far above
the default tolerance, while taking differences first is exact to a few ulps of the distances
(the differences of nearby floats are exact). Duplicate rows give exact zeros in the reference;
every entry must be >= 0. Inputs unchanged; the meta device.
"""
import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, gen, shape_text, where

IN_FEATURES, OUT_FEATURES = 3, 4


# ------------------------------------------------------------------ linear

LINEAR_INPUTS = [(5, IN_FEATURES), (2, 6, IN_FEATURES), (IN_FEATURES,), (0, IN_FEATURES)]


def linear_args(shape, with_bias, device, dtype, seed=0):
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    weight = torch.randn(OUT_FEATURES, IN_FEATURES, generator=g, dtype=torch.float64)
    bias = torch.randn(OUT_FEATURES, generator=g, dtype=torch.float64)
    args = [x, weight] + ([bias] if with_bias else [])
    return [t.to(device, dtype) for t in args]


def linear_what(args, device, dtype):
    names = ["input", "weight", "bias"]
    return call_text("linear", *(f"{n}{shape_text(t)}" for n, t in zip(names, args))) + f" {where(device, dtype)}"


@pytest.mark.exercise("ch1.tensors.linear")
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("shape", LINEAR_INPUTS, ids=str)
def test_linear_matches_torch(student, reference, shape, with_bias, device, dtype):
    args = linear_args(shape, with_bias, device, dtype, seed=len(shape))
    got = student.run(apply, "linear", args, {})
    want = reference.run(apply, "linear", args, {})
    what = linear_what(args, device, dtype)
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], args, what=f"{what}: the arguments after the call (must not change)")


@pytest.mark.exercise("ch1.tensors.linear")
@pytest.mark.condition
def test_linear_makes_nothing_on_another_device(student, reference):
    def inputs(device):
        return "linear", linear_args((2, 5, IN_FEATURES), False, device, torch.float32), {}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what="linear(input[2,5,3], weight[4,3]) on the meta device")


# ------------------------------------------------------------------ one_hot

ONE_HOT_CASES = [  # (shape, largest id + 1, num_classes argument)
    ((7,), 5, -1),
    ((3, 4), 6, -1),
    ((2, 5), 4, 7),
    ((2, 3, 2), 3, 3),
]


def class_ids(shape, high, device, seed):
    """Random ids in [0, high) whose largest is high - 1 (so inferring num_classes is exact)."""
    ids = torch.randint(0, high, shape, generator=gen(seed), dtype=torch.int64)
    ids.view(-1)[-1] = high - 1
    return ids.to(device)


def one_hot_what(ids, num_classes, device):
    kwargs = {} if num_classes == -1 else {"num_classes": num_classes}
    return call_text("one_hot", f"tensor{shape_text(ids)}", kwargs=kwargs) + f" {where(device)} (int64 ids)"


@pytest.mark.exercise("ch1.tensors.one_hot")
@pytest.mark.parametrize("shape,high,num_classes", ONE_HOT_CASES, ids=lambda v: str(v))
def test_one_hot_matches_torch(student, reference, shape, high, num_classes, device):
    ids = class_ids(shape, high, device, seed=high)
    kwargs = {} if num_classes == -1 else {"num_classes": num_classes}
    got = student.run(apply, "one_hot", [ids], kwargs)
    want = reference.run(apply, "one_hot", [ids], kwargs)
    what = one_hot_what(ids, num_classes, device)
    expect_equal(got["out"], want["out"], what=f"{what}: values, shape, dtype int64 and device")
    expect_equal(got["args_after"], [ids], what=f"{what}: the ids after the call (must not change)")


@pytest.mark.exercise("ch1.tensors.one_hot")
@pytest.mark.parametrize("shape", [(0,), (2, 0)], ids=str)
def test_one_hot_of_an_empty_tensor(student, reference, shape, device):
    ids = torch.zeros(shape, dtype=torch.int64, device=device)
    got = student.run(apply, "one_hot", [ids], {"num_classes": 3})
    want = reference.run(apply, "one_hot", [ids], {"num_classes": 3})
    expect_equal(got["out"], want["out"], what=f"{one_hot_what(ids, 3, device)}: an empty [..., 3] int64 tensor")


@pytest.mark.exercise("ch1.tensors.one_hot")
@pytest.mark.condition
@pytest.mark.parametrize("values,num_classes", [([0, 3, 1], 3), ([2, -1, 0], 3), ([2, -1, 0], -1)],
                         ids=["too-large", "negative", "negative-inferred"])
def test_one_hot_rejects_ids_out_of_range(student, values, num_classes, device):
    ids = torch.tensor(values, dtype=torch.int64, device=device)
    kwargs = {} if num_classes == -1 else {"num_classes": num_classes}
    got = student.run(raises, "one_hot", [ids], kwargs)
    expect_equal(got, "raised", what=f"{one_hot_what(ids, num_classes, device)} with ids {values} must raise "
                                     "(every id must lie in [0, num_classes))")


@pytest.mark.exercise("ch1.tensors.one_hot")
@pytest.mark.condition
def test_one_hot_makes_nothing_on_another_device(student, reference):
    def inputs(device):
        return "one_hot", [class_ids((3, 4), 5, device, seed=1)], {"num_classes": 6}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_equal(got["out"], want["out"], what="one_hot(tensor[3,4], num_classes=6) on the meta device")


# ------------------------------------------------------------------ pairwise_sq_dists

D = 5
PAIRWISE_SHAPES = [(4, 6), (1, 3), (7, 1), (0, 3), (3, 0)]   # (N, M); D = 5 (never N or M)


def points(n, m, device, dtype, seed, centre=0.0, duplicates=False):
    g = gen(seed)
    a = centre + torch.randn(n, D, generator=g, dtype=torch.float64)
    b = centre + torch.randn(m, D, generator=g, dtype=torch.float64)
    if duplicates:
        b[: min(n, m)] = a[: min(n, m)]
    return [a.to(device, dtype), b.to(device, dtype)]


def pairwise_what(args, device, dtype, centre=None):
    a, b = args
    text = call_text("pairwise_sq_dists", f"a{shape_text(a)}", f"b{shape_text(b)}") + f" {where(device, dtype)}"
    return text if centre is None else f"{text}, points centred at {centre:g} with spread 1"


def compare_pairwise(student, reference, args, what):
    got = student.run(apply, "pairwise_sq_dists", args, {})
    want = reference.run(apply, "pairwise_sq_dists", args, {})
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], args, what=f"{what}: a and b after the call (must not change)")
    return got


@pytest.mark.exercise("ch1.tensors.pairwise_sq_dists")
@pytest.mark.parametrize("n,m", PAIRWISE_SHAPES, ids=str)
def test_pairwise_sq_dists_matches_the_closed_form(student, reference, n, m, device, dtype):
    args = points(n, m, device, dtype, seed=10 * n + m)
    compare_pairwise(student, reference, args, pairwise_what(args, device, dtype))


@pytest.mark.exercise("ch1.tensors.pairwise_sq_dists")
@pytest.mark.parametrize("centre", [1e3, 1e4, 1e6], ids=lambda c: f"{c:g}")
def test_pairwise_sq_dists_far_from_the_origin(student, reference, centre, device, dtype):
    args = points(6, 4, device, dtype, seed=int(centre) % 97, centre=centre)
    compare_pairwise(student, reference, args, pairwise_what(args, device, dtype, centre)
                     + " (take differences first: |a|^2 + |b|^2 - 2 a.b loses all digits here)")


@pytest.mark.exercise("ch1.tensors.pairwise_sq_dists")
@pytest.mark.parametrize("centre", [0.0, 1e4], ids=lambda c: f"{c:g}")
def test_pairwise_sq_dists_of_identical_rows_are_zero(student, reference, centre, device, dtype):
    args = points(5, 3, device, dtype, seed=3, centre=centre, duplicates=True)
    what = pairwise_what(args, device, dtype, centre) + " where b's rows are a's first three rows"
    got = compare_pairwise(student, reference, args, what)
    expect_equal(bool((got["out"] >= 0).all()), True, what=f"{what}: every squared distance is >= 0")


@pytest.mark.exercise("ch1.tensors.pairwise_sq_dists")
@pytest.mark.condition
def test_pairwise_sq_dists_makes_nothing_on_another_device(student, reference):
    def inputs(device):
        return "pairwise_sq_dists", points(4, 6, device, torch.float32, seed=5), {}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what="pairwise_sq_dists(a[4,5], b[6,5]) on the meta device")
