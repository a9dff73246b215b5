"""Learning-rate schedules: linear warmup then cosine decay, and cosine annealing with warm restarts.

Both exercises are schedulers in torch's sense: objects built on an optimizer that set each param
group's `"lr"` as training goes. Build them on the base class
`torch.optim.lr_scheduler.LRScheduler` (allowed; torch's ready-made schedulers are not). What the
base class does for you:

- `__init__(optimizer)` stores `self.optimizer`, gives every param group an `"initial_lr"` (its
  `"lr"` at that moment, unless the group has one already) and keeps those in `self.base_lrs`, one
  per group. Then it calls `self.step()` once, so the optimizer already holds the LR of step 0 when
  the constructor returns. Set your own attributes *before* calling `super().__init__(optimizer)`:
  that first `step()` already needs them.
- `step()` adds 1 to `self.last_epoch` (-1 before that first call, so 0 after construction, 1
  after the first `scheduler.step()` of training, ...), asks `self.get_lr()` for one LR per param
  group and writes them into the groups' `"lr"`. Override `get_lr()` and you are done.
- `get_last_lr()` returns the LRs the last step set (a list, one per group); `state_dict()` saves
  every attribute of the scheduler but `self.optimizer` and `load_state_dict()` puts them back.
  So keep the schedule's whole state as attributes of `self` (and no second reference to the
  optimizer or its param groups: it would be saved and loaded too): a `state_dict()` taken in the
  middle of a run and loaded into a fresh scheduler (fresh optimizer, same arguments) must
  continue exactly.

LRs are Python floats, computed in float64 (`math.cos`, `math.pi`). "base" below is a group's
initial LR (`self.base_lrs`), never its current `"lr"`, which the schedule itself overwrites.
"""
import math

from torch.optim.lr_scheduler import LRScheduler


class _WarmupCosine(LRScheduler):
    """The scheduler `warmup_cosine` returns (a suggested helper: you may build it differently)."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr):
        ### BEGIN SOLUTION
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        super().__init__(optimizer)
        ### END SOLUTION

    def get_lr(self):
        """The LR of step `self.last_epoch`, one per param group."""
        ### BEGIN SOLUTION
        return [self.lr_at(self.last_epoch, base) for base in self.base_lrs]
        ### END SOLUTION

    def lr_at(self, t, base):
        """The LR at step `t` of a group whose initial LR is `base`."""
        ### BEGIN SOLUTION
        warmup, total, low = self.warmup_steps, self.total_steps, self.min_lr
        if t < warmup:
            return base * (t + 1) / warmup
        if t > total:
            return low
        progress = (t - warmup) / (total - warmup)
        return low + (base - low) * (1 + math.cos(math.pi * progress)) / 2
        ### END SOLUTION


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr=0.0):
    """A scheduler of linear warmup followed by cosine decay to `min_lr`, held there after the end.

    Returns an `LRScheduler` (a subclass of `torch.optim.lr_scheduler.LRScheduler`) on `optimizer`.
    With W = `warmup_steps`, `total` = `total_steps`, `base` each param group's initial LR and
    t the number of `scheduler.step()` calls so far (0 right after construction), the LR of every
    group at step t is

        base * (t + 1) / W                                                    for t < W
        min_lr + (base - min_lr) * (1 + cos(pi * (t - W) / (total - W))) / 2   for W <= t <= total
        min_lr                                                                for t > total

    So warmup climbs to base/W, 2*base/W, ..., base (reached at t = W - 1 and again at t = W), the
    cosine then falls to exactly `min_lr` at t = total, and the LR stays `min_lr` for every step
    after that. `min_lr` is one absolute LR, the same for every group (not a fraction of `base`).
    `warmup_steps=0` means no warmup: the cosine starts at t = 0 with LR = base.

    After construction and after each `step()`, `optimizer.param_groups[i]["lr"]` and
    `get_last_lr()[i]` both hold the LR of step t for group i. Requires
    `0 <= warmup_steps < total_steps` (ValueError otherwise).

    Hint: a subclass of the base class that overrides `get_lr()` (see the module docstring);
    `self.last_epoch` is t.
    """
    ### BEGIN SOLUTION
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
    return _WarmupCosine(optimizer, warmup_steps, total_steps, min_lr)
    ### END SOLUTION


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR), like `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`.

    `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0.0)`

    The epochs are cut into cycles: the first lasts `T_0` epochs, each next one `T_mult` times as
    long as the one before (T_0, T_0*T_mult, T_0*T_mult**2, ...). At epoch `e` (a float: fractions
    of an epoch are allowed), with `T_i` the length of the cycle that holds `e` and `T_cur` how far
    into it `e` is (0 <= T_cur < T_i), each group's LR is

        eta_min + (base - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    with `base` the group's initial LR. At the start of every cycle (T_cur = 0) the LR jumps back
    to `base` (the warm restart); within a cycle it decays towards `eta_min`. Example with
    T_0=2, T_mult=2: cycles [0, 2), [2, 6), [6, 14), ...; epoch 7.5 has T_i = 8, T_cur = 1.5.

    - After construction the epoch is 0 (the LR is `base`).
    - `step()` moves one epoch on: e becomes e + 1, also after a fractional `step(epoch)`.
    - `step(epoch)` sets e = `epoch` directly: any number >= 0, fractional, and also smaller than
      the current one (going back is allowed: the LR is a function of the epoch alone).
    - `get_last_lr()` and each group's `"lr"` hold the LR of the current epoch.
    - `state_dict()` / `load_state_dict()` round trip as in the module docstring (also right after
      a fractional `step(epoch)`).

    Hint: the base class's `step(epoch)` works but warns that the argument is deprecated; you may
    override `step` instead. The base class's `get_last_lr()` returns `self._last_lr`: an
    overriding `step` sets it (or overrides `get_last_lr()` too).

    Invalid arguments raise ValueError: `T_0 <= 0`, `T_mult < 1`. (torch also wants both to be
    ints; tests pass ints.)
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        ### BEGIN SOLUTION
        if T_0 <= 0:
            raise ValueError(f"T_0 must be positive, got {T_0}")
        if T_mult < 1:
            raise ValueError(f"T_mult must be >= 1, got {T_mult}")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer)
        ### END SOLUTION

    def step(self, epoch=None):
        """One epoch on (no argument), or straight to `epoch` (a float >= 0)."""
        ### BEGIN SOLUTION
        if epoch is not None and epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self._last_lr = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr
        ### END SOLUTION

    def get_lr(self):
        """The LR of epoch `self.last_epoch`, one per param group."""
        ### BEGIN SOLUTION
        T_cur, T_i = self.last_epoch, self.T_0
        while T_cur >= T_i:          # walk past every finished cycle
            T_cur -= T_i
            T_i *= self.T_mult
        cosine = (1 + math.cos(math.pi * T_cur / T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
        ### END SOLUTION
