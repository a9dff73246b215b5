"""Alternative GradScaler, written the way torch keeps its state: the scale as a float32 tensor
on the device and the count of clean iterations as an int64 tensor, the inf/NaN flags as bool
tensors (read only when step must decide), the unscaling as a multiplication by the reciprocal
computed in float64, update() without Python branches on the flags (torch.where), and the
per-iteration records as a list of (optimizer, flag) pairs matched by identity."""
import torch


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._enabled = enabled
        self._device = torch.device(device)
        self._s = torch.full((), init_scale, dtype=torch.float32, device=self._device)
        self._count = torch.zeros((), dtype=torch.int64, device=self._device)
        self._growth, self._backoff, self._interval = growth_factor, backoff_factor, growth_interval
        self._unscaled = []   # (optimizer, found-inf flag tensor) for this iteration

    def _record(self, optimizer):
        for opt, flag in self._unscaled:
            if opt is optimizer:
                return flag
        return None

    def scale(self, outputs):
        if self._enabled:
            return outputs * self._s.to(device=outputs.device, dtype=outputs.dtype)
        return outputs

    def unscale_(self, optimizer):
        if not self._enabled:
            return None
        if self._record(optimizer) is not None:
            raise RuntimeError("this optimizer was unscaled already in this iteration")
        inv = self._s.double().reciprocal()
        flag = torch.zeros((), dtype=torch.bool, device=self._device)
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        with torch.no_grad():
            for grad in grads:
                flag = flag | (~torch.isfinite(grad)).any().to(self._device)
                grad.mul_(inv.to(device=grad.device, dtype=grad.dtype))
        self._unscaled.append((optimizer, flag))
        return None

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        flag = self._record(optimizer)
        if flag is None:
            self.unscale_(optimizer)
            flag = self._record(optimizer)
        return None if bool(flag) else optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        if not self._enabled:
            return
        if new_scale is None:
            bad = torch.zeros((), dtype=torch.bool, device=self._device)
            for _, flag in self._unscaled:
                bad = bad | flag
            count = torch.where(bad, torch.zeros_like(self._count), self._count + 1)
            grow = count >= self._interval
            factor = torch.where(bad, self._backoff, torch.where(grow, self._growth, 1.0))
            self._s = self._s * factor.to(torch.float32)
            self._count = torch.where(grow, torch.zeros_like(count), count)
        elif isinstance(new_scale, torch.Tensor):
            self._s = new_scale.detach().reshape(()).to(device=self._device, dtype=torch.float32)
        else:
            self._s = torch.full((), new_scale, dtype=torch.float32, device=self._device)
        self._unscaled = []

    def get_scale(self):
        return float(self._s) if self._enabled else 1.0
