"""Milestone: a line fitted by hand, then a first classifier trained, stopped and resumed exactly.

When the chapter is done, run (several seconds on a CPU):

    python assignments/ch1/train_first_model.py

It uses every module of your chapter, on data it makes itself (seeded: nothing is downloaded).

1. A line fitted by hand. 200 samples with 3 features and 2 outputs (float64), y = x @ W.T + b plus
   a little noise. Your fit_linear_regression (with your mse_grad) fits weight and bias by gradient
   descent; the script compares them with the closed-form least-squares solution and prints the gap
   after 10, 50 and 300 steps, and the training error with your mse_loss (predictions from your
   linear).
2. The data of the classifier: 640 points in the plane recorded in 40 sessions of 16, in the
   pattern of an XOR (class 1 where both coordinates have the same sign), the two features in very
   different units. Your group_split keeps each session on one side (30 sessions to train on, 10 for
   validation); your fit_standardizer and standardize scale both splits with the training set's
   statistics; your one_hot counts the classes; your TensorDataset and a DataLoader (shuffling,
   with your seed_worker for worker processes) make the batches. A nearest-class-mean rule (your
   pairwise_sq_dists) shows what no straight line can do here.
3. Overfit a tiny batch first: a fresh MLP trained on 8 points alone, one step per call of your
   train_one_epoch, until the loss is under 0.01 both in training and in your evaluate. If it
   cannot learn 8 points, it will not learn 480.
4. Training: after your seed_everything, an MLP 2 -> 32 -> 32 -> 2 with Dropout, SGD with momentum,
   your train_one_epoch and evaluate for each epoch, the gradient norm (your grad_global_norm) and a
   look for NaN or inf (your find_nonfinite); every batch's shapes go through your check_shape.
   Halfway, your save_checkpoint writes a checkpoint, and training goes on.
5. Resumed: a fresh model and optimizer, every random generator reseeded (as in a new process), your
   load_checkpoint, and the second half again. The resumed losses and final weights are compared
   with the uninterrupted run's, bit for bit.

Then what to watch, in words that follow the figures: a line that says "check your ..." names the
part whose figures are not what they should be. With a finished chapter (seed 0), gradient descent
reaches the closed form (gap about 1e-15 after 300 steps), the tiny batch is learned in about 35
steps, the MLP reaches about 93% validation accuracy where the nearest class mean is at chance
(49%), the validation loss stays above the training loss (the validation sessions are ones the
model never saw), and the resumed run is the uninterrupted one exactly (largest difference 0).

It saves a plot, training and validation loss against epochs with the resumed run on top, as
train_first_model.png in the current folder (`--out` to choose; it needs matplotlib:
`pip install matplotlib`; without it the script still trains and prints). `--epochs 10` for a
quicker look.

Measured with the kit's solutions on a very busy 2-core machine (load average 8-9): 14 s in all
(training 5.5 s, the rest importing torch and matplotlib and drawing). torch runs on one CPU thread (`--threads`):
this problem is too small to gain from more.
"""
import argparse
import copy
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # so that `import ch1` finds this folder

from ch1.data import TensorDataset, fit_standardizer, group_split, standardize  # noqa: E402
from ch1.debugging import check_shape, find_nonfinite, grad_global_norm  # noqa: E402
from ch1.linear_regression import fit_linear_regression, mse_grad, mse_loss  # noqa: E402
from ch1.tensors import linear, one_hot, pairwise_sq_dists  # noqa: E402
from ch1.training import (  # noqa: E402
    evaluate,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
    seed_worker,
    train_one_epoch,
)

