"""Reference for ch5/saliency.py (torch has no counterparts).

saliency_map: autograd on a deep copy of the model in eval mode, one sample at a time (so the
original model is never touched, and no sample's gradient can leak into another's), each
sample's logit differentiated with `torch.autograd.grad` (a second formulation beside the
solution's batched one and the alternative's `.backward()`; all three agree).

capture_activations: a deep copy of the model is cut open instead of hooked: its named
submodules are wrapped in a module that records what they return (the last call wins), and the
copy is run on x; nothing is registered on the caller's model.
"""
import copy

import torch


def saliency_map(model, x, target):
    frozen = copy.deepcopy(model).eval()
    targets = torch.as_tensor(target).expand(x.shape[0]).tolist()
    maps = []
    for n, t in enumerate(targets):
        sample = x[n:n + 1].detach().clone().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(frozen(sample)[0, t], sample)
        maps.append(grad[0].abs().max(dim=0).values)
    return torch.stack(maps)


class _Recorder(torch.nn.Module):
    def __init__(self, inner, name, store):
        super().__init__()
        self.inner, self.name, self.store = inner, name, store

    def forward(self, *args, **kwargs):
        out = self.inner(*args, **kwargs)
        self.store[self.name] = out.detach().clone()
        return out


def capture_activations(model, layer_names, x):
    copied = copy.deepcopy(model)
    modules = dict(copied.named_modules())
    missing = [name for name in layer_names if name not in modules]
    if missing:
        raise KeyError(f"no submodule named {missing[0]!r}")
    store = {}
    places = [(modules[name.rpartition(".")[0]], name.rpartition(".")[2], name) for name in layer_names]
    for parent, child, name in places:   # the parents were looked up before any wrapping
        setattr(parent, child, _Recorder(getattr(parent, child), name, store))
    with torch.no_grad():
        copied(x)
    return {name: store[name] for name in layer_names if name in store}
