"""Optimizers by hand: SGD, RMSprop, Adam and AdamW, as `torch.optim` has them.

Each exercise is a subclass of `torch.optim.Optimizer` (the base class is allowed: it keeps
`self.param_groups`, `self.state`, `zero_grad`, `state_dict` and `load_state_dict` for you).
What you write is `__init__` (check the arguments, then call
`super().__init__(params, defaults)` with a dict of the defaults) and `step()`.

Rules shared by all four:

- `params` is an iterable of tensors, or a list of dicts (param groups), each with its own
  `params` and any hyperparameter that overrides the defaults. Read the hyperparameters from
  each group inside `step()` (`group["lr"]`, ...), never from `self` or from `__init__`'s
  arguments: a group may differ from the defaults, and a test may change `group["lr"]` between
  steps.
- `step(closure=None)` updates every parameter in place (`p.add_(...)`, `p.mul_(...)`, or
  `p.copy_(...)`) under `torch.no_grad()`, from its `.grad`. A parameter whose `.grad` is None is
  skipped: no update and no state for it. If `closure` is given, call it once (with grad enabled)
  before the update and return its result; otherwise return None.
- Per-parameter state lives in `self.state[p]` (a dict), made on the first step that the
  parameter has a gradient, with tensors on the parameter's device and dtype
  (`torch.zeros_like(p)`). Compute in the parameter's dtype. A `state_dict()` taken in the middle
  of a run and loaded with `load_state_dict` into a fresh optimizer of the same class (same
  groups, parameters with the same values) must continue exactly as the first one would have.
  What you keep in the state and with which types (an int or a tensor step count) is up to you.
- `maximize=True`: go uphill, i.e. use `-grad` in place of the gradient everywhere below.
  The parameter's `.grad` itself is never modified.
- Invalid arguments raise ValueError: a negative `lr`, `eps`, `weight_decay`, `momentum` or
  `alpha`, a beta outside `[0, 1)`, and (SGD) `nesterov=True` without momentum or with dampening.

In the formulas, `g` is the gradient (negated when maximizing), `p` the parameter, `t` the step
count of the parameter: 1 on its first update, 2 on the second, and so on.
"""
import torch


def _check(**values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"invalid {name}: {value} (must be >= 0)")


class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with optional momentum, like `torch.optim.SGD`.

    `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)`

    Each step, for each parameter with a gradient:

        g = g + weight_decay * p                      (only if weight_decay != 0)
        if momentum != 0:
            b = g                                     on the parameter's first step (no dampening!)
            b = momentum * b + (1 - dampening) * g    on every later step
            g = g + momentum * b   if nesterov  else   g = b
        p = p - lr * g

    State: the momentum buffer `b` (only when momentum != 0). `nesterov=True` needs
    `momentum > 0` and `dampening == 0` (ValueError otherwise).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        ### BEGIN SOLUTION
        _check(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening == 0")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = g.clone()
                        state["momentum_buffer"] = buf
                    else:
                        buf = state["momentum_buffer"]
                        buf.mul_(momentum).add_((1 - dampening) * g)
                    if group["nesterov"]:
                        g = g + momentum * buf
                    else:
                        g = buf
                p.add_(-lr * g)
        return loss
        ### END SOLUTION


class RMSprop(torch.optim.Optimizer):
    """RMSprop, like `torch.optim.RMSprop`.

    `RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *, maximize=False)`

    Each step, for each parameter with a gradient (v, m and b start at zero):

        g = g + weight_decay * p                      (only if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g           running mean of the squared gradient
        if centered:
            m = alpha * m + (1 - alpha) * g           running mean of the gradient
            d = sqrt(v - m * m) + eps
        else:
            d = sqrt(v) + eps                         eps is added outside the square root
        if momentum > 0:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d

    State: `v`, plus `m` when centered and `b` when momentum > 0. No bias correction.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        ### BEGIN SOLUTION
        _check(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = torch.zeros_like(p)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = torch.zeros_like(p)
                v = state["square_avg"]
                v.mul_(alpha).add_((1 - alpha) * g * g)
                if group["centered"]:
                    m = state["grad_avg"]
                    m.mul_(alpha).add_((1 - alpha) * g)
                    d = (v - m * m).sqrt() + eps
                else:
                    d = v.sqrt() + eps
                if group["momentum"] > 0:
                    b = state["momentum_buffer"]
                    b.mul_(group["momentum"]).add_(g / d)
                    p.add_(-lr * b)
                else:
                    p.add_(-lr * g / d)
        return loss
        ### END SOLUTION


class Adam(torch.optim.Optimizer):
    """Adam, like `torch.optim.Adam`: weight decay is L2, added to the gradient.

    `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)`

    Each step, for each parameter with a gradient (m, v and v_max start at zero, t counts from 1):

        g = g + weight_decay * p                      (only if weight_decay != 0: coupled L2)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if amsgrad:
            v_max = max(v_max, v)                     elementwise; use v_max in place of v below
        m_hat = m / (1 - beta1 ** t)                  bias correction, t = 1 on the first step
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)      eps is added outside the square root

    State: the step count t, m, v, and v_max when amsgrad (the maximum of the raw v so far, the
    bias correction is applied after taking the maximum).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False):
        ### BEGIN SOLUTION
        _check(lr=lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid betas: {betas}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_((1 - beta1) * g)
                v.mul_(beta2).add_((1 - beta2) * g * g)
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                p.add_(-lr * m_hat / (v_hat.sqrt() + eps))
        return loss
        ### END SOLUTION


class AdamW(torch.optim.Optimizer):
    """AdamW, like `torch.optim.AdamW`: Adam with decoupled weight decay.

    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)`

    The same as `Adam` except for the weight decay (note the default 1e-2). It is not added to the
    gradient; instead each step first shrinks the parameter,

        p = p * (1 - lr * weight_decay)

    and then does Adam's update with the plain gradient g (no `weight_decay * p` term in m or v).
    State: as Adam's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False):
        ### BEGIN SOLUTION
        _check(lr=lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid betas: {betas}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                p.mul_(1 - lr * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_((1 - beta1) * g)
                v.mul_(beta2).add_((1 - beta2) * g * g)
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                p.add_(-lr * m_hat / (v_hat.sqrt() + eps))
        return loss
        ### END SOLUTION
