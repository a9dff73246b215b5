"""Hidden suite for ch4/early_stopping.py: EarlyStopping's answer and attributes after every step.

A probe builds `EarlyStopping(patience, **kwargs)` (`min_delta` and `mode` by keyword, CURRICULUM
rule 8), records `best_step` before the first step (None), then calls `step(value)` once per
value and records, after every call, what it returned, `best`, `best_step` and `num_bad_steps`.
The student's records must equal the reference's (tests/ch4/reference: an independent
implementation that rescans the whole history), which each test first cross-checks against a
second formulation written here (a single forward scan, `forward_scan`).

Values are Python floats (the curriculum's `value`; 0-d tensors are not tested), all multiples of
1/8 of moderate size, and `min_delta` is 0, 0.25 or 0.5: every sum and difference is then exact in
floating point, so `value < best - min_delta`, `best - value > min_delta` and the like all give
the same answer, and "better by exactly min_delta" really is exact.

The hand-written cases cover patience 1, 2 and 3, `min_delta` 0 (also by default) and positive,
both modes, equal values (not an improvement), values better by less than and by exactly
`min_delta` (not improvements), negative values, steps after a True (still True until an
improvement), and a late improvement after stopping was signalled (resets the count, returns
False). Seeded random sequences then cover patience 1 to 5 in both modes.

Not tested (the curriculum leaves them open): `best` and `num_bad_steps` before the first step,
NaN values, negative `min_delta`, the type of `best` (values are compared, so a float and an int
are the same). Argument checks (`patience >= 1`; mode 'min' or 'max') are conditions: any
exception counts (the curriculum names no type).
"""
import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_equal
from autograder.suite_helpers import call_text, gen

EXERCISE = "ch4.early_stopping.EarlyStopping"


def run_stopper(impl, patience, kwargs, values):
    """Probe: `impl.EarlyStopping(patience, **kwargs)`, then `step(v)` for each of `values`.
    Returns `best_step` before the first step, and after every step what `step` returned (as a
    bool), `best` (a float), `best_step` and `num_bad_steps`."""
    stopper = impl.EarlyStopping(patience, **kwargs)
    before = stopper.best_step
    steps = []
    for value in values:
        stop = stopper.step(value)
        best, best_step = stopper.best, stopper.best_step
        steps.append({"returned": bool(stop),
                      "best": None if best is None else float(best),
                      "best_step": None if best_step is None else int(best_step),
                      "num_bad_steps": int(stopper.num_bad_steps)})
    return {"best_step_before": None if before is None else int(before), "steps": steps}


def forward_scan(patience, values, min_delta=0.0, mode="min"):
    """The second formulation: the records `run_stopper` should return, from one forward scan
    that keeps only the best value and its index (num_bad_steps is the distance to that index)."""
    better = (lambda v, b: v < b - min_delta) if mode == "min" else (lambda v, b: v > b + min_delta)
    best, best_step, steps = None, None, []
    for t, value in enumerate(values):
        if best_step is None or better(value, best):
            best, best_step = value, t
        bad = t - best_step
        steps.append({"returned": bad >= patience, "best": float(best), "best_step": best_step,
                      "num_bad_steps": bad})
    return {"best_step_before": None, "steps": steps}


def stopper_text(patience, kwargs):
    return call_text("EarlyStopping", str(patience), kwargs=kwargs)


def compare_runs(student, reference, patience, kwargs, values):
    """Student against reference, step by step; the reference first against forward_scan."""
    want = reference.run(run_stopper, patience, kwargs, values)
    assert want == forward_scan(patience, values, **kwargs), "kit bug: the two references disagree"
    got = student.run(run_stopper, patience, kwargs, values)
    stopper = stopper_text(patience, kwargs)
    expect_equal(got["best_step_before"], None, what=f"{stopper}: best_step before the first step() call")
    expect_equal(len(got["steps"]), len(values), what=f"{stopper}: number of step() calls recorded")
    for i, (g, w) in enumerate(zip(got["steps"], want["steps"])):
        what = f"{stopper}, after step() call #{i} (0-based) of the values {values[:i + 1]}"
        expect_equal(g["returned"], w["returned"], what=f"{what}: the bool step() returned")
        expect_equal(g["best"], w["best"], what=f"{what}: best")
        expect_equal(g["best_step"], w["best_step"], what=f"{what}: best_step (0-based)")
        expect_equal(g["num_bad_steps"], w["num_bad_steps"], what=f"{what}: num_bad_steps")


