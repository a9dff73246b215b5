"""Hidden suite for ch4/metrics.py: classification metrics against the float64 reference
(tests/ch4/reference/metrics.py), which the trusted side cross-checks here against scikit-learn
wherever scikit-learn is installed (confusion_matrix, precision_recall_fscore_support with
zero_division=0, roc_auc_score, average_precision_score; the grading image need not have it).

- confusion_matrix: random predictions for 2, 3, 5 and 7 classes (N = 40), with a class never
  predicted, a class never true and (C >= 5) a class with neither; a perfect classifier (with
  one class absent) and an all-wrong one. Exact (int64, on the inputs' device).
- precision_recall_f1: every averaging mode (None, 'macro', 'micro', 'weighted', and the default)
  on the same confusion matrices, so 0/0 (a class never predicted, a class never true, a class
  neither) comes up; values compared within 1e-6 (float32 inside is fine), per-class results must
  be tensors on cm's device.
- roc_auc, average_precision: continuous scores, and scores rounded to a few values so that ties
  between positives and negatives are frequent; float32 and float64 scores; a perfectly ordered
  and a reversed ranking. Within 1e-6 (the values are ratios of counts).
- expected_calibration_error: softmax probabilities for n_bins 15 (default), 10 and 4, with labels
  that make the model overconfident in some bins and underconfident in others (else every binning
  gives the same ECE), any sample whose confidence lies within 1e-6 of an inner bin edge dropped
  (CURRICULUM: tests avoid them); tolerance: the reference's own float32-vs-float64 error
  (reference_answer), at least 1e-5. And a planted case with n_bins 4 and 8, whose edges are
  exact in floating point: confidences exactly 1.0 (last bin, closed), exactly on inner edges
  (0.25, 0.375, 0.5, 0.75: the bin that starts there) and tied maxima (the first is the
  prediction), within 1e-6.
- fit_temperature: overconfident logits (best T about 2.6) and underconfident ones (best T about
  0.16), float32 and float64; judged by the NLL its T reaches, computed here in float64: at most
  the reference's (a dense grid plus golden-section search) + 1e-5 relative (the docstring's
  tolerance). Measured on these cases: an error of 1e-3 in log T costs 4e-7 relative, 3e-3 costs
  4e-6, so any reasonable 1-D search passes, while 1/T, T = 1 or a search only above 1 cost 0.4
  to 2.5 relative.

Devices: besides the cuda runs, every exercise but fit_temperature runs with its inputs on the
meta device (run_on_meta: code that needs values, such as `.item()` or `bincount`, reruns on the
CPU with the tensors made without `device=` tracked), so a tensor made on the CPU is caught on any
machine; returned tensors must be on the inputs' device. fit_temperature is left out: the only
tensors it plausibly makes are scalars, which torch mixes with GPU tensors without complaint.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import describe, expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.suite_helpers import gen, where

try:
    from sklearn import metrics as sklearn_metrics
except ImportError:        # the grading image: the reference alone
    sklearn_metrics = None

VALUE_TOL = {"rtol": 1e-6, "atol": 1e-6}
N = 40


def agree_with_sklearn(want, sklearn_value, what):
    """A check of the kit itself: the reference agrees with scikit-learn (where installed)."""
    if sklearn_metrics is not None:
        expect_close(want, sklearn_value, rtol=1e-9, atol=1e-12,
                     what=f"{what}: the kit's reference against scikit-learn (a bug in the kit, not in your code)")


# ------------------------------------------------------------------ classification cases

def classification_case(case, num_classes, seed):
    """(preds, targets) on the CPU, int64, N samples. 'random': uniform for 2 classes; from 3
    classes on, class 0 is never true and the last class never predicted, and from 5 on class 0
    is never predicted either (a class with no samples at all). 'perfect' predicts every target,
    and the last class never occurs (0/0 for it, and it counts in the macro mean); 'all-wrong'
    predicts the next class (F1 is 0/0 for every class)."""
    g = gen(seed)
    targets = torch.randint(0, num_classes, (N,), generator=g)
    if case == "random":
        if num_classes == 2:
            return torch.randint(0, 2, (N,), generator=g), targets
        targets = torch.where(targets == 0, torch.ones_like(targets), targets)
        preds = torch.randint(0, num_classes - 1, (N,), generator=g)
        if num_classes >= 5:
            preds = torch.where(preds == 0, torch.full_like(preds, 3), preds)
        return preds, targets
    if case == "perfect":
        targets = targets % (num_classes - 1)
        return targets.clone(), targets
    return (targets + 1) % num_classes, targets


def trusted_cm(preds, targets, num_classes):
    return torch.bincount(targets * num_classes + preds, minlength=num_classes ** 2).reshape(num_classes, -1)


CLASSIFICATION_CASES = [("random", 2), ("random", 3), ("random", 5), ("random", 7),
                        ("perfect", 3), ("all-wrong", 4)]
CASE_IDS = [f"{case}-C{c}" for case, c in CLASSIFICATION_CASES]


def call_confusion_matrix(impl, preds, targets, num_classes):
    """Probe: the confusion matrix, and the inputs after the call (must not change)."""
    out = impl.confusion_matrix(preds, targets, num_classes)
    return {"out": out, "preds_after": preds, "targets_after": targets}


@pytest.mark.exercise("ch4.metrics.confusion_matrix")
@pytest.mark.parametrize("case,num_classes", CLASSIFICATION_CASES, ids=CASE_IDS)
def test_confusion_matrix_matches_sklearn(student, reference, case, num_classes, device):
    preds, targets = classification_case(case, num_classes, seed=num_classes)
    args = (preds.to(device), targets.to(device), num_classes)
    got = student.run(call_confusion_matrix, *args)
    want = reference.run(call_confusion_matrix, *args)
    what = f"confusion_matrix(preds[{N}], targets[{N}], {num_classes}) ({case} predictions) {where(device)}"
    if sklearn_metrics is not None:
        agree_with_sklearn(want["out"].cpu(), torch.from_numpy(sklearn_metrics.confusion_matrix(
            targets.numpy(), preds.numpy(), labels=list(range(num_classes)))), what)
    expect_equal(got["out"], want["out"], what=f"{what}: cm[true, pred], int64 on the inputs' device")
    expect_equal(got["preds_after"], args[0], what=f"{what}: preds after the call (must not change)")
    expect_equal(got["targets_after"], args[1], what=f"{what}: targets after the call (must not change)")


# ------------------------------------------------------------------ precision_recall_f1

def call_precision_recall_f1(impl, cm, average):
    """Probe: (p, r, f1) as float64 values: per-class results stay tensors (on their device, with
    a flag saying they were tensors), averaged ones become floats; and cm after the call."""
    out = impl.precision_recall_f1(cm) if average == "default" else impl.precision_recall_f1(cm, average=average)
    p, r, f1 = out
    if average is None:
        values = [v.to(torch.float64) if isinstance(v, torch.Tensor) else None for v in (p, r, f1)]
    else:
        values = [float(v) for v in (p, r, f1)]
    return {"values": values, "cm_after": cm}


AVERAGES = [None, "macro", "micro", "weighted", "default"]


def sklearn_prf(preds, targets, num_classes, average):
    p, r, f1, _ = sklearn_metrics.precision_recall_fscore_support(
        targets.numpy(), preds.numpy(), labels=list(range(num_classes)), zero_division=0,
        average="macro" if average == "default" else average)
    if average is None:
        return [torch.from_numpy(v).double() for v in (p, r, f1)]
    return [float(v) for v in (p, r, f1)]


@pytest.mark.exercise("ch4.metrics.precision_recall_f1")
@pytest.mark.parametrize("average", AVERAGES, ids=str)
@pytest.mark.parametrize("case,num_classes", CLASSIFICATION_CASES, ids=CASE_IDS)
def test_precision_recall_f1_matches_sklearn(student, reference, case, num_classes, average, device):
    preds, targets = classification_case(case, num_classes, seed=num_classes)
    cm = trusted_cm(preds, targets, num_classes).to(device)
    got = student.run(call_precision_recall_f1, cm, average)
    want = reference.run(call_precision_recall_f1, cm, average)
    call = "precision_recall_f1(cm)" if average == "default" else f"precision_recall_f1(cm, average={average!r})"
    what = f"{call} with cm = {cm.cpu().tolist()} ({num_classes} classes, {case} predictions) {where(device)}"
    if sklearn_metrics is not None:
        agree_with_sklearn([v.cpu() if isinstance(v, torch.Tensor) else v for v in want["values"]],
                           sklearn_prf(preds, targets, num_classes, average), what)
    if average is None:
        expect_equal([v is not None for v in got["values"]], [True] * 3,
                     what=f"{what}: p, r and f1 are tensors (one value per class)")
    for name, g, w in zip(("precision", "recall", "f1"), got["values"], want["values"]):
        expect_close(g, w, **VALUE_TOL, what=f"{what}: {name}")
    expect_equal(got["cm_after"], cm, what=f"{what}: cm after the call (must not change)")


# ------------------------------------------------------------------ roc_auc, average_precision

def call_binary_metric(impl, name, scores, labels):
    """Probe: impl.<name>(scores, labels) as a float, and the inputs after the call."""
    return {"out": float(getattr(impl, name)(scores, labels)), "scores_after": scores, "labels_after": labels}


def binary_case(case, seed):
    """(scores float64, labels int64) on the CPU: 'continuous' N(0,1) scores shifted up by 0.7
    for positives; 'ties' the same rounded to 5 values (many ties across the classes); 'coarse'
    only 3 values with few positives; 'perfect' positives all above negatives; 'reversed'
    all below."""
    g = gen(seed)
    n = 60
    labels = (torch.rand(n, generator=g) < (0.25 if case == "coarse" else 0.45)).long()
    labels[:2] = torch.tensor([0, 1])                     # both classes present
    scores = torch.randn(n, generator=g, dtype=torch.float64) + 0.7 * labels
    if case == "ties":
        scores = (scores.clamp(-1.0, 2.0) * 4 / 3).round() / 4        # 0, 0.25, ..., 1 (5 values, rescaled)
    elif case == "coarse":
        scores = (scores > 0.3).double() + (scores > 1.2).double()    # 0, 1, 2
    elif case == "perfect":
        scores = scores.abs() * (2 * labels - 1)
    elif case == "reversed":
        scores = -(scores.abs() * (2 * labels - 1))
    return scores, labels


BINARY_CASES = ["continuous", "ties", "coarse", "perfect", "reversed"]
SKLEARN_NAMES = {"roc_auc": "roc_auc_score", "average_precision": "average_precision_score"}


def check_binary_metric(student, reference, name, case, device, dtype):
    scores, labels = binary_case(case, seed=len(case))
    args = (name, scores.to(device, dtype), labels.to(device))
    got = student.run(call_binary_metric, *args)
    want = reference.run(call_binary_metric, *args)
    what = (f"{name}(scores[{len(labels)}], labels[{len(labels)}]) with {case} scores "
            f"({int(labels.sum())} positives) {where(device, dtype)}")
    if sklearn_metrics is not None:
        agree_with_sklearn(want["out"], float(getattr(sklearn_metrics, SKLEARN_NAMES[name])(
            labels.numpy(), scores.to(dtype).double().numpy())), what)
    expect_close(got["out"], want["out"], **VALUE_TOL, what=what)
    expect_equal(got["scores_after"], args[1], what=f"{what}: scores after the call (must not change)")
    expect_equal(got["labels_after"], args[2], what=f"{what}: labels after the call (must not change)")


@pytest.mark.exercise("ch4.metrics.roc_auc")
@pytest.mark.parametrize("case", BINARY_CASES)
def test_roc_auc_matches_sklearn(student, reference, case, device, dtype):
    check_binary_metric(student, reference, "roc_auc", case, device, dtype)


@pytest.mark.exercise("ch4.metrics.average_precision")
@pytest.mark.parametrize("case", BINARY_CASES)
def test_average_precision_matches_sklearn(student, reference, case, device, dtype):
    check_binary_metric(student, reference, "average_precision", case, device, dtype)


# ------------------------------------------------------------------ expected_calibration_error

def call_ece(impl, probs, labels, n_bins):
    """Probe: the ECE as a float (n_bins None: the default), and the inputs after the call."""
    kwargs = {} if n_bins is None else {"n_bins": n_bins}
    out = impl.expected_calibration_error(probs, labels, **kwargs)
    return {"out": float(out), "probs_after": probs, "labels_after": labels}


def random_probs(seed, n_bins, dtype):
    """Softmax of random logits [200, 5] in `dtype`, and labels drawn so that the model is
    overconfident in some bins and underconfident in others (right with probability
    conf + 0.25 sin(6 pi conf), clamped): were the gap of the same sign in every bin, any binning
    would give the same ECE. Samples whose confidence lies within 1e-6 of an inner bin edge are
    left out."""
    g = gen(seed)
    probs = torch.softmax(1.5 * torch.randn(200, 5, generator=g, dtype=torch.float64), dim=1).to(dtype)
    confidence, predicted = probs.double().max(1)
    p_right = (confidence + 0.25 * torch.sin(6 * math.pi * confidence)).clamp(0, 1)
    right = torch.rand(200, generator=g, dtype=torch.float64) < p_right
    other = (predicted + torch.randint(1, 5, (200,), generator=g)) % 5
    labels = torch.where(right, predicted, other)
    scaled = confidence * n_bins
    keep = (scaled - scaled.round()).abs() > 1e-6 * n_bins
    return probs[keep], labels[keep]


def planted_probs(dtype):
    """Rows whose confidences are exactly 1.0, exactly on inner edges of 4 and 8 bins (0.25, 0.5,
    0.75, 0.375) or between them, with ties for the largest probability (the first maximum is the
    prediction), and labels that make some of them right and some wrong."""
    rows = [
        ([1.0, 0.0, 0.0, 0.0], 0), ([0.0, 1.0, 0.0, 0.0], 1), ([0.0, 0.0, 1.0, 0.0], 0),
        ([0.5, 0.25, 0.25, 0.0], 0), ([0.25, 0.5, 0.125, 0.125], 0), ([0.5, 0.5, 0.0, 0.0], 1),
        ([0.75, 0.25, 0.0, 0.0], 0), ([0.125, 0.75, 0.125, 0.0], 2),
        ([0.25, 0.25, 0.25, 0.25], 0), ([0.25, 0.25, 0.25, 0.25], 3),
        ([0.375, 0.375, 0.125, 0.125], 0), ([0.625, 0.125, 0.125, 0.125], 1),
        ([0.9375, 0.0625, 0.0, 0.0], 0), ([0.0, 0.0, 0.0, 1.0], 3),
    ]
    probs = torch.tensor([r for r, _ in rows], dtype=dtype)
    return probs, torch.tensor([y for _, y in rows])


@pytest.mark.exercise("ch4.metrics.expected_calibration_error")
@pytest.mark.parametrize("n_bins", [None, 10, 4])
def test_expected_calibration_error_matches_the_reference(student, reference, n_bins, device, dtype):
    probs, labels = random_probs(seed=n_bins or 15, n_bins=n_bins or 15, dtype=dtype)
    args = (probs.to(device), labels.to(device), n_bins)
    want, atol = reference_answer(reference, call_ece, args, dtype)
    got = student.run(call_ece, *args)
    call = "expected_calibration_error(probs, labels" + ("" if n_bins is None else f", n_bins={n_bins}") + ")"
    what = f"{call} with probs[{len(labels)}, 5] (softmax of random logits) {where(device, dtype)}"
    expect_close(got["out"], want["out"], atol=atol, rtol=1e-6, what=what)
    expect_equal(got["probs_after"], args[0], what=f"{what}: probs after the call (must not change)")
    expect_equal(got["labels_after"], args[1], what=f"{what}: labels after the call (must not change)")


@pytest.mark.exercise("ch4.metrics.expected_calibration_error")
@pytest.mark.parametrize("n_bins", [4, 8])
def test_expected_calibration_error_on_bin_edges(student, reference, n_bins, device, dtype):
    probs, labels = planted_probs(dtype)
    args = (probs.to(device), labels.to(device), n_bins)
    got = student.run(call_ece, *args)
    want = reference.run(call_ece, *args)
    what = (f"expected_calibration_error(probs, labels, n_bins={n_bins}) with confidences exactly 1.0 (last bin, "
            f"closed) and exactly on inner edges k/{n_bins} (the bin starting there), and tied maxima "
            f"(the first is the prediction): probs = {probs.tolist()}, labels = {labels.tolist()} "
            f"{where(device, dtype)}")
    expect_close(got["out"], want["out"], rtol=1e-6, atol=1e-6, what=what)


# ------------------------------------------------------------------ fit_temperature

def call_fit_temperature(impl, logits, labels):
    """Probe: the temperature as a float, and the inputs after the call."""
    return {"T": float(impl.fit_temperature(logits, labels)), "logits_after": logits, "labels_after": labels}


def temperature_problem(kind, seed):
    """logits[300, 6] (float64, CPU) and labels: a model right about 60-65% of the time, its logits
    multiplied by 4 ('overconfident', best T about 2.6) or by 0.25 ('underconfident', best T about
    0.16). Some wrong predictions keep the best T above 0, some right ones keep it finite."""
    g = gen(seed)
    labels = torch.randint(0, 6, (300,), generator=g)
    logits = torch.randn(300, 6, generator=g, dtype=torch.float64)
    logits[torch.arange(300), labels] += 1.5
    return logits * (4.0 if kind == "overconfident" else 0.25), labels


def nll(logits, labels, temperature):
    return F.cross_entropy(logits.double() / temperature, labels).item()


@pytest.mark.exercise("ch4.metrics.fit_temperature")
@pytest.mark.parametrize("kind", ["overconfident", "underconfident"])
def test_fit_temperature_reaches_the_smallest_nll(student, reference, kind, device, dtype):
    logits, labels = temperature_problem(kind, seed=len(kind))
    args = (logits.to(device, dtype), labels.to(device))
    got = student.run(call_fit_temperature, *args)
    want = reference.run(call_fit_temperature, *args)
    what = f"fit_temperature(logits[300, 6], labels[300]) with {kind} logits {where(device, dtype)}"
    t = got["T"]
    expect_equal(math.isfinite(t) and t > 0, True, what=f"{what}: T = {t!r} must be a finite number > 0")
    best = nll(logits, labels, want["T"])
    reached = nll(logits, labels, t)
    expect_equal(reached <= best * (1 + 1e-5), True,
                 what=(f"{what}: the mean NLL of softmax(logits / T) at your T = {t:.6g} is {reached:.8g}; "
                       f"the best T ({want['T']:.6g}) reaches {best:.8g} (allowed: 1e-5 relative more)"))
    expect_equal(got["logits_after"], args[0], what=f"{what}: logits after the call (must not change)")
    expect_equal(got["labels_after"], args[1], what=f"{what}: labels after the call (must not change)")


# ------------------------------------------------------------------ devices

def call_for_devices(impl, name, args, kwargs):
    """Probe: impl.<name>(*args, **kwargs): tensor results as they come, scalars as floats."""
    out = getattr(impl, name)(*args, **kwargs)
    if name == "confusion_matrix":
        return {"tensors": [out]}
    if name == "precision_recall_f1" and kwargs.get("average", "macro") is None:
        return {"tensors": list(out)}
    return {"value": float(out[2] if isinstance(out, tuple) else out)}


def device_case(name, kwargs, device):
    """The arguments of one call of `name` with its tensors on `device` (meta included)."""
    preds, targets = classification_case("random", 5, seed=5)
    scores, labels = binary_case("ties", seed=4)
    probs, prob_labels = random_probs(seed=15, n_bins=15, dtype=torch.float32)
    args = {"confusion_matrix": (preds, targets, 5),
            "precision_recall_f1": (trusted_cm(preds, targets, 5),),
            "roc_auc": (scores, labels), "average_precision": (scores, labels),
            "expected_calibration_error": (probs, prob_labels)}[name]
    return name, [a.to(device) if isinstance(a, torch.Tensor) else a for a in args], kwargs


DEVICE_CASES = [("confusion_matrix", {}), ("precision_recall_f1", {"average": None}),
                ("precision_recall_f1", {"average": "macro"}), ("roc_auc", {}), ("average_precision", {}),
                ("expected_calibration_error", {})]


@pytest.mark.exercise("ch4.metrics.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,kwargs", DEVICE_CASES,
                         ids=[n + "".join(f"-{k}={v}" for k, v in kw.items()) for n, kw in DEVICE_CASES])
def test_new_tensors_follow_the_device(student, name, kwargs):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU
    (code that needs values runs on the CPU with such tensors tracked: autograder/devices.py)."""
    got = run_on_meta(student, call_for_devices, lambda device: device_case(name, kwargs, device))
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    what = f"{name}(...{extra}) with its inputs on the meta device (which acts as a GPU here)"
    if "tensors" in got:
        expect_equal([t.device.type if isinstance(t, torch.Tensor) else describe(t) for t in got["tensors"]],
                     ["meta"] * len(got["tensors"]), what=f"{what}: the devices of the returned tensors")
