"""Hidden suite for ch5/imbalance.py: formulas written out in the reference (torch has no
counterparts; torchvision is not installed), compared on cpu and cuda, float32 and float64.

sigmoid_focal_loss follows torchvision's documented formula. Logits [6, 5] (not square: a mean over
one axis changes the answer), 3 * N(0, 1) with a few exact zeros, targets 0 and 1; a grid of
(alpha, gamma) per reduction: the defaults, alpha < 0 (no class weighting), gamma = 0, alpha = 0
(positives weigh nothing), alpha above 0.5, a non-integer gamma. With gamma = 0 and alpha < 0 the
loss is plain binary cross-entropy: the reference is checked against torch's own BCE there (its
second source). Soft targets (values strictly between 0 and 1, as torchvision accepts) get their own
test. Large logits: ±8, ±30, ±50 and ±100 with both targets, where log(sigmoid(x)) rounds to log(0)
= -inf in float32 and float64 (sigmoid(50) is 1.0 in both), so an unstable loss gives inf or NaN.
Gradients with respect to the logits (autograd of the student's loss against autograd of the
reference's, random upstream gradients) run on the same cases, large logits included, but no logit
is exactly 0: there the cross-entropy written as max(x, 0) + log1p(exp(-|x|)) - x * t (the stable
form of chapter 2) has the right value, yet autograd's subgradients of max and |x| give a slope
off by 1/2; the loss is smooth, so that point says nothing about the student's formula.
float32 tolerance: `reference_answer` (4 times the reference's own float32-vs-float64 error, at
least 1e-5), since a correct solution may round differently from torchvision's steps.

class_weights: counts of very different sizes (1 to 500, C = 5), given as a list, an int64 tensor,
and float32 and float64 tensors; values against float64 closed forms, then the dtype and device
separately. float32 tolerance for 'effective': in float32 beta itself is rounded (relative error
eps/2 in beta, so eps/2 * beta / (1 - beta) in 1 - beta), and 1 - beta ** n for small n carries
a relative error up to about 2.5 eps / (1 - beta) (the rounding of beta ** n near 1 plus n times
the rounding of beta); the normalization can double it. So rtol = 8 eps / (1 - beta) + 1e-5
(beta = 0.9999: 9.5e-3; the mistakes caught here are off by factors, not fractions of a percent).
Counts of 0 are not tested: the curriculum leaves them open (the docstring chooses ValueError).

balanced_sample_weights: labels with ids that never occur (gaps), one class only, every class once;
values against a per-class count made by comparing labels with class ids (the values only: the
dtype, float32, and the device are checked on the meta device). Used with torch's
WeightedRandomSampler (8,000 draws, generator seeded) on labels of 4 classes of 200, 40, 10 and 2
examples, each class's share of the draws is within 0.04 of 1/4: Hoeffding, P(|share - 1/4| >=
0.04) <= 2 exp(-2 * 8000 * 0.04^2) = 2 exp(-25.6) < 1.6e-11 per class, < 7e-11 for the four.
"""
import pytest
import torch
import torch.nn.functional as F

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import case_seed, gen, where

REDUCTIONS = ["none", "mean", "sum"]

# ------------------------------------------------------------------ sigmoid_focal_loss

FOCAL_SHAPE = (6, 5)
FOCAL_CASES = [{}, {"alpha": -1.0}, {"gamma": 0.0}, {"alpha": -1.0, "gamma": 0.0}, {"alpha": 0.0, "gamma": 1.0},
               {"alpha": 0.75, "gamma": 2.0}, {"alpha": 0.4, "gamma": 1.5}]
LARGE_LOGITS = [-100.0, -50.0, -30.0, -8.0, 8.0, 30.0, 50.0, 100.0]


def focal_logits(seed, device, dtype, shape=FOCAL_SHAPE, zeros=True):
    """3 * N(0, 1), every 7th exactly 0 unless `zeros` is False."""
    x = 3 * torch.randn(shape, generator=gen(seed), dtype=torch.float64)
    if zeros:
        x.reshape(-1)[::7] = 0.0
    return x.to(device, dtype)


def binary_targets(seed, device, dtype, shape=FOCAL_SHAPE):
    t = (torch.rand(shape, generator=gen(seed + 100), dtype=torch.float64) < 0.4).to(torch.float64)
    t.reshape(-1)[:2] = torch.tensor([0.0, 1.0], dtype=torch.float64)
    return t.to(device, dtype)


