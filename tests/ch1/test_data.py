"""Hidden suite for ch1/data.py.

TensorDataset against torch.utils.data.TensorDataset: length, items (always tuples) at the first,
a middle, the last and index -1, with features [N, D] or [N, C, H, W] beside int64 labels, a
single tensor, batches drawn through a torch DataLoader, mismatched first dimensions raising
ValueError (the curriculum names the type), the tensors left unchanged, the meta device.

group_split has no torch counterpart and its draw is random, so the suite checks properties
(CURRICULUM rule 5: any way of drawing passes), for many generator seeds in one call: both
outputs 1-D int64 on the input's device, strictly increasing, together every index exactly once,
no group on both sides, exactly round(val_fraction * G) groups in validation (Python's round:
fractions whose product with G is exactly x.5 check the half-to-even rule), the same split for
the same generator seed; different seeds give at least two different splits among 30 (with 10
groups and 5 in validation a uniform draw repeats one split 30 times with probability
(1/252)^29); and every group lands in validation for some seed among 60 (6 groups, 2 drawn: a
uniform draw misses a given group with probability (2/3)^60 < 3e-11, all six groups < 2e-10).
Group ids are not 0..G-1 (large, negative, unordered), so counting groups with max() + 1 fails.

fit_standardizer and standardize against the float64 closed forms: shapes [N, D] (N != D) and
[N, C, H, W], a single sample, features with a large mean next to their spread (1e3 +- 1: the
E[x^2] - E[x]^2 shortcut is off by about eps32 * 1e6 in the variance), constant features (std 0,
where where eps sits decides the answer) and another eps; inputs unchanged; the meta device.
"""
import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply
from autograder.suite_helpers import call_text, gen, shape_text, where

# ------------------------------------------------------------------ TensorDataset

N = 7


def dataset_items(impl, tensors, indices):
    """Probe: impl.TensorDataset(*tensors); its length, the items at `indices` (and whether each is
    a tuple), and the tensors after the calls."""
    dataset = impl.TensorDataset(*tensors)
    items = [dataset[i] for i in indices]
    return {"len": len(dataset), "items": [list(item) for item in items],
            "tuples": [isinstance(item, tuple) for item in items], "tensors_after": list(tensors)}


def dataset_batches(impl, tensors, batch_size):
    """Probe: the batches a torch DataLoader draws, in order, from impl.TensorDataset(*tensors)."""
    loader = torch.utils.data.DataLoader(impl.TensorDataset(*tensors), batch_size=batch_size)
    return [list(batch) for batch in loader]


def dataset_mismatch(impl, tensors):
    """Probe: what happens when building impl.TensorDataset from tensors of different lengths."""
    return probes.outcome(lambda: impl.TensorDataset(*tensors), ValueError)


def make_tensors(kind, device, dtype, seed=0, n=N):
    g = gen(seed)
    labels = torch.randint(0, 3, (n,), generator=g, dtype=torch.int64).to(device)
    if kind == "features":
        return [torch.randn(n, 4, generator=g, dtype=torch.float64).to(device, dtype), labels]
    if kind == "images":
        return [torch.randn(n, 2, 3, 2, generator=g, dtype=torch.float64).to(device, dtype), labels]
    return [torch.randn(n, 3, generator=g, dtype=torch.float64).to(device, dtype)]   # "single"


def dataset_what(tensors, device, dtype):
    names = ", ".join(shape_text(t) for t in tensors)
    return f"TensorDataset of tensors {names} {where(device, dtype)}"


@pytest.mark.exercise("ch1.data.TensorDataset")
@pytest.mark.parametrize("kind", ["features", "images", "single"])
def test_tensor_dataset_matches_torch(student, reference, kind, device, dtype):
    tensors = make_tensors(kind, device, dtype, seed=len(kind))
    indices = [0, 3, N - 1, -1]
    got = student.run(dataset_items, tensors, indices)
    want = reference.run(dataset_items, tensors, indices)
    what = dataset_what(tensors, device, dtype)
    expect_equal(got["len"], want["len"], what=f"len() of a {what}")
    expect_equal(got["tuples"], [True] * len(indices), what=f"{what}: dataset[i] is a tuple, for i in {indices}")
    expect_equal(got["items"], want["items"], what=f"{what}: dataset[i] for i in {indices}")
    expect_equal(got["tensors_after"], tensors, what=f"{what}: the tensors after the calls (must not change)")


