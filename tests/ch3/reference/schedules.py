"""Torch-backed reference for ch3/schedules.py.

- `warmup_cosine`: torch's `LambdaLR` with one multiplier per param group (LambdaLR multiplies
  each group's initial LR by its lambda at step t, so the absolute `min_lr` becomes
  `min_lr / base` of that group). The hidden suite compares students with the closed form itself,
  computed in the test in float64; this version is what other modules of the chapter get as the
  stand-in. Cross-checked by hand (the suite itself cannot run it as a submission: LambdaLR is
  forbidden there): the suite's probe run on this module matches the suite's closed form at every
  step of every case, with and without a state_dict round trip.
- `CosineAnnealingWarmRestarts`: torch's class (its `last_epoch` argument left at its default).
"""
import math

import torch


def _multiplier(base, warmup_steps, total_steps, min_lr):
    """t -> LR(t) / base for one group (base > 0)."""
    def factor(t):
        if t < warmup_steps:
            return (t + 1) / warmup_steps
        if t > total_steps:
            return min_lr / base
        cosine = (1 + math.cos(math.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2
        return (min_lr + (base - min_lr) * cosine) / base
    return factor


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr=0.0):
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps}, {total_steps}")
    factors = [_multiplier(group.get("initial_lr", group["lr"]), warmup_steps, total_steps, min_lr)
               for group in optimizer.param_groups]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factors)


class CosineAnnealingWarmRestarts(torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        super().__init__(optimizer, T_0, T_mult=T_mult, eta_min=eta_min)
