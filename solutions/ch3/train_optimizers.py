"""Milestone: train one small network with your SGD, Adam and AdamW, and compare them.

When the chapter is done, run (about ten seconds on a CPU):

    python assignments/ch3/train_optimizers.py

It uses your SGD, Adam and AdamW (optimizers.py), warmup_cosine (schedules.py) and
clip_grad_norm_ (clipping.py). The problem is made here, from a fixed seed: 600 points of a
2-D spiral with three arms, one class per arm, and a small MLP (2 -> 64 -> 64 -> 3) that must
tell the arms apart. Each optimizer starts from the same initial weights and trains on the whole
set for the same number of steps, with the same learning-rate schedule (a linear warmup, then a
half cosine down to zero) and the gradient norm clipped to 0.1.

For each optimizer it prints the loss as it falls, then the final loss and accuracy, the learning
rate at a few steps, how often clipping fired, the size of the first update and the norm of the
weights at the end. Then what to watch, in words that follow those figures: the warmup and the
cosine (does your schedule give the closed form?), clipping (is each gradient scaled to
min(its norm, 0.1), and the norm before clipping returned?), the first update (SGD's is the
gradient's size, Adam's about the learning rate whatever the gradient: bias correction), and AdamW
against Adam (the decoupled weight decay keeps the weights smaller). A line that ends "check
your ..." names the part whose figures are not what they should be.

With a finished chapter, every loss falls from about ln(3) = 1.1 to under 0.05 (accuracy 98-100%),
clipping fires in the first steps, where the gradients are largest, Adam's first update is 1.00 x
the learning rate while the gradients are about 7e-5, and AdamW ends with weights about a fifth
smaller than Adam's.

It saves a plot, loss and learning rate against steps side by side, as train_optimizers.png in
the current folder (`--out` to choose; it needs matplotlib: `pip install matplotlib`; without it
the script still trains and prints). `--steps 100` for a quicker look.

Measured with the kit's solutions on a busy 2-core machine (load average 5-6): 12 s in all
(training 5 s, the rest importing torch and matplotlib and drawing). torch runs on one CPU thread
(`--threads`): this problem is too small to gain from more, and on that machine two threads made
training 7x slower (46 s in all) by waiting for each other.
"""
import argparse
import copy
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # so that `import ch3` finds this folder

from ch3.clipping import clip_grad_norm_  # noqa: E402
from ch3.optimizers import SGD, Adam, AdamW  # noqa: E402
from ch3.schedules import warmup_cosine  # noqa: E402

MAX_NORM = 0.1      # small enough to fire in the first steps, when the gradients are largest
# name, optimizer class, its arguments (the base learning rate among them). AdamW's weight decay is
# larger than usual, so that its effect shows in a few hundred steps.
RUNS = [
    ("SGD", SGD, dict(lr=0.2, momentum=0.9)),
    ("Adam", Adam, dict(lr=0.01)),
    ("AdamW", AdamW, dict(lr=0.01, weight_decay=0.5)),
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=None, help="warmup steps (default: a tenth of --steps)")
    p.add_argument("--out", type=Path, default=Path("train_optimizers.png"),
                   help="where to save the plot (default: train_optimizers.png in the current folder)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (this problem is too small to gain from more than one)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def spiral(points_per_arm, arms, generator):
    """(x, y): `arms` noisy spiral arms in the plane, one class per arm."""
    radius = torch.linspace(0.05, 1.0, points_per_arm).repeat(arms)
    label = torch.arange(arms).repeat_interleave(points_per_arm)
    angle = label * (2 * math.pi / arms) + radius * 4.0 + 0.4 * torch.randn(len(radius), generator=generator)
    x = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
    return x, label


def mlp(classes):
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))


def size(value):
    """A positive figure, 3 significant digits below 0.01: 0.00012 as 1.20e-04, 1 as 1.00."""
    return f"{value:.2e}" if value < 0.01 else f"{value:.2f}"


def weights_norm(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()]).norm().item()


def grads_norm(model):
    return torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item()


def train(make_optimizer, model, x, y, steps, warmup, decoupled_decay=0.0):
    """Full-batch training with warmup_cosine and clip_grad_norm_; returns what happened at each step."""
    optimizer = make_optimizer(model.parameters())
    schedule = warmup_cosine(optimizer, warmup, steps)
    history = {"loss": [], "lr": [], "norm": [], "returned_norm": [], "clipped_norm": []}
    for step in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        norm = grads_norm(model)
        history["returned_norm"].append(float(clip_grad_norm_(model.parameters(), MAX_NORM)))
        history["clipped_norm"].append(grads_norm(model))
        lr = optimizer.param_groups[0]["lr"]
        history["loss"].append(loss.item())
        history["lr"].append(lr)
        history["norm"].append(norm)
        if step == 0:
            history |= first_update(optimizer, model, lr, decoupled_decay)
        else:
            optimizer.step()
        schedule.step()
        if step % 100 == 0:
            print(f"step {step:4d}  loss {loss.item():.3f}  lr {lr:.5f}  grad norm {norm:.2f}")
    with torch.no_grad():
        logits = model(x)
        history["final_loss"] = nn.functional.cross_entropy(logits, y).item()
        history["accuracy"] = (logits.argmax(1) == y).float().mean().item()
    history["weights_norm"] = weights_norm(model)
    return history


