"""Hidden suite for ch4/regularization.py.

Dropout is random, so it is checked by properties, never against one particular mask (the probe
seeds torch's global generator only so that a failure replays): every output element is 0 or
x / (1 - p) (x is kept away from 0, so a kept element is never 0); the kept fraction of 100,000
elements lies within 0.0105 of 1 - p (Hoeffding: P(|kept - (1 - p)| >= t) <= 2 exp(-2 n t^2) =
2 exp(-22.05) < 5.3e-10 per case, < 1e-8 over all cases); the gradient is upstream * mask / (1 - p);
p = 0 is the identity and p = 1 gives zeros (no NaN); eval mode is the identity and the mode
follows .train() / .eval(); successive calls draw new masks (two masks of 1000 elements with p =
0.5 agree with probability 2^-1000). Invalid p must raise (any exception, at construction or at
the first call).

weight_decay_groups: probes build small models (Linear, LayerNorm, Conv2d, BatchNorm2d, a 3-D and
a 0-d parameter, tied embedding/head weights, frozen parameters, models with an empty group) and
return each group's parameters as names (the model's own parameter objects), their count
(duplicates show) and its weight_decay. The order of the two groups is the spec; within a group
the names are compared sorted (the order there is not part of the spec).

mixup is compared with its exact formula (the reference, float64 inputs cast like the student's).

cutmix is checked by properties that hold for any rounding rule and for one box per batch or per
sample. Inputs: continuous random images and a permutation without fixed points, so x[i] and
x[perm[i]] differ at every position and the pasted rectangle is visible; labels with
y[i] != y[perm[i]]. For each sample: every output value is x's or x[perm]'s at the same position;
the positions from x[perm] are whole pixels (all channels) forming one axis-aligned rectangle;
its height h obeys h <= sqrt(1-lam)*H + 1, and h < sqrt(1-lam)*H - 1 only when it touches the top
or bottom border (clipped), likewise its width; it is not empty when both unclipped sides are at
least 2 pixels (the centre lies in the image); the label mass of y[perm[i]] equals exactly its area
/ (H*W) and the rest is on y[i]. Over 400 draws (lam = 0.36: box about 9.6 x 8 in 12 x 10) the
boxes cover every pixel and at least one is clipped by more than a pixel. Bounds for any box
whose centre is uniform over the image: the corner pixel (0, 0) is covered when the centre lies
within (s/2 - 1.5) pixels of both borders, probability >= 0.275 * 0.25 = 0.069 per draw, so it
stays uncovered in 400 draws with probability <= 0.931^400 < 4e-13; the corners are the least
likely pixels, so over all 120 pixels < 5e-11. A box is clipped by more than a pixel when the
centre lies within s/2 - 1 of a border along H, probability >= 0.3, so never in 400 draws
< 0.7^400 < 1e-60. The same generator seed gives the same result; generator=None uses torch's
global generator (same torch.manual_seed, same result).
"""
import math

import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.suite_helpers import case_seed, gen, where

# ------------------------------------------------------------------ Dropout

DROPOUT_SHAPE = (250, 400)      # n = 100,000 elements
KEPT_TOLERANCE = 0.0105         # Hoeffding, see the module docstring
DROPOUT_PS = [0.2, 0.5, 0.9, None]   # None: the default p (0.5)


def away_from_zero(shape, seed, device, dtype):
    """Random values with |x| >= 0.5: a kept element is never 0."""
    z = torch.randn(shape, generator=gen(seed), dtype=torch.float64)
    return (torch.sign(z) * (0.5 + z.abs())).to(device, dtype)


def dropout_forward(impl, x, p, seed):
    """Probe: a Dropout(p) (the default when p is None) in training mode, applied to x once after
    torch.manual_seed(seed); the output and x afterwards."""
    torch.manual_seed(seed)
    module = impl.Dropout() if p is None else impl.Dropout(p)
    out = module(x)
    return {"out": out.detach(), "x_after": x}


