"""Hidden suite for ch3/amp.py: the student's GradScaler and torch.amp.GradScaler driven through
the same training run, compared after every iteration.

A run: six parameters in two param groups of an SGD optimizer with momentum (a step that should
have been skipped leaves a trace in the momentum), one parameter that never gets a gradient and
one that misses it on some iterations. Each iteration takes the loss sum(p * c) over the
parameters (c random, at very different sizes per parameter), backpropagates `scaler.scale(loss)`
(so every gradient is S * c), plants inf, -inf or NaN in a gradient on chosen iterations (NaN
alone on some: a check with isinf only misses them; in the second group alone on some: a check of
the first group only misses them; two bad iterations in a row; bad iterations exactly when the
scale would have grown), calls `unscale_` explicitly on every fourth iteration (as one does
before clipping) and leaves it to `step` on the others, then `step` and `update`. The optimizer
counts its step() calls, records the arguments it got, and returns the count (which
`scaler.step` must hand back, or None when it skips).

Compared at every iteration: the scale before it, the scaled loss, the gradients after
unscaling, whether optimizer.step ran, what scaler.step returned, every parameter, and the scale
after update(). All scales are powers of two (growth and backoff factors too), which float32
and Python floats hold exactly, so any correct bookkeeping of S agrees with torch's float32 one.
growth_interval is small (1 to 3) so that the scale grows many times in 40 iterations, and one case
has growth_factor * backoff_factor != 1 (with the defaults 2 and 0.5, using one for the other by
division goes unnoticed).
Other tests: scale() alone (dtype, shape, device, input unchanged), update(new_scale) as a float
and as a one-element tensor, enabled=False, two optimizers sharing one scaler, and unscale_
twice in one iteration (must raise; CURRICULUM rule 8: any exception).

No meta-device check: the scaler's behaviour depends on the gradients' values (inf/NaN).
"""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.suite_helpers import gen, where

SHAPES = [[(3, 4), (5,), (2, 3, 2)], [(4, 1), (6,), (2, 2)]]   # group 0, group 1
COEFF_SIZES = [1.0, 1e-3, 3.0, 0.5, 1e-2]                       # the sixth parameter never gets a gradient
NO_GRAD = 5
GAPPY = 3                       # this parameter is left out of the loss on the iterations below
GAPS = {4, 5, 6, 17, 30}
STEPS = 40
EXPLICIT_EVERY = 4              # unscale_ called explicitly on iterations 1, 5, 9, ...
INF, NAN = math.inf, math.nan
# iteration -> [(parameter, flat index, value planted in its gradient after backward)]
# With growth_interval=3 the scale grows at the end of iterations 2, 8, 12, 21, 24, 30, 36, 39,
# and 5, 18, 27 and 33 are bad exactly when it would have grown; 14 and 15 are bad in a row.
BAD = {
    5: [(0, 1, INF)],
    9: [(3, 0, NAN)],
    14: [(2, 4, -INF)],
    15: [(1, 2, NAN)],
    18: [(4, 3, INF)],
    27: [(0, 7, NAN)],
    33: [(2, 0, INF), (4, 1, NAN)],
}

CASES = [  # (case id, GradScaler keyword arguments besides device)
    ("defaults", {}),
    ("interval-3", {"init_scale": 2.0**10, "growth_interval": 3}),
    ("factors", {"init_scale": 2.0**6, "growth_factor": 4.0, "backoff_factor": 0.5, "growth_interval": 3}),
    ("interval-1", {"init_scale": 0.25, "growth_interval": 1}),
]


# ------------------------------------------------------------------ the probes

