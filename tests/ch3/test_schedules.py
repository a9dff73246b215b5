"""Hidden suite for ch3/schedules.py: the LR of every param group at every step.

A probe builds a `torch.optim.SGD` with one parameter per param group (each group its own LR; the
parameters never get a gradient, so `optimizer.step()` changes nothing), builds the student's
scheduler on it and steps both, in the order torch asks for (optimizer, then scheduler). After
construction and after every scheduler step it records each group's `"lr"` and `get_last_lr()`:
both must hold the LR of that step.

- `warmup_cosine` is compared with its closed form, computed here in float64, at every step from
  0 (right after construction) to a few steps past `total_steps`: so the end of warmup (t = W-1,
  W), the last step (t = total) and the hold at `min_lr` after it are all checked. Cases: several
  groups with different initial LRs, `min_lr` zero (also by default) and not, W = 0, 1 and
  total - 1. A second test saves `state_dict()` in the middle of a run (in the warmup and in the
  cosine part), loads it into a fresh scheduler over a fresh optimizer and goes on: the LRs must be
  the uninterrupted ones.
- `CosineAnnealingWarmRestarts` is compared with torch's class (tests/ch3/reference): integer
  `step()` sequences over several restarts (T_mult 1, 2 and 3; T_0 = 1 where every step is a
  restart), `eta_min` zero and not, two groups; then `step(epoch)` with fractional epochs, going
  back as well as forward, and `step()` after `step(epoch)`; and a `state_dict()` round trip as
  for warmup_cosine (after plain steps, and right after a fractional `step(epoch)`). No epoch
  given to `step(epoch)` lies on a restart boundary (or within 0.05 of one): there torch's own
  float formula (a logarithm for T_mult > 1) can round to either cycle, so two correct answers
  would differ.

Argument checks (`0 <= warmup_steps < total_steps`; `T_0 > 0`, `T_mult >= 1`) are conditions: any
exception counts (the curriculum names no type).
"""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.suite_helpers import call_text


def run_schedule(impl, name, lrs, args, kwargs, actions, split_at):
    """Probe: an SGD over one zero parameter per group (group i has LR lrs[i]), the scheduler
    `impl.<name>(optimizer, *args, **kwargs)`, then one action per entry of `actions`:
    `optimizer.step()` and then `scheduler.step()` (entry None) or `scheduler.step(entry)`.
    With `split_at`, before that action it saves `scheduler.state_dict()`, builds a fresh
    optimizer and scheduler the same way, loads the state into the new scheduler and goes on with
    those. Returns, after construction and after each action, every group's "lr" and
    get_last_lr(), as floats."""
    def build():
        groups = [{"params": [torch.zeros(2, dtype=torch.float64)], "lr": lr} for lr in lrs]
        optimizer = torch.optim.SGD(groups, lr=lrs[0])
        return optimizer, getattr(impl, name)(optimizer, *args, **kwargs)

    optimizer, scheduler = build()

    def record():
        return {"lr": [float(group["lr"]) for group in optimizer.param_groups],
                "last": [float(lr) for lr in scheduler.get_last_lr()]}

    records = [record()]
    for i, epoch in enumerate(actions):
        if i == split_at:
            saved = scheduler.state_dict()
            optimizer, scheduler = build()
            scheduler.load_state_dict(saved)
        optimizer.step()
        if epoch is None:
            scheduler.step()
        else:
            scheduler.step(epoch)
        records.append(record())
    return records


def construct(impl, name, args, kwargs):
    """Probe: 'raised' if `impl.<name>(optimizer, *args, **kwargs)` raises, else 'no exception'."""
    optimizer = torch.optim.SGD([torch.zeros(2, dtype=torch.float64)], lr=0.1)
    return probes.outcome(lambda: getattr(impl, name)(optimizer, *args, **kwargs))


def action_text(epoch):
    return "step()" if epoch is None else f"step({epoch})"


def moment(i, actions):
    """When record i was taken, in words."""
    if i == 0:
        return "right after construction (t=0)"
    if all(epoch is None for epoch in actions):
        return f"after {i} step() call{'s' if i > 1 else ''} (t={i})"
    return f"after action {i}, {action_text(actions[i - 1])}"


def compare_records(got, want, what, actions, first=0):
    """Per record from `first`: every group's "lr" and get_last_lr() against the expected LRs."""
    for i in range(first, len(want)):
        if len(got[i]["last"]) != len(want[i]):
            expect_equal(len(got[i]["last"]), len(want[i]),
                         what=f"{what}: len(get_last_lr()) {moment(i, actions)} (one LR per param group)")
        for g, lr in enumerate(want[i]):
            expect_close(got[i]["lr"][g], lr, what=f"{what}: param_groups[{g}]['lr'] {moment(i, actions)}")
            expect_close(got[i]["last"][g], lr, what=f"{what}: get_last_lr()[{g}] {moment(i, actions)}")


# ------------------------------------------------------------------ warmup_cosine

