"""Torch-backed reference for ch2/mlp.py: F.linear + torch's activations, gradients by autograd."""
import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": lambda z: F.gelu(z, approximate="none"),
}


def mlp_forward(x, params, activation="relu"):
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    act = ACTIVATIONS[activation]
    L = len(params) // 2
    leaves = {"x": x.detach().requires_grad_()}
    leaves.update({name: p.detach().requires_grad_() for name, p in params.items()})
    with torch.enable_grad():
        h = leaves["x"]
        for layer in range(1, L + 1):
            h = F.linear(h, leaves[f"W{layer}"], leaves[f"b{layer}"])
            if layer < L:
                h = act(h)
    return h.detach(), (h, leaves)


def mlp_backward(grad_out, cache):
    out, leaves = cache
    names = list(leaves)
    grads = torch.autograd.grad(out, [leaves[n] for n in names], grad_out, allow_unused=True)
    return {n: (torch.zeros_like(leaves[n]) if g is None else g) for n, g in zip(names, grads)}