def dropout_gradient(impl, x, upstream, p, seed):
    """Probe: the output and x's gradient when (Dropout(p)(x) * upstream).sum() is backpropagated."""
    torch.manual_seed(seed)
    leaf = x.clone().requires_grad_(True)
    out = impl.Dropout(p)(leaf)
    (out * upstream).sum().backward()
    return {"out": out.detach(), "grad": leaf.grad}


def dropout_modes(impl, x, p, seed):
    """Probe: outputs in eval mode, again in training mode, in eval mode again, and two successive
    training calls."""
    torch.manual_seed(seed)
    module = impl.Dropout(p)
    module.eval()
    first_eval = module(x).detach()
    module.train()
    train = module(x).detach()
    module.eval()
    second_eval = module(x).detach()
    module.train()
    again = module(x).detach()
    return {"first_eval": first_eval, "train": train, "second_eval": second_eval, "again": again,
            "x_after": x}


def dropout_name(p):
    return "Dropout()" if p is None else f"Dropout({p})"


def expect_inverted_dropout(out, x, p, what):
    """Each element of out is 0 or x / (1 - p); the kept fraction is within KEPT_TOLERANCE of 1 - p."""
    keep = 1 - (0.5 if p is None else p)
    kept = out != 0
    expect_close(out, torch.where(kept, x / keep, torch.zeros_like(x)),
                 what=f"{what}: each output element is 0 (dropped) or x / (1 - p) (kept, scaled up)")
    fraction = kept.double().mean().item()
    expect_equal(abs(fraction - keep) < KEPT_TOLERANCE, True,
                 what=f"{what}: kept fraction {fraction:.4f}, expected 1 - p = {keep} (within {KEPT_TOLERANCE}); "
                      "each element is kept with probability 1 - p")


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.parametrize("p", DROPOUT_PS, ids=str)
def test_dropout_zeroes_and_scales(student, p, device, dtype):
    x = away_from_zero(DROPOUT_SHAPE, 1, device, dtype)
    got = student.run(dropout_forward, x, p, case_seed(11))
    what = f"{dropout_name(p)} in training mode on x{list(DROPOUT_SHAPE)} {where(device, dtype)}"
    expect_inverted_dropout(got["out"], x, p, what)


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.parametrize("p", [0.3, 0.75])
def test_dropout_gradient_flows_through_kept_elements(student, p, device):
    dtype = torch.float64
    x = away_from_zero((40, 30), 2, device, dtype)
    upstream = torch.randn((40, 30), generator=gen(3), dtype=dtype).to(device)
    got = student.run(dropout_gradient, x, upstream, p, case_seed(12))
    what = f"{dropout_name(p)} in training mode on x[40,30] {where(device, dtype)}"
    kept = got["out"] != 0
    expect_close(got["grad"], torch.where(kept, upstream / (1 - p), torch.zeros_like(upstream)),
                 what=f"{what}: x.grad for a random upstream gradient (upstream * mask / (1 - p))")


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_p0_identity_p1_zeros(student, p, device, dtype):
    x = away_from_zero((6, 7), 4, device, dtype)
    got = student.run(dropout_forward, x, p, case_seed(13))
    want = x if p == 0.0 else torch.zeros_like(x)
    expect_close(got["out"], want, what=f"{dropout_name(p)} in training mode on x[6,7] {where(device, dtype)} "
                                        f"({'the identity' if p == 0.0 else 'all zeros, no NaN'})")


@pytest.mark.exercise("ch4.regularization.Dropout")
def test_dropout_eval_is_identity_and_modes_switch(student, device, dtype):
    x = away_from_zero((20, 50), 5, device, dtype)
    got = student.run(dropout_modes, x, 0.5, case_seed(14))
    what = f"Dropout(0.5) on x[20,50] {where(device, dtype)}"
    expect_close(got["first_eval"], x, what=f"{what} after .eval(): the identity")
    expect_inverted_dropout_values(got["train"], x, 0.5, f"{what} after .train() again")
    expect_close(got["second_eval"], x, what=f"{what} after .eval() once more: the identity")
    expect_inverted_dropout_values(got["again"], x, 0.5, f"{what}, a second call in training mode")
    differ = int(((got["train"] != 0) != (got["again"] != 0)).sum())
    expect_equal(differ > 0, True, what=f"{what}: two calls in training mode drop the same elements; "
                                        "draw a new mask at every call")