CLASSES = 2
SESSIONS, PER_SESSION, VAL_FRACTION = 40, 16, 0.25
RAW_SCALE, RAW_OFFSET = (50.0, 0.02), (200.0, 0.0)   # feature 0 in centimetres, feature 1 in volts
TINY = 8                # the batch to overfit first
TINY_TARGET = 0.01      # the loss it should get under
TINY_MAX_STEPS = 400
GD_LR, GD_STEPS = 0.2, (10, 50, 300)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--resume-at", type=int, default=None,
                   help="the epoch after which the checkpoint is saved (default: halfway)")
    p.add_argument("--lr", type=float, default=0.05, help="SGD's learning rate (momentum 0.9)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--workers", type=int, default=0,
                   help="DataLoader worker processes, each seeded by your seed_worker (default 0: the data are "
                        "tiny, workers would only add start-up time)")
    p.add_argument("--out", type=Path, default=Path("train_first_model.png"),
                   help="where to save the plot (default: train_first_model.png in the current folder)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (this problem is too small to gain from more than one)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def close(a, b, tol=1e-5):
    """Same shape and every entry within tol (relative to the larger size), NaN never close."""
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and bool(((a - b).abs() <= tol * (1 + b.abs())).all())


def fmt(t):
    return "[" + ", ".join(fmt(row) if row.dim() else f"{row.item():.3f}" for row in t) + "]"


# ------------------------------------------------------------------ 1. linear regression by hand

def regression_problem(seed):
    g = torch.Generator().manual_seed(seed)
    weight = torch.tensor([[1.5, -2.0, 0.5], [0.0, 1.0, 3.0]], dtype=torch.float64)
    bias = torch.tensor([0.5, -1.0], dtype=torch.float64)
    x = torch.randn(200, 3, generator=g, dtype=torch.float64)
    y = x @ weight.T + bias + 0.1 * torch.randn(200, 2, generator=g, dtype=torch.float64)
    return x, y, weight, bias


def least_squares(x, y):
    """The closed form: weight and bias that minimise the squared error, from torch's solver."""
    solution = torch.linalg.lstsq(torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1), y).solution
    return solution[:-1].T, solution[-1]


def fit_by_hand(seed):
    x, y, true_weight, true_bias = regression_problem(seed)
    exact_weight, exact_bias = least_squares(x, y)
    print(f"--- 1. a line fitted by hand: {len(x)} samples, {x.shape[1]} features, {y.shape[1]} outputs (float64) ---")
    fits = {}
    for steps in GD_STEPS:
        weight, bias = fit_linear_regression(x, y, GD_LR, steps)
        fits[steps] = (weight, bias, max((weight - exact_weight).abs().max().item(),
                                         (bias - exact_bias).abs().max().item()))
    weight, bias, _ = fits[GD_STEPS[-1]]
    print(f"your fit_linear_regression (lr {GD_LR:g}, {GD_STEPS[-1]} steps): weight {fmt(weight)}, bias {fmt(bias)}")
    print(f"closed-form least squares:                  weight {fmt(exact_weight)}, bias {fmt(exact_bias)}")
    print("largest gap to the closed form: " + ", ".join(f"{g:.1e} after {s} steps" for s, (_, _, g) in fits.items()))
    pred = linear(x, weight, bias)
    print(f"training MSE (your mse_loss): {mse_loss(pred, y).item():.5f} by gradient descent, "
          f"{mse_loss(x @ exact_weight.T + exact_bias, y).item():.5f} closed form, "
          f"{mse_loss(x @ true_weight.T + true_bias, y).item():.5f} with the weights the data were made from")
    return {"x": x, "y": y, "fits": fits, "pred": pred, "weight": weight, "bias": bias}


def regression_words(r):
    x, y, weight, bias = r["x"], r["y"], r["weight"], r["bias"]
    if not close(r["pred"], x @ weight.T + bias, 1e-9):
        return "linear: your linear(x, weight, bias) is not x @ weight.T + bias: check your linear"
    for reduction, want in (("mean", ((r["pred"] - y) ** 2).mean()), ("sum", ((r["pred"] - y) ** 2).sum())):
        if not close(mse_loss(r["pred"], y, reduction=reduction), want, 1e-9):
            return (f"mse_loss: reduction '{reduction}' is not the {reduction} of the squared errors: "
                    f"check your mse_loss")
    w, b = (torch.zeros_like(weight).requires_grad_(), torch.zeros_like(bias).requires_grad_())
    ((x @ w.T + b - y) ** 2).mean().backward()
    d_weight, d_bias = mse_grad(x, y, torch.zeros_like(weight), torch.zeros_like(bias))
    if not (close(d_weight, w.grad, 1e-9) and close(d_bias, b.grad, 1e-9)):
        return "mse_grad: at weight = 0, bias = 0 it is not the gradient autograd finds: check your mse_grad"
    gap = r["fits"][GD_STEPS[-1]][2]
    if gap > 1e-6:
        return (f"linear regression: gradient descent ended {gap:.2g} away from the closed form: check your "
                f"fit_linear_regression (zeros to start, then steps times: weight - lr * d_weight from your mse_grad)")
    return (f"linear regression: gradient descent reached the closed form (gap {gap:.1e} after {GD_STEPS[-1]} "
            f"steps); your linear, mse_loss and mse_grad agree with the formulas and with autograd")