def soft_targets(seed, device, dtype, shape=FOCAL_SHAPE):
    """Values in (0, 1), a few exactly 0 or 1."""
    t = torch.rand(shape, generator=gen(seed + 200), dtype=torch.float64)
    t.reshape(-1)[:2] = torch.tensor([0.0, 1.0], dtype=torch.float64)
    return t.to(device, dtype)


def large_logit_inputs(seed, device, dtype):
    """[4, 8]: rows 0 and 1 hold LARGE_LOGITS with targets 0 and 1; rows 2 and 3 ordinary logits."""
    x = torch.cat([torch.tensor([LARGE_LOGITS, LARGE_LOGITS], dtype=torch.float64),
                   3 * torch.randn(2, 8, generator=gen(seed), dtype=torch.float64)])
    t = torch.cat([torch.zeros(1, 8, dtype=torch.float64), torch.ones(1, 8, dtype=torch.float64),
                   (torch.rand(2, 8, generator=gen(seed + 100), dtype=torch.float64) < 0.5).double()])
    return x.to(device, dtype), t.to(device, dtype)


def upstream_for(reduction, shape, seed, device, dtype):
    """A random upstream gradient (never all ones): the loss's shape for 'none', 0-d otherwise."""
    g = torch.randn(shape if reduction == "none" else (), generator=gen(seed + 300), dtype=torch.float64) - 0.6
    return g.to(device, dtype)


def focal_losses(impl, inputs, targets, reduction, cases):
    """Probe: sigmoid_focal_loss(inputs, targets, **case) for each case (reduction passed unless None:
    the default), and the inputs afterwards."""
    outs = []
    for case in cases:
        kwargs = dict(case) if reduction is None else {**case, "reduction": reduction}
        outs.append(impl.sigmoid_focal_loss(inputs, targets, **kwargs).detach())
    return {"outs": outs, "inputs_after": [inputs, targets]}


def focal_gradients(impl, inputs, targets, reduction, cases, upstream):
    """Probe: d/d inputs of sum(sigmoid_focal_loss(inputs, targets, **case) * upstream) per case."""
    grads = []
    for case in cases:
        leaf = inputs.clone().requires_grad_(True)
        loss = impl.sigmoid_focal_loss(leaf, targets, reduction=reduction, **case)
        (loss * upstream).sum().backward()
        grads.append(leaf.grad)
    return grads


def kwargs_text(case, reduction):
    parts = [f"{k}={v}" for k, v in case.items()] + ([f"reduction={reduction!r}"] if reduction else [])
    return ", ".join(parts) if parts else "defaults: alpha=0.25, gamma=2.0, reduction='none'"


def expect_focal(student, reference, inputs, targets, reduction, cases, dtype, what):
    args = (inputs, targets, reduction, cases)
    got = student.run(focal_losses, *args)
    want, atol = reference_answer(reference, focal_losses, args, dtype)
    for case, g, w in zip(cases, got["outs"], want["outs"]):
        expect_close(g, w, atol=atol, what=f"sigmoid_focal_loss({what}, {kwargs_text(case, reduction)})")
    return want


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS + [None], ids=[*REDUCTIONS, "default"])
def test_focal_loss_matches_the_formula(student, reference, reduction, device, dtype):
    x, t = focal_logits(1, device, dtype), binary_targets(1, device, dtype)
    cases = FOCAL_CASES if reduction is not None else [{}, {"alpha": 0.75}]
    what = f"logits[6,5], targets 0/1 {where(device, dtype)}"
    want = expect_focal(student, reference, x, t, reduction, cases, dtype, what)
    if reduction is not None:   # the reference's second source: gamma 0, alpha < 0 is torch's BCE
        bce = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
        expect_close(want["outs"][cases.index({"alpha": -1.0, "gamma": 0.0})], bce,
                     what="the reference with alpha=-1, gamma=0 against torch's binary cross-entropy")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_loss_soft_targets(student, reference, reduction, device, dtype):
    x, t = focal_logits(2, device, dtype), soft_targets(2, device, dtype)
    cases = [{}, {"alpha": -1.0, "gamma": 1.5}]
    expect_focal(student, reference, x, t, reduction, cases, dtype,
                 f"logits[6,5], soft targets in [0, 1] (same formula, t not only 0 or 1) {where(device, dtype)}")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_loss_large_logits(student, reference, reduction, device, dtype):
    x, t = large_logit_inputs(3, device, dtype)
    cases = [{}, {"alpha": -1.0, "gamma": 0.0}]
    expect_focal(student, reference, x, t, reduction, cases, dtype,
                 f"logits[4,8] with ±8, ±30, ±50, ±100 and targets 0 and 1 {where(device, dtype)}: finite, no NaN "
                 "(do not take log(sigmoid(x)))")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_loss_gradient_matches_autograd(student, reference, reduction, device, dtype):
    x, t = large_logit_inputs(4, device, dtype)
    x[2:] = focal_logits(4, device, dtype, shape=(2, 8), zeros=False)   # see the module docstring
    t[2:] = soft_targets(4, device, dtype, shape=(2, 8))
    upstream = upstream_for(reduction, x.shape, 4, device, dtype)
    cases = [{"alpha": 0.25, "gamma": 2.0}, {"alpha": -1.0, "gamma": 0.0}, {"alpha": 0.6, "gamma": 1.0}]
    args = (x, t, reduction, cases, upstream)
    got = student.run(focal_gradients, *args)
    want, atol = reference_answer(reference, focal_gradients, args, dtype)
    for case, g, w in zip(cases, got, want):
        expect_close(g, w, atol=atol,
                     what=f"the gradient of sum(sigmoid_focal_loss(logits[4,8] with ±8..±100, targets, "
                          f"{kwargs_text(case, reduction)}) * upstream) with respect to the logits "
                          f"{where(device, dtype)}")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.condition
