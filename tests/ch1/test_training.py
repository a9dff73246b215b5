"""Hidden suite for ch1/training.py: seeding, train_one_epoch, evaluate, checkpoints.

Every probe builds a small MLP (Linear 4->6, Dropout(0.3), Tanh, Linear 6->3) from the same
weights on both sides, a `TensorDataset` over seeded inputs and a shuffling `DataLoader`, and
seeds torch's global generator itself (dropout masks, and the shuffle where the loader has no
generator of its own, come from it). The references are the textbook loops (tests/ch1/reference).

- seed_everything: the draws of `random.random()`, `numpy.random.rand()` and `torch.rand()` on the
  device after the call equal those after the reference seeding, for three seeds (so a fixed or
  shifted seed shows), after the generators were first scrambled.
- seed_worker: called directly after `torch.manual_seed(k)`, with k above 2**32 (the modulo) and
  a worker_id other than 0 (it must not be added: `torch.initial_seed()` already holds it).
- train_one_epoch: N=10 samples in batches of 4 (the last batch has 2: a plain average of batch
  means, or unweighted sums, go wrong only there), SGD with momentum 0.9 (a forgotten zero_grad
  or a step before backward changes the parameters), the model handed over in eval mode (a
  forgotten `model.train()` leaves dropout off). Parameters, the returned loss and the modes after.
- evaluate: the model comes in with mixed modes (the container and the dropout in training mode,
  others in eval); dropout makes a missing `eval()` visible, a BatchNorm1d's running statistics
  too (they move only in training mode). A loss_fn wrapper records `torch.is_grad_enabled()`;
  the parameters' `.grad` must stay None. Classification (logits [N,3], class ids) has an
  accuracy; regression (float targets [N,3]) has none.
- checkpoints. The curriculum asks for a resume test: two epochs straight must equal, bit for bit,
  one epoch, `save_checkpoint`, `load_checkpoint` into a NEW model and a NEW optimizer, one more
  epoch, with a shuffling DataLoader (generator=None: it shuffles from torch's global RNG, which
  the checkpoint must restore) and dropout in the model. It is run twice:
  1. in a new process, for real: the probe trains the first epoch and saves in the worker, then
     starts a fresh Python interpreter (`sys.executable`, never seeded) that loads the same file of
     the code under test, builds a new model with other weights and a new optimizer, loads, trains
     one epoch and writes its results. The sandbox allows this (seccomp denies only clone with
     namespace flags; the worker's process, memory and file limits hold for the child too, which
     gets OMP_NUM_THREADS=1 to stay far under the process limit); the child writes a marker
     before any student code runs, and only when no Python with torch could start at all is the
     test skipped (a reason outside the student's code). It costs ~3-7 s (torch imported again),
     so it runs once per device, float64, and save_checkpoint's timeout is 60 s;
  2. in the same process, which gives precise messages and runs on both dtypes and tasks: the
     probe deletes the old model and optimizer, reseeds Python's, numpy's and torch's generators
     with another seed and builds the new model with other weights before loading, so whatever
     the checkpoint fails to carry (momentum, any random state, epoch, extra values) shows as it
     would after a restart; it also checks that saving changes nothing.
  Files go to a temp dir of the probe's own (`tempfile.mkdtemp()`: the worker's private dir when
  sandboxed), removed afterwards. The file format is the student's, so both checkpoint exercises
  are graded through the student's own pair (a bug in one can cost points in both):
  save_checkpoint's tests are the resumes; load_checkpoint's test looks at what loading restores
  (returned dict, weights, optimizer state, every generator's next draws), against the reference.

No meta-device checks: every exercise here reads values (`.item()` of the losses, generators).
"""
import pytest
import torch
import torch.nn.functional as F  # noqa: F401 (a probe sees it as `F`: PROBE_GLOBALS)

from autograder.compare import expect_close, expect_equal
from autograder.suite_helpers import gen, where

N, BATCH = 10, 4     # a last batch of 2
D_IN, HIDDEN, D_OUT = 4, 6, 3