def closed_form(t, base, warmup, total, min_lr):
    """The LR of step t (float64, straight from the curriculum's formula)."""
    if t < warmup:
        return base * (t + 1) / warmup
    if t <= total:
        return min_lr + (base - min_lr) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
    return min_lr


WARMUP_CASES = [  # id, initial LRs of the groups, warmup_steps, total_steps, keyword arguments
    ("W3-total10-min-default", [0.1, 0.03, 1.0], 3, 10, {}),
    ("W5-total12-min0.01", [0.1, 0.5], 5, 12, {"min_lr": 0.01}),
    ("W0-total7-min0.001", [0.2, 0.05], 0, 7, {"min_lr": 0.001}),
    ("W1-total4-min0.02", [0.3], 1, 4, {"min_lr": 0.02}),
    ("W9-total10-min0", [0.1, 1.0], 9, 10, {"min_lr": 0.0}),
]
PAST_TOTAL = 4   # steps run after total_steps


def warmup_case(lrs, warmup, total, kwargs):
    actions = [None] * (total + PAST_TOTAL)
    min_lr = kwargs.get("min_lr", 0.0)
    want = [[closed_form(t, base, warmup, total, min_lr) for base in lrs] for t in range(len(actions) + 1)]
    call = call_text("warmup_cosine", f"SGD with {len(lrs)} group(s) of lr {lrs}", f"warmup_steps={warmup}",
                     f"total_steps={total}", kwargs=kwargs)
    what = f"{call}, stepped {len(actions)} times"
    return actions, want, what


@pytest.mark.exercise("ch3.schedules.warmup_cosine")
@pytest.mark.parametrize("case_id,lrs,warmup,total,kwargs", WARMUP_CASES, ids=[c[0] for c in WARMUP_CASES])
def test_warmup_cosine_matches_the_closed_form(student, case_id, lrs, warmup, total, kwargs):
    actions, want, what = warmup_case(lrs, warmup, total, kwargs)
    got = student.run(run_schedule, "warmup_cosine", lrs, [warmup, total], kwargs, actions, None)
    compare_records(got, want, what, actions)


SPLITS = [(WARMUP_CASES[0], 2), (WARMUP_CASES[1], 8)]   # saved in the warmup; in the cosine part


@pytest.mark.exercise("ch3.schedules.warmup_cosine")
@pytest.mark.parametrize("case,split_at", SPLITS, ids=["in-warmup", "in-cosine"])
def test_warmup_cosine_state_dict_mid_run_continues(student, case, split_at):
    _, lrs, warmup, total, kwargs = case
    actions, want, what = warmup_case(lrs, warmup, total, kwargs)
    got = student.run(run_schedule, "warmup_cosine", lrs, [warmup, total], kwargs, actions, split_at)
    what = (f"{what}, with state_dict() saved after {split_at} steps and loaded into a fresh scheduler "
            f"over a fresh optimizer that goes on")
    compare_records(got, want, what, actions, first=split_at + 1)


INVALID_WARMUP = [(-1, 5), (5, 5), (6, 5)]   # warmup_steps, total_steps


@pytest.mark.exercise("ch3.schedules.warmup_cosine")
@pytest.mark.condition
def test_warmup_cosine_invalid_steps_raise(student):
    got = [student.run(construct, "warmup_cosine", [warmup, total], {}) for warmup, total in INVALID_WARMUP]
    calls = "; ".join(f"[{i}] warmup_cosine(optimizer, {w}, {t})" for i, (w, t) in enumerate(INVALID_WARMUP))
    expect_equal(got, ["raised"] * len(INVALID_WARMUP),
                 what=f"each of {calls} must raise (it needs 0 <= warmup_steps < total_steps)")


# ------------------------------------------------------------------ CosineAnnealingWarmRestarts

RESTART_CASES = [  # id, initial LRs, T_0, keyword arguments, number of step() calls
    ("T3-defaults", [0.1, 0.5], 3, {}, 20),
    ("T2-mult2-min0.01", [0.1, 0.5], 2, {"T_mult": 2, "eta_min": 0.01}, 35),
    ("T1-mult3-min0.001", [0.2, 0.05], 1, {"T_mult": 3, "eta_min": 0.001}, 45),
    ("T4-mult1-min0.05", [0.3, 0.1], 4, {"T_mult": 1, "eta_min": 0.05}, 17),
    ("T1-mult1", [0.1, 0.5], 1, {}, 5),
]


def restarts_what(lrs, T_0, kwargs, actions):
    call = call_text("CosineAnnealingWarmRestarts", f"SGD with {len(lrs)} groups of lr {lrs}", f"T_0={T_0}",
                     kwargs=kwargs)
    return f"{call}, then {len(actions)} actions"


