"""Hidden suite for ch3/optimizers.py: whole trajectories against torch.optim (foreach=False).

Each case builds five parameters of different shapes in two param groups (the second group
overrides some hyperparameters), plus a sixth parameter whose `.grad` stays None (it must not
move) and makes one parameter miss its gradient on a few steps (its step count and buffers must
wait, as torch's do). 30 steps of seeded random gradients follow, at very different scales per
parameter (1e-4 makes eps matter: eps inside the square root shows), and the first group's lr is
halved after step 20 (hyperparameters are read from the group at each step). The parameters
after every step are compared with torch's. Every option of the spec appears in some case, with
weight decay both zero and non-zero. A second test saves `state_dict()` in the middle of the run,
loads it into a fresh optimizer over fresh parameters and continues: the trajectory must be the
uninterrupted one.
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import call_text, gen, kwargs_text, where

STEPS = 30
SPLIT_AT = 13
LR_CHANGE_AT = 20
SHAPES = [[(3, 4), (5,), (2, 3, 2)], [(4, 1), (6,)]]   # group 0, group 1 (+ a param without grad)
GRAD_SCALES = [1.0, 1e-4, 3.0, 0.5, 1e-2]
GAPPY = 3                      # this parameter gets no gradient on the steps below
GAPS = {4, 5, 6, 17}

CASES = {  # name: [(case id, constructor keyword arguments, overrides of the second group)]
    "SGD": [
        ("defaults", {}, {"lr": 0.1}),
        ("lr", {"lr": 0.1}, {"lr": 0.03}),
        ("momentum-wd", {"lr": 0.1, "momentum": 0.9}, {"momentum": 0.5, "weight_decay": 0.1}),
        ("dampening", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}, {"dampening": 0.0}),
        ("nesterov", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {"momentum": 0.7}),
        ("maximize", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05, "maximize": True}, {"lr": 0.02}),
    ],
    "RMSprop": [
        ("defaults", {}, {"alpha": 0.9}),
        ("wd-eps", {"lr": 0.01, "weight_decay": 0.1}, {"eps": 1e-3, "weight_decay": 0.0}),
        ("centered", {"lr": 0.01, "centered": True}, {"centered": False}),
        ("momentum", {"lr": 0.01, "momentum": 0.9}, {"momentum": 0.0, "alpha": 0.95}),
        ("centered-momentum-maximize", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.01,
                                        "maximize": True}, {"lr": 0.001}),
    ],
    "Adam": [
        ("defaults", {}, {"lr": 0.01}),
        ("betas-wd", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1}, {"weight_decay": 0.0, "eps": 1e-3}),
        ("amsgrad", {"lr": 0.05, "amsgrad": True}, {"amsgrad": False, "betas": (0.5, 0.9)}),
        ("maximize-amsgrad-wd", {"lr": 0.02, "weight_decay": 0.01, "amsgrad": True, "maximize": True},
         {"maximize": False}),
    ],
    "AdamW": [
        ("defaults", {}, {"lr": 0.01}),
        ("wd", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1}, {"weight_decay": 0.0, "eps": 1e-3}),
        ("no-wd", {"lr": 0.05, "weight_decay": 0.0}, {"betas": (0.5, 0.9)}),
        ("amsgrad", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.2}, {"amsgrad": False}),
        ("maximize-amsgrad", {"lr": 0.02, "amsgrad": True, "maximize": True}, {"maximize": False}),
    ],
}
ALL = [(name, *case) for name, cases in CASES.items() for case in cases]
ALL_IDS = [f"{name}-{case_id}" for name, case_id, _, _ in ALL]
# the richest case of each optimizer, for the state_dict round trip
RICH = [(name, *CASES[name][i]) for name, i in [("SGD", 4), ("SGD", 3), ("RMSprop", 4), ("Adam", 3),
                                                 ("AdamW", 3)]]
RICH_IDS = [f"{name}-{case_id}" for name, case_id, _, _ in RICH]


def run_optimizer(impl, name, kwargs, group_overrides, values, grads, split_at, lr_change_at):
    """Probe: builds `impl.<name>` over two param groups made from `values` (the first group takes
    the first len(values[0]) tensors), sets each parameter's `.grad` from `grads[step]` (None:
    no gradient) and steps. With `split_at`, after that many steps it saves `state_dict()`, makes
    fresh parameters with the same values and a fresh optimizer, loads the state and goes on with
    those. Returns the parameters after every step and the gradients after the last step."""
    cls = getattr(impl, name)

    def build(tensors):
        params = [[t.clone() for t in group] for group in tensors]
        groups = [{"params": params[0]}, {"params": params[1], **group_overrides}]
        return [p for group in params for p in group], cls(groups, **kwargs)

    flat, opt = build(values)
    trajectory = []
    for step, step_grads in enumerate(grads):
        if step == split_at:
            saved = opt.state_dict()
            n0 = len(values[0])
            flat, opt = build([[p.detach().clone() for p in flat[:n0]], [p.detach().clone() for p in flat[n0:]]])
            opt.load_state_dict(saved)
        if step == lr_change_at:
            opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"] / 2
        for p, g in zip(flat, step_grads):
            p.grad = None if g is None else g.clone()
        opt.step()
        trajectory.append([p.detach().clone() for p in flat])
    return {"trajectory": trajectory, "grads_after": [p.grad for p in flat]}


def make_run(device, dtype, seed):
    """Initial values (two groups, the last parameter of group 1 never gets a gradient) and 30
    steps of random gradients."""
    g = gen(seed)
    shapes = SHAPES[0] + SHAPES[1] + [(2, 2)]
    values = [torch.randn(s, generator=g, dtype=torch.float64).to(device, dtype) for s in shapes]
    grads = []
    for step in range(STEPS):
        row = []
        for i, s in enumerate(shapes[:-1]):
            gi = GRAD_SCALES[i] * (torch.randn(s, generator=g, dtype=torch.float64) + 0.3)
            row.append(None if (i == GAPPY and step in GAPS) else gi.to(device, dtype))
        grads.append(row + [None])
    n0 = len(SHAPES[0])
    return [values[:n0], values[n0:]], grads


def describe(name, case_id, kwargs, overrides, device, dtype):
    call = call_text(name, f"[group 0, group 1 with {kwargs_text(overrides)}]", kwargs=kwargs)
    return (f"{call} [case {case_id}], "
            f"{STEPS} steps of random gradients {where(device, dtype)}")


def compare_runs(got, want, what):
    for step, (g, w) in enumerate(zip(got["trajectory"], want["trajectory"])):
        expect_close(g, w, what=f"{what}: the parameters after step {step + 1}")
    expect_equal(got["grads_after"], want["grads_after"],
                 what=f"{what}: the .grad of each parameter after the last step (step must not change it)")


@pytest.mark.exercise("ch3.optimizers.{name}")
@pytest.mark.parametrize("name,case_id,kwargs,overrides", ALL, ids=ALL_IDS)
def test_trajectory_matches_torch(student, reference, name, case_id, kwargs, overrides, device, dtype):
    values, grads = make_run(device, dtype, seed=len(case_id))
    args = (name, kwargs, overrides, values, grads, None, LR_CHANGE_AT)
    got = student.run(run_optimizer, *args)
    want = reference.run(run_optimizer, *args)
    compare_runs(got, want, describe(name, case_id, kwargs, overrides, device, dtype))


@pytest.mark.exercise("ch3.optimizers.{name}")
@pytest.mark.parametrize("name,case_id,kwargs,overrides", RICH, ids=RICH_IDS)
def test_state_dict_mid_run_continues_identically(student, reference, name, case_id, kwargs, overrides, device):
    dtype = torch.float64
    values, grads = make_run(device, dtype, seed=100 + len(case_id))
    got = student.run(run_optimizer, name, kwargs, overrides, values, grads, SPLIT_AT, LR_CHANGE_AT)
    want = reference.run(run_optimizer, name, kwargs, overrides, values, grads, None, LR_CHANGE_AT)
    what = describe(name, case_id, kwargs, overrides, device, dtype)
    compare_runs(got, want, f"{what}, with state_dict() saved after step {SPLIT_AT} and loaded into a "
                            f"fresh {name} over fresh parameters that continues")


@pytest.mark.exercise("ch3.optimizers.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,case_id,kwargs,overrides", RICH, ids=RICH_IDS)
def test_state_follows_the_parameters_device(student, reference, name, case_id, kwargs, overrides):
    """On the `meta` device a state tensor made without `device=` (`torch.zeros(p.shape)`) shows up,
    with or without a GPU."""
    def inputs(device):
        values, grads = make_run(device, torch.float32, seed=200 + len(case_id))
        return name, kwargs, overrides, values, grads[:3], None, None

    got = run_on_meta(student, run_optimizer, inputs)
    want = reference.run(run_optimizer, *inputs("meta"))
    expect_close(got["trajectory"], want["trajectory"],
                 what=f"{call_text(name, f'[group 0, group 1 with {kwargs_text(overrides)}]', kwargs=kwargs)} "
                      f"[case {case_id}], 3 steps on the meta device: the parameters after each step")


INVALID = [
    ("SGD", {"lr": -0.1}), ("SGD", {"momentum": -0.5}), ("SGD", {"weight_decay": -1.0}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("RMSprop", {"lr": -0.1}), ("RMSprop", {"alpha": -0.1}), ("RMSprop", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}), ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"eps": -1e-8}),
    ("AdamW", {"lr": -1e-3}), ("AdamW", {"betas": (0.9, 1.0)}), ("AdamW", {"weight_decay": -0.01}),
]


@pytest.mark.exercise("ch3.optimizers.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,kwargs", INVALID, ids=[f"{n}-{k}" for n, k in INVALID])
def test_invalid_arguments_raise(student, name, kwargs):
    got = student.run(raises, name, [[torch.zeros(3, dtype=torch.float64)]], kwargs)
    expect_equal(got, "raised",
                 what=f"{call_text(name, '[p]', kwargs=kwargs)} must raise (the docstring says ValueError)")


def step_with_closure(impl, name, kwargs, value, target):
    """Probe: two steps of `impl.<name>` on one parameter, each given a closure that computes the
    loss sum((p - target)^2) and its gradient by hand. Returns the losses step() returned and the
    parameter after each step."""
    p = value.clone()
    opt = getattr(impl, name)([p], **kwargs)

    def closure():
        opt.zero_grad()
        p.grad = 2 * (p.detach() - target)
        return ((p.detach() - target) ** 2).sum()

    losses, trajectory = [], []
    for _ in range(2):
        losses.append(opt.step(closure))
        trajectory.append(p.detach().clone())
    return {"losses": losses, "trajectory": trajectory}


@pytest.mark.exercise("ch3.optimizers.{name}")
@pytest.mark.parametrize("name", list(CASES))
def test_step_calls_the_closure_and_returns_its_loss(student, reference, name):
    g = gen(7)
    value, target = (torch.randn(5, generator=g, dtype=torch.float64) for _ in range(2))
    args = (name, {"lr": 0.05}, value, target)
    got = student.run(step_with_closure, *args)
    want = reference.run(step_with_closure, *args)
    what = f"{name}([p], lr=0.05).step(closure), twice, on cpu float64"
    expect_close(got["losses"], want["losses"], what=f"{what}: what step(closure) returned (closure()'s loss)")
    expect_close(got["trajectory"], want["trajectory"], what=f"{what}: p after each step")
