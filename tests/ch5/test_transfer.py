"""Hidden suite for ch5/transfer.py: freezing by name prefix, BatchNorm layers in eval mode, and
parameter groups with a larger learning rate for the head.

One probe builds the model named by the test (each side its own, from the same code), calls the
exercise on it and describes the model afterwards: every parameter's requires_grad, every
submodule's training flag, and for discriminative_param_groups each group's parameters by name
(the model's own parameter objects; their order in a group is free), its lr, and what torch.optim.SGD made of
the groups. Everything is compared with the reference exactly (names, flags; the lrs within
rounding). No tensor is computed, so there is neither a device nor a dtype to vary.

The "backbone" model has parameters named scale, stem.0/1 (Conv2d, BatchNorm2d), layer1.0/1
(Linear, BatchNorm1d), layer10, layer1_extra and head, so the prefix "layer1" must not select
layer10 or layer1_extra, nor "lay" or "hea" anything; layer10.bias and head.bias come in frozen,
the rest trainable, and some submodules in eval mode. The "every-bn" model holds, nested in
Sequentials, BatchNorm1d/2d/3d, SyncBatchNorm, LazyBatchNorm2d and a subclass of _BatchNorm
with a name of its own (one BatchNorm already in eval mode), beside InstanceNorm2d with running
statistics, GroupNorm, LayerNorm, Dropout, Conv2d and Linear in mixed modes, which must keep
them; "bn-root" is a lone BatchNorm2d (the model itself).
"""
import pytest
import torch  # noqa: F401 (a probe sees it as `torch`: PROBE_GLOBALS)

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal


def transferred(impl, exercise, kind, args, kwargs):
    """Probe: build the model `kind`, call impl.<exercise>(model, *args, **kwargs), describe the
    model afterwards (and, for discriminative_param_groups, the groups and an SGD made of them)."""
    nn = torch.nn

    class StatsNorm(nn.modules.batchnorm._BatchNorm):
        def _check_input_dim(self, input):
            pass

    if kind == "bn-root":
        model = nn.BatchNorm2d(3)
    elif kind == "every-bn":
        model = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)), nn.BatchNorm1d(4),
            nn.Sequential(nn.Sequential(nn.BatchNorm3d(2)), nn.SyncBatchNorm(4)), nn.LazyBatchNorm2d(),
            StatsNorm(4), nn.InstanceNorm2d(4, track_running_stats=True), nn.GroupNorm(2, 4), nn.LayerNorm(4),
            nn.Dropout(0.1), nn.Linear(4, 2))
        model.train()
        for module in (model[1], model[7], model[8], model[0][0]):
            module.eval()
    else:
        model = nn.Module()
        model.scale = nn.Parameter(torch.ones(()))
        model.stem = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        model.layer1 = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        model.layer10 = nn.Linear(4, 4)
        model.layer1_extra = nn.Linear(4, 4)
        model.head = nn.Linear(4, 3)
        model.train()
        model.stem.eval()
        model.layer1[1].eval()
        if kind == "head-only-trainable":
            model.requires_grad_(False)
            model.head.requires_grad_(True)
        else:
            model.layer10.bias.requires_grad_(False)
            model.head.bias.requires_grad_(False)
    names = {id(p): name for name, p in model.named_parameters()}
    answer = {}
    if exercise == "discriminative_param_groups":
        groups = impl.discriminative_param_groups(model, *args, **kwargs)
        answer["is_list"] = isinstance(groups, list)
        described = []
        for group in groups:
            group["params"] = list(group["params"])
            described.append({"names": [names.get(id(p), "<not one of the model's parameters>")
                                        for p in group["params"]],
                              "lr": float(group["lr"]) if "lr" in group else None})
        answer["groups"] = described
        optimizer, error = probes.attempt(lambda: torch.optim.SGD(groups, lr=1e-6))
        answer["sgd"] = (f"raised {type(error).__name__}: {error}" if error is not None else
                         [{"count": len(g["params"]), "lr": float(g["lr"])} for g in optimizer.param_groups])
    else:
        getattr(impl, exercise)(model, *args, **kwargs)
    answer["requires_grad"] = {name: p.requires_grad for name, p in model.named_parameters()}
    answer["modes"] = {name or "model": m.training for name, m in model.named_modules()}
    return answer


BACKBONE = ("a model with parameters scale, stem.0/stem.1 (Conv2d, BatchNorm2d), layer1.0/layer1.1 (Linear, "
            "BatchNorm1d), layer10, layer1_extra and head (Linear), layer10.bias and head.bias frozen")
EVERY_BN = ("a Sequential holding, some nested, BatchNorm1d/2d/3d, SyncBatchNorm, LazyBatchNorm2d, a subclass of "
            "_BatchNorm, InstanceNorm2d, GroupNorm, LayerNorm, Dropout, Conv2d, Linear in mixed modes")
MODELS = {"backbone": BACKBONE, "every-bn": EVERY_BN, "bn-root": "BatchNorm2d(3) itself",
          "head-only-trainable": BACKBONE.replace("layer10.bias and head.bias frozen", "all but head frozen")}


