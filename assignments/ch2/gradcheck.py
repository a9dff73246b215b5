# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Gradient checking: compare autograd's gradients with finite differences.

A backward pass written by hand (or a custom `torch.autograd.Function`) is easy
to get subtly wrong. Finite differences need nothing but the forward function,
so they are the standard way to test it:

    d f / d x_i  ~=  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)     (central differences)

where `e_i` is 1 at element `i` and 0 elsewhere. The error of this formula is of
order eps**2 (a one-sided difference `(f(x + eps e_i) - f(x)) / eps` is only of
order eps), but rounding errors grow like 1/eps: run gradient checks in
float64, where eps = 1e-6 is a good step (in float32 it is below the resolution
of most numbers).

Do not use autograd in `numerical_gradient` (`torch.autograd`, `torch.func`, torch's
own numerical Jacobians): the point is an independent estimate (the functions it is
tested on may have a wrong backward, or none). `gradcheck` may not call
`torch.autograd.gradcheck` (or `gradgradcheck`); it uses `torch.autograd.grad`.
"""
import itertools

import torch


def numerical_gradient(f, x, eps=1e-6):
    """Gradient of the scalar function `f` at `x` by central differences.

    Args:
        f: a callable taking one tensor shaped like `x` and returning a scalar:
            a Python number or a tensor with one element.
        x: a tensor of any shape (0-d included), on any device, float64 for
            meaningful results (float32 works the same way, with a larger eps).
            It may be non-contiguous (e.g. a transposed matrix) and may have
            `requires_grad=True`.
        eps: the step.

    Returns:
        A new tensor with the shape, dtype and device of `x` (not requiring
        grad) whose element `i` is `(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`.
        The perturbed inputs `x +- eps e_i` have the dtype of `x`; take the
        difference of the two values of `f` in float64 (Python floats are).

    `x` itself is unchanged afterwards, value for value. Perturb a copy
    (`x.detach().clone()`), or save each element and put the saved value back:
    adding eps and subtracting it again need not give the same float back.
    `f` is called at the two points above for each element of `x` (an extra call,
    e.g. at `x` itself, does no harm); every tensor it gets has x's shape, dtype
    and device.

    Not allowed here (scores 0): `torch.autograd.gradcheck`,
    `torch.autograd.gradcheck.get_numerical_jacobian`,
    `torch.autograd.gradcheck.get_numerical_jacobian_wrt_specific_input`,
    `torch.autograd.gradcheck._get_numerical_jacobian`, `torch.autograd.functional`,
    `torch.func`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def relative_error(a, b):
    """The largest elementwise relative error between tensors `a` and `b`.

    `max over elements of |a - b| / max(1e-8, |a| + |b|)`, returned as a Python
    float. The floor 1e-8 keeps elements where both are (nearly) zero from
    dividing by zero: two zeros give 0, not NaN. `a` and `b` have the same shape
    (any shape, 0-d included, at least one element), device and dtype; they are
    not modified. Compute in their dtype (or in float64): for float64 inputs the
    result is compared at float64 precision (about 1e-7 relative).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check autograd's gradients of `f(*inputs)` against finite differences.

    Args:
        f: a callable; `f(*inputs)` returns one tensor of any shape.
        inputs: a tuple or list of tensors (a single tensor means `(tensor,)`).
            Only the inputs with `requires_grad=True` are checked; the others
            are held fixed. Use float64 inputs.
        eps: the step of the central differences.
        atol, rtol: the tolerances below.

    For every input `x` with `requires_grad`, compare two Jacobians of shape
    `[out.numel(), x.numel()]` (rows: output elements, columns: elements of x):
      - analytical: row k is the gradient of output element k w.r.t. x by
        autograd (`torch.autograd.grad`, one call per output element; use
        `allow_unused=True`: an input the output does not depend on has a zero
        Jacobian, and so does every input when the output does not require grad);
      - numerical: row k is `numerical_gradient` of output element k as a
        function of x (the other inputs fixed), with this `eps`.
    The check passes when `|analytical - numerical| <= atol + rtol * |numerical|`
    for every element of every checked input's Jacobian (NaN never passes).

    Returns:
        True when the check passes, else False. It returns False rather than
        raising: when no input requires grad, when `f` or its backward raises,
        or when the Jacobians differ.

    The inputs are not modified (values and `requires_grad`); the `.grad` of
    the inputs is not needed (use `torch.autograd.grad`, not `.backward()`).

    Not allowed here (scores 0): `torch.autograd.gradcheck`, `torch.autograd.gradgradcheck`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
