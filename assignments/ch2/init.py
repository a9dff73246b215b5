# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Weight initialization by hand: gains, fans, Xavier (Glorot) and Kaiming (He).

The same API as `torch.nn.init` (whose functions you may not use here).

Fans of a weight tensor `w` with at least 2 dimensions, as torch computes them:
    receptive_field = product of w.shape[2:]   (1 for a 2-D weight)
    fan_in  = w.shape[1] * receptive_field
    fan_out = w.shape[0] * receptive_field
so an `nn.Linear` weight `[out, in]` has fan_in = in, fan_out = out, and a conv
weight `[out, in/groups, kh, kw]` has fan_in = (in/groups)*kh*kw and
fan_out = out*kh*kw. Any number of kernel dims works (conv1d `[out, in, k]`,
conv3d `[out, in, kd, kh, kw]`). A tensor with fewer than 2 dimensions has no
fans: raise ValueError.

The `*_` functions fill `tensor` in place and return that same tensor object
(not a copy): shape, dtype, device and storage stay as they were. They work
for float32 and float64 tensors on any device, for non-contiguous tensors
(e.g. a transposed view) and for tensors that require grad (parameters): fill
them under `torch.no_grad()`.

Randomness: draw every random number from `generator` (a `torch.Generator` on
the tensor's device). With `generator=None` draw from torch's default (global)
generator, as torch does, so `torch.manual_seed` makes the result reproducible.
The tests check the range and statistics of the values, not one particular
order of draws: any correct way of drawing passes (`Tensor.uniform_` and
`Tensor.normal_` both take `generator=`).
"""
import math

import torch


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (`nn.functional` name), as a float.

    | nonlinearity                                    | gain                                |
    | 'linear', 'conv1d', 'conv2d', 'conv3d',         | 1                                   |
    | 'conv_transpose1d', 'conv_transpose2d',         |                                     |
    | 'conv_transpose3d', 'sigmoid'                   |                                     |
    | 'tanh'                                          | 5 / 3                               |
    | 'relu'                                          | sqrt(2)                             |
    | 'leaky_relu'                                    | sqrt(2 / (1 + negative_slope**2))   |
    | 'selu'                                          | 3 / 4                               |

    `param` is only used by 'leaky_relu': it is the negative slope (an int or
    float; None means the default slope 0.01; a bool or anything else raises
    ValueError). The other nonlinearities ignore `param`. Names are
    case-sensitive; any other name raises ValueError.

    Return the gains at full float precision (`math.sqrt(2.0)`, `5 / 3`, not
    1.414 or 1.667): they are compared with torch's to about 1e-7 relative.

    Not allowed here (scores 0): `nn.init`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def _calculate_fan_in_and_fan_out(tensor):
    """`(fan_in, fan_out)` of a weight tensor, as two ints (see the module docstring).

    Raises ValueError if `tensor` has fewer than 2 dimensions. A helper for the
    four initializers below (not graded on its own; the tests only call those).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Xavier/Glorot uniform init: fill `tensor` in place from U(-a, a), return it.

    `a = gain * sqrt(6 / (fan_in + fan_out))` (that is `sqrt(3)` times the
    standard deviation `gain * sqrt(2 / (fan_in + fan_out))`).
    Fewer than 2 dimensions raises ValueError.

    Not allowed here (scores 0): `nn.init`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Xavier/Glorot normal init: fill `tensor` in place from N(0, std**2), return it.

    `std = gain * sqrt(2 / (fan_in + fan_out))`.
    Fewer than 2 dimensions raises ValueError.

    Not allowed here (scores 0): `nn.init`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Kaiming/He uniform init: fill `tensor` in place from U(-bound, bound), return it.

    `bound = gain * sqrt(3 / fan)` (`sqrt(3)` times the standard deviation
    `gain / sqrt(fan)`), where
      - `fan` is fan_in for `mode='fan_in'` (keeps the variance of the forward
        pass) and fan_out for `mode='fan_out'` (of the backward pass); any other
        mode raises ValueError;
      - `gain = calculate_gain(nonlinearity, a)`: `a` is the negative slope of a
        'leaky_relu' and is ignored by the other nonlinearities. The defaults
        (a=0, 'leaky_relu') give sqrt(2), the ReLU gain. An unknown
        nonlinearity raises ValueError.
    A tensor with no elements (a 0 in its shape) is returned as it is, before
    any other check (torch also warns; you need not). Otherwise fewer than
    2 dimensions raises ValueError.

    Not allowed here (scores 0): `nn.init`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Kaiming/He normal init: fill `tensor` in place from N(0, std**2), return it.

    `std = gain / sqrt(fan)`, with `fan` and `gain` as in `kaiming_uniform_`
    (the same arguments, errors and the same rule for tensors with no elements).

    Not allowed here (scores 0): `nn.init`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()

