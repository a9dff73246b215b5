"""Public tests for ch4/metrics.py: run `pytest assignments/ch4`.

Quick checks of values you can work out by hand. The hidden tests go further: random predictions
for several class counts against scikit-learn, classes never predicted or never true, every
averaging mode, many tied scores, confidences on bin edges, float32 and float64, CPU and CUDA.
"""
import math

import torch
import torch.nn.functional as F

from ch4 import metrics

# 3 classes, 6 samples: true 0 0 1 1 2 2, predicted 0 1 1 1 0 1
TARGETS = torch.tensor([0, 0, 1, 1, 2, 2])
PREDS = torch.tensor([0, 1, 1, 1, 0, 1])
CM = torch.tensor([[1, 1, 0],      # rows: true class, columns: predicted class
                   [0, 2, 0],
                   [1, 1, 0]])


def close(got, want, tol=1e-6):
    return abs(float(got) - want) <= tol


def test_confusion_matrix():
    cm = metrics.confusion_matrix(PREDS, TARGETS, 3)
    assert cm.dtype == torch.int64 and cm.tolist() == CM.tolist(), f"got {cm}, expected {CM}"
    cm4 = metrics.confusion_matrix(PREDS, TARGETS, 4)     # class 3 never occurs: zeros
    assert cm4.shape == (4, 4) and cm4[3].sum() == 0 and cm4[:, 3].sum() == 0


def test_precision_recall_f1_per_class():
    # class 0: tp 1, predicted 2, true 2 -> p 1/2, r 1/2; class 1: tp 2, predicted 4, true 2 -> p 1/2, r 1;
    # class 2: never predicted, tp 0 -> p 0 (0/0), r 0, f1 0
    p, r, f1 = metrics.precision_recall_f1(CM, average=None)
    assert all(close(a, b) for a, b in zip(p.tolist(), [0.5, 0.5, 0.0])), f"precision {p}"
    assert all(close(a, b) for a, b in zip(r.tolist(), [0.5, 1.0, 0.0])), f"recall {r}"
    assert all(close(a, b) for a, b in zip(f1.tolist(), [0.5, 2 / 3, 0.0])), f"f1 {f1}"


def test_precision_recall_f1_averages():
    p, r, f1 = metrics.precision_recall_f1(CM)                       # macro by default
    assert close(p, 1 / 3) and close(r, 0.5) and close(f1, (0.5 + 2 / 3) / 3)   # mean of per-class F1
    p, r, f1 = metrics.precision_recall_f1(CM, average="micro")      # accuracy 3/6
    assert close(p, 0.5) and close(r, 0.5) and close(f1, 0.5)
    p, r, f1 = metrics.precision_recall_f1(CM, average="weighted")   # true supports 2, 2, 2
    assert close(p, 1 / 3) and close(r, 0.5)


def test_roc_auc():
    # positives score 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) 1, (0.8>0.1) 1, (0.4=0.4) 1/2, (0.4>0.1) 1
    scores = torch.tensor([0.8, 0.4, 0.4, 0.1])
    labels = torch.tensor([1, 1, 0, 0])
    assert close(metrics.roc_auc(scores, labels), 3.5 / 4)


def test_average_precision():
    # thresholds 0.8: P 1, R 1/2; 0.4 (two samples): P 2/3, R 1; 0.1: R stays 1 -> 1/2*1 + 1/2*2/3
    scores = torch.tensor([0.8, 0.4, 0.4, 0.1])
    labels = torch.tensor([1, 1, 0, 0])
    assert close(metrics.average_precision(scores, labels), 0.5 + 1 / 3)


def test_expected_calibration_error():
    probs = torch.tensor([[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.5, 0.5]])
    labels = torch.tensor([0, 1, 1, 1])
    # 4 bins: 1.0 (right) and 0.75 (wrong), 0.75 (right) in [0.75, 1]: acc 2/3, conf 5/6;
    # 0.5 (predicts class 0, the first maximum: wrong) in [0.5, 0.75): acc 0, conf 0.5
    want = 3 / 4 * abs(2 / 3 - 5 / 6) + 1 / 4 * 0.5
    assert close(metrics.expected_calibration_error(probs, labels, n_bins=4), want)


def test_fit_temperature():
    logits = torch.tensor([[2.0, 0.0], [2.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    labels = torch.tensor([0, 0, 0, 0])            # right 3 times in 4: best softmax(2/T) has p = 3/4
    t = float(metrics.fit_temperature(logits, labels))
    assert close(t, 2 / math.log(3), tol=1e-3), f"got T = {t}, expected 2 / ln 3 = {2 / math.log(3):.4f}"
    assert F.cross_entropy(logits / t, labels) <= F.cross_entropy(logits / 1.0, labels)
