# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Activation functions and their backward passes, by hand.

Every function takes tensors of any shape, on any device, in float32 or float64,
and returns a new tensor of the same shape, dtype and device. The inputs are
never modified.

A backward function `<name>_backward(grad_output, x, ...)` returns the gradient
of the loss with respect to `x`, given `grad_output`, the gradient with respect
to the activation's output `<name>(x, ...)`: by the chain rule, the elementwise
product of `grad_output` and the local derivative at `x`.

Not allowed: in each forward function its torch counterpart (`relu`: `torch.relu`,
`F.relu`, `nn.ReLU`; likewise `F.leaky_relu`, `torch.sigmoid`/`F.sigmoid`/
`torch.special.expit`, `torch.tanh`/`F.tanh`, `F.gelu`, `F.silu` and their `nn`
modules); in the backward functions autograd (`torch.autograd`, `.backward()`,
`torch.func`) and torch's backward kernels (`torch.ops.aten.*_backward`). Everything
else in torch is allowed (`torch.exp`, `torch.erf`, `torch.where`, ...), and so are
your own functions of this module.

Precision: compute in the input's dtype (float64 stays float64 throughout, no
float32 intermediates) with constants at full precision (`math.sqrt(2 / math.pi)`,
`1 / math.sqrt(2 * math.pi)`, not rounded literals such as 0.7978846): float64
results are compared with torch's at float64 precision (about 1e-7 relative).
The tanh approximation's 0.044715 is exact: it is part of its definition.
"""
import math

import torch


def relu(x):
    """ReLU: `max(x, 0)` elementwise, like `torch.relu`.

    Not allowed here (scores 0): `torch.relu`, `F.relu`, `nn.ReLU`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def relu_backward(grad_output, x):
    """Gradient of `relu` w.r.t. `x`.

    At the kink `x == 0` follow torch: the derivative there is 0.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: `x` where `x > 0`, else `negative_slope * x`.

    Not allowed here (scores 0): `F.leaky_relu`, `nn.LeakyReLU`, `torch._C._nn.leaky_relu`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def leaky_relu_backward(grad_output, x, negative_slope=0.01):
    """Gradient of `leaky_relu` w.r.t. `x`; at `x == 0` the slope is `negative_slope` (as torch).

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def sigmoid(x):
    """Logistic sigmoid `1 / (1 + exp(-x))`.

    Must not overflow or produce NaN for large |x| (try x = ±1e4): for x < 0,
    use the equivalent form `exp(x) / (1 + exp(x))`.

    Not allowed here (scores 0): `torch.sigmoid`, `F.sigmoid`, `torch.special.expit`,
    `nn.Sigmoid`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def sigmoid_backward(grad_output, x):
    """Gradient of `sigmoid` w.r.t. `x`: `grad_output * s * (1 - s)` with `s = sigmoid(x)`.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh(x):
    """Hyperbolic tangent, stable for large |x| (no NaN at x = ±1e4).

    Hint: `tanh(x) = 2 * sigmoid(2x) - 1`, or use `exp(-2|x|)` and the sign of x.

    Not allowed here (scores 0): `torch.tanh`, `F.tanh`, `nn.Tanh`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh_backward(grad_output, x):
    """Gradient of `tanh` w.r.t. `x`: `grad_output * (1 - tanh(x)**2)`.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gelu(x, approximate="none"):
    """GELU, as `torch.nn.functional.gelu`.

    approximate='none': `x * Phi(x)` with `Phi(x) = (1 + erf(x / sqrt(2))) / 2`
        (the standard normal CDF; `torch.erf` is allowed).
    approximate='tanh': `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))`.
    Any other value of `approximate` raises ValueError.

    Not allowed here (scores 0): `F.gelu`, `nn.GELU`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gelu_backward(grad_output, x, approximate="none"):
    """Gradient of `gelu(x, approximate)` w.r.t. `x`, for both values of `approximate`.

    For 'none': `d/dx [x Phi(x)] = Phi(x) + x phi(x)`, with the normal density
    `phi(x) = exp(-x**2 / 2) / sqrt(2 pi)`. For 'tanh', differentiate the tanh
    formula (chain rule through `tanh` and the cubic). Invalid `approximate` raises ValueError.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def silu(x):
    """SiLU (swish): `x * sigmoid(x)`; no NaN for large |x|.

    Not allowed here (scores 0): `F.silu`, `nn.SiLU`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def silu_backward(grad_output, x):
    """Gradient of `silu` w.r.t. `x`: `s + x * s * (1 - s)` times `grad_output`, `s = sigmoid(x)`.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.threshold_backward`, `torch.ops.aten.leaky_relu_backward`,
    `torch.ops.aten.sigmoid_backward`, `torch.ops.aten.tanh_backward`,
    `torch.ops.aten.gelu_backward`, `torch.ops.aten.silu_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