# ------------------------------------------------------------------ 2. the classifier's data

def sessions(seed):
    """(raw points [N, 2] float32, labels [N] int64, session ids [N]): an XOR in the plane, points of a
    session shifted together, the features in different units."""
    g = torch.Generator().manual_seed(seed)
    groups = torch.arange(SESSIONS).repeat_interleave(PER_SESSION)
    corner = torch.randint(0, 4, (len(groups),), generator=g)
    signs = torch.stack([corner % 2, corner // 2], 1) * 2.0 - 1
    labels = (signs[:, 0] == signs[:, 1]).long()
    xy = signs + 0.3 * torch.randn(SESSIONS, 2, generator=g)[groups] + 0.35 * torch.randn(len(groups), 2, generator=g)
    return xy * torch.tensor(RAW_SCALE) + torch.tensor(RAW_OFFSET), labels, groups


def prepare(seed):
    raw, labels, groups = sessions(seed)
    train_idx, val_idx = group_split(groups, VAL_FRACTION, generator=torch.Generator().manual_seed(seed))
    mean, std = fit_standardizer(raw[train_idx])
    x = standardize(raw, mean, std)
    d = {"raw": raw, "groups": groups, "train_idx": train_idx, "val_idx": val_idx, "mean": mean, "std": std,
         "train": (x[train_idx], labels[train_idx]), "val": (x[val_idx], labels[val_idx])}
    train_groups, val_groups = groups[train_idx].unique(), groups[val_idx].unique()
    print(f"\n--- 2. the data: {len(raw)} points in {SESSIONS} sessions, an XOR in the plane ---")
    print(f"raw features: mean {fmt(raw.mean(0))}, std {fmt(raw.std(0, correction=0))} (centimetres and volts)")
    print(f"your group_split (val_fraction {VAL_FRACTION:g}): {len(train_idx)} points of {len(train_groups)} sessions "
          f"to train on, {len(val_idx)} points of {len(val_groups)} sessions for validation")
    for name, (xs, ys) in (("train", d["train"]), ("validation", d["val"])):
        print(f"standardized {name} set: mean {fmt(xs.mean(0))}, std {fmt(xs.std(0, correction=0))}; "
              f"classes (your one_hot, summed) {one_hot(ys, CLASSES).sum(0).tolist()}")
    d["nearest_mean"] = nearest_class_mean(*d["train"], *d["val"])
    print(f"nearest class mean (your pairwise_sq_dists): validation accuracy {d['nearest_mean']:.1%}")
    return d


def nearest_class_mean(x, y, x_val, y_val):
    means = torch.stack([x[y == c].mean(0) for c in range(CLASSES)])
    return (pairwise_sq_dists(x_val, means).argmin(1) == y_val).float().mean().item()


def data_words(d):
    train_idx, val_idx, groups = d["train_idx"], d["val_idx"], d["groups"]
    both = set(groups[train_idx].tolist()) & set(groups[val_idx].tolist())
    every = torch.equal(torch.cat([train_idx, val_idx]).sort().values, torch.arange(len(groups)))
    n_val = len(set(groups[val_idx].tolist()))
    if both or not every or n_val != round(VAL_FRACTION * SESSIONS):
        return [(f"group_split: {len(both)} sessions on both sides, {n_val} sessions in validation (expected "
                 f"{round(VAL_FRACTION * SESSIONS)}), every point once: {every}: check your group_split")]
    lines = [f"group_split: each session on one side only, {n_val} of {SESSIONS} sessions in validation"]
    x_train = d["train"][0]
    if not (close(x_train.mean(0), torch.zeros(2), 1e-4) and close(x_train.std(0, correction=0), torch.ones(2), 1e-4)):
        lines.append("standardize: the training set does not come out with mean 0 and std 1 per feature: check your "
                     "fit_standardizer (over dim 0, correction 0) and standardize")
    elif close(d["val"][0].mean(0), torch.zeros(2), 1e-6):
        lines.append("standardize: the validation set came out with mean exactly 0: check that the statistics come "
                     "from the training set only")
    else:
        lines.append("standardize: mean 0 and std 1 on the training set; validation scaled with the same statistics")
    ys = d["train"][1]
    if not torch.equal(one_hot(ys, CLASSES).sum(0), torch.bincount(ys, minlength=CLASSES)):
        lines.append("one_hot: its columns do not count the classes: check your one_hot")
    x, means = d["val"][0], d["train"][0][:3]
    if not close(pairwise_sq_dists(x, means), ((x[:, None] - means[None]) ** 2).sum(-1), 1e-4):
        lines.append("pairwise_sq_dists: not the squared distances: check your pairwise_sq_dists")
    elif d["nearest_mean"] < 0.75:
        lines.append(f"nearest class mean: {d['nearest_mean']:.0%}, about chance: in an XOR both class means lie near "
                     f"the middle, and no straight line separates the classes. The MLP's hidden layer can")
    return lines


# ------------------------------------------------------------------ the loop, watched

def mlp():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, CLASSES))


