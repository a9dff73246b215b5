"""Public tests for ch5/transfer.py: run `pytest assignments/ch5`.

Quick checks you can follow by hand. The hidden tests go further: nested models, full parameter
names, every BatchNorm kind (SyncBatchNorm, LazyBatchNorm, subclasses), empty groups, an SGD
optimizer built from the groups.
"""
import torch

from ch5 import transfer


def small_model():
    """Parameters named layer1.weight, layer1.bias, layer10.weight, layer10.bias, bn.weight, bn.bias."""
    model = torch.nn.Module()
    model.layer1 = torch.nn.Linear(2, 2)
    model.layer10 = torch.nn.Linear(2, 2)
    model.bn = torch.nn.BatchNorm1d(2)
    return model


def test_freeze():
    model = small_model()
    assert transfer.freeze(model, ["layer1"]) is model
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    assert flags == {"layer1.weight": True, "layer1.bias": True,             # "layer1" is not "layer10"
                     "layer10.weight": False, "layer10.bias": False, "bn.weight": False, "bn.bias": False}
    transfer.freeze(model, ["bn.", "layer10.bias"])                          # a trailing "." is ignored
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["layer10.bias", "bn.weight", "bn.bias"]


def test_set_batchnorm_eval():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.BatchNorm1d(2)),
                                torch.nn.Dropout())
    transfer.set_batchnorm_eval(model)
    assert [m.training for m in model.modules()] == [True, True, True, False, True]   # only the BatchNorm1d


def test_discriminative_param_groups():
    model = small_model()
    model.layer1.bias.requires_grad_(False)                                  # frozen: in no group
    base, head = transfer.discriminative_param_groups(model, ["layer10"], 0.01, head_lr_mult=5.0)
    assert base["lr"] == 0.01 and abs(head["lr"] - 0.05) < 1e-12
    assert [id(p) for p in base["params"]] == [id(model.layer1.weight), id(model.bn.weight), id(model.bn.bias)]
    assert [id(p) for p in head["params"]] == [id(model.layer10.weight), id(model.layer10.bias)]