def expect_inverted_dropout_values(out, x, p, what):
    """Each element 0 or x / (1 - p), and at least one dropped (1000 elements: P(none) = 2^-1000)."""
    kept = out != 0
    expect_close(out, torch.where(kept, x / (1 - p), torch.zeros_like(x)),
                 what=f"{what}: each output element is 0 (dropped) or x / (1 - p) (kept, scaled up)")
    expect_equal(bool((~kept).any()), True, what=f"{what}: some elements are dropped (training mode)")


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.condition
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_invalid_p_raises(student, p):
    got = student.run(dropout_raises, p)
    expect_equal(got, "raised", what=f"Dropout({p}) (then called on a tensor) must raise: p is a probability in [0, 1]")


def dropout_raises(impl, p):
    """Probe: whether making Dropout(p) and calling it raises."""
    return probes.outcome(lambda: impl.Dropout(p)(torch.ones(3, 4)))


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.condition
def test_dropout_leaves_input_unchanged(student, device, dtype):
    x = away_from_zero((20, 50), 6, device, dtype)
    got = student.run(dropout_modes, x, 0.5, case_seed(15))
    expect_equal(got["x_after"], x, what=f"Dropout(0.5) on x[20,50] {where(device, dtype)}: x after the calls "
                                         "(must not change)")
    got = student.run(dropout_forward, x, 1.0, case_seed(15))
    expect_equal(got["x_after"], x, what=f"Dropout(1.0) on x[20,50] {where(device, dtype)}: x after the call "
                                         "(must not change)")


@pytest.mark.exercise("ch4.regularization.Dropout")
@pytest.mark.condition
@pytest.mark.parametrize("p", [0.5, 1.0])
def test_dropout_new_tensors_follow_the_input_device(student, reference, p):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return away_from_zero((4, 3), 7, device, torch.float32), p, 16

    got = run_on_meta(student, dropout_forward, inputs)
    want = reference.run(dropout_forward, *inputs("meta"))
    expect_close(got["out"], want["out"], what=f"Dropout({p}) in training mode on x[4,3] on the meta device")


# ------------------------------------------------------------------ weight_decay_groups

MODELS = {  # name: (what it is, for messages)
    "mlp": "Sequential(Linear(4, 8), LayerNorm(8), ReLU(), Linear(8, 3))",
    "conv": "a module with Conv2d(3, 4, 3), BatchNorm2d(4), a [1,5,4] parameter and a 0-d parameter",
    "tied": "Embedding(10, 4), LayerNorm(4) and Linear(4, 10, bias=False) whose weight IS the embedding's",
    "frozen": "Sequential(Linear(4, 8), LayerNorm(8), Linear(8, 3)) with the first Linear and the norm's bias frozen",
    "only-norm": "LayerNorm(6) (nothing to decay)",
    "only-matrix": "Linear(4, 3, bias=False) (nothing without decay)",
    "all-frozen": "Linear(4, 3) with every parameter frozen",
}


