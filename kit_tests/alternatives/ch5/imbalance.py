"""A differently written correct ch5/imbalance.py (kit_tests/test_chapters.py gives it full marks).

Focal loss from log-sigmoids in float64 (1 - p_t written as t * sigmoid(-x) + (1 - t) * sigmoid(x)),
cast back; class weights element by element in Python floats; sample weights from torch.unique's
inverse indices and counts.
"""
import math

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    reducers = {"none": lambda v: v, "mean": torch.mean, "sum": torch.sum}
    if reduction not in reducers:
        raise ValueError("reduction: 'none', 'mean' or 'sum'")
    x, t = inputs.double(), targets.double()
    ce = -(t * F.logsigmoid(x) + (1 - t) * F.logsigmoid(-x))
    miss = t * torch.sigmoid(-x) + (1 - t) * torch.sigmoid(x)      # 1 - p_t
    weight = miss.pow(gamma)
    if alpha >= 0:
        weight = weight * (alpha * t + (1 - alpha) * (1 - t))
    return reducers[reduction](ce * weight).to(inputs.dtype)


def class_weights(counts, scheme="inverse", beta=0.999):
    if torch.is_tensor(counts):
        dtype = counts.dtype if counts.is_floating_point() else torch.get_default_dtype()
        device = counts.device
        values = [float(c) for c in counts.tolist()]
    else:
        dtype, device, values = torch.get_default_dtype(), torch.device("cpu"), [float(c) for c in counts]
    if min(values) < 1:
        raise ValueError("counts must be positive")
    total, num_classes = sum(values), len(values)
    if scheme == "inverse":
        weights = [total / (num_classes * n) for n in values]
    elif scheme == "effective":
        raw = [(1 - beta) / -math.expm1(n * math.log(beta)) if beta > 0 else 1.0 for n in values]
        weights = [num_classes * r / sum(raw) for r in raw]
    else:
        raise ValueError(f"unknown scheme {scheme}")
    return torch.tensor(weights, dtype=torch.float64, device=device).to(dtype)


def balanced_sample_weights(labels):
    _, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    return counts[inverse].reciprocal().to(torch.get_default_dtype())