@pytest.mark.exercise("ch1.data.TensorDataset")
def test_tensor_dataset_through_a_data_loader(student, reference, device):
    tensors = make_tensors("features", device, torch.float64, seed=4)
    got = student.run(dataset_batches, tensors, 3)
    want = reference.run(dataset_batches, tensors, 3)
    expect_equal(got, want, what=f"the batches of DataLoader({dataset_what(tensors, device, torch.float64)}, "
                                 "batch_size=3)")


@pytest.mark.exercise("ch1.data.TensorDataset")
@pytest.mark.condition
def test_tensor_dataset_rejects_mismatched_lengths(student, device):
    tensors = [torch.zeros(N, 4, device=device), torch.zeros(N - 1, dtype=torch.int64, device=device)]
    got = student.run(dataset_mismatch, tensors)
    expect_equal(got, "ValueError", what=f"{dataset_what(tensors, device, None)} (first dims 7 and 6) must raise")


@pytest.mark.exercise("ch1.data.TensorDataset")
@pytest.mark.condition
def test_tensor_dataset_on_the_meta_device(student, reference):
    def inputs(device):
        return make_tensors("images", device, torch.float32, seed=6), [1, -1]

    got = run_on_meta(student, dataset_items, inputs)
    want = reference.run(dataset_items, *inputs("meta"))
    expect_equal(got["items"], want["items"], what="dataset[1] and dataset[-1] of a TensorDataset on the meta device")


# ------------------------------------------------------------------ group_split

def split_many(impl, groups, val_fraction, seeds):
    """Probe: impl.group_split(groups, val_fraction, generator) for a fresh CPU generator seeded
    with each seed (None: no generator); every (train_idx, val_idx). The global RNG is seeded
    first, so that even code that ignores the generator answers the same on every run."""
    torch.manual_seed(12345)
    splits = []
    for seed in seeds:
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        train_idx, val_idx = impl.group_split(groups, val_fraction, generator)
        splits.append([train_idx, val_idx])
    return {"splits": splits, "groups_after": groups}


def make_groups(n_groups, device, seed, sizes=(1, 4)):
    """1-D int64 group ids of n_groups groups of 1-4 samples each (2-4 with sizes=(2, 4)), ids that
    are not 0..G-1, samples of a group scattered in random order."""
    g = gen(seed)
    ids = torch.randperm(1000, generator=g)[:n_groups] * 7 - 500
    counts = torch.randint(sizes[0], sizes[1] + 1, (n_groups,), generator=g)
    groups = torch.repeat_interleave(ids, counts)
    return groups[torch.randperm(len(groups), generator=g)].to(torch.int64).to(device)


def check_split(train_idx, val_idx, groups, val_fraction, what):
    """The properties of one split (trusted side)."""
    device = groups.device
    for name, idx in (("train_idx", train_idx), ("val_idx", val_idx)):
        expect_equal((idx.dtype, idx.dim(), idx.device), (torch.int64, 1, device),
                     what=f"{what}: {name}'s (dtype, number of dims, device)")
        expect_equal(bool((idx[1:] > idx[:-1]).all()), True, what=f"{what}: {name} in increasing order")
    together = torch.cat([train_idx, val_idx]).sort().values.cpu()
    expect_equal(together, torch.arange(len(groups)),
                 what=f"{what}: train_idx and val_idx together hold every index 0..{len(groups) - 1} exactly once")
    groups = groups.cpu()
    train_groups = set(groups[train_idx.cpu()].tolist())
    val_groups = set(groups[val_idx.cpu()].tolist())
    expect_equal(sorted(train_groups & val_groups), [], what=f"{what}: groups on both sides")
    n_groups = len(set(groups.tolist()))
    expect_equal(len(val_groups), round(val_fraction * n_groups),
                 what=f"{what}: the number of validation groups, round({val_fraction} * {n_groups})")