def test_focal_loss_rejects_unknown_reduction(student):
    x, t = focal_logits(5, "cpu", torch.float64), binary_targets(5, "cpu", torch.float64)
    got = student.run(raises, "sigmoid_focal_loss", [x, t], {"reduction": "avg"})
    expect_equal(got, "raised", what="sigmoid_focal_loss(logits, targets, reduction='avg') must raise "
                                     "(the docstring says ValueError)")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.condition
def test_focal_loss_leaves_inputs_unchanged(student, device, dtype):
    x, t = large_logit_inputs(6, device, dtype)
    got = student.run(focal_losses, x, t, "mean", [{}, {"alpha": -1.0}])
    expect_equal(got["inputs_after"], [x, t],
                 what=f"sigmoid_focal_loss(logits[4,8], targets, reduction='mean') {where(device, dtype)}: the inputs "
                      "after the call (must not change)")


@pytest.mark.exercise("ch5.imbalance.sigmoid_focal_loss")
@pytest.mark.condition
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_focal_loss_new_tensors_follow_the_input_device(student, reference, reduction):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return focal_logits(7, device, torch.float32), soft_targets(7, device, torch.float32), reduction, \
            [{}, {"alpha": -1.0, "gamma": 0.0}]

    got = run_on_meta(student, focal_losses, inputs)
    want = reference.run(focal_losses, *inputs("meta"))
    expect_close(got["outs"], want["outs"],
                 what=f"sigmoid_focal_loss(logits[6,5], targets, reduction={reduction!r}) on the meta device")


# ------------------------------------------------------------------ class_weights

COUNTS = [500, 12, 1, 120, 5]          # C = 5, N = 638
COUNT_KINDS = ["list", "int64", "float32", "float64"]
BETAS = [None, 0.9, 0.99, 0.9999, 0.0]  # None: the default beta (0.999)


def counts_as(kind, device, counts=COUNTS):
    if kind == "list":
        return list(counts)
    dtype = {"int64": torch.int64, "float32": torch.float32, "float64": torch.float64}[kind]
    return torch.tensor(counts, dtype=dtype, device=device)


def counts_text(kind, device):
    return f"counts={COUNTS} as a list" if kind == "list" else f"counts={COUNTS} as a {kind} tensor on {device}"


def call_class_weights(impl, counts, kwargs_list):
    """Probe: class_weights(counts, **kwargs) for each kwargs, and counts afterwards."""
    outs = [impl.class_weights(counts, **kwargs) for kwargs in kwargs_list]
    return {"outs": outs, "counts_after": counts}


def effective_rtol(beta, dtype):
    """See the module docstring: float32 rounds beta, and 1 - beta ** n loses digits near 1."""
    if dtype != torch.float32:
        return None
    beta = 0.999 if beta is None else beta
    return 8 * torch.finfo(torch.float32).eps / (1 - beta) + 1e-5


