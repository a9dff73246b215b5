"""A differently written correct ch5/transfer.py (kit_tests/test_chapters.py gives it full marks).

The prefix rule as a regular expression, BatchNorm layers found by their class hierarchy's names,
and the head's parameters collected as a set of ids before the groups are filled."""
import re


def _pattern(prefixes):
    options = "|".join(re.escape(p[:-1] if p.endswith(".") else p) for p in prefixes)
    return re.compile(rf"(?:{options})(?:\..*)?") if options else None


def freeze(model, trainable=()):
    pattern = _pattern(list(trainable))
    for name, param in model.named_parameters():
        param.requires_grad = bool(pattern and pattern.fullmatch(name))
    return model


def set_batchnorm_eval(model):
    for module in model.modules():
        if any(cls.__name__ == "_BatchNorm" for cls in type(module).__mro__):
            module.train(False)
    return model


def discriminative_param_groups(model, head_names, base_lr, head_lr_mult=10.0):
    pattern = _pattern(list(head_names))
    head_ids = {id(p) for name, p in model.named_parameters() if pattern and pattern.fullmatch(name)}
    groups = [{"params": [], "lr": base_lr}, {"params": [], "lr": base_lr * head_lr_mult}]
    for param in model.parameters():
        if param.requires_grad:
            groups[id(param) in head_ids]["params"].append(param)
    return groups
