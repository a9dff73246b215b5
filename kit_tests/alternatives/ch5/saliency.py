"""A differently written correct ch5/saliency.py (kit_tests/test_chapters.py gives it full marks).

saliency_map uses `.backward()` on a one-hot weighted sum of the logits, stashing the parameters'
gradients first and putting them back after; capture_activations keeps every call's output in a
list per layer and returns the last one, removing its hooks through a contextlib.ExitStack.
"""
import contextlib

import torch
import torch.nn.functional as F


def saliency_map(model, x, target):
    modes = {name: module.training for name, module in model.named_modules()}
    # clones: backward() adds into an existing .grad in place
    stashed = {name: None if p.grad is None else p.grad.clone() for name, p in model.named_parameters()}
    try:
        model.eval()
        inputs = x.detach().clone()
        inputs.requires_grad = True
        with torch.enable_grad():
            logits = model(inputs)
            if isinstance(target, int):
                target = torch.full((logits.shape[0],), target, dtype=torch.long)
            weights = F.one_hot(target.to(logits.device), logits.shape[1]).to(logits.dtype)
            (logits * weights).sum().backward()
        per_channel = inputs.grad.abs()
        best = per_channel[:, 0]
        for c in range(1, per_channel.shape[1]):
            best = torch.maximum(best, per_channel[:, c])
        return best
    finally:
        for name, p in model.named_parameters():
            p.grad = stashed[name]
        for name, module in model.named_modules():
            module.training = modes[name]


def capture_activations(model, layer_names, x):
    known = {name: module for name, module in model.named_modules()}
    unknown = [name for name in layer_names if name not in known]
    if unknown:
        raise KeyError(f"unknown layer(s): {unknown}")
    calls = {name: [] for name in layer_names}
    with contextlib.ExitStack() as stack:
        for name in layer_names:
            def record(module, args, output, into=calls[name]):
                into.append(torch.clone(output).detach())
            handle = known[name].register_forward_hook(record)
            stack.callback(handle.remove)
        model(x)
    return {name: outputs[-1] for name, outputs in calls.items()}
