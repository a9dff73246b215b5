"""A second correct ch2/mlp.py, written differently from the reference solution:
no sibling imports (torch's activation functions and closed-form derivatives),
float64 inside, layers counted by looking up "W1", "W2", ..., a dict cache that
stores post-activations too, per-sample outer products for the weight gradients,
and no "x" entry in the gradients."""
import math

import torch
import torch.nn.functional as F


def _phi(z):
    return 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))


def _act(name, z):
    if name == "relu":
        return torch.clamp(z, min=0.0)
    if name == "tanh":
        return torch.tanh(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    return z * _phi(z)  # exact gelu


def _act_grad(name, z, a):
    """d act / dz at the pre-activation z (a = act(z))."""
    if name == "relu":
        return (z > 0).to(z.dtype)
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    return _phi(z) + z * torch.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def mlp_forward(x, params, activation="relu"):
    if activation not in ("relu", "tanh", "sigmoid", "gelu"):
        raise ValueError(f"unknown activation {activation!r}")
    n_layers = 0
    while f"W{n_layers + 1}" in params:
        n_layers += 1
    inputs, pre, post = [], [], []
    h = x.to(torch.float64)
    for i in range(1, n_layers + 1):
        W = params[f"W{i}"].to(torch.float64)
        b = params[f"b{i}"].to(torch.float64)
        inputs.append(h)
        z = F.linear(h, W, b)
        pre.append(z)
        if i == n_layers:
            h = z
        else:
            h = _act(activation, z)
        post.append(h)
    cache = {"inputs": inputs, "pre": pre, "post": post, "params": params,
             "activation": activation, "dtype": x.dtype}
    return h.to(x.dtype), cache


def mlp_backward(grad_out, cache):
    params, name = cache["params"], cache["activation"]
    n_layers = len(cache["pre"])
    grads = {}
    delta = grad_out.to(torch.float64)  # dLoss/dz of the current layer
    for i in reversed(range(n_layers)):
        h = cache["inputs"][i]
        dW = torch.zeros(delta.shape[1], h.shape[1], dtype=torch.float64, device=h.device)
        for k in range(h.shape[0]):
            dW += torch.outer(delta[k], h[k])
        grads[f"W{i + 1}"] = dW.to(cache["dtype"])
        grads[f"b{i + 1}"] = torch.einsum("nk->k", delta).to(cache["dtype"])
        if i > 0:
            dh = delta @ params[f"W{i + 1}"].to(torch.float64)
            delta = dh * _act_grad(name, cache["pre"][i - 1], cache["post"][i - 1])
    return grads
