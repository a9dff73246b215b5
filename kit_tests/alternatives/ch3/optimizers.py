"""A differently written correct ch3/optimizers.py (kit_tests/test_chapters.py gives it full marks).

Written otherwise than the solution: one shared base class whose step() walks the parameters that
have a gradient and hands each to a per-class `update`; in-place torch ops (lerp_, addcmul_,
addcdiv_); step counts kept as float64 tensors; Adam's bias corrections folded into the step
size and eps (lr*sqrt(bc2)/bc1 * m / (sqrt(v) + eps*sqrt(bc2)), the same number exactly in
real arithmetic); AdamW is the same class as Adam with a flag."""
import math

import torch


class _Stepper(torch.optim.Optimizer):
    def __init__(self, params, defaults, nonnegative=()):
        for key in nonnegative:
            if not defaults[key] >= 0:
                raise ValueError(f"{key} must be non-negative, got {defaults[key]}")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for p in filter(lambda q: q.grad is not None, group["params"]):
                    grad = p.grad.neg() if group["maximize"] else p.grad.clone()
                    self.update(p, grad, group, self.state[p])
        return loss


class SGD(_Stepper):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        if nesterov and not (momentum > 0 and dampening == 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize},
                         ("lr", "momentum", "weight_decay"))

    def update(self, p, grad, group, state):
        grad.add_(p, alpha=group["weight_decay"])
        mu = group["momentum"]
        if mu:
            if state.get("buf") is None:
                state["buf"] = grad.clone()
            else:
                state["buf"].mul_(mu).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(state["buf"], alpha=mu) if group["nesterov"] else state["buf"]
        p.sub_(grad, alpha=group["lr"])


class RMSprop(_Stepper):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum, "centered": centered, "maximize": maximize},
                         ("lr", "alpha", "eps", "weight_decay", "momentum"))

    def update(self, p, grad, group, state):
        grad.add_(p, alpha=group["weight_decay"])
        for key in ("sq", "mean", "buf"):
            state.setdefault(key, torch.zeros_like(p))
        a = group["alpha"]
        state["sq"].mul_(a).addcmul_(grad, grad, value=1 - a)
        var = state["sq"]
        if group["centered"]:
            state["mean"].lerp_(grad, 1 - a)
            var = torch.addcmul(state["sq"], state["mean"], state["mean"], value=-1)
        denom = var.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            state["buf"].mul_(group["momentum"]).addcdiv_(grad, denom)
            p.sub_(group["lr"] * state["buf"])
        else:
            p.addcdiv_(grad, denom, value=-group["lr"])


class Adam(_Stepper):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False):
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize}, ("lr", "eps", "weight_decay"))

    def update(self, p, grad, group, state):
        lr, wd = group["lr"], group["weight_decay"]
        if self.decoupled:
            p.mul_(1 - lr * wd)
        else:
            grad.add_(p, alpha=wd)
        if "t" not in state:
            state["t"] = torch.zeros((), dtype=torch.float64)
            state["m"], state["v"], state["vmax"] = (torch.zeros_like(p) for _ in range(3))
        state["t"] += 1
        t = int(state["t"].item())
        b1, b2 = group["betas"]
        state["m"].lerp_(grad, 1 - b1)
        state["v"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        v = state["v"]
        if group["amsgrad"]:
            v = torch.maximum(state["vmax"], v, out=state["vmax"])
        root_bc2 = math.sqrt(1 - b2 ** t)
        p.addcdiv_(state["m"], v.sqrt().add_(group["eps"] * root_bc2), value=-lr * root_bc2 / (1 - b1 ** t))


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
