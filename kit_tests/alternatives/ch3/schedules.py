"""A differently written correct ch3/schedules.py (kit_tests/test_chapters.py gives it full marks).

Written otherwise than the solution: none of the base class's step/get_lr machinery (its
`__init__` is not even called). One shared class keeps its own epoch counter `self.epoch`, its own
base LRs and last LRs, and writes the groups' LRs itself; each schedule is just a closed-form
`lr_at(epoch, base)`. The cosine is written as cos(x/2)**2 (equal to (1 + cos x)/2), the warmup as
min(1, (t+1)/W) times base, and the warm-restart cycle is found with a logarithm (then corrected by
one cycle where the float logarithm lands on the wrong side), not by walking the cycles.
"""
import math

from torch.optim.lr_scheduler import LRScheduler


class _ClosedFormSchedule(LRScheduler):
    """Sets every group's LR to lr_at(epoch, base); epoch 0 at construction."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lrs = [group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.epoch = 0
        self._apply()

    def lr_at(self, epoch, base):
        raise NotImplementedError

    def _apply(self):
        self.last_lrs = [self.lr_at(self.epoch, base) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self.last_lrs):
            group["lr"] = lr

    def step(self, epoch=None):
        self.epoch = self.epoch + 1 if epoch is None else epoch
        self._apply()

    def get_last_lr(self):
        return list(self.last_lrs)


class _WarmupThenCosine(_ClosedFormSchedule):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr):
        self.warmup, self.total, self.floor = warmup_steps, total_steps, min_lr
        super().__init__(optimizer)

    def lr_at(self, t, base):
        if t < self.warmup:
            return base * min(1.0, (t + 1) / self.warmup)
        half_angle = math.pi / 2 * min(t - self.warmup, self.total - self.warmup) / (self.total - self.warmup)
        return self.floor + (base - self.floor) * math.cos(half_angle) ** 2


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr=0.0):
    if warmup_steps < 0 or total_steps <= warmup_steps:
        raise ValueError("warmup_cosine needs 0 <= warmup_steps < total_steps")
    return _WarmupThenCosine(optimizer, warmup_steps, total_steps, min_lr)


class CosineAnnealingWarmRestarts(_ClosedFormSchedule):
    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        if not (T_0 > 0 and T_mult >= 1):
            raise ValueError("need T_0 > 0 and T_mult >= 1")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer)

    def _cycle_start(self, n):
        """The epoch at which cycle n (0-based) starts."""
        return n * self.T_0 if self.T_mult == 1 else self.T_0 * (self.T_mult ** n - 1) // (self.T_mult - 1)

    def _cycle(self, epoch):
        """(index, start, length) of the cycle holding `epoch`."""
        if self.T_mult == 1:
            n = int(epoch // self.T_0)
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            while self._cycle_start(n) > epoch:
                n -= 1
            while self._cycle_start(n + 1) <= epoch:
                n += 1
        return n, self._cycle_start(n), self.T_0 * self.T_mult ** n

    def lr_at(self, epoch, base):
        _, start, length = self._cycle(epoch)
        return self.eta_min + (base - self.eta_min) * math.cos(math.pi * (epoch - start) / length / 2) ** 2