def compare_with_torch(student, reference, lrs, T_0, kwargs, actions, what, split_at=None):
    args = ("CosineAnnealingWarmRestarts", lrs, [T_0], kwargs, actions)
    got = student.run(run_schedule, *args, split_at)
    want = reference.run(run_schedule, *args, None)
    compare_records(got, [w["lr"] for w in want], what, actions, first=0 if split_at is None else split_at + 1)


@pytest.mark.exercise("ch3.schedules.CosineAnnealingWarmRestarts")
@pytest.mark.parametrize("case_id,lrs,T_0,kwargs,steps", RESTART_CASES, ids=[c[0] for c in RESTART_CASES])
def test_warm_restarts_step_matches_torch(student, reference, case_id, lrs, T_0, kwargs, steps):
    actions = [None] * steps
    what = restarts_what(lrs, T_0, kwargs, actions) + " (each a plain step())"
    compare_with_torch(student, reference, lrs, T_0, kwargs, actions, what)


# Restart boundaries: T_mult 2, T_0 2: 2, 6, 14, 30, 62; T_mult 1, T_0 3: multiples of 3;
# T_mult 3, T_0 1: 1, 4, 13, 40, 121. Every epoch below is at least 0.05 away from them.
EPOCH_CASES = [  # id, initial LRs, T_0, keyword arguments, actions (None: step(), a number: step(number))
    ("T2-mult2-forward", [0.1, 0.5], 2, {"T_mult": 2, "eta_min": 0.01},
     [0.25, 0.5, 1.1, 1.9, 2.3, 3.7, 5.5, 6.2, 9.9, 13.7, 14.3, 20.5, 29.6, 31.2, 45.0, 61.5, 63.25]),
    ("T2-mult2-back-and-forth", [0.1, 0.5], 2, {"T_mult": 2, "eta_min": 0.01},
     [5.5, 1.2, 20.75, 7.3, 0.4, 3.3, 40.0, 10.0]),
    ("T3-mult1", [0.2, 0.05], 3, {"eta_min": 0.02}, [0.5, 2.9, 3.1, 4.5, 7.25, 12.6, 1.4, 5.0, 100.5, 2.0]),
    ("T1-mult3", [0.2, 0.05], 1, {"T_mult": 3, "eta_min": 0.001},
     [0.3, 0.9, 1.5, 2.5, 5.2, 12.5, 20.0, 39.5, 41.0, 100.0, 2.2, 130.7]),
    ("T2-mult2-mixed", [0.1, 0.5], 2, {"T_mult": 2, "eta_min": 0.01},
     [None, None, 7.5, None, None, 2.25, None, 10, None, 3, None]),
    ("T3-mult1-mixed", [0.2, 0.05], 3, {"eta_min": 0.02}, [None, None, 7.5, None, None, 2.25, None, 10, None]),
]


@pytest.mark.exercise("ch3.schedules.CosineAnnealingWarmRestarts")
@pytest.mark.parametrize("case_id,lrs,T_0,kwargs,actions", EPOCH_CASES, ids=[c[0] for c in EPOCH_CASES])
def test_warm_restarts_step_epoch_matches_torch(student, reference, case_id, lrs, T_0, kwargs, actions):
    what = restarts_what(lrs, T_0, kwargs, actions) + f": {', '.join(map(action_text, actions))}"
    compare_with_torch(student, reference, lrs, T_0, kwargs, actions, what)


RESTART_SPLITS = [(RESTART_CASES[1], [None] * 20, 9), (EPOCH_CASES[4], EPOCH_CASES[4][4], 3)]


@pytest.mark.exercise("ch3.schedules.CosineAnnealingWarmRestarts")
@pytest.mark.parametrize("case,actions,split_at", RESTART_SPLITS, ids=["steps", "after-step-7.5"])
def test_warm_restarts_state_dict_mid_run_continues(student, reference, case, actions, split_at):
    _, lrs, T_0, kwargs, _ = case
    what = (f"{restarts_what(lrs, T_0, kwargs, actions)}: {', '.join(map(action_text, actions))}, with "
            f"state_dict() saved after action {split_at} and loaded into a fresh scheduler over a fresh "
            f"optimizer that goes on")
    compare_with_torch(student, reference, lrs, T_0, kwargs, actions, what, split_at)


INVALID_RESTARTS = [(0, {}), (-2, {}), (3, {"T_mult": 0})]


@pytest.mark.exercise("ch3.schedules.CosineAnnealingWarmRestarts")
@pytest.mark.condition
def test_warm_restarts_invalid_arguments_raise(student):
    got = [student.run(construct, "CosineAnnealingWarmRestarts", [T_0], kwargs) for T_0, kwargs in INVALID_RESTARTS]
    calls = "; ".join(f"[{i}] " + call_text("CosineAnnealingWarmRestarts", "optimizer", str(T_0), kwargs=kw)
                      for i, (T_0, kw) in enumerate(INVALID_RESTARTS))
    expect_equal(got, ["raised"] * len(INVALID_RESTARTS),
                 what=f"each of {calls} must raise (T_0 must be > 0 and T_mult >= 1)")
