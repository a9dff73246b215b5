# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Gradient clipping, as `torch.nn.utils` has it: rescale all gradients together so that their
global norm is at most `max_norm`, or clamp every gradient entry to `[-clip_value, clip_value]`.

Rules shared by both:

- `parameters` is a single tensor or an iterable of tensors (a list, a tuple, or a generator
  such as `model.parameters()`: a generator can be iterated only once, so make a list first).
- Only the gradients are touched: for each parameter `p`, its `p.grad`. A parameter whose `.grad`
  is None is skipped. The parameters themselves never change.
- The gradients are modified in place (`g.mul_(...)`, `g.clamp_(...)`): after the call each
  `p.grad` is the same tensor object as before, holding the new values. Work under
  `torch.no_grad()`.
- Gradients are float32 or float64 on any device (all of them on one device, in one dtype);
  compute in their dtype, and make any new tensor on their device.
"""
import torch


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients by one common factor so that their total norm is at most `max_norm`.

    The total norm is the `norm_type`-norm of all gradient entries of all parameters together, as
    if they were concatenated into one long vector:

        total = (sum over every entry x of every gradient of |x| ** p) ** (1 / p)
        total = max over every entry of |x|                          when p is math.inf

    `norm_type` (p) is a positive number: 2.0 (the default), 1.0, a fraction such as 0.5, or
    `math.inf` / `float("inf")`.

    Then every gradient is multiplied, in place, by

        coef = min(max_norm / (total + 1e-6), 1.0)

    so gradients are only ever scaled down (the 1e-6 keeps the division safe when total is 0).
    Do this as torch does, with tensor operations and always multiplying by the clamped
    coefficient (`torch.clamp(coef, max=1.0)`): then a NaN total gives a NaN coefficient and every
    gradient turns NaN, and an infinite total gives coef 0 (finite entries become 0, infinite ones
    NaN). (An `if coef < 1:` test agrees with this except for a NaN total: NaN < 1 is False.)

    With `error_if_nonfinite=True`, a total that is NaN or ±inf raises an error instead, before any
    gradient is touched.

    Returns the total norm computed BEFORE clipping, as a 0-d tensor on the gradients' device in
    their dtype. When no parameter has a gradient, returns `torch.tensor(0.0)` and changes nothing.

    Hint: `torch.linalg.vector_norm(t, ord)` computes a p-norm (ord=math.inf: max of |t|); the norm
    of the per-gradient norms is the norm of everything together.

    Not allowed here (scores 0): `nn.utils.clip_grad_norm_`, `nn.utils.clip_grad_norm`,
    `nn.utils.clip_grad_value_`, `nn.utils.clip_grads_with_norm_`,
    `nn.utils.get_total_norm`, `nn.utils.clip_grad`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry, in place, to the range `[-clip_value, clip_value]`.

    `clip_value` is a positive number. Entries inside the range are left as they are; ±inf
    becomes ±clip_value; NaN stays NaN. Returns None.

    Not allowed here (scores 0): `nn.utils.clip_grad_norm_`, `nn.utils.clip_grad_norm`,
    `nn.utils.clip_grad_value_`, `nn.utils.clip_grads_with_norm_`,
    `nn.utils.get_total_norm`, `nn.utils.clip_grad`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
