"""Loss scaling for mixed-precision training: a `GradScaler` like `torch.amp.GradScaler`.

In float16 small gradients underflow to zero. The fix: multiply the loss by a large scale S
before `backward()` (every gradient is then S times too large, but representable), divide the
gradients by S before the optimizer uses them, and skip the update when the scaled gradients
overflowed to inf or NaN. S adapts: it shrinks after an overflow and grows again after a run of
clean steps. One training iteration with a scaler reads:

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()        # gradients are S times too large
    scaler.unscale_(optimizer)           # optional: only where you need the true gradients
    clip_grad_norm_(model.parameters(), 1.0)   # e.g. clipping, which needs the true gradients
    scaler.step(optimizer)               # unscales (unless done above), steps unless inf/NaN
    scaler.update()                      # adapts S for the next iteration

The scaler works on float32 and float64 gradients alike, on the device it was made for.
"""
import torch


class GradScaler:
    """Dynamic loss scaling, like `torch.amp.GradScaler`.

    `GradScaler(device='cuda', init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)`

    `device` is the device of the gradients it will see ('cpu' or 'cuda'; tests always pass it).
    The scale S starts at `init_scale`. An iteration is everything between two `update()` calls;
    each one calls `step` (and maybe `unscale_` before it) for its optimizers, then `update()`.

    - `scale(outputs)`: returns `outputs * S` (a new tensor of the same shape, dtype and device,
      still part of the autograd graph so that `.backward()` works through it). `outputs` is a
      tensor (torch also accepts lists and tuples of tensors; that is not needed here).
    - `unscale_(optimizer)`: divides, in place, the `.grad` of every parameter of every param
      group of `optimizer` by S (parameters whose `.grad` is None are skipped). Every gradient is
      divided, even when some hold inf or NaN. It also records, for this optimizer, whether any
      gradient held an inf, -inf or NaN (look at the gradients as they were before dividing).
      Calling it a second time for the same optimizer in one iteration raises (RuntimeError in
      torch): the gradients would be divided twice.
    - `step(optimizer, *args, **kwargs)`: calls `unscale_(optimizer)` first unless it was already
      called for this optimizer in this iteration. Then, if inf/NaN was found in this
      optimizer's gradients, it skips the update and returns None; otherwise it returns
      `optimizer.step(*args, **kwargs)`.
    - `update(new_scale=None)`: ends the iteration. Without `new_scale`:
        * if any optimizer had inf/NaN gradients in this iteration: S = S * backoff_factor, and
          the count of clean iterations goes back to 0;
        * otherwise the count goes up by one; when it reaches `growth_interval`,
          S = S * growth_factor and the count goes back to 0.
      With `new_scale` (a Python float, or a 0-d tensor on `device`): S = new_scale and nothing
      else: no backoff or growth, and the count of clean iterations stays as it was (this
      iteration does not count). Either way the per-optimizer records of this iteration are
      cleared, so each optimizer may be unscaled again.
    - `get_scale()`: S, as a Python float.

    Several optimizers may share one scaler: unscale_ and step each of them, then call update()
    once; an optimizer's step is skipped only for inf/NaN in its own gradients, but S backs off
    (once) when any of them had some.

    `enabled=False` turns the scaler into a pass-through: `scale` returns `outputs` unchanged,
    `unscale_` does nothing, `step` just returns `optimizer.step(*args, **kwargs)` (never
    skipped), `update` does nothing and `get_scale()` returns 1.0.

    Hint: keep S as a Python float (torch keeps it as a float32 tensor on `device`; the tests
    use scales that both hold exactly, such as powers of two), and a dict from `id(optimizer)` to
    "was inf/NaN found" for the optimizers unscaled in the current iteration.
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        ### BEGIN SOLUTION
        self.device = device
        self.enabled = enabled
        self._scale = float(init_scale)
        self.growth_factor = growth_factor
        self.backoff_factor = backoff_factor
        self.growth_interval = growth_interval
        self._clean_steps = 0
        self._found_inf = {}   # id(optimizer) -> inf/NaN found, for optimizers unscaled this iteration
        ### END SOLUTION

    def scale(self, outputs):
        """`outputs * S` (or `outputs` itself when disabled)."""
        ### BEGIN SOLUTION
        if not self.enabled:
            return outputs
        return outputs * self._scale
        ### END SOLUTION

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by S in place and record whether any held inf/NaN."""
        ### BEGIN SOLUTION
        if not self.enabled:
            return
        if id(optimizer) in self._found_inf:
            raise RuntimeError("unscale_() was already called for this optimizer since the last update()")
        found_inf = False
        with torch.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if not torch.isfinite(p.grad).all():
                        found_inf = True
                    p.grad.div_(self._scale)
        self._found_inf[id(optimizer)] = found_inf
        ### END SOLUTION

    def step(self, optimizer, *args, **kwargs):
        """Unscale if not yet done; `optimizer.step(*args, **kwargs)` unless inf/NaN was found."""
        ### BEGIN SOLUTION
        if not self.enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._found_inf:
            self.unscale_(optimizer)
        if self._found_inf[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)
        ### END SOLUTION

    def update(self, new_scale=None):
        """Back off after inf/NaN, grow after `growth_interval` clean iterations, or set `new_scale`."""
        ### BEGIN SOLUTION
        if not self.enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._found_inf.values()):
            self._scale *= self.backoff_factor
            self._clean_steps = 0
        else:
            self._clean_steps += 1
            if self._clean_steps == self.growth_interval:
                self._scale *= self.growth_factor
                self._clean_steps = 0
        self._found_inf = {}
        ### END SOLUTION

    def get_scale(self):
        """The current scale S as a Python float (1.0 when disabled)."""
        ### BEGIN SOLUTION
        return self._scale if self.enabled else 1.0
        ### END SOLUTION