def training_run(impl, device, scaler_kwargs, values, plan, step_args):
    """Probe: GradScaler(device=device, **scaler_kwargs) and an SGD(lr=0.1, momentum=0.9) over two
    param groups made from `values`, driven through `plan` (one dict per iteration: "coeffs", a
    tensor per parameter or None to leave it out of the loss; "inject", [(parameter, flat index,
    value)] planted in gradients after backward; "unscale", call unscale_ before step;
    "new_scale", passed to update). scaler.step gets `step_args` (args, kwargs) after the optimizer.
    Returns one record per iteration."""

    class CountingSGD(torch.optim.SGD):
        def step(self, *args, **kwargs):
            torch.optim.SGD.step(self)
            self.calls.append([list(args), dict(kwargs)])
            return len(self.calls)

    groups = [[v.clone().requires_grad_() for v in group] for group in values]
    params = [p for group in groups for p in group]
    opt = CountingSGD([{"params": groups[0]}, {"params": groups[1]}], lr=0.1, momentum=0.9)
    opt.calls = []
    scaler = impl.GradScaler(device=device, **scaler_kwargs)
    args, kwargs = step_args
    records = []
    for it in plan:
        opt.zero_grad()
        record = {"scale_before": scaler.get_scale()}
        loss = sum((p * c).sum() for p, c in zip(params, it["coeffs"]) if c is not None)
        scaled = scaler.scale(loss)
        record["scaled_loss"] = scaled.detach().clone()
        scaled.backward()
        for i, k, value in it["inject"]:
            with torch.no_grad():
                params[i].grad.view(-1)[k] = value
        if it["unscale"]:
            scaler.unscale_(opt)
            record["grads"] = [None if p.grad is None else p.grad.clone() for p in params]
        calls_before = len(opt.calls)
        record["returned"] = scaler.step(opt, *args, **kwargs)
        record["stepped"] = len(opt.calls) > calls_before
        if not it["unscale"]:
            record["grads"] = [None if p.grad is None else p.grad.clone() for p in params]
        record["params"] = [p.detach().clone() for p in params]
        scaler.update(it["new_scale"])
        record["scale_after"] = scaler.get_scale()
        records.append(record)
    return {"iterations": records, "optimizer_step_calls": opt.calls}


def scale_only(impl, device, scaler_kwargs, outputs):
    """Probe: scaler.scale(each tensor of outputs); also outputs afterwards (must not change)."""
    scaler = impl.GradScaler(device=device, **scaler_kwargs)
    before = [o.clone() for o in outputs]
    scaled = [scaler.scale(o) for o in outputs]
    return {"scaled": scaled, "outputs_after": outputs, "outputs_before": before}


def two_optimizers(impl, device, scaler_kwargs, values, plan):
    """Probe: one GradScaler shared by two SGD optimizers (values[0] and values[1]); each iteration
    backpropagates the scaled loss sum(p * c), plants `inject`, unscale_s the first optimizer
    explicitly when `unscale`, steps both, then update(). Returns per iteration whether each
    optimizer stepped, the parameters and the scale after update()."""

    class CountingSGD(torch.optim.SGD):
        def step(self, *args, **kwargs):
            torch.optim.SGD.step(self)
            self.calls += 1

    groups = [[v.clone().requires_grad_() for v in group] for group in values]
    params = [p for group in groups for p in group]
    opts = [CountingSGD(group, lr=0.1) for group in groups]
    for opt in opts:
        opt.calls = 0
    scaler = impl.GradScaler(device=device, **scaler_kwargs)
    records = []
    for it in plan:
        for opt in opts:
            opt.zero_grad()
        loss = sum((p * c).sum() for p, c in zip(params, it["coeffs"]))
        scaler.scale(loss).backward()
        for i, k, value in it["inject"]:
            with torch.no_grad():
                params[i].grad.view(-1)[k] = value
        if it["unscale"]:
            scaler.unscale_(opts[0])
        before = [opt.calls for opt in opts]
        for opt in opts:
            scaler.step(opt)
        stepped = [opt.calls > b for opt, b in zip(opts, before)]
        scaler.update()
        records.append({"stepped": stepped, "params": [p.detach().clone() for p in params],
                        "scale_after": scaler.get_scale()})
    return records