class LoopWatch:
    """What your train_one_epoch and evaluate did, seen from the loss function and the optimizer:
    the mode and autograd at each batch, the losses, and whether each step used that batch's gradient alone."""

    def __init__(self, model, optimizer):
        self.model, self.phase = model, None
        self.calls = {"train": [], "eval": []}    # (training mode, grad enabled, loss, batch size) per batch
        self.steps = self.stale_steps = 0
        self.backward = {}                        # parameter -> the gradient of the last backward alone
        self.shapes_checked = 0
        for p in model.parameters():
            p.register_hook(lambda grad, p=p: self.backward.__setitem__(p, grad.detach().clone()))
        optimizer.register_step_pre_hook(self.before_step)

    def loss(self, outputs, targets):
        dims = check_shape(outputs, f"B {CLASSES}")
        check_shape(targets, "B", dims)
        self.shapes_checked += 1
        value = nn.functional.cross_entropy(outputs, targets)
        self.calls[self.phase].append((self.model.training, torch.is_grad_enabled(), value.item(), len(targets)))
        return value

    def before_step(self, optimizer, args, kwargs):
        self.steps += 1
        if any(p.grad is not None and not torch.equal(p.grad, self.backward.get(p, p.grad))
               for p in self.model.parameters()):
            self.stale_steps += 1
        self.backward.clear()

    def mean_loss(self, phase, since):
        calls = self.calls[phase][since:]
        return sum(loss * n for _, _, loss, n in calls) / max(sum(n for *_, n in calls), 1)


def watched_epoch(watch, model, loader, optimizer):
    watch.phase, since = "train", len(watch.calls["train"])
    loss = train_one_epoch(model, loader, watch.loss, optimizer)
    return {"loss": loss, "expected_loss": watch.mean_loss("train", since)}


def watched_evaluate(watch, model, loader):
    watch.phase, since, mode = "eval", len(watch.calls["eval"]), model.training
    metrics = evaluate(model, loader, watch.loss)
    return {**metrics, "expected_loss": watch.mean_loss("eval", since), "mode_kept": model.training == mode}


def loaders(d, batch_size, workers):
    train_set, val_set = TensorDataset(*d["train"]), TensorDataset(*d["val"])
    # shuffle=True draws each epoch's order from torch's global generator: the one seed_everything
    # seeds and the checkpoint saves, so the order after a resume is the order without one
    train = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers,
                                        worker_init_fn=seed_worker)
    val = torch.utils.data.DataLoader(val_set, batch_size=200, num_workers=workers, worker_init_fn=seed_worker)
    return train, val


