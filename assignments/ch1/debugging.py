# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Debugging helpers for a training loop: how large are the gradients, which tensors hold NaN or
infinity, and does a tensor have the shape you think it has.

None of them changes its inputs: they only look.
"""
import math

import torch


def grad_global_norm(parameters, norm_type=2.0):
    """The norm of all gradients together, the number `torch.nn.utils.clip_grad_norm_` returns.

    `parameters` is a single tensor or an iterable of tensors (a list, a tuple, or a generator such
    as `model.parameters()`: a generator can be iterated only once). Only their `.grad`s count; a
    parameter whose `.grad` is None is skipped. The norm is taken over every entry of every gradient
    as if they were concatenated into one long vector:

        total = (sum over every entry g of |g| ** p) ** (1 / p)
        total = max over every entry of |g|                  when p is math.inf

    `norm_type` (p) is a positive number (2.0 by default, 1.0, 0.5, 3, ...) or `math.inf`.

    Returns a 0-d tensor on the gradients' device, in their dtype (all gradients share one device
    and one dtype). A NaN in any gradient gives NaN, an infinite entry gives inf. When no parameter
    has a gradient, returns `torch.tensor(0.0)`. The gradients are left as they are.

    Hint: `torch.linalg.vector_norm(g, ord)` computes a p-norm (ord=math.inf: the largest |g|), and
    the norm of the per-gradient norms is the norm of everything together.

    Not allowed here (scores 0): `nn.utils.clip_grad_norm_`, `nn.utils.clip_grad_norm`,
    `nn.utils.clip_grad_value_`, `nn.utils.clip_grads_with_norm_`,
    `nn.utils.get_total_norm`, `nn.utils.clip_grad`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def find_nonfinite(named_tensors):
    """The names of the tensors that hold at least one NaN, +inf or -inf.

    `named_tensors` is an iterable of `(name, tensor)` pairs, like `model.named_parameters()` (a
    generator, which can be iterated only once) or a list of pairs; a dict `{name: tensor}` works
    too. A pair whose tensor is None (a parameter without a gradient, say) is skipped.

    Returns a list of str: the names whose tensor is not entirely finite, in the order they came in
    (not sorted). An empty list when everything is finite.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def check_shape(x, spec, dims=None):
    """Check that tensor `x` has the shape `spec` describes, and return the sizes the names stand for.

    `spec` is a string of space-separated entries, one per dimension of `x`: a name (such as `B`,
    `T`, `hidden`) or a literal size (such as `3`). For example `"B T D"` or `"B 3 H W"`.

    - A literal size must equal that dimension's size.
    - A name binds to a size. If `dims` (a dict `{name: size}` from earlier calls) already holds the
      name, or the name appeared earlier in the same spec, the size must be the bound one; otherwise
      the name is bound to this dimension's size.

    Returns a new dict: the bindings of `dims` (None: no bindings yet) plus those made by this call.
    Literal sizes are not bindings and do not appear in it. Chain calls by passing the returned dict
    on: `dims = check_shape(q, "B T D"); dims = check_shape(k, "B S D", dims)`.

    Raises ValueError when `x` has a different number of dimensions than `spec` has entries, and
    when a size does not match: then the message names the entry (e.g. `hidden`, or the literal), the
    expected size and the actual size, e.g. "dim 'hidden': expected size 64, got 32".
    """
    # YOUR CODE HERE
    raise NotImplementedError()
