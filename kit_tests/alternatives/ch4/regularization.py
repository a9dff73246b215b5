"""A differently written correct ch4/regularization.py (kit_tests/test_chapters.py gives it full marks).

Dropout from torch.bernoulli with the scale folded into the mask; weight decay groups from
named_parameters with a set of seen parameters; mixup as x[perm] + lam * (x - x[perm]) with labels by
scatter; cutmix with one box PER SAMPLE, its centre drawn as a real number and its edges rounded.
"""
import math

import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p must lie in [0, 1]")
        self.p = float(p)

    def forward(self, x):
        if not self.training:
            return x
        keep = 1.0 - self.p
        if keep == 0.0:
            return x * 0.0
        scaled_mask = torch.bernoulli(torch.full_like(x, keep)) / keep
        return x * scaled_mask


def weight_decay_groups(model, weight_decay):
    seen = set()
    decay, plain = [], []
    for _, p in model.named_parameters():
        if id(p) in seen or not p.requires_grad:
            continue
        seen.add(id(p))
        if len(p.shape) >= 2:
            decay.append(p)
        else:
            plain.append(p)
    return [dict(params=decay, weight_decay=weight_decay), dict(params=plain, weight_decay=0)]


def labels(y, num_classes, dtype):
    out = torch.zeros(len(y), num_classes, dtype=dtype, device=y.device)
    return out.scatter(1, y.unsqueeze(1), 1.0)


def mixup(x, y, num_classes, lam, perm):
    other = x[perm]
    x_mixed = other + lam * (x - other)
    own, theirs = labels(y, num_classes, x.dtype), labels(y[perm], num_classes, x.dtype)
    return x_mixed, theirs + lam * (own - theirs)


def rounded_span(size, ratio, generator):
    """Edges round(c - s/2), round(c + s/2) of a box of real side s = ratio * size whose real
    centre c is uniform in [0, size), clipped to the image."""
    side = ratio * size
    centre = torch.rand(1, generator=generator, dtype=torch.float64).item() * size
    start, stop = round(centre - side / 2), round(centre + side / 2)
    return min(max(start, 0), size), min(max(stop, 0), size)


def cutmix(x, y, num_classes, lam, perm, generator=None):
    N, _, H, W = x.shape
    ratio = math.sqrt(1 - lam)
    x_mixed = torch.empty_like(x)
    y_soft = torch.empty(N, num_classes, dtype=x.dtype, device=x.device)
    own, theirs = labels(y, num_classes, x.dtype), labels(y[perm], num_classes, x.dtype)
    for i in range(N):
        top, bottom = rounded_span(H, ratio, generator)
        left, right = rounded_span(W, ratio, generator)
        inside = torch.zeros(H, W, dtype=torch.bool, device=x.device)
        inside[top:bottom, left:right] = True
        x_mixed[i] = torch.where(inside, x[perm[i]], x[i])
        share = inside.sum().item() / (H * W)
        y_soft[i] = (1 - share) * own[i] + share * theirs[i]
    return x_mixed, y_soft