def groups_of(impl, model_name, weight_decay):
    """Probe: build the model `model_name`, call weight_decay_groups on it, and describe each group:
    its parameters by name (sorted; a tensor that is not one of the model's parameters is named so),
    how many entries it has, and its weight_decay."""
    nn = torch.nn
    torch.manual_seed(0)
    if model_name == "mlp":
        model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3))
    elif model_name == "conv":
        model = nn.Module()
        model.conv = nn.Conv2d(3, 4, 3)
        model.bn = nn.BatchNorm2d(4)
        model.pos = nn.Parameter(torch.zeros(1, 5, 4))
        model.temperature = nn.Parameter(torch.tensor(1.0))
    elif model_name == "tied":
        model = nn.Module()
        model.emb = nn.Embedding(10, 4)
        model.norm = nn.LayerNorm(4)
        model.head = nn.Linear(4, 10, bias=False)
        model.head.weight = model.emb.weight
    elif model_name == "frozen":
        model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 3))
        model[0].requires_grad_(False)
        model[1].bias.requires_grad_(False)
    elif model_name == "only-norm":
        model = nn.LayerNorm(6)
    elif model_name == "only-matrix":
        model = nn.Linear(4, 3, bias=False)
    else:
        model = nn.Linear(4, 3).requires_grad_(False)
    names = {id(p): name for name, p in model.named_parameters()}
    groups = impl.weight_decay_groups(model, weight_decay)
    described = []
    for group in groups:
        params = list(group["params"])
        described.append({"names": sorted(names.get(id(p), "<not one of the model's parameters>") for p in params),
                          "count": len(params), "weight_decay": float(group["weight_decay"])})
    return {"is_list": isinstance(groups, list), "groups": described}


@pytest.mark.exercise("ch4.regularization.weight_decay_groups")
@pytest.mark.parametrize("model_name", list(MODELS))
def test_weight_decay_groups_matches_the_reference(student, reference, model_name):
    weight_decay = 0.05
    got = student.run(groups_of, model_name, weight_decay)
    want = reference.run(groups_of, model_name, weight_decay)
    what = f"weight_decay_groups(model, {weight_decay}) for {MODELS[model_name]}"
    expect_equal(len(got["groups"]), 2, what=f"{what}: the number of groups (always two: [decay, no_decay], "
                                             "even when one is empty)")
    for i, label in enumerate(["the first group (decay: parameters with ndim >= 2)",
                               "the second group (no decay: the other parameters)"]):
        expect_equal(got["groups"][i]["names"], want["groups"][i]["names"], what=f"{what}: {label}, parameter names")
        expect_equal(got["groups"][i]["count"], want["groups"][i]["count"],
                     what=f"{what}: {label}, number of entries (each parameter once)")
        expect_close(got["groups"][i]["weight_decay"], want["groups"][i]["weight_decay"],
                     what=f"{what}: {label}, its weight_decay")
    expect_equal(got["is_list"], True, what=f"{what}: the result is a list")


# ------------------------------------------------------------------ mixup

MIXUP_LAMS = [0.3, 0.0, 1.0]
NUM_CLASSES = 6


def labelled_batch(seed, device, dtype, shape=(5, 3, 4)):
    """x[shape] random, y[N] in [0, 4) (fewer than NUM_CLASSES: num_classes must not be inferred),
    perm a random permutation of N."""
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64).to(device, dtype)
    y = torch.randint(4, (shape[0],), generator=g).to(device)
    perm = torch.randperm(shape[0], generator=g).to(device)
    return x, y, perm


def call_mixup(impl, x, y, num_classes, lam, perm):
    """Probe: mixup's two results and the inputs afterwards."""
    x_mixed, y_soft = impl.mixup(x, y, num_classes, lam, perm)
    return {"x": x_mixed, "y_soft": y_soft, "inputs_after": [x, y, perm]}


@pytest.mark.exercise("ch4.regularization.mixup")
@pytest.mark.parametrize("lam", MIXUP_LAMS)
def test_mixup_matches_the_formula(student, reference, lam, device, dtype):
    x, y, perm = labelled_batch(20, device, dtype)
    got = student.run(call_mixup, x, y, NUM_CLASSES, lam, perm)
    want = reference.run(call_mixup, x, y, NUM_CLASSES, lam, perm)
    what = f"mixup(x[5,3,4], y, {NUM_CLASSES}, {lam}, perm) {where(device, dtype)}"
    expect_close(got["x"], want["x"], what=f"{what}: x_mixed = lam * x + (1 - lam) * x[perm]")
    expect_close(got["y_soft"], want["y_soft"],
                 what=f"{what}: y_soft = lam * one_hot(y) + (1 - lam) * one_hot(y[perm]), "
                      "[N, num_classes] in x's dtype")