def first_update(optimizer, model, lr, decoupled_decay):
    """optimizer.step(), and the median sizes of the gradients and of the update (in LRs), with the
    weight decay taken out (AdamW first shrinks each weight by lr * weight_decay of itself)."""
    params = list(model.parameters())
    decayed = [p.detach() * (1 - lr * decoupled_decay) for p in params]
    gradient = torch.cat([p.grad.abs().flatten() for p in params]).median().item()
    optimizer.step()
    change = torch.cat([(p.detach() - d).abs().flatten() for p, d in zip(params, decayed)]).median().item()
    return {"first_grad": gradient, "first_update": change / lr if lr > 0 else math.nan}


def expected_lr(base, step, warmup, steps):
    """The closed form warmup_cosine follows (min_lr 0): the LR used at `step`."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup))) / 2


def report(name, h, warmup, steps):
    """The figures of one run, in a few lines."""
    lrs = h["lr"]
    print(f"loss {h['loss'][0]:.3f} -> {h['final_loss']:.3f}, accuracy {h['accuracy']:.1%}; "
          f"norm of the weights at the end {h['weights_norm']:.2f}")
    print(f"LR {lrs[0]:.5f} at step 0, {lrs[warmup - 1]:.5f} at step {warmup - 1} (end of warmup), "
          f"{lrs[-1]:.5f} at step {steps - 1} (last)")
    fired = [step for step, norm in enumerate(h["norm"]) if norm > MAX_NORM]
    when = f" (first at step {fired[0]}, last at step {fired[-1]})" if fired else ""
    print(f"clipping fired in {len(fired)} of {steps} steps{when}; largest grad norm {max(h['norm']):.2f} before "
          f"clipping, {max(h['clipped_norm']):.2f} after (max_norm {MAX_NORM:g})")
    decay = ", the weight decay taken out" if name == "AdamW" else ""
    print(f"first update: a weight moved by {size(h['first_update'])} x the LR (median over the weights{decay}; "
          f"median |gradient| {size(h['first_grad'])})")


def schedule_words(runs, warmup, steps):
    """Does every run's LR follow the closed form? One line of what to watch."""
    worst = max(abs(lr - expected_lr(options["lr"], t, warmup, steps)) / options["lr"]
                for name, options, h in runs for t, lr in enumerate(h["lr"]))
    base = runs[0][1]["lr"]
    if worst < 1e-6:
        return (f"schedule: the LR rises linearly for the first {warmup} steps, from base/{warmup} "
                f"({base / warmup:.5f} for {runs[0][0]}) at step 0 to base at step {warmup - 1}, then falls along "
                f"a half cosine to nearly 0 ({runs[0][2]['lr'][-1]:.5f}) at step {steps - 1}: the closed form, "
                f"in every run")
    return (f"schedule: the LR is up to {worst:.1%} of base away from the closed form "
            f"base*(t+1)/{warmup} then base*(1+cos(pi*(t-{warmup})/{steps - warmup}))/2: check your warmup_cosine")


def clipping_words(runs):
    """Was every gradient scaled to min(its norm, max_norm), and the norm before clipping returned?"""
    steps = [(norm, returned, after) for _, _, h in runs
             for norm, returned, after in zip(h["norm"], h["returned_norm"], h["clipped_norm"])]
    for norm, returned, after in steps:
        if not math.isclose(returned, norm, rel_tol=1e-3):
            return (f"clipping: clip_grad_norm_ returned {returned:.4g} where the norm before clipping was "
                    f"{norm:.4g}: check what your clip_grad_norm_ returns (the total norm before clipping)")
        if not math.isclose(after, min(norm, MAX_NORM), rel_tol=1e-3):
            return (f"clipping: a gradient of norm {norm:.4g} had norm {after:.4g} after clipping, expected "
                    f"min(norm, max_norm) = {min(norm, MAX_NORM):.4g}: check your clip_grad_norm_")
    fired = ", ".join(f"{name} {sum(n > MAX_NORM for n in h['norm'])}" for name, _, h in runs)
    return (f"clipping: the steps where the norm went above {MAX_NORM:g} ({fired}) were scaled down to it, "
            f"the others left alone, and the norm before clipping returned")


def first_update_words(runs):
    """SGD's first update is lr * g; Adam's is lr * m_hat / sqrt(v_hat) = lr * g / |g|: the LR for each weight."""
    return [first_update_line(name, h["first_update"], h["first_grad"]) for name, _, h in runs]


