"""Reference for ch4/regularization.py: torch's own nn.Dropout; the other three have no torch
counterpart and are written here from their definitions (mixup in float64, cast back; cutmix with a
box drawn as timm draws it). The cutmix and Dropout suites check properties, so these serve for the
meta-device checks and as stand-ins."""
import math

import torch
import torch.nn.functional as F

Dropout = torch.nn.Dropout


def weight_decay_groups(model, weight_decay):
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.dim() > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def soft_labels(y, y_other, num_classes, weight_other, like):
    """(1 - weight_other) * one_hot(y) + weight_other * one_hot(y_other), float64 then like's dtype."""
    own = F.one_hot(y, num_classes).double()
    other = F.one_hot(y_other, num_classes).double()
    return ((1 - weight_other) * own + weight_other * other).to(like.dtype)


def mixup(x, y, num_classes, lam, perm):
    x64 = x.double()
    x_mixed = (lam * x64 + (1 - lam) * x64[perm]).to(x.dtype)
    return x_mixed, soft_labels(y, y[perm], num_classes, 1 - lam, x)


def cutmix(x, y, num_classes, lam, perm, generator=None):
    H, W = x.shape[-2:]
    ratio = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(H * ratio), int(W * ratio)
    cy = int(torch.randint(0, H, (1,), generator=generator))
    cx = int(torch.randint(0, W, (1,), generator=generator))
    y1, y2 = min(max(cy - cut_h // 2, 0), H), min(max(cy + cut_h // 2, 0), H)
    x1, x2 = min(max(cx - cut_w // 2, 0), W), min(max(cx + cut_w // 2, 0), W)
    x_mixed = x.clone()
    x_mixed[:, :, y1:y2, x1:x2] = x[perm][:, :, y1:y2, x1:x2]
    area = (y2 - y1) * (x2 - x1) / (H * W)
    return x_mixed, soft_labels(y, y[perm], num_classes, area, x)