def make_data(task, device, dtype, seed):
    """MLP weights (Linear 4-6, Dropout, Tanh, Linear 6-3) and x[10,4] with class ids y[10] in
    [0,3) (task 'classify') or float targets y[10,3] ('regress')."""
    g = gen(seed)
    shapes = {"0.weight": (HIDDEN, D_IN), "0.bias": (HIDDEN,), "3.weight": (D_OUT, HIDDEN), "3.bias": (D_OUT,)}
    state = {k: 0.8 * torch.randn(s, generator=g, dtype=torch.float64).to(device, dtype) for k, s in shapes.items()}
    x = torch.randn(N, D_IN, generator=g, dtype=torch.float64).to(device, dtype)
    if task == "classify":
        y = torch.randint(0, D_OUT, (N,), generator=g).to(device)
    else:
        y = torch.randn(N, D_OUT, generator=g, dtype=torch.float64).to(device, dtype)
    return state, x, y


# ------------------------------------------------------------------ seed_everything

def draws_after_seeding(impl, seed, device, scramble):
    """Probe: scramble the global generators, impl.seed_everything(seed), then draw from each."""
    import random

    import numpy as np
    random.seed(scramble)
    np.random.seed(scramble)
    torch.manual_seed(scramble)
    impl.seed_everything(seed)
    return {"random": [random.random() for _ in range(3)], "numpy": np.random.rand(3).tolist(),
            "torch": torch.rand(3, device=device, dtype=torch.float64), "cpu": torch.rand(2)}


@pytest.mark.exercise("ch1.training.seed_everything")
@pytest.mark.parametrize("seed", [0, 7, 2**31 + 5])
def test_seed_everything_gives_the_seeded_draws(student, reference, seed, device):
    got = student.run(draws_after_seeding, seed, device, 99)
    want = reference.run(draws_after_seeding, seed, device, 99)
    what = f"seed_everything({seed}), then draws of random.random(), numpy.random.rand(), torch.rand() {where(device)}"
    for name, source in [("random", "random.random()"), ("numpy", "numpy.random.rand()"),
                         ("torch", f"torch.rand(3, device={str(device)!r})"), ("cpu", "torch.rand(2) on the CPU")]:
        expect_equal(got[name], want[name], what=f"{what}: the draws of {source} (as after seeding it with {seed})")


# ------------------------------------------------------------------ seed_worker

def draws_after_worker_seeding(impl, torch_seed, worker_id):
    """Probe: torch.manual_seed(torch_seed), impl.seed_worker(worker_id), then draws of random and numpy."""
    import random

    import numpy as np
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(torch_seed)
    impl.seed_worker(worker_id)
    return {"random": [random.random() for _ in range(3)], "numpy": np.random.rand(3).tolist()}


@pytest.mark.exercise("ch1.training.seed_worker")
@pytest.mark.parametrize("torch_seed,worker_id", [(5, 0), (2**32 + 7, 0), (2**40 + 123, 3)])
def test_seed_worker_seeds_random_and_numpy(student, reference, torch_seed, worker_id):
    got = student.run(draws_after_worker_seeding, torch_seed, worker_id)
    want = reference.run(draws_after_worker_seeding, torch_seed, worker_id)
    what = (f"torch.manual_seed({torch_seed}); seed_worker({worker_id}), then draws of random.random() and "
            f"numpy.random.rand() (as after seeding both with torch.initial_seed() % 2**32 = {torch_seed % 2**32})")
    expect_equal(got["random"], want["random"], what=f"{what}: random.random()")
    expect_equal(got["numpy"], want["numpy"], what=f"{what}: numpy.random.rand()")


# ------------------------------------------------------------------ train_one_epoch

def train_epoch(impl, state, x, y, batch_size, seed):
    """Probe: MLP (Linear, Dropout(0.3), Tanh, Linear) holding `state`, handed over in eval mode;
    a DataLoader shuffling with a seeded generator; SGD(lr=0.1, momentum=0.9); mse or
    cross-entropy (batch means) by the targets' dtype. Runs impl.train_one_epoch once."""
    w1, w2 = state["0.weight"], state["3.weight"]
    model = torch.nn.Sequential(
        torch.nn.Linear(w1.shape[1], w1.shape[0], device="meta", dtype=w1.dtype), torch.nn.Dropout(0.3),
        torch.nn.Tanh(), torch.nn.Linear(w2.shape[1], w2.shape[0], device="meta", dtype=w2.dtype))
    model.to_empty(device=w1.device)
    model.load_state_dict(state)
    model.eval()
    loss_fn = F.cross_entropy if not y.is_floating_point() else F.mse_loss
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x.clone(), y.clone()), batch_size=batch_size,
                                         shuffle=True, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    torch.manual_seed(seed)
    loss = impl.train_one_epoch(model, loader, loss_fn, optimizer)
    return {"params": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "loss": float(loss), "modes": [m.training for m in model.modules()]}


