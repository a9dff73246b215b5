"""Hidden suite for ch3/accumulation.py: one accumulated step against one full-batch step.

The reference is the step accumulation must reproduce: the whole batch through the model and the
loss at once, one backward, one SGD step (torch has no counterpart). The probe builds a small MLP
(Linear 5->6, Tanh, Linear 6->3: no layer depends on the batch, so micro-batches change nothing
but rounding) from the same weights on both sides, wraps `loss_fn` to record how many rows each
call gets and the optimizer's `step` to count its calls, and returns the parameters after the
step, the `.grad` left in them, the returned loss, the step count and the batch afterwards.

Cases: N divisible by the micro-batch size and not (the last micro-batch shorter: plain averages
of micro-batch means and weights of micro_batch_size / N go wrong only there), micro_batch_size
equal to N and larger than N, and 1; mean squared error on [N,3] targets and cross-entropy on
class ids. SGD with lr 0.5 makes a wrongly scaled gradient visible in the parameters too. A
second test leaves stale gradients in the parameters before the call: they must not leak in.
What is spec about the micro-batches: `loss_fn` never sees more than `micro_batch_size` rows (the
split itself, contiguous or not, and how often `loss_fn` is called are free; the gradients show
whether every row counted once).
"""
import pytest
import torch
import torch.nn.functional as F  # noqa: F401 (a probe sees it as `F`: PROBE_GLOBALS)

from autograder.compare import TOLERANCES, expect_close, expect_equal
from autograder.suite_helpers import gen, where

D_IN, HIDDEN, D_OUT = 5, 6, 3
LR = 0.5
CASES = [  # (N, micro_batch_size, loss)
    (12, 4, "mse"),
    (10, 4, "mse"),
    (10, 3, "cross_entropy"),
    (11, 5, "cross_entropy"),
    (6, 6, "mse"),
    (5, 8, "mse"),
    (7, 1, "cross_entropy"),
]
CASE_IDS = [f"N{n}-micro{m}-{loss}" for n, m, loss in CASES]


def accumulate(impl, state, x, y, micro_batch_size, loss_name, stale_grads):
    """Probe: an MLP (Linear, Tanh, Linear) holding `state`, SGD over its parameters with a
    counted step(), and a loss_fn ('mse' or 'cross_entropy', batch means) that records the rows it
    gets; `stale_grads` (or None) are put into .grad before the call. Runs
    impl.accumulated_step(model, loss_fn, (x, y), micro_batch_size, optimizer)."""
    w1, w2 = state["0.weight"], state["2.weight"]
    model = torch.nn.Sequential(
        torch.nn.Linear(w1.shape[1], w1.shape[0], device="meta", dtype=w1.dtype),
        torch.nn.Tanh(),
        torch.nn.Linear(w2.shape[1], w2.shape[0], device="meta", dtype=w2.dtype))
    model.to_empty(device=w1.device)
    model.load_state_dict(state)
    params = list(model.parameters())
    if stale_grads is not None:
        for p, g in zip(params, stale_grads):
            p.grad = g.clone()

    rows_seen = []

    def loss_fn(out, target):
        rows_seen.append(int(out.shape[0]))
        if loss_name == "mse":
            return F.mse_loss(out, target)
        return F.cross_entropy(out, target)

    optimizer = torch.optim.SGD(params, lr=0.5)
    steps = []
    plain_step = optimizer.step

    def counted_step(*args, **kwargs):
        steps.append(len(rows_seen))
        return plain_step(*args, **kwargs)

    optimizer.step = counted_step
    loss = impl.accumulated_step(model, loss_fn, (x, y), micro_batch_size, optimizer)
    return {"params": [p.detach().clone() for p in params],
            "grads": [None if p.grad is None else p.grad.clone() for p in params],
            "loss": float(loss), "steps": len(steps), "rows_per_loss_call": rows_seen, "x": x, "y": y}


