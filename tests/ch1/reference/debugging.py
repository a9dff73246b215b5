"""Reference for ch1/debugging.py: grad_global_norm is the norm torch.nn.utils.clip_grad_norm_
returns (foreach=False), run on copies of the gradients with an infinite max_norm; find_nonfinite
and check_shape are independent implementations written for the suite."""
import math
import re

import torch


def grad_global_norm(parameters, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    copies = []
    for p in parameters:
        copy = p.detach().clone()
        copy.grad = None if p.grad is None else p.grad.detach().clone()
        copies.append(copy)
    return torch.nn.utils.clip_grad_norm_(copies, math.inf, norm_type=norm_type, foreach=False)


def find_nonfinite(named_tensors):
    pairs = named_tensors.items() if isinstance(named_tensors, dict) else named_tensors
    found = []
    for name, tensor in pairs:
        if tensor is not None and bool((torch.isnan(tensor) | torch.isinf(tensor)).any()):
            found.append(name)
    return found


def check_shape(x, spec, dims=None):
    entries = spec.split()
    if len(entries) != len(x.shape):
        raise ValueError(f"expected {len(entries)} dims ({spec}), got shape {tuple(x.shape)}")
    bindings = {} if dims is None else dict(dims)
    for entry, actual in zip(entries, x.shape):
        if re.fullmatch(r"\d+", entry):
            expected = int(entry)
        elif entry in bindings:
            expected = bindings[entry]
        else:
            bindings[entry] = expected = actual
        if actual != expected:
            raise ValueError(f"{entry}: expected {expected}, got {actual}")
    return bindings