def describe_training(task, device, dtype):
    target = "class ids y[10], cross_entropy" if task == "classify" else "y[10,3], mse_loss"
    return (f"train_one_epoch(MLP 4-6-3 with Dropout(0.3), handed over in eval mode; DataLoader(x[10,4], {target}, "
            f"batch_size={BATCH}, shuffled: the last batch has 2 samples); SGD(lr=0.1, momentum=0.9)) "
            f"{where(device, dtype)}")


@pytest.mark.exercise("ch1.training.train_one_epoch")
@pytest.mark.parametrize("task", ["classify", "regress"])
def test_train_one_epoch_matches_the_reference_loop(student, reference, task, device, dtype):
    state, x, y = make_data(task, device, dtype, seed=11 if task == "classify" else 12)
    got = student.run(train_epoch, state, x, y, BATCH, 3)
    want = reference.run(train_epoch, state, x, y, BATCH, 3)
    what = describe_training(task, device, dtype)
    expect_equal(got["modes"], [True] * 5, what=f"{what}: model.training of every module after the epoch "
                                                f"(training mode: model.train())")
    expect_close(got["params"], want["params"],
                 what=f"{what}: the parameters after the epoch (per batch: zero_grad, forward, backward, step)")
    expect_close(got["loss"], want["loss"],
                 what=f"{what}: the returned loss (mean per-sample loss: batch means weighted by batch size)")


# ------------------------------------------------------------------ evaluate

def evaluate_mixed(impl, state, x, y, batch_size):
    """Probe: MLP (Linear, Dropout(0.3), Tanh, Linear, BatchNorm1d(3)) holding `state`, in mixed
    modes (container, dropout and batch norm training; the rest eval); a loss_fn that records
    whether grad mode was on. Runs impl.evaluate once; returns its dict, the modes afterwards, the
    batch norm's running statistics and whether any .grad appeared."""
    w1, w2 = state["0.weight"], state["3.weight"]
    model = torch.nn.Sequential(
        torch.nn.Linear(w1.shape[1], w1.shape[0], device="meta", dtype=w1.dtype), torch.nn.Dropout(0.3),
        torch.nn.Tanh(), torch.nn.Linear(w2.shape[1], w2.shape[0], device="meta", dtype=w2.dtype),
        torch.nn.BatchNorm1d(w2.shape[0], device="meta", dtype=w2.dtype))
    model.to_empty(device=w1.device)
    model.load_state_dict(state, strict=False)
    with torch.no_grad():
        model[4].weight.fill_(1.5)
        model[4].bias.fill_(-0.25)
        model[4].running_mean.fill_(0.5)
        model[4].running_var.fill_(2.0)
        model[4].num_batches_tracked.zero_()
    model.train()
    model[0].eval()
    model[2].eval()
    model[3].eval()
    grad_modes = []
    classify = not y.is_floating_point()

    def loss_fn(out, target):
        grad_modes.append(torch.is_grad_enabled())
        return F.cross_entropy(out, target) if classify else F.mse_loss(out, target)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x.clone(), y.clone()), batch_size=batch_size)
    torch.manual_seed(0)
    metrics = impl.evaluate(model, loader, loss_fn)
    return {"keys": sorted(metrics), "loss": float(metrics["loss"]),
            "accuracy": float(metrics["accuracy"]) if "accuracy" in metrics else None,
            "modes": [m.training for m in model.modules()],
            "bn": {k: v.clone() for k, v in model[4].state_dict().items()},
            "grad_enabled": grad_modes, "grads": [p.grad is not None for p in model.parameters()]}