@pytest.mark.exercise("ch4.regularization.mixup")
@pytest.mark.condition
def test_mixup_leaves_inputs_unchanged(student, device, dtype):
    x, y, perm = labelled_batch(21, device, dtype)
    got = student.run(call_mixup, x, y, NUM_CLASSES, 0.3, perm)
    expect_equal(got["inputs_after"], [x, y, perm],
                 what=f"mixup(x[5,3,4], y, {NUM_CLASSES}, 0.3, perm) {where(device, dtype)}: x, y and perm after the "
                      "call (must not change)")


@pytest.mark.exercise("ch4.regularization.mixup")
@pytest.mark.condition
def test_mixup_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        x, y, perm = labelled_batch(22, device, torch.float32)
        return x, y, NUM_CLASSES, 0.3, perm

    got = run_on_meta(student, call_mixup, inputs)
    want = reference.run(call_mixup, *inputs("meta"))
    what = f"mixup(x[5,3,4], y, {NUM_CLASSES}, 0.3, perm) on the meta device"
    expect_close(got["x"], want["x"], what=f"{what}: x_mixed")
    expect_close(got["y_soft"], want["y_soft"], what=f"{what}: y_soft")


# ------------------------------------------------------------------ cutmix

IMAGE = (4, 3, 12, 10)              # N, C, H, W (H != W: the axes must not be mixed up)
CUTMIX_PERM = [2, 0, 3, 1]          # no fixed point: x[i] and x[perm[i]] differ everywhere
CUTMIX_Y = [0, 3, 1, 4]             # y[i] != y[perm[i]] for every i
CUTMIX_LAMS = [0.36, 0.5, 0.9, 0.0, 1.0]
COVERAGE_DRAWS = 400
IMAGE_TEXT = "x[" + ",".join(map(str, IMAGE)) + "]"


def image_batch(seed, device, dtype):
    x = torch.randn(IMAGE, generator=gen(seed), dtype=torch.float64).to(device, dtype)
    return x, torch.tensor(CUTMIX_Y, device=device), torch.tensor(CUTMIX_PERM, device=device)


def call_cutmix(impl, x, y, num_classes, lam, perm, seeds):
    """Probe: cutmix once per generator seed (a fresh torch.Generator seeded so; None: no generator,
    torch's global one after torch.manual_seed(0)); its results and the inputs afterwards. The
    global generator is seeded first, so that code drawing from it instead of `generator` replays."""
    torch.manual_seed(1234)
    results = []
    for seed in seeds:
        if seed is None:
            torch.manual_seed(0)
            x_mixed, y_soft = impl.cutmix(x, y, num_classes, lam, perm)
        else:
            x_mixed, y_soft = impl.cutmix(x, y, num_classes, lam, perm, generator=torch.Generator().manual_seed(seed))
        results.append({"x": x_mixed, "y_soft": y_soft})
    return {"results": results, "inputs_after": [x, y, perm]}


def rectangle(mask):
    """(top, bottom, left, right) when the True entries of the 2-D `mask` form one axis-aligned
    rectangle (bottom, right exclusive; all four 0 when there is none), else None."""
    rows = mask.any(dim=1).nonzero().flatten().tolist()
    cols = mask.any(dim=0).nonzero().flatten().tolist()
    if not rows:
        return 0, 0, 0, 0
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box = torch.zeros_like(mask)
    box[top:bottom, left:right] = True
    return (top, bottom, left, right) if torch.equal(box, mask) else None