# ------------------------------------------------------------------ 3. overfit a tiny batch

def overfit_tiny_batch(d, args):
    x, y = d["train"][0][:TINY], d["train"][1][:TINY]
    seed_everything(args.seed)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    watch = LoopWatch(model, optimizer)
    batch = [(x, y)]
    print(f"\n--- 3. overfit a tiny batch first: {TINY} training points, one batch, the same MLP and SGD ---")
    history = []
    for step in range(TINY_MAX_STEPS):
        train_loss = watched_epoch(watch, model, batch, optimizer)["loss"]
        history.append((train_loss, grad_global_norm(model.parameters()).item()))
        loss = watched_evaluate(watch, model, batch)["loss"]
        learned = max(train_loss, loss) < TINY_TARGET
        if step % 25 == 0 or learned:
            print(f"step {step:3d}  train loss {train_loss:.4f}  eval loss {loss:.4f}  grad norm {history[-1][1]:.3f}")
        if learned:
            break
        if not (math.isfinite(train_loss) and math.isfinite(loss)):
            print(f"step {step:3d}  stopped: the loss is {train_loss} in training, {loss} in evaluation")
            break
    return {"loss": loss, "learned": learned, "steps": step + 1, "history": history, "watch": watch}


def overfit_words(tiny):
    if tiny["learned"]:
        first, last = tiny["history"][0][1], tiny["history"][-1][1]
        return (f"tiny batch: learned in {tiny['steps']} steps (train_one_epoch's loss {tiny['history'][-1][0]:.4f}, "
                f"evaluate's {tiny['loss']:.4f}); the gradient norm went from {first:.3f} to {last:.3f} as the loss "
                f"fell")
    return (f"tiny batch: after {tiny['steps']} steps the loss is still {tiny['history'][-1][0]:.4f} in training, "
            f"{tiny['loss']:.4f} in evaluation, not both under {TINY_TARGET:g}: "
            f"a model that cannot learn {TINY} points will not learn the data set: check your train_one_epoch "
            f"(zero_grad, forward, backward, step for every batch)")


# ------------------------------------------------------------------ 4. and 5. train, save, resume

def snapshot(model, optimizer):
    """Everything a resume must bring back, copied: weights, optimizer state, the random generators."""
    return {"model": copy.deepcopy(model.state_dict()), "optimizer": copy.deepcopy(optimizer.state_dict()),
            "torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}


def snapshot_diff(a, b):
    """What differs between two snapshots, in words (an empty list when nothing does)."""
    words = []
    if any(not torch.equal(a["model"][k], b["model"][k]) for k in a["model"]) or a["model"].keys() != b["model"].keys():
        words.append("the model's weights")
    if not same_state(a["optimizer"], b["optimizer"]):
        words.append("the optimizer's state (SGD's momentum buffers)")
    if not torch.equal(a["torch"], b["torch"]):
        words.append("torch's random state")
    if a["python"] != b["python"]:
        words.append("Python's random state")
    if any(not np.array_equal(x, y) for x, y in zip(a["numpy"], b["numpy"])):
        words.append("numpy's random state")
    return words


def same_state(a, b):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b))
    return a == b


def run_epochs(model, optimizer, watch, train_loader, val_loader, epochs, h, label=""):
    for epoch in epochs:
        train = watched_epoch(watch, model, train_loader, optimizer)
        norm = grad_global_norm(model.parameters()).item()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        h["norm_gap"] = max(h.get("norm_gap", 0.0), abs(norm - torch.cat([g.flatten() for g in grads]).norm().item())
                            / max(norm, 1e-12))
        val = watched_evaluate(watch, model, val_loader)
        named = [*model.named_parameters(), *((f"{n}.grad", p.grad) for n, p in model.named_parameters())]
        h["nonfinite"] = find_nonfinite(named)
        h["epochs"].append(epoch)
        for key, value in (("train_loss", train["loss"]), ("val_loss", val["loss"]),
                           ("val_accuracy", val.get("accuracy", math.nan)), ("norm", norm)):
            h[key].append(value)
        h["loss_checks"].append((train["loss"], train["expected_loss"], val["loss"], val["expected_loss"]))
        h["mode_kept"] &= val["mode_kept"]
        if epoch % 5 == 0 or epoch == epochs[-1]:
            print(f"epoch {epoch:3d}  train loss {train['loss']:.4f}  val loss {val['loss']:.4f}  "
                  f"val accuracy {h['val_accuracy'][-1]:.1%}  grad norm {norm:.3f}{label}")
        if h["nonfinite"]:
            print(f"stopped: your find_nonfinite found NaN or inf in {', '.join(h['nonfinite'])}")
            break
    return h


