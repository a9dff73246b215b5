"""Public tests for ch3/schedules.py: run `pytest assignments/ch3`.

Quick checks of LRs you can work out by hand, on an optimizer whose initial LR is 1 (so the LR
is the schedule's factor). The hidden tests go further: every step up to past the end, several
param groups, min_lr and eta_min, a state_dict() saved in the middle of a run, and step(epoch)
with fractional and backward epochs, against torch's CosineAnnealingWarmRestarts.
"""
import math

import pytest
import torch

from ch3 import schedules


class StandStill(torch.optim.Optimizer):
    """An optimizer whose step does nothing: only its LRs matter here. (torch.optim.SGD would do
    as well; its first step costs a second here.)"""

    def step(self):
        pass


def sgd(*lrs):
    """An optimizer with one parameter per param group, of LRs `lrs`."""
    return StandStill([{"params": [torch.zeros(1)], "lr": lr} for lr in lrs], {"lr": lrs[0]})


def lrs_over(optimizer, scheduler, steps):
    """The LR of the first group right after construction and after each of `steps` steps."""
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def test_warmup_cosine_by_hand():
    optimizer = sgd(1.0)
    scheduler = schedules.warmup_cosine(optimizer, 2, 6)
    # warmup 1/2, 2/2; cosine over steps 2..6: cos(0), cos(pi/4), cos(pi/2), ...; then held at 0
    c = math.cos(math.pi / 4)
    want = [0.5, 1.0, 1.0, (1 + c) / 2, 0.5, (1 - c) / 2, 0.0, 0.0]
    assert lrs_over(optimizer, scheduler, 7) == pytest.approx(want, abs=1e-12)
    assert scheduler.get_last_lr() == pytest.approx([0.0], abs=1e-12)


def test_warmup_cosine_min_lr_and_two_groups():
    optimizer = sgd(1.0, 0.5)
    scheduler = schedules.warmup_cosine(optimizer, 0, 2, min_lr=0.1)   # no warmup
    optimizer.step()
    scheduler.step()
    # step 1 is halfway down the cosine: min_lr + (base - min_lr) / 2
    assert scheduler.get_last_lr() == pytest.approx([0.55, 0.3])
    for _ in range(2):       # step 2 is the end (min_lr), step 3 is past it (still min_lr)
        optimizer.step()
        scheduler.step()
        assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([0.1, 0.1])


def test_warmup_cosine_needs_warmup_shorter_than_total():
    with pytest.raises(ValueError):
        schedules.warmup_cosine(sgd(1.0), 5, 5)


def test_CosineAnnealingWarmRestarts_steps():
    optimizer = sgd(1.0)
    scheduler = schedules.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2)
    # cycles [0, 2) and [2, 6): restarts at epochs 2 and 6
    want = [1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2, 1.0]
    assert lrs_over(optimizer, scheduler, 6) == pytest.approx(want, abs=1e-12)


def test_CosineAnnealingWarmRestarts_fractional_epoch_and_eta_min():
    optimizer = sgd(1.0)
    scheduler = schedules.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2, eta_min=0.2)
    scheduler.step(4.0)          # T_i = 4, T_cur = 2: halfway, 0.2 + 0.8 / 2
    assert scheduler.get_last_lr() == pytest.approx([0.6])
    scheduler.step(0.5)          # back in the first cycle: T_i = 2, T_cur = 0.5
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2)
