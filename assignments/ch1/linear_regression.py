# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Linear regression by hand: the mean squared error, its gradient for a linear model, and
gradient descent that fits one.

A linear model maps inputs `x[N, D]` (N samples, D features) to predictions

    pred = x @ weight.T + bias          # [N, K]

with `weight[K, D]` and `bias[K]` (K outputs), stored the way `nn.Linear` stores them.

Rules shared by every exercise here:

- Tensors are float32 or float64 on any device. Compute in the inputs' dtype and make every new
  tensor on their device, in their dtype (`torch.zeros(..., device=x.device, dtype=x.dtype)`).
- Never modify an input: return new tensors.
"""
import torch


def mse_loss(input, target, reduction="mean"):
    """The mean squared error between `input` and `target`, like `torch.nn.functional.mse_loss`.

    `input` and `target` have the same shape (any shape, also 0-d). The squared errors
    `(input - target) ** 2` are reduced according to `reduction`:

    - `'mean'` (the default): their mean over ALL elements, a 0-d tensor;
    - `'sum'`: their sum over all elements, a 0-d tensor;
    - `'none'`: no reduction, a tensor of the inputs' shape.

    Any other `reduction` raises an error (ValueError, say).

    Not allowed here (scores 0): `F.mse_loss`, `nn.MSELoss`, `torch._C._nn.mse_loss`,
    `torch.ops.aten.mse_loss`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def mse_grad(x, y, weight, bias):
    """The gradient of `mse_loss(x @ weight.T + bias, y)` (reduction 'mean') with respect to
    `weight` and `bias`, worked out by hand (no autograd).

    Shapes: `x[N, D]`, `y[N, K]`, `weight[K, D]`, `bias[K]`. The loss is the mean over all N * K
    squared errors. Returns the tuple `(d_weight, d_bias)` with `d_weight` shaped like `weight`
    (`[K, D]`) and `d_bias` shaped like `bias` (`[K]`).

    Hint: with the residual `r = pred - y` (`[N, K]`), the loss is `sum(r ** 2) / (N * K)`, so
    `d loss / d pred = 2 * r / (N * K)`; the chain rule through `pred = x @ weight.T + bias` then
    gives one matrix product for `d_weight` and one sum over the samples for `d_bias`.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten.mse_loss_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def fit_linear_regression(x, y, lr, steps):
    """Fit `weight[K, D]` and `bias[K]` to `x[N, D]`, `y[N, K]` by full-batch gradient descent on
    `mse_loss(x @ weight.T + bias, y)`.

    Start from `weight` and `bias` all zeros (on x's device, in x's dtype). Then, `steps` times
    (an int >= 0), compute the gradient on the whole data set with your `mse_grad` and move both
    against it:

        weight = weight - lr * d_weight
        bias = bias - lr * d_bias

    Returns `(weight, bias)` after the last step (`steps=0`: the zeros). With a small enough `lr`
    and enough steps this reaches the least-squares solution, the one a closed form would give:
    here you get there by gradient descent alone.

    Not allowed here (scores 0): `torch.linalg.lstsq`, `torch.lstsq`, `torch.linalg.pinv`,
    `torch.pinverse`, `torch.linalg.solve`, `torch.linalg.solve_ex`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