SPLIT_CASES = [  # (number of groups, val_fraction): products 2.5, 3.5, 1.5, 4.5, 2.5, 0.8, 0, all
    (10, 0.25), (7, 0.5), (12, 0.125), (6, 0.75), (5, 0.5), (8, 0.1), (6, 0.0), (5, 1.0), (9, 0.3),
]


def split_what(groups, val_fraction, device):
    return (call_text("group_split", f"groups[{len(groups)}] ({len(set(groups.tolist()))} groups)",
                      f"{val_fraction}", "generator") + f" {where(device)}")


@pytest.mark.exercise("ch1.data.group_split")
@pytest.mark.parametrize("n_groups,val_fraction", SPLIT_CASES, ids=str)
def test_group_split_properties(student, n_groups, val_fraction, device):
    groups = make_groups(n_groups, device, seed=n_groups)
    seeds = list(range(12))
    got = student.run(split_many, groups, val_fraction, seeds)
    what = split_what(groups, val_fraction, device)
    for seed, (train_idx, val_idx) in zip(seeds, got["splits"]):
        check_split(train_idx, val_idx, groups, val_fraction, f"{what} with a generator seeded {seed}")
    expect_equal(got["groups_after"], groups, what=f"{what}: groups after the call (must not change)")


@pytest.mark.exercise("ch1.data.group_split")
def test_group_split_without_a_generator(student, device):
    groups = make_groups(8, device, seed=3)
    got = student.run(split_many, groups, 0.25, [None, None])
    what = split_what(groups, 0.25, device).replace("generator)", "generator=None)")
    for train_idx, val_idx in got["splits"]:
        check_split(train_idx, val_idx, groups, 0.25, what)


@pytest.mark.exercise("ch1.data.group_split")
def test_group_split_same_generator_same_split(student, device):
    groups = make_groups(10, device, seed=4)
    got = student.run(split_many, groups, 0.5, [21, 21, 99, 99])
    what = split_what(groups, 0.5, device)
    first, again, other, other_again = got["splits"]
    expect_equal(again, first, what=f"{what}: two generators seeded 21 give the same split")
    expect_equal(other_again, other, what=f"{what}: two generators seeded 99 give the same split")


@pytest.mark.exercise("ch1.data.group_split")
def test_group_split_is_random(student, device):
    groups = make_groups(10, device, seed=5)
    got = student.run(split_many, groups, 0.5, list(range(100, 130)))
    distinct = {tuple(val_idx.tolist()) for _, val_idx in got["splits"]}
    expect_equal(len(distinct) > 1, True, what=f"{split_what(groups, 0.5, device)} with generators seeded 100..129 "
                                               "give more than one split (the groups are drawn at random)")


@pytest.mark.exercise("ch1.data.group_split")
def test_group_split_can_pick_every_group(student, device):
    groups = make_groups(6, device, seed=6, sizes=(2, 4))
    got = student.run(split_many, groups, 1 / 3, list(range(200, 260)))
    picked = set()
    for _, val_idx in got["splits"]:
        picked |= set(groups.cpu()[val_idx.cpu()].tolist())
    expect_equal(sorted(set(groups.tolist()) - picked), [],
                 what=f"{split_what(groups, 1 / 3, device)} with generators seeded 200..259: "
                      "groups never in validation (every group must be drawn with some chance)")


@pytest.mark.exercise("ch1.data.group_split")
@pytest.mark.condition
def test_group_split_makes_nothing_on_another_device(student):
    def inputs(device):
        return make_groups(6, device, seed=7), 0.5, [0]

    got = run_on_meta(student, split_many, inputs)
    devices = [t.device.type for t in got["splits"][0]]
    expect_equal(devices, ["meta", "meta"], what="group_split(groups[...], 0.5, generator) with groups on the "
                                                 "meta device: the devices of train_idx and val_idx")


# ------------------------------------------------------------------ fit_standardizer, standardize

STANDARDIZER_SHAPES = [(9, 4), (6, 3, 2, 5), (1, 3)]