def history():
    return {"epochs": [], "train_loss": [], "val_loss": [], "val_accuracy": [], "norm": [], "loss_checks": [],
            "mode_kept": True, "nonfinite": []}


def train_and_save(d, args, checkpoint):
    print(f"\n--- 4. training: MLP 2 -> 32 -> 32 -> 2 with Dropout(0.1), SGD lr {args.lr:g} momentum 0.9, "
          f"batches of {args.batch_size}, {args.epochs} epochs, checkpoint after epoch {args.resume_at} ---")
    seed_everything(args.seed)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    watch = LoopWatch(model, optimizer)
    train_loader, val_loader = loaders(d, args.batch_size, args.workers)
    h = run_epochs(model, optimizer, watch, train_loader, val_loader, range(args.resume_at + 1), history())
    before = snapshot(model, optimizer)
    save_checkpoint(checkpoint, model, optimizer, args.resume_at, val_loss=h["val_loss"][-1])
    h["saved"], h["changed_by_save"] = before, snapshot_diff(before, snapshot(model, optimizer))
    print(f"checkpoint saved after epoch {args.resume_at} (your save_checkpoint), training goes on")
    run_epochs(model, optimizer, watch, train_loader, val_loader, range(args.resume_at + 1, args.epochs), h)
    h["final"], h["watch"] = copy.deepcopy(model.state_dict()), watch
    return h


def resume(d, args, checkpoint):
    print("\n--- 5. resumed: a fresh model and optimizer, every generator reseeded, then your load_checkpoint ---")
    seed_everything(args.seed + 1)     # as in a new process: nothing left of the first run
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    watch = LoopWatch(model, optimizer)
    train_loader, val_loader = loaders(d, args.batch_size, args.workers)
    returned = load_checkpoint(checkpoint, model, optimizer)
    h = history()
    h["returned"], h["loaded"] = returned, snapshot(model, optimizer)
    print(f"load_checkpoint returned {returned}")
    run_epochs(model, optimizer, watch, train_loader, val_loader, range(args.resume_at + 1, args.epochs), h,
               label="  (resumed)")
    h["final"], h["watch"] = copy.deepcopy(model.state_dict()), watch
    return h


def resume_gap(straight, resumed):
    """Largest |difference| of the resumed run's losses and final weights from the uninterrupted run's."""
    start = straight["epochs"].index(resumed["epochs"][0]) if resumed["epochs"] else len(straight["epochs"])
    pairs = [(a, b) for key in ("train_loss", "val_loss") for a, b in zip(straight[key][start:], resumed[key])]
    losses = max((abs(a - b) for a, b in pairs), default=math.nan)
    weights = max((straight["final"][k] - resumed["final"][k]).abs().max().item() for k in straight["final"])
    return losses, weights