def expect_weights(got, want, what, rtol=None):
    """Values only (dtype and device are checked by other tests): got in want's dtype, on the CPU."""
    expect_equal(torch.is_tensor(got), True, what=f"{what}: a tensor comes back")
    expect_close(got.detach().cpu().to(want.dtype), want.cpu(), rtol=rtol, what=what)


def effective_kwargs(beta):
    return {"scheme": "effective"} if beta is None else {"scheme": "effective", "beta": beta}


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_class_weights_inverse(student, reference, kind, device):
    counts = counts_as(kind, device)
    kwargs_list = [{}, {"scheme": "inverse"}]
    got = student.run(call_class_weights, counts, kwargs_list)
    want = reference.run(call_class_weights, counts, kwargs_list)
    for kwargs, g, w in zip(kwargs_list, got["outs"], want["outs"]):
        scheme = ", scheme='inverse'" if kwargs else ""
        expect_weights(g, w, f"class_weights({counts_text(kind, device)}{scheme}): N / (C * n_c) with "
                             f"N = {sum(COUNTS)}, C = {len(COUNTS)}")


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_class_weights_effective_number(student, reference, kind, device):
    counts = counts_as(kind, device)
    kwargs_list = [effective_kwargs(beta) for beta in BETAS]
    got = student.run(call_class_weights, counts, kwargs_list)
    want = reference.run(call_class_weights, counts, kwargs_list)
    for beta, kwargs, g, w in zip(BETAS, kwargs_list, got["outs"], want["outs"]):
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        expect_weights(g, w, f"class_weights({counts_text(kind, device)}, {args}): (1 - beta) / (1 - beta ** n_c), "
                             f"scaled so the weights sum to C = {len(COUNTS)}", rtol=effective_rtol(beta, w.dtype))


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.parametrize("kind", COUNT_KINDS)
def test_class_weights_dtype_and_device(student, reference, kind, device):
    counts = counts_as(kind, device)
    kwargs_list = [{}, {"scheme": "effective"}]
    got = student.run(call_class_weights, counts, kwargs_list)
    want = reference.run(call_class_weights, counts, kwargs_list)
    for kwargs, g, w in zip(kwargs_list, got["outs"], want["outs"]):
        scheme = ", scheme='effective'" if kwargs else ""
        what = f"class_weights({counts_text(kind, device)}{scheme})"
        expect_equal(torch.is_tensor(g), True, what=f"{what}: a tensor comes back")
        expect_equal((g.dtype, str(g.device), tuple(g.shape)), (w.dtype, str(w.device), tuple(w.shape)),
                     what=f"{what}: (dtype, device, shape); a floating tensor [C] in counts' dtype if it is floating, "
                          "else the default float dtype, on counts' device")


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.condition
@pytest.mark.parametrize("kind", ["list", "int64"])
def test_class_weights_rejects_unknown_scheme(student, kind):
    got = student.run(raises, "class_weights", [counts_as(kind, "cpu")], {"scheme": "balanced"})
    expect_equal(got, "raised", what=f"class_weights({counts_text(kind, 'cpu')}, scheme='balanced') must raise "
                                     "(only 'inverse' and 'effective'; the docstring says ValueError)")


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.condition
@pytest.mark.parametrize("kind", ["int64", "float64"])
def test_class_weights_leaves_counts_unchanged(student, kind, device):
    counts = counts_as(kind, device)
    got = student.run(call_class_weights, counts, [{}, {"scheme": "effective"}])
    expect_equal(got["counts_after"], counts, what=f"class_weights({counts_text(kind, device)}) with both schemes: "
                                                   "counts after the calls (must not change)")


@pytest.mark.exercise("ch5.imbalance.class_weights")
@pytest.mark.condition
@pytest.mark.parametrize("kind", ["int64", "float32"])
def test_class_weights_new_tensors_follow_the_input_device(student, reference, kind):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return counts_as(kind, device), [{}, {"scheme": "effective", "beta": 0.99}]

    got = run_on_meta(student, call_class_weights, inputs)
    want = reference.run(call_class_weights, *inputs("cpu"))
    expect_meta_like(got["outs"], want["outs"], f"class_weights({counts_text(kind, 'meta')}) with both schemes")


def expect_meta_like(got, want, what):
    """Each result on the meta device, with the CPU reference's dtype and shape (meta has no values;
    code that needs values runs on the CPU with stray tensors tracked: autograder/devices.py)."""
    described = [(t.device.type, t.dtype, tuple(t.shape)) if torch.is_tensor(t) else repr(t) for t in got]
    expect_equal(described, [("meta", t.dtype, tuple(t.shape)) for t in want],
                 what=f"{what}: (device, dtype, shape) of each result, the inputs on the meta device (which acts as "
                      "a GPU here)")