def cutmix_box(x_mixed, x, i, perm, what):
    """The rectangle of sample i taken from x[perm[i]], after checking that each value comes from x or
    x[perm] at the same position and that whole pixels (all channels) were taken."""
    mine, other, got = x[i].cpu(), x[perm[i]].cpu(), x_mixed[i].cpu()
    from_other = got == other
    expect_equal(bool(((got == mine) | from_other).all()), True,
                 what=f"{what}: every output value of sample {i} is x's or x[perm]'s at the same position")
    pixels = from_other.all(dim=0)
    expect_equal(bool((from_other == pixels).all()), True,
                 what=f"{what}: sample {i} takes whole pixels (every channel) from x[perm]")
    box = rectangle(pixels)
    expect_equal(box is not None, True,
                 what=f"{what}: the pixels sample {i} takes from x[perm] form one axis-aligned rectangle")
    return box


def expect_box_size(box, lam, what):
    """Within one pixel of sqrt(1 - lam) * H by sqrt(1 - lam) * W, smaller only where clipped."""
    top, bottom, left, right = box
    H, W = IMAGE[2:]
    spans = [(bottom - top, top, bottom, H, "height"), (right - left, left, right, W, "width")]
    for side, start, stop, size, axis in spans:
        unclipped = math.sqrt(1 - lam) * size
        expect_equal(side <= unclipped + 1 + 1e-9, True,
                     what=f"{what}: the box {box} (top, bottom, left, right) has {axis} {side}; "
                          f"expected at most sqrt(1 - lam) * {size} = {unclipped:.2f} (+1 for rounding)")
        if side < unclipped - 1 - 1e-9:
            expect_equal(start == 0 or stop == size, True,
                         what=f"{what}: the box {box} (top, bottom, left, right) has {axis} {side}, less than "
                              f"sqrt(1 - lam) * {size} = {unclipped:.2f} (-1 for rounding) without touching the border "
                              "(a box is smaller only where clipped)")
    if min(math.sqrt(1 - lam) * H, math.sqrt(1 - lam) * W) >= 2:
        expect_equal(bottom > top and right > left, True,
                     what=f"{what}: the box is empty; its centre lies inside the image, so part of it is there")


def expect_cutmix_sample(result, x, y, perm, lam, i, what):
    box = cutmix_box(result["x"], x, i, perm, what)
    expect_box_size(box, lam, f"{what}, sample {i}")
    top, bottom, left, right = box
    H, W = IMAGE[2:]
    area = (bottom - top) * (right - left) / (H * W)
    want = torch.zeros(NUM_CLASSES, dtype=x.dtype, device=x.device)
    want[y[i]] += 1 - area
    want[y[perm[i]]] += area
    expect_close(result["y_soft"][i], want,
                 what=f"{what}: y_soft[{i}] (sample {i} took a box of {bottom - top}x{right - left} pixels, area "
                      f"{area:.4f} of the image: weight {area:.4f} on y[perm[{i}]] = {int(y[perm[i]])}, the rest on "
                      f"y[{i}] = {int(y[i])}; the label weight is the real box area, not lam)")


@pytest.mark.exercise("ch4.regularization.cutmix")
@pytest.mark.parametrize("lam", CUTMIX_LAMS)
def test_cutmix_pastes_one_clipped_box_and_mixes_labels_by_area(student, lam, device, dtype):
    x, y, perm = image_batch(30, device, dtype)
    seeds = [case_seed(k) for k in [1, 2, 3, 4, 5]]
    got = student.run(call_cutmix, x, y, NUM_CLASSES, lam, perm, seeds)
    for seed, result in zip(seeds, got["results"]):
        what = (f"cutmix({IMAGE_TEXT}, y, {NUM_CLASSES}, {lam}, perm={CUTMIX_PERM}, "
                f"generator seeded {seed}) {where(device, dtype)}")
        expect_equal(result["x"].shape, x.shape, what=f"{what}: the shape of x_mixed")
        expect_close(result["y_soft"].sum(dim=1), torch.ones(IMAGE[0], dtype=dtype, device=device),
                     what=f"{what}: each row of y_soft sums to 1")
        for i in range(IMAGE[0]):
            expect_cutmix_sample(result, x, y, perm, lam, i, what)