def unscale_twice(impl, device, value, coeff):
    """Probe: unscale_ twice in one iteration; then, after step and update, unscale_ again in the
    next iteration (which is allowed). Returns what happened each time."""
    p = value.clone().requires_grad_()
    opt = torch.optim.SGD([p], lr=0.1)
    scaler = impl.GradScaler(device=device, init_scale=8.0)
    scaler.scale((p * coeff).sum()).backward()
    scaler.unscale_(opt)
    second = probes.outcome(lambda: scaler.unscale_(opt))
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()
    scaler.scale((p * coeff).sum()).backward()
    next_iteration = probes.outcome(lambda: scaler.unscale_(opt))
    return {"second_unscale": second, "next_iteration": next_iteration}


# ------------------------------------------------------------------ the inputs

def make_values(device, dtype, seed):
    g = gen(seed)
    return [[torch.randn(s, generator=g, dtype=torch.float64).to(device, dtype) for s in group]
            for group in SHAPES]


def make_plan(device, dtype, seed, steps=STEPS, bad=None, explicit_every=EXPLICIT_EVERY, new_scales=None):
    """One dict per iteration (see training_run). new_scales: iteration -> value for update()."""
    g = gen(seed)
    shapes = SHAPES[0] + SHAPES[1]
    bad = BAD if bad is None else bad
    plan = []
    for step in range(steps):
        coeffs = []
        for i, s in enumerate(shapes):
            c = None
            if i != NO_GRAD:
                c = COEFF_SIZES[i] * (torch.randn(s, generator=g, dtype=torch.float64) + 0.3)
                c = None if (i == GAPPY and step in GAPS) else c.to(device, dtype)
            coeffs.append(c)
        plan.append({"coeffs": coeffs, "inject": [list(x) for x in bad.get(step, [])],
                     "unscale": step % explicit_every == 1,
                     "new_scale": (new_scales or {}).get(step)})
    return plan


def describe_iteration(step, it):
    parts = []
    if it["inject"]:
        planted = ", ".join(f"{v} in parameter {i}'s gradient" for i, _, v in it["inject"])
        parts.append(f"{planted} planted after backward")
    else:
        parts.append("finite gradients")
    parts.append("unscale_ called explicitly before step" if it["unscale"] else "unscale_ left to step")
    if it["new_scale"] is not None:
        ns = it["new_scale"]
        parts.append(f"then update(new_scale={ns.tolist() if torch.is_tensor(ns) else ns!r})")
    return f"iteration {step} ({'; '.join(parts)})"


def compare_runs(got, want, plan, what):
    for step, (g, w) in enumerate(zip(got["iterations"], want["iterations"])):
        at = f"{what}, {describe_iteration(step, plan[step])}"
        expect_close(g["scale_before"], w["scale_before"], what=f"{at}: get_scale() before it")
        expect_close(g["scaled_loss"], w["scaled_loss"], what=f"{at}: scale(loss)")
        expect_close(g["grads"], w["grads"],
                     what=f"{at}: the gradients after unscaling (None: the parameter has no gradient)")
        expect_equal(g["stepped"], w["stepped"], what=f"{at}: did scaler.step(optimizer) call optimizer.step()")
        expect_equal(g["returned"], w["returned"],
                     what=f"{at}: what scaler.step returned (optimizer.step's result, or None when skipped)")
        expect_close(g["params"], w["params"], what=f"{at}: the parameters after scaler.step")
        expect_close(g["scale_after"], w["scale_after"], what=f"{at}: get_scale() after update()")
    expect_equal(got["optimizer_step_calls"], want["optimizer_step_calls"],
                 what=f"{what}: the arguments optimizer.step got on each call")