# ------------------------------------------------------------------ freeze

FREEZE_CASES = {  # id: trainable
    "nothing": (),
    "layer1": ("layer1",),
    "trailing-dot": ["layer1."],
    "nested": ["stem.1", "head"],
    "full-names": ["layer10.weight", "scale"],
    "not-a-component": ["lay", "hea", "layer1.1.weigh"],
}


@pytest.mark.exercise("ch5.transfer.freeze")
@pytest.mark.parametrize("case", list(FREEZE_CASES))
def test_freeze_selects_by_name_prefix(student, reference, case):
    trainable = FREEZE_CASES[case]
    got = student.run(transferred, "freeze", "backbone", [trainable], {})
    want = reference.run(transferred, "freeze", "backbone", [trainable], {})
    what = (f"freeze(model, {trainable!r}) for {BACKBONE}: requires_grad of every parameter afterwards (True "
            f"exactly where the name equals a prefix or starts with prefix + '.'; a trailing '.' ignored)")
    expect_equal(got["requires_grad"], want["requires_grad"], what=what)


@pytest.mark.condition
@pytest.mark.exercise("ch5.transfer.freeze")
def test_freeze_leaves_the_modes_alone(student, reference):
    got = student.run(transferred, "freeze", "backbone", [["head"]], {})
    want = reference.run(transferred, "freeze", "backbone", [["head"]], {})
    expect_equal(got["modes"], want["modes"], what=f"freeze(model, ['head']) for {BACKBONE}, some submodules in eval "
                                                   f"mode: the training flag of every submodule (unchanged)")


# ------------------------------------------------------------------ set_batchnorm_eval

@pytest.mark.exercise("ch5.transfer.set_batchnorm_eval")
@pytest.mark.parametrize("kind", ["every-bn", "bn-root"])
def test_set_batchnorm_eval_covers_every_kind(student, reference, kind):
    got = student.run(transferred, "set_batchnorm_eval", kind, [], {})
    want = reference.run(transferred, "set_batchnorm_eval", kind, [], {})
    expect_equal(got["modes"], want["modes"],
                 what=f"set_batchnorm_eval(model) for {MODELS[kind]}: the training flag of every submodule afterwards "
                      f"(every BatchNorm kind in eval mode, every other module in the mode it had)")


@pytest.mark.condition
@pytest.mark.exercise("ch5.transfer.set_batchnorm_eval")
def test_set_batchnorm_eval_leaves_requires_grad_alone(student, reference):
    got = student.run(transferred, "set_batchnorm_eval", "every-bn", [], {})
    want = reference.run(transferred, "set_batchnorm_eval", "every-bn", [], {})
    expect_equal(got["requires_grad"], want["requires_grad"],
                 what=f"set_batchnorm_eval(model) for {EVERY_BN}: requires_grad of every parameter (unchanged)")


# ------------------------------------------------------------------ discriminative_param_groups

GROUP_CASES = {  # id: (model, head_names, base_lr, kwargs)
    "head": ("backbone", ["head"], 0.01, {}),
    "two-prefixes": ("backbone", ("layer10", "head"), 0.02, {"head_lr_mult": 5.0}),
    "prefix-rule": ("backbone", ["layer1."], 0.003, {"head_lr_mult": 100.0}),
    "empty-head": ("backbone", ["classifier"], 0.1, {}),
    "empty-base": ("head-only-trainable", ["head"], 0.05, {"head_lr_mult": 2.0}),
}


@pytest.mark.exercise("ch5.transfer.discriminative_param_groups")
@pytest.mark.parametrize("case", list(GROUP_CASES))
def test_discriminative_param_groups_matches_the_reference(student, reference, case):
    kind, head_names, base_lr, kwargs = GROUP_CASES[case]
    args = [head_names, base_lr]
    got = student.run(transferred, "discriminative_param_groups", kind, args, kwargs)
    want = reference.run(transferred, "discriminative_param_groups", kind, args, kwargs)
    options = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    what = f"discriminative_param_groups(model, {head_names!r}, {base_lr}{options}) for {MODELS[kind]}"
    expect_equal(len(got["groups"]), 2, what=f"{what}: the number of groups (always two: [base, head], even when one "
                                              f"is empty)")
    for i, label in enumerate(["the first group (base: the other trainable parameters)",
                               "the second group (head: the trainable parameters the prefixes select)"]):
        expect_equal(sorted(got["groups"][i]["names"]), sorted(want["groups"][i]["names"]),
                     what=f"{what}: {label}, its parameters by name, sorted (each once, frozen ones left out)")
        expect_close(got["groups"][i]["lr"], want["groups"][i]["lr"],
                     what=f"{what}: {label}, its 'lr' (base_lr, and base_lr * head_lr_mult for the head)")
    expect_equal(got["is_list"], True, what=f"{what}: the result is a list")
    expect_close(got["sgd"], want["sgd"], what=f"{what}: torch.optim.SGD(groups, lr=1e-6).param_groups, each "
                                               f"group's number of parameters and lr")