@pytest.mark.exercise("ch1.training.evaluate")
@pytest.mark.parametrize("task", ["classify", "regress"])
def test_evaluate_in_eval_mode_without_grad(student, reference, task, device, dtype):
    state, x, y = make_data(task, device, dtype, seed=21 if task == "classify" else 22)
    got = student.run(evaluate_mixed, state, x, y, BATCH)
    want = reference.run(evaluate_mixed, state, x, y, BATCH)
    target = "class ids y[10], cross_entropy" if task == "classify" else "float targets y[10,3], mse_loss"
    what = (f"evaluate(MLP 4-6-3 with Dropout(0.3) and BatchNorm1d(3), some modules in training mode and some in "
            f"eval mode; DataLoader(x[10,4], {target}, batch_size={BATCH})) {where(device, dtype)}")
    expect_equal(got["keys"], want["keys"], what=f"{what}: the keys of the returned dict ('accuracy' only for "
                                                 f"[N,C] outputs with integer class ids)")
    expect_equal(got["grad_enabled"], [False] * len(got["grad_enabled"]),
                 what=f"{what}: torch.is_grad_enabled() inside each loss_fn call (evaluate under torch.no_grad())")
    expect_equal(got["grads"], want["grads"], what=f"{what}: whether each parameter got a .grad (none may)")
    expect_equal(got["modes"], want["modes"],
                 what=f"{what}: model.training of every module afterwards (each back in its own mode)")
    expect_close(got["bn"], want["bn"], what=f"{what}: the BatchNorm1d's state afterwards (eval mode leaves the "
                                             f"running statistics alone)")
    expect_close(got["loss"], want["loss"], what=f"{what}: metrics['loss'] (in eval mode: dropout off, batch norm "
                                                 f"on running statistics; batch means weighted by batch size)")
    if want["accuracy"] is not None:
        expect_close(got["accuracy"], want["accuracy"], what=f"{what}: metrics['accuracy'] (fraction of argmax hits)")


# ------------------------------------------------------------------ checkpoints

def two_epochs(impl, state, x, y, batch_size, seed, resume, extra):
    """Probe: MLP with dropout, SGD(lr=0.1, momentum=0.9, weight_decay=0.01), a DataLoader shuffling
    from torch's global generator (generator=None), all generators seeded with `seed`; one epoch
    of a plain loop, then, when `resume`: impl.save_checkpoint, everything a new process would
    change (old objects deleted, every generator reseeded, new weights), impl.load_checkpoint
    into a new model and optimizer; then one more epoch. Returns the weights, the optimizer's
    momentum, the draws of every generator afterwards, what load returned, and what saving changed."""
    import os
    import random
    import shutil
    import tempfile

    import numpy as np

    def build(weights):
        w1, w2 = weights["0.weight"], weights["3.weight"]
        net = torch.nn.Sequential(
            torch.nn.Linear(w1.shape[1], w1.shape[0], device="meta", dtype=w1.dtype), torch.nn.Dropout(0.3),
            torch.nn.Tanh(), torch.nn.Linear(w2.shape[1], w2.shape[0], device="meta", dtype=w2.dtype))
        net.to_empty(device=w1.device)
        net.load_state_dict(weights)
        return net, torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)

    def epoch(net, opt):
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                             shuffle=True)
        loss_fn = F.cross_entropy if not y.is_floating_point() else F.mse_loss
        net.train()
        for inputs, targets in loader:
            opt.zero_grad()
            loss_fn(net(inputs), targets).backward()
            opt.step()

    def seed_all(s):
        random.seed(s)
        np.random.seed(s)
        torch.manual_seed(s)

    def same(a, b):
        if isinstance(a, dict):
            return all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
        return torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b

    def snapshot(net, opt):
        return {"weights": {k: v.detach().clone() for k, v in net.state_dict().items()},
                "momentum": [opt.state[p]["momentum_buffer"].clone() for p in net.parameters()],
                "random": random.getstate()[1][:8], "numpy": np.random.get_state()[1][:8].tolist(),
                "torch": torch.get_rng_state().clone()}

    seed_all(seed)
    model, optimizer = build(state)
    epoch(model, optimizer)
    loaded, changed_by_save = None, None
    if resume:
        directory = tempfile.mkdtemp()
        try:
            path = os.path.join(directory, "checkpoint.pt")
            before = snapshot(model, optimizer)
            impl.save_checkpoint(path, model, optimizer, 1, **extra)
            after = snapshot(model, optimizer)
            changed_by_save = sorted(k for k in before if not same(before[k], after[k]))
            del model, optimizer
            seed_all(seed + 1000)
            model, optimizer = build({k: torch.randn_like(v) for k, v in state.items()})
            loaded = impl.load_checkpoint(path, model, optimizer)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    restored = {"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "momentum": [optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()
                             if p in optimizer.state],
                "random": [random.random() for _ in range(2)], "numpy": np.random.rand(2).tolist(),
                "torch": torch.rand(2), "device": torch.rand(2, device=x.device)}
    epoch(model, optimizer)
    return {"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "momentum": [optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()],
            "random": [random.random() for _ in range(2)], "numpy": np.random.rand(2).tolist(),
            "torch": torch.rand(2), "device": torch.rand(2, device=x.device),
            "loaded": loaded, "changed_by_save": changed_by_save, "restored": restored}