def kwargs_text(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def run_both(student, reference, probe, *args):
    return student.run(probe, *args), reference.run(probe, *args)


# ------------------------------------------------------------------ the tests

@pytest.mark.exercise("ch3.amp.GradScaler")
@pytest.mark.parametrize("case_id,kwargs", CASES, ids=[c for c, _ in CASES])
def test_training_run_matches_torch(student, reference, case_id, kwargs, device, dtype):
    values = make_values(device, dtype, seed=len(case_id))
    plan = make_plan(device, dtype, seed=10 + len(case_id))
    step_args = ([], {})
    got, want = run_both(student, reference, training_run, device, kwargs, values, plan, step_args)
    what = (f"GradScaler(device={device!r}{', ' + kwargs_text(kwargs) if kwargs else ''}) over SGD(lr=0.1, "
            f"momentum=0.9) with two param groups, {STEPS} iterations {where(device, dtype)}")
    compare_runs(got, want, plan, what)


@pytest.mark.exercise("ch3.amp.GradScaler")
def test_step_passes_arguments_to_the_optimizer_and_returns_its_result(student, reference, device):
    kwargs = {"init_scale": 2.0**4, "growth_interval": 2}
    bad = {2: [(0, 0, INF)], 5: [(4, 2, NAN)]}
    values = make_values(device, torch.float32, seed=3)
    plan = make_plan(device, torch.float32, seed=4, steps=8, bad=bad)
    step_args = ([7, "x"], {"flag": True})
    got, want = run_both(student, reference, training_run, device, kwargs, values, plan, step_args)
    what = (f"GradScaler(device={device!r}, {kwargs_text(kwargs)}), 8 iterations calling "
            f"scaler.step(optimizer, 7, 'x', flag=True) {where(device, torch.float32)}")
    compare_runs(got, want, plan, what)


NEW_SCALES = [  # (case id, bad iterations, iteration -> new_scale: floats, made tensors in the tensor variant)
    # update(new_scale) only on bad iterations right after a growth or a backoff, where the count of
    # clean iterations is 0 however one treats it: the scale is set (no backoff on top), and grows from there
    ("on-bad-iterations", {3: [(0, 1, INF)], 4: [(2, 0, NAN)], 8: [(4, 2, INF)]}, {3: 2.0**3, 4: 2.0**12, 8: 0.5}),
    # update(new_scale) on clean iterations with the count at 1: the count is kept and this iteration is
    # not counted (torch), so the next growth comes two clean iterations later
    ("count-kept", {5: [(0, 1, INF)], 8: [(2, 0, NAN)]}, {4: 2.0**3, 10: 2.0**12}),
]

NEW_SCALES_BY_ID = {case_id: new_scales for case_id, _, new_scales in NEW_SCALES}


@pytest.mark.exercise("ch3.amp.GradScaler")
@pytest.mark.parametrize("as_tensor", [False, True], ids=["float", "tensor"])
@pytest.mark.parametrize("case_id,bad,new_scales", NEW_SCALES, ids=[c for c, _, _ in NEW_SCALES])
def test_update_with_new_scale(student, reference, case_id, bad, new_scales, as_tensor, device):
    dtype = torch.float64
    kwargs = {"init_scale": 2.0**8, "growth_interval": 3}
    if as_tensor:   # a 0-d float32 tensor on the scaler's device (torch 2.13 refuses shape [1])
        new_scales = {k: torch.tensor(v, dtype=torch.float32, device=device) for k, v in new_scales.items()}
    values = make_values(device, dtype, seed=5)
    plan = make_plan(device, dtype, seed=6, steps=16, bad=bad, new_scales=new_scales)
    got, want = run_both(student, reference, training_run, device, kwargs, values, plan, ([], {}))
    calls = ", ".join(f"{v!r} after iteration {k}" for k, v in NEW_SCALES_BY_ID[case_id].items())
    what = (f"GradScaler(device={device!r}, {kwargs_text(kwargs)}), 16 iterations {where(device, dtype)}, "
            f"update(new_scale) given {'a 0-d tensor' if as_tensor else 'a float'} ({calls})")
    compare_runs(got, want, plan, what)


@pytest.mark.exercise("ch3.amp.GradScaler")
def test_disabled_scaler_passes_everything_through(student, reference, device, dtype):
    kwargs = {"init_scale": 2.0**5, "growth_interval": 1, "enabled": False}
    bad = {10: [(0, 1, INF)]}
    values = make_values(device, dtype, seed=7)
    plan = make_plan(device, dtype, seed=8, steps=12, bad=bad)
    got, want = run_both(student, reference, training_run, device, kwargs, values, plan, ([], {}))
    what = f"GradScaler(device={device!r}, {kwargs_text(kwargs)}), 12 iterations {where(device, dtype)}"
    compare_runs(got, want, plan, what)


@pytest.mark.exercise("ch3.amp.GradScaler")
@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_scale_keeps_shape_dtype_and_device(student, reference, enabled, device, dtype):
    kwargs = {"init_scale": 2.0**10, "enabled": enabled}
    g = gen(9)
    outputs = [torch.randn((), generator=g, dtype=torch.float64).to(device, dtype),
               torch.randn(4, 3, generator=g, dtype=torch.float64).to(device, dtype)]
    got, want = run_both(student, reference, scale_only, device, kwargs, outputs)
    what = f"GradScaler(device={device!r}, {kwargs_text(kwargs)}).scale(outputs) {where(device, dtype)}"
    expect_close(got["scaled"], want["scaled"], what=f"{what}, for a 0-d loss and a [4,3] tensor")
    expect_equal(got["outputs_after"], got["outputs_before"], what=f"{what}: outputs after the call (must not change)")


@pytest.mark.exercise("ch3.amp.GradScaler")
def test_two_optimizers_share_one_scaler(student, reference, device):
    dtype = torch.float64
    kwargs = {"init_scale": 2.0**6, "growth_interval": 2}
    # iteration 1: inf in the first optimizer's gradients only; 4: NaN in the second's only; 6: both
    bad = {1: [(0, 2, INF)], 4: [(4, 0, NAN)], 6: [(1, 1, NAN), (3, 2, -INF)]}
    values = make_values(device, dtype, seed=11)
    g = gen(12)
    shapes = SHAPES[0] + SHAPES[1]
    plan = [{"coeffs": [torch.randn(s, generator=g, dtype=torch.float64).to(device, dtype) for s in shapes],
             "inject": [list(x) for x in bad.get(step, [])], "unscale": step % 2 == 0} for step in range(9)]
    got, want = run_both(student, reference, two_optimizers, device, kwargs, values, plan)
    what = (f"one GradScaler(device={device!r}, {kwargs_text(kwargs)}) for two SGD optimizers (parameters 0-2 "
            f"and 3-5), 9 iterations {where(device, dtype)}")
    for step, (gr, wr) in enumerate(zip(got, want)):
        planted = ", ".join(f"{v} in parameter {i}'s gradient" for i, _, v in plan[step]["inject"]) or "none"
        at = f"{what}, iteration {step} (planted: {planted})"
        expect_equal(gr["stepped"], wr["stepped"], what=f"{at}: did each optimizer's step() run")
        expect_close(gr["params"], wr["params"], what=f"{at}: the parameters after both steps")
        expect_close(gr["scale_after"], wr["scale_after"], what=f"{at}: get_scale() after update()")


@pytest.mark.exercise("ch3.amp.GradScaler")
@pytest.mark.condition
def test_unscale_twice_in_one_iteration_raises(student, device):
    g = gen(13)
    value, coeff = (torch.randn(5, generator=g, dtype=torch.float64).to(device) for _ in range(2))
    got = student.run(unscale_twice, device, value, coeff)
    what = f"GradScaler(device={device!r}, init_scale=8.0): unscale_(optimizer) {where(device, torch.float64)}"
    expect_equal(got["second_unscale"], "raised",
                 what=f"{what} a second time before update() (must raise: the gradients would be divided twice)")
    expect_equal(got["next_iteration"], "no exception",
                 what=f"{what} once in the iteration after step() and update() (allowed again)")