@pytest.mark.exercise("ch4.regularization.cutmix")
def test_cutmix_without_generator_uses_the_global_one(student, device):
    dtype = torch.float64
    x, y, perm = image_batch(31, device, dtype)
    got = student.run(call_cutmix, x, y, NUM_CLASSES, 0.5, perm, [None, None])
    what = f"cutmix({IMAGE_TEXT}, y, {NUM_CLASSES}, 0.5, perm) without a generator {where(device, dtype)}"
    first, second = got["results"]
    for i in range(IMAGE[0]):
        expect_cutmix_sample(first, x, y, perm, 0.5, i, what)
    expect_equal(second, first, what=f"{what}, twice after the same torch.manual_seed: the same result")


@pytest.mark.exercise("ch4.regularization.cutmix")
def test_cutmix_same_seed_same_result(student, device):
    dtype = torch.float64
    x, y, perm = image_batch(32, device, dtype)
    seeds = [case_seed(k) for k in [7, 8, 9]]
    got = student.run(call_cutmix, x, y, NUM_CLASSES, 0.5, perm, seeds + seeds)
    for k, seed in enumerate(seeds):
        expect_equal(got["results"][k + len(seeds)], got["results"][k],
                     what=f"cutmix(x, y, {NUM_CLASSES}, 0.5, perm, generator) twice with a generator seeded {seed} "
                          f"{where(device, dtype)}: the same result (draw the centre with `generator`)")


@pytest.mark.exercise("ch4.regularization.cutmix")
def test_cutmix_boxes_cover_the_image_and_get_clipped(student):
    x, y, perm = image_batch(33, "cpu", torch.float64)
    lam = 0.36
    seeds = [case_seed(100 + k) for k in range(COVERAGE_DRAWS)]
    got = student.run(call_cutmix, x, y, NUM_CLASSES, lam, perm, seeds)
    H, W = IMAGE[2:]
    covered = torch.zeros(H, W, dtype=torch.bool)
    clipped = False
    what = f"cutmix({IMAGE_TEXT}, y, {NUM_CLASSES}, {lam}, perm, generator) over {COVERAGE_DRAWS} seeds"
    for result in got["results"]:
        for i in range(IMAGE[0]):
            top, bottom, left, right = cutmix_box(result["x"], x, i, perm, what)
            covered[top:bottom, left:right] = True
            clipped |= (bottom - top) < math.sqrt(1 - lam) * H - 1 or (right - left) < math.sqrt(1 - lam) * W - 1
    missed = (~covered).nonzero().tolist()
    expect_equal(missed, [], what=f"{what}: pixels that no box ever covered (the centre is drawn uniformly over the "
                                  "whole image)")
    expect_equal(clipped, True, what=f"{what}: no box was ever clipped; the centre is drawn over the whole image, "
                                     "so boxes near the border stick out and get clipped")


@pytest.mark.exercise("ch4.regularization.cutmix")
@pytest.mark.condition
def test_cutmix_leaves_inputs_unchanged(student, device, dtype):
    x, y, perm = image_batch(34, device, dtype)
    got = student.run(call_cutmix, x, y, NUM_CLASSES, 0.5, perm, [1])
    expect_equal(got["inputs_after"], [x, y, perm],
                 what=f"cutmix(x, y, {NUM_CLASSES}, 0.5, perm, generator) {where(device, dtype)}: x, y and perm after "
                      "the call (must not change)")


@pytest.mark.exercise("ch4.regularization.cutmix")
@pytest.mark.condition
def test_cutmix_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        x, y, perm = image_batch(35, device, torch.float32)
        return x, y, NUM_CLASSES, 0.5, perm, [1]

    got = run_on_meta(student, call_cutmix, inputs)
    want = reference.run(call_cutmix, *inputs("meta"))
    what = f"cutmix({IMAGE_TEXT}, y, {NUM_CLASSES}, 0.5, perm, generator) on the meta device"
    expect_close(got["results"][0]["x"], want["results"][0]["x"], what=f"{what}: x_mixed")
    expect_close(got["results"][0]["y_soft"], want["results"][0]["y_soft"], what=f"{what}: y_soft")