EXTRA = {"best_loss": 0.25, "note": "after one epoch", "history": [1.5, 0.75]}


def resume_runs(student, reference, task, device, dtype):
    state, x, y = make_data(task, device, dtype, seed=31 if task == "classify" else 32)
    got = student.run(two_epochs, state, x, y, BATCH, 5, True, EXTRA)
    want = reference.run(two_epochs, state, x, y, BATCH, 5, False, EXTRA)
    what = (f"one epoch of an MLP with dropout ({task}), save_checkpoint(path, model, optimizer, 1, **extra), "
            f"every generator reseeded, load_checkpoint(path, new model, new optimizer) {where(device, dtype)}")
    return got, want, what


@pytest.mark.exercise("ch1.training.save_checkpoint")
@pytest.mark.parametrize("task", ["classify", "regress"])
def test_resuming_equals_two_epochs_straight(student, reference, task, device, dtype):
    got, want, what = resume_runs(student, reference, task, device, dtype)
    expect_equal(got["changed_by_save"], [], what=f"{what}: what save_checkpoint changed (weights, momentum, "
                                                  f"random states): nothing may change")
    expect_equal(got["loaded"], {"epoch": 1, **EXTRA}, what=f"{what}: the dict load_checkpoint returned "
                                                           f"(epoch and every extra keyword saved)")
    after = f"{what}; one more epoch, bit for bit as two epochs straight"
    expect_equal(got["weights"], want["weights"], what=f"{after}: the model's weights")
    expect_equal(got["momentum"], want["momentum"], what=f"{after}: the optimizer's momentum buffers")
    expect_equal(got["torch"], want["torch"], what=f"{after}: the next torch.rand(2) (torch's random state)")
    expect_equal(got["device"], want["device"], what=f"{after}: the next torch.rand(2) on {device}")
    expect_equal(got["random"], want["random"], what=f"{after}: the next random.random() draws")
    expect_equal(got["numpy"], want["numpy"], what=f"{after}: the next numpy.random.rand(2)")


@pytest.mark.exercise("ch1.training.load_checkpoint")
@pytest.mark.parametrize("task", ["classify", "regress"])
def test_loading_restores_the_saved_state(student, reference, task, device, dtype):
    got, want, what = resume_runs(student, reference, task, device, dtype)
    expect_equal(got["loaded"], {"epoch": 1, **EXTRA}, what=f"{what}: the dict load_checkpoint returned "
                                                           f"(epoch and every extra keyword)")
    now = f"{what}: right after loading, as after the first epoch"
    restored, saved = got["restored"], want["restored"]
    expect_equal(restored["weights"], saved["weights"], what=f"{now}: the new model's weights")
    expect_equal(restored["momentum"], saved["momentum"], what=f"{now}: the new optimizer's momentum buffers")
    for name, source in [("torch", "torch.rand(2)"), ("device", f"torch.rand(2) on {device}"),
                         ("random", "random.random()"), ("numpy", "numpy.random.rand(2)")]:
        expect_equal(restored[name], saved[name], what=f"{now}: the next draws of {source}")


