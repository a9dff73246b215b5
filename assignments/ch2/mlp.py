# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""A multilayer perceptron (MLP): forward and backward pass by hand.

The network has L linear layers, numbered 1..L. Between two consecutive layers
an activation function is applied elementwise; after the last layer there is
none (its output is, e.g., the logits of a classifier):

    h_0 = x
    z_l = h_{l-1} @ W_l.T + b_l        for l = 1..L   (a linear layer, like nn.Linear)
    h_l = act(z_l)                     for l = 1..L-1
    out = z_L

With L = 1 the network is a single linear layer and no activation is used.

Shapes and types:
  - `x` is `[N, D]`: N samples (rows) of D features.
  - `params` is a dict with exactly the keys "W1", "b1", ..., "WL", "bL", so
    the number of layers is L = len(params) // 2. Layer l uses "W{l}" and
    "b{l}", in the layout of `nn.Linear`: `W_l` is `[out, in]`, `b_l` is
    `[out]`, so `W_1` is `[d_1, D]`, `W_2` is `[d_2, d_1]`, and so on. Apply
    the layers in the order 1, 2, ..., L whatever the order of the keys in the
    dict.
  - `x` and all parameters share one device (CPU or CUDA) and one dtype
    (float32 or float64); everything returned has that device and dtype.
    Compute in that dtype: float64 results are compared with autograd's at
    float64 precision (about 1e-7 relative).
  - Nothing passed in is modified (not `x`, the params, `grad_out`, nor the cache).

The activation, named by a string:
  'relu'     max(z, 0); its derivative at z == 0 is 0 (as torch)
  'tanh'     tanh(z)
  'sigmoid'  1 / (1 + exp(-z))
  'gelu'     the exact GELU, z * Phi(z) with the normal CDF Phi
             (F.gelu's default approximate='none', not the tanh approximation)
You may use your functions from `ch2/activations.py` (imported below) or
write the formulas yourself. Do not use autograd (`torch.autograd`,
`.backward()`, `torch.func`): the point is to apply the chain rule by hand.
"""
import torch

from ch2.activations import gelu, gelu_backward, relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward

# name -> (activation, its backward(grad_output, z) taking the PRE-activation z)
ACTIVATIONS = {
    "relu": (relu, relu_backward),
    "tanh": (tanh, tanh_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "gelu": (gelu, gelu_backward),  # approximate='none' by default: the exact GELU
}


def mlp_forward(x, params, activation="relu"):
    """Forward pass of the MLP described at the top of this file.

    Args:
        x: `[N, D]` input.
        params: {"W1": [d_1, D], "b1": [d_1], ..., "WL": [d_L, d_{L-1}], "bL": [d_L]}.
        activation: 'relu' (default), 'tanh', 'sigmoid' or 'gelu' (exact),
            applied after every layer except the last. Any other value raises
            ValueError.

    Returns:
        (out, cache): `out` is `[N, d_L]`, the output of the last linear layer
        (no activation after it). `cache` is anything you like that
        `mlp_backward` needs later (for instance the input and the
        pre-activation z of every layer, the params and the activation name);
        the tests never look inside it, they only hand it to `mlp_backward`.
        Keep everything in the cache, not in global variables: several forward
        passes may happen before their backward passes.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def mlp_backward(grad_out, cache):
    """Backward pass: the gradients of a loss w.r.t. every parameter.

    Args:
        grad_out: `[N, d_L]`, the gradient of the loss w.r.t. `out` (the
            output of `mlp_forward`), e.g. from a loss's backward.
        cache: the second value returned by `mlp_forward`.

    Returns:
        A dict with the same keys as `params`, each gradient the same shape as
        its parameter: "W{l}" holds dLoss/dW_l (`[out, in]`, like W_l) and
        "b{l}" holds dLoss/db_l (`[out]`). A parameter is shared by all N
        samples, so its gradient is the SUM over the samples (not the mean:
        any averaging of the loss is already in `grad_out`).
        The dict may also hold "x": dLoss/dx, `[N, D]` (handy to chain this
        network after another one); if it is there it must be correct. No
        other keys.

    Chain rule, from the last layer back to the first, with g = dLoss/dh_l
    (g = grad_out for l = L):
        dz_l = g * act'(z_l)  for l < L  (the derivative at the PRE-activation z_l);
        dz_L = grad_out       (no activation after the last layer)
        dW_l = dz_l.T @ h_{l-1},   db_l = dz_l summed over the N rows,
        dLoss/dh_{l-1} = dz_l @ W_l.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
