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
    """
    ### BEGIN SOLUTION
    squared = (input - target) ** 2
    if reduction == "mean":
        return squared.mean()
    if reduction == "sum":
        return squared.sum()
    if reduction == "none":
        return squared
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")
    ### END SOLUTION


def mse_grad(x, y, weight, bias):
    """The gradient of `mse_loss(x @ weight.T + bias, y)` (reduction 'mean') with respect to
    `weight` and `bias`, worked out by hand (no autograd).

    Shapes: `x[N, D]`, `y[N, K]`, `weight[K, D]`, `bias[K]`. The loss is the mean over all N * K
    squared errors. Returns the tuple `(d_weight, d_bias)` with `d_weight` shaped like `weight`
    (`[K, D]`) and `d_bias` shaped like `bias` (`[K]`).

    Hint: with the residual `r = pred - y` (`[N, K]`), the loss is `sum(r ** 2) / (N * K)`, so
    `d loss / d pred = 2 * r / (N * K)`; the chain rule through `pred = x @ weight.T + bias` then
    gives one matrix product for `d_weight` and one sum over the samples for `d_bias`.
    """
    ### BEGIN SOLUTION
    residual = x @ weight.T + bias - y
    d_pred = 2 * residual / residual.numel()
    return d_pred.T @ x, d_pred.sum(dim=0)
    ### END SOLUTION


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
    """
    ### BEGIN SOLUTION
    weight = torch.zeros(y.shape[1], x.shape[1], device=x.device, dtype=x.dtype)
    bias = torch.zeros(y.shape[1], device=x.device, dtype=x.dtype)
    for _ in range(steps):
        d_weight, d_bias = mse_grad(x, y, weight, bias)
        weight = weight - lr * d_weight
        bias = bias - lr * d_bias
    return weight, bias
    ### END SOLUTION