CASES = [  # id, patience, keyword arguments, values
    ("min-p3-ties-then-late-improvement", 3, {},
     [1.0, 0.75, 0.75, 0.875, 0.5, 0.5, 0.625, 0.75, 0.875, 1.0, 0.25, 0.5, 0.25]),
    ("min-p1", 1, {"min_delta": 0.0, "mode": "min"}, [2.0, 1.5, 1.5, 1.75, 1.0, 1.25, 1.25, 0.5, 0.625]),
    ("min-p2-delta0.25", 2, {"min_delta": 0.25},
     [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.125, -0.25, 0.0]),
    ("min-p3-negative", 3, {"mode": "min"}, [-1.0, -1.5, -1.25, -1.5, -2.0, -1.875, -2.0, -1.0, -2.5]),
    ("max-p2", 2, {"mode": "max"}, [0.5, 0.75, 0.75, 0.625, 0.875, 0.5, 0.875, 0.875, 1.0, 0.25]),
    ("max-p3-delta0.25", 3, {"min_delta": 0.25, "mode": "max"},
     [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.5, 0.875, 1.0, 1.125, 1.5]),
    ("max-p1-delta0.5-negative", 1, {"min_delta": 0.5, "mode": "max"},
     [-3.0, -2.5, -2.0, -2.0, -1.375, -2.0, -0.5, -0.25]),
    ("min-p2-first-value-large", 2, {}, [100.0, 3.0, 4.0, 5.0, 6.0, 2.875]),
]


@pytest.mark.exercise(EXERCISE)
@pytest.mark.parametrize("case_id,patience,kwargs,values", CASES, ids=[c[0] for c in CASES])
def test_EarlyStopping_every_step(student, reference, case_id, patience, kwargs, values):
    compare_runs(student, reference, patience, kwargs, values)


RANDOM_SETTINGS = [(patience, min_delta, mode) for mode in ("min", "max")
                   for patience, min_delta in [(1, 0.0), (2, 0.25), (3, 0.0), (5, 0.5)]]


def random_walk(seed, length=40):
    """A seeded walk in steps of 1/8 (ties and steps of exactly 0.25 and 0.5 are common)."""
    steps = torch.randint(-4, 5, (length,), generator=gen(seed)).to(torch.float64) / 8
    return (4.0 + steps.cumsum(0)).tolist()


@pytest.mark.exercise(EXERCISE)
@pytest.mark.parametrize("patience,min_delta,mode", RANDOM_SETTINGS, ids=str)
def test_EarlyStopping_random_walks(student, reference, patience, min_delta, mode):
    for seed in range(3):
        compare_runs(student, reference, patience, {"min_delta": min_delta, "mode": mode}, random_walk(seed))


INVALID = [(0, {}), (-1, {}), (0, {"mode": "max"}), (2, {"mode": "maximize"}), (2, {"mode": "mean"})]


@pytest.mark.exercise(EXERCISE)
@pytest.mark.condition
def test_EarlyStopping_invalid_arguments_raise(student):
    got = [student.run(probes.raises, "EarlyStopping", [patience], kwargs) for patience, kwargs in INVALID]
    calls = "; ".join(f"[{i}] {stopper_text(p, kw)}" for i, (p, kw) in enumerate(INVALID))
    expect_equal(got, ["raised"] * len(INVALID),
                 what=f"each of {calls} must raise (patience must be >= 1, mode 'min' or 'max')")