def first_update_line(name, ratio, gradient):
    moved = f"{name}: the first update moved a weight by {size(ratio)} x the LR"
    if math.isnan(ratio):
        return f"{name}: the LR at step 0 was 0, so the first update shows nothing (see the schedule line)"
    if name == "SGD":
        if math.isclose(ratio, gradient, rel_tol=0.01):
            return f"{moved}, the size of its gradient (median {size(gradient)}): SGD's steps scale with the gradient"
        return f"{moved}, expected the size of its gradient (median {size(gradient)}): check your SGD's first step"
    why = "bias correction makes m_hat / sqrt(v_hat) = g / |g| at step 1"
    if 0.9 <= ratio <= 1.1:
        return f"{moved}, though the gradients are about {size(gradient)} (median): {why}"
    return f"{moved}, expected about 1 ({why}): check your bias correction"


def decay_words(runs):
    norms = {name: h["weights_norm"] for name, _, h in runs}
    decay = next(options["weight_decay"] for name, options, _ in runs if name == "AdamW")
    adam, adamw = norms["Adam"], norms["AdamW"]
    compared = f"AdamW (weight_decay {decay:g}) vs Adam (none): norm of the weights {adamw:.2f} against {adam:.2f}"
    if adamw < adam * 0.98:
        return (f"{compared}, {1 - adamw / adam:.0%} smaller: the decoupled decay shrinks every weight by "
                f"lr * weight_decay of itself at each step")
    return f"{compared}: the weight decay did not make them smaller: check your AdamW's decay"


def loss_words(runs):
    finals = sorted((h["final_loss"], name) for name, _, h in runs)
    fell = [name for name, _, h in runs if h["final_loss"] < h["loss"][0] / 2]
    ranking = " < ".join(f"{name} {loss:.3f}" for loss, name in finals)
    if len(fell) == len(runs):
        return f"loss: every optimizer at least halved it; final losses {ranking}"
    stuck = [name for name, _, _ in runs if name not in fell]
    return f"loss: {', '.join(stuck)} did not halve it; final losses {ranking}"


def plot(runs, warmup, path):
    """Loss and LR against steps, side by side; False (and a line saying why) without matplotlib.
    The LR is drawn as a fraction of each run's base LR: one schedule, whatever the base."""
    try:
        import matplotlib
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install matplotlib)")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, lr_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for (name, options, h), style in zip(runs, ["-", "--", ":"]):
        loss_ax.plot(h["loss"], style, label=name)
        lr_ax.plot([lr / options["lr"] for lr in h["lr"]], style, label=f"{name} (base LR {options['lr']:g})")
    loss_ax.set(xlabel="step", ylabel="training loss (log scale)", yscale="log", title="loss")
    lr_ax.set(xlabel="step", ylabel="LR / base LR", title="learning rate: warmup, then cosine")
    for ax in (loss_ax, lr_ax):
        ax.axvline(warmup - 1, color="grey", linewidth=0.8, label="end of warmup")
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
    warmup = args.warmup if args.warmup is not None else max(1, args.steps // 10)
    if not 0 < warmup < args.steps:
        raise SystemExit(f"--warmup: between 1 and {args.steps - 1} (--steps {args.steps})")
    x, y = spiral(200, 3, torch.Generator().manual_seed(args.seed))
    torch.manual_seed(args.seed)
    initial = mlp(3)
    print(f"{len(x)} points of a 3-armed spiral; MLP with {sum(p.numel() for p in initial.parameters()):,} "
          f"parameters, the same initial weights for every optimizer")
    print(f"{args.steps} full-batch steps each, warmup {warmup} steps then cosine, gradient norm clipped to "
          f"{MAX_NORM:g}; a model that knows nothing scores ln(3) = {math.log(3):.3f}")
    runs = []
    training = time.perf_counter()
    for name, optimizer_class, options in RUNS:
        print(f"\n--- {name}: {', '.join(f'{k} {v:g}' for k, v in options.items())} ---")
        decoupled_decay = options.get("weight_decay", 0.0) if optimizer_class is AdamW else 0.0
        h = train(lambda params: optimizer_class(params, **options), copy.deepcopy(initial), x, y,
                  args.steps, warmup, decoupled_decay)
        report(name, h, warmup, args.steps)
        runs.append((name, options, h))
    training_seconds = time.perf_counter() - training

    print("\n--- what to watch ---")
    for line in [loss_words(runs), schedule_words(runs, warmup, args.steps), clipping_words(runs),
                 *first_update_words(runs), decay_words(runs)]:
        print(line)
    print()
    plot(runs, warmup, args.out)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return {"runs": {name: h for name, _, h in runs}, "training_seconds": training_seconds}


if __name__ == "__main__":
    try:
        main()
    except NotImplementedError as error:     # a function of yours not written yet: one line names it
        from conftest import unfinished_line  # assignments/conftest.py, which `pytest assignments` uses too
        raise SystemExit(unfinished_line(error)) from None