def make_problem(n, loss_name, device, dtype, seed):
    """The MLP's weights, x[N, 5] and targets: y[N, 3] (mse) or class ids in [0, 3) (cross-entropy)."""
    g = gen(seed)
    shapes = {"0.weight": (HIDDEN, D_IN), "0.bias": (HIDDEN,), "2.weight": (D_OUT, HIDDEN), "2.bias": (D_OUT,)}
    state = {k: 0.7 * torch.randn(s, generator=g, dtype=torch.float64).to(device, dtype) for k, s in shapes.items()}
    x = torch.randn(n, D_IN, generator=g, dtype=torch.float64).to(device, dtype)
    if loss_name == "mse":
        y = torch.randn(n, D_OUT, generator=g, dtype=torch.float64).to(device, dtype)
    else:
        y = torch.randint(0, D_OUT, (n,), generator=g).to(device)
    return state, x, y


def stale(state, seed):
    g = gen(seed)
    return [3.0 * torch.randn(t.shape, generator=g, dtype=torch.float64).to(t.device, t.dtype) for t in state.values()]


def compare_steps(got, want, x, y, micro_batch_size, what, dtype):
    rtol, atol = TOLERANCES[dtype]
    expect_equal(got["steps"], 1,
                 what=f"{what}: how many times optimizer.step() was called (once, after all micro-batches)")
    biggest = max(got["rows_per_loss_call"], default=0)
    expect_equal(biggest <= micro_batch_size, True,
                 what=f"{what}: loss_fn got micro-batches of {got['rows_per_loss_call']} rows; none may have "
                      f"more than micro_batch_size={micro_batch_size}")
    expect_close(got["grads"], want["grads"], what=f"{what}: the .grad left in the parameters "
                                                    f"(must be the gradient of the full-batch mean loss)")
    expect_close(got["params"], want["params"], what=f"{what}: the parameters after the step")
    expect_close(got["loss"], want["loss"], rtol=rtol, atol=atol, what=f"{what}: the returned loss "
                                                                         f"(the full-batch mean loss)")
    expect_equal(got["x"], x, what=f"{what}: x after the call (must not change)")
    expect_equal(got["y"], y, what=f"{what}: y after the call (must not change)")


def describe(n, micro_batch_size, loss_name, device, dtype):
    target = "y[N,3], mse_loss" if loss_name == "mse" else "class ids y[N], cross_entropy"
    return (f"accumulated_step(MLP 5-6-3, {loss_name} batch mean, (x[{n},5], {target}), micro_batch_size="
            f"{micro_batch_size}, SGD(lr={LR})) {where(device, dtype)}")


@pytest.mark.exercise("ch3.accumulation.accumulated_step")
@pytest.mark.parametrize("n,micro_batch_size,loss_name", CASES, ids=CASE_IDS)
def test_accumulated_step_matches_a_full_batch_step(student, reference, n, micro_batch_size, loss_name,
                                                    device, dtype):
    state, x, y = make_problem(n, loss_name, device, dtype, seed=n + micro_batch_size)
    args = (state, x, y, micro_batch_size, loss_name, None)
    got = student.run(accumulate, *args)
    want = reference.run(accumulate, *args)
    compare_steps(got, want, x, y, micro_batch_size, describe(n, micro_batch_size, loss_name, device, dtype), dtype)


@pytest.mark.exercise("ch3.accumulation.accumulated_step")
@pytest.mark.parametrize("n,micro_batch_size,loss_name", [(10, 4, "mse"), (5, 8, "cross_entropy")],
                         ids=["N10-micro4-mse", "N5-micro8-cross_entropy"])
def test_stale_gradients_do_not_leak_in(student, reference, n, micro_batch_size, loss_name, device):
    dtype = torch.float64
    state, x, y = make_problem(n, loss_name, device, dtype, seed=100 + n)
    args = (state, x, y, micro_batch_size, loss_name, stale(state, seed=200 + n))
    got = student.run(accumulate, *args)
    want = reference.run(accumulate, *args)
    what = (describe(n, micro_batch_size, loss_name, device, dtype) +
            ", with stale gradients in every .grad before the call (optimizer.zero_grad() first)")
    compare_steps(got, want, x, y, micro_batch_size, what, dtype)
