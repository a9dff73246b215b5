"""Reference for ch4/metrics.py: independent torch implementations in float64 (torch has no
counterparts). The hidden suite cross-checks confusion_matrix, precision_recall_f1, roc_auc and
average_precision against scikit-learn on the trusted side wherever scikit-learn is installed
(the kit's test environment; the grading image need not have it), and fit_temperature against a
dense grid of temperatures. Pure torch, so it also runs as a sibling stand-in in a sandbox."""
import math

import torch
import torch.nn.functional as F


def confusion_matrix(preds, targets, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=preds.device)
    cm.index_put_((targets.long(), preds.long()), torch.ones_like(preds, dtype=torch.int64), accumulate=True)
    return cm


def _ratio(num, den):
    return torch.where(den == 0, torch.zeros_like(num), num / torch.where(den == 0, torch.ones_like(den), den))


def precision_recall_f1(cm, average="macro"):
    cm = cm.to(torch.float64)
    tp, predicted, support = cm.diagonal(), cm.sum(0), cm.sum(1)
    if average == "micro":
        accuracy = float(_ratio(tp.sum(), cm.sum()))
        return accuracy, accuracy, accuracy
    precision, recall = _ratio(tp, predicted), _ratio(tp, support)
    f1 = _ratio(2 * tp, predicted + support)          # = 2pr / (p + r), 0 where both are 0
    if average is None:
        return precision, recall, f1
    if average == "macro":
        return tuple(float(v.mean()) for v in (precision, recall, f1))
    if average == "weighted":
        return tuple(float((v * support).sum() / support.sum()) for v in (precision, recall, f1))
    raise ValueError(f"unknown average {average!r}")


def roc_auc(scores, labels):
    """Mann-Whitney U with mid-ranks: ties between a positive and a negative count 1/2."""
    scores, positive = scores.to(torch.float64), labels.bool()
    values, inverse, counts = torch.unique(scores, return_inverse=True, return_counts=True)
    below = torch.cumsum(counts, 0) - counts                    # how many scores are strictly lower
    mid_rank = below.to(torch.float64) + (counts.to(torch.float64) + 1) / 2
    ranks = mid_rank[inverse]
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(scores, labels):
    scores, positive = scores.to(torch.float64), labels.bool()
    thresholds = torch.unique(scores).flip(0)                    # distinct scores, highest first
    selected = scores[None, :] >= thresholds[:, None]            # [thresholds, N]
    tp = (selected & positive).sum(1).to(torch.float64)
    precision = tp / selected.sum(1)
    recall = tp / positive.sum()
    return float(((recall - F.pad(recall[:-1], (1, 0))) * precision).sum())


def expected_calibration_error(probs, labels, n_bins=15):
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).to(torch.float64)
    confidence = confidence.to(torch.float64)
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        in_bin = (confidence >= low) & ((confidence < high) if b < n_bins - 1 else (confidence <= 1.0))
        if in_bin.any():
            total += float(in_bin.sum()) / len(labels) * abs(float(correct[in_bin].mean() - confidence[in_bin].mean()))
    return total


def nll_at(logits, labels, temperature):
    """Mean NLL of softmax(logits / T) in float64 (the suite judges temperatures with it)."""
    return float(F.cross_entropy(logits.to(torch.float64) / temperature, labels))


def fit_temperature(logits, labels):
    """A dense grid on log T over [1e-3, 1e3], then golden-section search around its best point."""
    logits = logits.to(torch.float64)
    grid = torch.linspace(math.log(1e-3), math.log(1e3), 241, dtype=torch.float64).tolist()
    best = min(range(len(grid)), key=lambda i: nll_at(logits, labels, math.exp(grid[i])))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll_at(logits, labels, math.exp(a)) <= nll_at(logits, labels, math.exp(b)):
            high = b
        else:
            low = a
    return math.exp((low + high) / 2)
