# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
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

    Not allowed here (scores 0): `torch.optim.SGD`, `torch.optim.RMSprop`,
    `torch.optim.Adam`, `torch.optim.AdamW`, `torch.optim.Adagrad`, `torch.optim.Adadelta`,
    `torch.optim.Adamax`, `torch.optim.NAdam`, `torch.optim.RAdam`, `torch.optim.ASGD`,
    `torch.optim.Rprop`, `torch.optim.LBFGS`, `torch.optim.SparseAdam`,
    `torch.optim.Adafactor`, `torch.optim._functional`, `torch.optim.sgd`,
    `torch.optim.rmsprop`, `torch.optim.adam`, `torch.optim.adamw`, `torch._fused_sgd_`,
    `torch._fused_adam_`, `torch._fused_adamw_`.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        # YOUR CODE HERE
        raise NotImplementedError()

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        # YOUR CODE HERE
        raise NotImplementedError()


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

    Not allowed here (scores 0): `torch.optim.SGD`, `torch.optim.RMSprop`,
    `torch.optim.Adam`, `torch.optim.AdamW`, `torch.optim.Adagrad`, `torch.optim.Adadelta`,
    `torch.optim.Adamax`, `torch.optim.NAdam`, `torch.optim.RAdam`, `torch.optim.ASGD`,
    `torch.optim.Rprop`, `torch.optim.LBFGS`, `torch.optim.SparseAdam`,
    `torch.optim.Adafactor`, `torch.optim._functional`, `torch.optim.sgd`,
    `torch.optim.rmsprop`, `torch.optim.adam`, `torch.optim.adamw`, `torch._fused_sgd_`,
    `torch._fused_adam_`, `torch._fused_adamw_`.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        # YOUR CODE HERE
        raise NotImplementedError()

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        # YOUR CODE HERE
        raise NotImplementedError()


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

    Not allowed here (scores 0): `torch.optim.SGD`, `torch.optim.RMSprop`,
    `torch.optim.Adam`, `torch.optim.AdamW`, `torch.optim.Adagrad`, `torch.optim.Adadelta`,
    `torch.optim.Adamax`, `torch.optim.NAdam`, `torch.optim.RAdam`, `torch.optim.ASGD`,
    `torch.optim.Rprop`, `torch.optim.LBFGS`, `torch.optim.SparseAdam`,
    `torch.optim.Adafactor`, `torch.optim._functional`, `torch.optim.sgd`,
    `torch.optim.rmsprop`, `torch.optim.adam`, `torch.optim.adamw`, `torch._fused_sgd_`,
    `torch._fused_adam_`, `torch._fused_adamw_`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False):
        # YOUR CODE HERE
        raise NotImplementedError()

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        # YOUR CODE HERE
        raise NotImplementedError()


class AdamW(torch.optim.Optimizer):
    """AdamW, like `torch.optim.AdamW`: Adam with decoupled weight decay.

    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)`

    The same as `Adam` except for the weight decay (note the default 1e-2). It is not added to the
    gradient; instead each step first shrinks the parameter,

        p = p * (1 - lr * weight_decay)

    and then does Adam's update with the plain gradient g (no `weight_decay * p` term in m or v).
    State: as Adam's.

    Not allowed here (scores 0): `torch.optim.SGD`, `torch.optim.RMSprop`,
    `torch.optim.Adam`, `torch.optim.AdamW`, `torch.optim.Adagrad`, `torch.optim.Adadelta`,
    `torch.optim.Adamax`, `torch.optim.NAdam`, `torch.optim.RAdam`, `torch.optim.ASGD`,
    `torch.optim.Rprop`, `torch.optim.LBFGS`, `torch.optim.SparseAdam`,
    `torch.optim.Adafactor`, `torch.optim._functional`, `torch.optim.sgd`,
    `torch.optim.rmsprop`, `torch.optim.adam`, `torch.optim.adamw`, `torch._fused_sgd_`,
    `torch._fused_adam_`, `torch._fused_adamw_`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False):
        # YOUR CODE HERE
        raise NotImplementedError()

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns `closure()`'s loss or None."""
        # YOUR CODE HERE
        raise NotImplementedError()
