"""Reference for ch5/imbalance.py. torch has no counterparts and torchvision is not installed, so the
formulas are written here from their definitions:

- sigmoid_focal_loss: torchvision's documented formula, step by step in the input's dtype (as
  torchvision computes it), with binary cross-entropy from torch's F.binary_cross_entropy_with_logits.
  Second source: the suite's hand-worked values and, with gamma = 0 and alpha < 0, torch's BCE itself.
- class_weights: float64 closed forms ('effective' as -expm1(n * log(beta)), accurate for beta near 1),
  cast to the result's dtype at the end.
- balanced_sample_weights: a count per class by comparing every label with every class id.
"""
import torch
import torch.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"invalid reduction {reduction!r}")
    prob = inputs.sigmoid()
    bce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    prob_true = prob * targets + (1 - prob) * (1 - targets)
    loss = bce * ((1 - prob_true) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _result_dtype(counts):
    return counts.dtype if counts.is_floating_point() else torch.get_default_dtype()


def class_weights(counts, scheme="inverse", beta=0.999):
    counts = torch.as_tensor(counts)
    dtype = _result_dtype(counts)
    n = counts.to(torch.float64)
    if scheme == "inverse":
        weights = n.sum() / (n.numel() * n)
    elif scheme == "effective":
        # 1 - beta ** n = -expm1(n * log(beta)); (1 - beta) cancels in the normalization but is kept
        effective = (1 - beta) / -torch.expm1(n * torch.tensor(beta, dtype=torch.float64).log())
        weights = n.numel() * effective / effective.sum()
    else:
        raise ValueError(f"unknown scheme {scheme!r}")
    if bool((n <= 0).any()):
        raise ValueError("a count below 1")
    return weights.to(dtype)


def balanced_sample_weights(labels):
    ids = torch.arange(int(labels.max()) + 1, device=labels.device)
    per_class = (labels[:, None] == ids[None, :]).sum(dim=0).to(torch.float64)
    return (1.0 / per_class[labels]).to(torch.get_default_dtype())