def resume_words(straight, resumed, resume_at, gradients_carried):
    losses, weights = resume_gap(straight, resumed)
    saved = straight["saved"]
    returned = resumed["returned"] if isinstance(resumed["returned"], dict) else {}
    if straight["changed_by_save"]:
        return (f"checkpoint: saving changed {', '.join(straight['changed_by_save'])}: check your save_checkpoint "
                f"(it only reads)")
    figures = f"largest difference from the uninterrupted run: {losses:.3g} in the losses, {weights:.3g} in the weights"
    if losses == 0 and weights == 0:
        if returned.get("epoch") != resume_at or not math.isclose(returned.get("val_loss", math.nan),
                                                                  straight["val_loss"][resume_at]):
            return (f"checkpoint: the run resumed exactly, but load_checkpoint returned {resumed['returned']}, "
                    f"expected {{'epoch': {resume_at}, 'val_loss': ...}} (the epoch and the extra given to "
                    f"save_checkpoint): check your load_checkpoint's return value")
        return f"checkpoint: the resumed run is the uninterrupted one bit for bit ({figures})"
    missing = snapshot_diff(saved, resumed["loaded"])
    if missing:
        return (f"checkpoint: the resumed run DIFFERS ({figures}); after load_checkpoint these were not what they "
                f"were at the save: {', '.join(missing)}: check your load_checkpoint (and what your save_checkpoint "
                f"writes)")
    if gradients_carried:    # the old gradients live on in the model, and a checkpoint rightly leaves them out
        return (f"checkpoint: the resumed run differs ({figures}), as it must while train_one_epoch lets gradients "
                f"add up across batches (see the train_one_epoch line): gradients are not part of a checkpoint")
    return (f"checkpoint: the resumed run DIFFERS ({figures}), though weights, optimizer and random states were "
            f"restored: check your load_checkpoint")


def loop_words(watches, straight):
    calls = [c for w in watches for c in w.calls["train"]]
    evals = [c for w in watches for c in w.calls["eval"]]
    if not all(training and grad for training, grad, *_ in calls):
        return ("train_one_epoch: a batch ran in eval mode or without autograd: check your train_one_epoch "
                "(model.train())")
    if any(w.stale_steps for w in watches):
        stale = sum(w.stale_steps for w in watches)
        return (f"train_one_epoch: at {stale} optimizer steps a gradient held more than its batch's (gradients add up "
                f"across batches): check your train_one_epoch (optimizer.zero_grad() before each backward)")
    if sum(w.steps for w in watches) != len(calls):
        return (f"train_one_epoch: {sum(w.steps for w in watches)} optimizer steps for {len(calls)} batches: "
                f"check your train_one_epoch (one step per batch)")
    worst = max(abs(got - want) / max(want, 1e-12) for got, want, *_ in straight["loss_checks"])
    if worst > 1e-5:
        return ("train_one_epoch: the loss it returned is not the mean over the samples (batch losses weighted by "
                "batch size, the last batch is short): check your train_one_epoch's returned loss")
    if any(training or grad for training, grad, *_ in evals) or not straight["mode_kept"]:
        return ("evaluate: a batch ran in training mode or with autograd on, or the model's mode was not restored: "
                "check your evaluate (model.eval(), torch.no_grad(), each module's mode back afterwards)")
    worst = max(abs(got - want) / max(want, 1e-12) for *_, got, want in straight["loss_checks"])
    if worst > 1e-5:
        return "evaluate: its loss is not the mean over the validation samples: check your evaluate"
    return (f"training loop: every batch in training mode with its own gradient, one step per batch, the loss returned "
            f"weighted by batch size; evaluate in eval mode without autograd, the mode restored; the shapes of "
            f"{sum(w.shapes_checked for w in watches)} batches checked by your check_shape")


def debugging_words(straight):
    lines = []
    if straight["norm_gap"] > 1e-4:
        lines.append(f"grad_global_norm: {straight['norm_gap']:.2g} (relative) away from the norm of all gradients "
                     f"together: check your grad_global_norm")
    planted = [("fine", torch.ones(3)), ("nan", torch.tensor([0.0, math.nan])), ("no grad", None),
               ("inf", torch.tensor([-math.inf]))]
    found = find_nonfinite(planted)
    if found != ["nan", "inf"]:
        lines.append(f"find_nonfinite: on a planted NaN and -inf it found {found}, expected ['nan', 'inf']: check your "
                     f"find_nonfinite")
    try:
        check_shape(torch.zeros(5, 3), "B 2")
        lines.append("check_shape: a [5, 3] tensor passed the spec 'B 2': check your check_shape")
        wrong = None
    except ValueError as error:
        wrong = str(error)
    if lines:
        return lines
    if straight["nonfinite"]:
        return [f"NaN or inf: in {', '.join(straight['nonfinite'])}: look at the gradient norms above"]
    return [(f"debugging: no NaN or inf in any weight or gradient; gradient norms {min(straight['norm']):.3f} to "
             f"{max(straight['norm']):.3f}; a [5, 3] tensor against 'B 2' gives your check_shape's error: {wrong}")]