def resume_in_a_new_process(impl, state, x, y, batch_size, seed, extra):
    """Probe: the first half of two_epochs here (seeded, one epoch, impl.save_checkpoint); then a new
    Python process, never seeded, loads the same file of the code under test, builds a new model
    (other weights) and optimizer, calls load_checkpoint, draws what two_epochs draws, trains one
    more epoch and writes what two_epochs returns. 'could not start: ...' when no new Python
    process could import torch here (nothing the code under test did)."""
    import os
    import random
    import shutil
    import subprocess
    import sys
    import tempfile

    import numpy as np

    common = r'''
import random
import numpy as np
import torch
import torch.nn.functional as F


def build(weights):
    w1, w2 = weights["0.weight"], weights["3.weight"]
    net = torch.nn.Sequential(
        torch.nn.Linear(w1.shape[1], w1.shape[0], device="meta", dtype=w1.dtype), torch.nn.Dropout(0.3),
        torch.nn.Tanh(), torch.nn.Linear(w2.shape[1], w2.shape[0], device="meta", dtype=w2.dtype))
    net.to_empty(device=w1.device)
    net.load_state_dict(weights)
    return net, torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)


def epoch(net, opt, x, y, batch_size):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    loss_fn = F.cross_entropy if not y.is_floating_point() else F.mse_loss
    net.train()
    for inputs, targets in loader:
        opt.zero_grad()
        loss_fn(net(inputs), targets).backward()
        opt.step()
'''
    child = common + r'''
import importlib.util
import os
import sys

directory, module_file = sys.argv[1], sys.argv[2]
open(os.path.join(directory, "started"), "w").close()
sys.path.insert(0, os.path.dirname(os.path.dirname(module_file)))
spec = importlib.util.spec_from_file_location("resumed_training", module_file)
impl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(impl)
data = torch.load(os.path.join(directory, "data.pt"))
model, optimizer = build({k: torch.randn_like(v) for k, v in data["state"].items()})
loaded = impl.load_checkpoint(os.path.join(directory, "checkpoint.pt"), model, optimizer)
device = data["x"].device
restored = [[random.random() for _ in range(2)], np.random.rand(2).tolist(),  # the draws two_epochs makes here
            torch.rand(2), torch.rand(2, device=device)]
epoch(model, optimizer, data["x"], data["y"], data["batch_size"])
torch.save({"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "momentum": [optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()],
            "random": [random.random() for _ in range(2)], "numpy": np.random.rand(2).tolist(),
            "torch": torch.rand(2), "device": torch.rand(2, device=device), "loaded": loaded},
           os.path.join(directory, "result.pt"))
'''
    namespace = {}
    exec(common, namespace)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model, optimizer = namespace["build"](state)
    namespace["epoch"](model, optimizer, x, y, batch_size)
    directory = tempfile.mkdtemp()
    try:
        impl.save_checkpoint(os.path.join(directory, "checkpoint.pt"), model, optimizer, 1, **extra)
        torch.save({"state": state, "x": x, "y": y, "batch_size": batch_size}, os.path.join(directory, "data.pt"))
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            ran = subprocess.run([sys.executable, "-c", child, directory, impl.__file__], env=env,
                                 capture_output=True, text=True, timeout=240)
        except (OSError, subprocess.SubprocessError) as exc:
            return {"error": f"could not start: {type(exc).__name__}: {exc}"}
        if not os.path.exists(os.path.join(directory, "started")):
            return {"error": f"could not start: {ran.stderr.strip()[-300:]}"}
        if ran.returncode != 0:
            lines = ran.stderr.strip().splitlines()
            return {"error": lines[-1] if lines else f"the new process ended with status {ran.returncode}"}
        return torch.load(os.path.join(directory, "result.pt"), weights_only=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.exercise("ch1.training.save_checkpoint")
def test_resuming_in_a_new_process_equals_two_epochs_straight(student, reference, device):
    state, x, y = make_data("classify", device, torch.float64, seed=41)
    got = student.run(resume_in_a_new_process, state, x, y, BATCH, 6, EXTRA)
    if got.get("error", "").startswith("could not start"):
        pytest.skip(f"no new Python process can be started here: {got['error']}")
    want = reference.run(two_epochs, state, x, y, BATCH, 6, False, EXTRA)
    what = (f"one epoch of an MLP with dropout, save_checkpoint(path, model, optimizer, 1, **extra); in a NEW Python "
            f"process: load_checkpoint(path, new model, new optimizer), one more epoch {where(device, torch.float64)}")
    expect_equal(got.get("error"), None, what=f"{what}: the error the new process ended with")
    expect_equal(got["loaded"], {"epoch": 1, **EXTRA}, what=f"{what}: the dict load_checkpoint returned")
    after = f"{what}: bit for bit as two epochs straight"
    for name, source in [("weights", "the model's weights"), ("momentum", "the optimizer's momentum buffers"),
                         ("torch", "the next torch.rand(2)"), ("device", f"the next torch.rand(2) on {device}"),
                         ("random", "the next random.random() draws"), ("numpy", "the next numpy.random.rand(2)")]:
        expect_equal(got[name], want[name], what=f"{after}: {source}")