def features(shape, device, dtype, seed, centre=0.0, spread=2.0, constant=False):
    x = centre + spread * torch.randn(shape, generator=gen(seed), dtype=torch.float64)
    if constant:
        x[:, 0] = 3.0
    return x.to(device, dtype)


def fit_what(x, device, dtype, note=""):
    return call_text("fit_standardizer", f"x{shape_text(x)}") + f" {where(device, dtype)}{note}"


def compare_fit(student, reference, x, what):
    got = student.run(apply, "fit_standardizer", [x], {})
    want = reference.run(apply, "fit_standardizer", [x], {})
    mean, std = got["out"]
    expect_close(mean, want["out"][0], what=f"{what}: mean")
    expect_close(std, want["out"][1], what=f"{what}: std (divide by N: correction 0)")
    expect_equal(got["args_after"], [x], what=f"{what}: x after the call (must not change)")


@pytest.mark.exercise("ch1.data.fit_standardizer")
@pytest.mark.parametrize("shape", STANDARDIZER_SHAPES, ids=str)
def test_fit_standardizer_matches_the_closed_form(student, reference, shape, device, dtype):
    x = features(shape, device, dtype, seed=len(shape), centre=0.5)
    compare_fit(student, reference, x, fit_what(x, device, dtype))


@pytest.mark.exercise("ch1.data.fit_standardizer")
def test_fit_standardizer_with_a_large_mean(student, reference, device, dtype):
    x = features((50, 3), device, dtype, seed=8, centre=1e3, spread=1.0, constant=True)
    compare_fit(student, reference, x, fit_what(x, device, dtype, ", features near 1e3 with spread 1 (the first "
                                                "constant): use the deviations x - mean, not E[x^2] - E[x]^2"))


@pytest.mark.exercise("ch1.data.fit_standardizer")
@pytest.mark.condition
def test_fit_standardizer_on_the_meta_device(student, reference):
    def inputs(device):
        return "fit_standardizer", [features((6, 3, 2, 5), device, torch.float32, seed=9)], {}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what="fit_standardizer(x[6,3,2,5]) on the meta device")


def standardize_args(shape, device, dtype, seed, zero_std=False):
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    mean = torch.randn(shape[1:], generator=g, dtype=torch.float64)
    std = 0.5 + torch.rand(shape[1:], generator=g, dtype=torch.float64)
    if zero_std:
        std.view(-1)[0] = 0.0
    return [t.to(device, dtype) for t in (x, mean, std)]


@pytest.mark.exercise("ch1.data.standardize")
@pytest.mark.parametrize("eps", [None, 0.1], ids=["default-eps", "eps-0.1"])
@pytest.mark.parametrize("zero_std", [False, True], ids=["", "a-zero-std"])
@pytest.mark.parametrize("shape", STANDARDIZER_SHAPES[:2], ids=str)
def test_standardize_matches_the_closed_form(student, reference, shape, zero_std, eps, device, dtype):
    args = standardize_args(shape, device, dtype, seed=len(shape) + 2 * zero_std, zero_std=zero_std)
    kwargs = {} if eps is None else {"eps": eps}
    got = student.run(apply, "standardize", args, kwargs)
    want = reference.run(apply, "standardize", args, kwargs)
    x, mean, std = args
    what = call_text("standardize", f"x{shape_text(x)}", f"mean{shape_text(mean)}", f"std{shape_text(std)}",
                     kwargs=kwargs) + f" {where(device, dtype)}" + (" with one std 0" if zero_std else "")
    expect_close(got["out"], want["out"], what=f"{what}: (x - mean) / (std + eps)")
    expect_equal(got["args_after"], args, what=f"{what}: x, mean and std after the call (must not change)")


@pytest.mark.exercise("ch1.data.standardize")
@pytest.mark.condition
def test_standardize_on_the_meta_device(student, reference):
    def inputs(device):
        return "standardize", standardize_args((6, 3, 2, 5), device, torch.float32, seed=10), {}

    got = run_on_meta(student, apply, inputs)
    want = reference.run(apply, *inputs("meta"))
    expect_close(got["out"], want["out"], what="standardize(x[6,3,2,5], mean[3,2,5], std[3,2,5]) on the meta device")