def seeding_words(seed):
    seed_everything(seed)
    got = (random.random(), float(np.random.rand()), torch.rand(1).item())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if got != (random.random(), float(np.random.rand()), torch.rand(1).item()):
        return "seed_everything: the draws after it are not those after seeding random, numpy and torch: check it"
    seed_worker(0)
    got = (random.random(), float(np.random.rand()))
    random.seed(torch.initial_seed() % 2**32)
    np.random.seed(torch.initial_seed() % 2**32)
    if got != (random.random(), float(np.random.rand())):
        return "seed_worker: random and numpy are not seeded from torch.initial_seed() % 2**32: check your seed_worker"
    return "seeding: seed_everything and seed_worker seed random, numpy and torch as they should"


def accuracy_words(straight, nearest):
    accuracy = straight["val_accuracy"][-1] if straight["val_accuracy"] else math.nan
    if accuracy >= 0.9:
        return f"MLP: validation accuracy {accuracy:.1%} (nearest class mean {nearest:.1%})"
    return f"MLP: validation accuracy {accuracy:.1%}, under 90%: look at the losses above"


# ------------------------------------------------------------------ plot

def plot(straight, resumed, resume_at, path):
    """Training and validation loss against epochs, the resumed run on top; False without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install matplotlib)")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(straight["epochs"], straight["train_loss"], "-", color="C0", label="training (uninterrupted)")
    ax.plot(straight["epochs"], straight["val_loss"], "-", color="C1", label="validation (uninterrupted)")
    ax.plot(resumed["epochs"], resumed["train_loss"], "x", color="C0", label="training (resumed)")
    ax.plot(resumed["epochs"], resumed["val_loss"], "x", color="C1", label="validation (resumed)")
    ax.axvline(resume_at, color="grey", linewidth=0.8, linestyle=":", label="checkpoint saved")
    ax.set(xlabel="epoch", ylabel="cross-entropy (log scale)", yscale="log",
           title="your training loop: the resumed run (x) on the uninterrupted one")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"plot saved: {path}")
    return True


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    args.resume_at = args.epochs // 2 - 1 if args.resume_at is None else args.resume_at
    if not 0 <= args.resume_at < args.epochs - 1:
        raise SystemExit(f"--resume-at: between 0 and {args.epochs - 2} (--epochs {args.epochs})")
    regression = fit_by_hand(args.seed)
    d = prepare(args.seed)
    training = time.perf_counter()
    tiny = overfit_tiny_batch(d, args)
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "checkpoint.pt"
        straight = train_and_save(d, args, checkpoint)
        resumed = resume(d, args, checkpoint)
    training_seconds = time.perf_counter() - training
    losses, weights = resume_gap(straight, resumed)
    print(f"resumed against uninterrupted, epochs {args.resume_at + 1}-{args.epochs - 1}: largest difference "
          f"{losses:.3g} in the losses, {weights:.3g} in the final weights")

    print("\n--- what to watch ---")
    watches = [tiny["watch"], straight["watch"], resumed["watch"]]
    for line in [regression_words(regression), *data_words(d), seeding_words(args.seed), overfit_words(tiny),
                 loop_words(watches, straight), accuracy_words(straight, d["nearest_mean"]),
                 resume_words(straight, resumed, args.resume_at, any(w.stale_steps for w in watches)),
                 *debugging_words(straight)]:
        print(line)
    print()
    plot(straight, resumed, args.resume_at, args.out)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return {"training_seconds": training_seconds, "resume_gap": (losses, weights)}


if __name__ == "__main__":
    try:
        main()
    except NotImplementedError as error:     # a function of yours not written yet: one line names it
        from conftest import unfinished_line  # assignments/conftest.py, which `pytest assignments` uses too
        raise SystemExit(unfinished_line(error)) from None