# ------------------------------------------------------------------ balanced_sample_weights

LABEL_CASES = {
    "gaps": "labels[40] of ids 0, 2, 3 and 6 (1, 4 and 5 never occur), counts 25, 9, 5, 1",
    "one-class": "labels[7], all 3",
    "each-once": "labels[6], a permutation of 0..5",
}
SAMPLER_CLASS_SIZES = [200, 40, 10, 2]
SAMPLER_DRAWS = 8000
SAMPLER_TOLERANCE = 0.04   # Hoeffding, see the module docstring


def labels_for(case, device, seed=0):
    if case == "gaps":
        labels = torch.tensor([0] * 25 + [2] * 9 + [3] * 5 + [6])
    elif case == "one-class":
        labels = torch.full((7,), 3)
    else:
        labels = torch.arange(6)
    return labels[torch.randperm(len(labels), generator=gen(seed))].to(device)


def call_balanced(impl, labels):
    """Probe: balanced_sample_weights(labels), and labels afterwards."""
    return {"out": impl.balanced_sample_weights(labels), "labels_after": labels}


def sampler_class_counts(impl, labels, num_classes, draws, seed):
    """Probe: draw `draws` indices with torch's WeightedRandomSampler on the student's weights
    (replacement, a generator seeded `seed`) and count the drawn labels per class."""
    weights = impl.balanced_sample_weights(labels)
    sampler = torch.utils.data.WeightedRandomSampler(weights, draws, replacement=True,
                                                     generator=torch.Generator().manual_seed(seed))
    drawn = torch.tensor(list(sampler))
    return torch.bincount(labels[drawn], minlength=num_classes)


@pytest.mark.exercise("ch5.imbalance.balanced_sample_weights")
@pytest.mark.parametrize("case", list(LABEL_CASES))
def test_balanced_sample_weights_are_inverse_class_counts(student, reference, case, device):
    labels = labels_for(case, device, seed=10)
    got = student.run(call_balanced, labels)
    want = reference.run(call_balanced, labels)
    expect_weights(got["out"], want["out"],
                   f"balanced_sample_weights({LABEL_CASES[case]}) on {device}: 1 / (count of the sample's class), "
                   "[N] (each class's weights sum to 1)")


@pytest.mark.exercise("ch5.imbalance.balanced_sample_weights")
def test_balanced_sample_weights_balance_a_weighted_random_sampler(student):
    sizes = SAMPLER_CLASS_SIZES
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(sizes)])
    labels = labels[torch.randperm(len(labels), generator=gen(11))]
    got = student.run(sampler_class_counts, labels, len(sizes), SAMPLER_DRAWS, case_seed(12))
    shares = (got.double() / SAMPLER_DRAWS).tolist()
    what = (f"WeightedRandomSampler(balanced_sample_weights(labels), {SAMPLER_DRAWS}, replacement=True) on labels of "
            f"{len(sizes)} classes with {sizes} examples")
    expect_equal(all(abs(s - 1 / len(sizes)) < SAMPLER_TOLERANCE for s in shares), True,
                 what=f"{what}: each class's share of the draws {[round(s, 3) for s in shares]}; expected "
                      f"{1 / len(sizes)} each (within {SAMPLER_TOLERANCE})")


@pytest.mark.exercise("ch5.imbalance.balanced_sample_weights")
@pytest.mark.condition
def test_balanced_sample_weights_leave_labels_unchanged(student, device):
    labels = labels_for("gaps", device, seed=13)
    got = student.run(call_balanced, labels)
    expect_equal(got["labels_after"], labels, what=f"balanced_sample_weights({LABEL_CASES['gaps']}) on {device}: "
                                                   "labels after the call (must not change)")


@pytest.mark.exercise("ch5.imbalance.balanced_sample_weights")
@pytest.mark.condition
def test_balanced_sample_weights_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    got = run_on_meta(student, call_balanced, lambda device: (labels_for("gaps", device, seed=14),))
    want = reference.run(call_balanced, labels_for("gaps", "cpu", seed=14))
    expect_meta_like([got["out"]], [want["out"]], f"balanced_sample_weights({LABEL_CASES['gaps']})")
