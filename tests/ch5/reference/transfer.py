"""Reference for ch5/transfer.py (torch has no counterparts), written from the rules: a prefix
is compared with a parameter name component by component (split at "."), so "layer1" selects
the names whose first component is "layer1", never "layer10"; BatchNorm layers are the
instances of torch's common BatchNorm base class."""
from torch.nn.modules.batchnorm import _BatchNorm


def _selected(name, prefixes):
    parts = name.split(".")
    wanted = [prefix.rstrip(".").split(".") for prefix in prefixes]
    return any(parts[:len(components)] == components for components in wanted)


def freeze(model, trainable=()):
    trainable = list(trainable)
    for name, param in model.named_parameters():
        param.requires_grad = _selected(name, trainable)
    return model


def set_batchnorm_eval(model):
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.training = False
    return model


def discriminative_param_groups(model, head_names, base_lr, head_lr_mult=10.0):
    head_names = list(head_names)
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    return [{"params": [p for name, p in trainable if not _selected(name, head_names)], "lr": base_lr},
            {"params": [p for name, p in trainable if _selected(name, head_names)], "lr": base_lr * head_lr_mult}]
