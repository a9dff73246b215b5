"""A training loop you can trust: seeding, one epoch of training, evaluation, checkpoints.

Conventions shared by the exercises:
- a `loader` is any iterable of `(inputs, targets)` batches (a `torch.utils.data.DataLoader`, a
  list of pairs); the tensors are already on the model's device, and a batch's size is
  `targets.shape[0]`;
- `loss_fn(outputs, targets)` returns the MEAN loss over the batch (a 0-dim tensor), like
  `F.mse_loss` or `F.cross_entropy` with their default reduction;
- losses are returned as Python floats: the mean over every sample of the epoch, so a short last
  batch counts for its size, not as much as a full one.
"""
import random

import numpy as np
import torch


def seed_everything(seed):
    """Seed every random number generator a training run draws from; returns None.

    After `seed_everything(s)` the draws of `random.random()`, `numpy.random.rand()` and
    `torch.rand()` (CPU and every GPU) are exactly those after `random.seed(s)`,
    `numpy.random.seed(s)` and `torch.manual_seed(s)`. `seed` is an int in [0, 2**32).

    Hint: four generators: Python's `random`, numpy's global one, torch's CPU generator and the
    CUDA ones (`torch.cuda.manual_seed_all` does nothing when there is no GPU).
    """
    ### BEGIN SOLUTION
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    ### END SOLUTION


def seed_worker(worker_id):
    """A DataLoader `worker_init_fn`: seed Python's `random` and numpy's global generator in a worker.

    torch already gives each DataLoader worker its own seed (`torch.initial_seed()` there is the
    loader's base seed plus the worker's id), but `random` and numpy would start from the state
    copied from the parent process, identical in every worker. Seed both with
    `torch.initial_seed() % 2**32` (numpy accepts only seeds below 2**32). `worker_id` is not
    used: it is already part of `torch.initial_seed()`. Returns None.
    """
    ### BEGIN SOLUTION
    worker_seed = torch.initial_seed() % 2**32
    random.seed(worker_seed)
    np.random.seed(worker_seed)
    ### END SOLUTION


def train_one_epoch(model, loader, loss_fn, optimizer):
    """Train `model` for one pass over `loader`; return the epoch's mean per-sample loss (a float).

    Put the model in training mode (dropout active) first. For every batch, in this order: clear
    the old gradients (`optimizer.zero_grad()`), compute `loss_fn(model(inputs), targets)`,
    backpropagate, and take one optimizer step. The returned loss is the mean over all samples
    of the losses computed during the epoch: each batch's mean loss weighted by its batch size
    (`targets.shape[0]`), divided by the number of samples.

    Hint: keep the running sum as a Python number (`loss.item() * batch_size`), so that no
    autograd graph is kept alive from batch to batch.
    """
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        batch_size = targets.shape[0]
        total += loss.item() * batch_size
        count += batch_size
    return total / count
    ### END SOLUTION


def evaluate(model, loader, loss_fn):
    """Evaluate `model` on `loader` without training it; return a dict of metrics.

    Run in evaluation mode (dropout off, batch norm using its running statistics) and under
    `torch.no_grad()` (no graph is built, no `.grad` is touched). Afterwards every submodule is
    back in the mode it had before the call: a model may come in with some submodules in
    training mode and others in eval mode, and each must keep its own.

    Returns `{"loss": L}`, L the mean per-sample loss over the whole loader (batch mean losses
    weighted by batch size), as a float. When the outputs are `[N, C]` logits and the targets are
    integer class ids `[N]` (an integer dtype), also `"accuracy"`: the fraction (in [0, 1]) of
    samples whose `argmax` over C equals the target, as a float. With any other outputs or
    targets (e.g. float regression targets) the dict has no "accuracy" key.
    """
    ### BEGIN SOLUTION
    modes = {module: module.training for module in model.modules()}
    model.eval()
    total, correct, count = 0.0, 0, 0
    classification = True
    try:
        with torch.no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                batch_size = targets.shape[0]
                total += loss_fn(outputs, targets).item() * batch_size
                count += batch_size
                if outputs.ndim == 2 and targets.ndim == 1 and not targets.is_floating_point():
                    correct += (outputs.argmax(dim=1) == targets).sum().item()
                else:
                    classification = False
    finally:
        for module, mode in modes.items():
            module.training = mode
    metrics = {"loss": total / count}
    if classification:
        metrics["accuracy"] = correct / count
    return metrics
    ### END SOLUTION


def save_checkpoint(path, model, optimizer, epoch, **extra):
    """Save everything needed to resume training exactly where it stopped, to the file `path`.

    The file holds the model's `state_dict()`, the optimizer's `state_dict()` (its momentum
    buffers too), `epoch`, the keyword arguments `extra` (e.g. `best_loss=0.3`), and the states of
    every random number generator: Python's `random`, numpy's global generator, torch's CPU
    generator and, when CUDA is available, every GPU's. The format is yours (`torch.save` of a
    dict is the usual choice): only your `load_checkpoint` reads it. Saving must change nothing:
    no parameter, no optimizer state, no random state. Returns None.

    The test: training two epochs straight must give bit for bit the same model as one epoch,
    save, load into a new model and optimizer (in what could be a new process, every generator
    reseeded), then one more epoch, with a shuffling DataLoader and dropout in the model.
    """
    ### BEGIN SOLUTION
    rng = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
           "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                "extra": extra, "rng": rng}, path)
    ### END SOLUTION


def load_checkpoint(path, model, optimizer):
    """Resume from a file written by `save_checkpoint`: returns `{"epoch": epoch, **extra}`.

    Loads the saved states into `model` and `optimizer` (freshly built ones, of the same
    architecture and parameter layout) and restores every random number generator that
    `save_checkpoint` recorded, so that the next draws are those that would have followed the
    save.

    Hint: a file holding numpy's state is not plain weights: `torch.load(path, weights_only=False)`
    (safe here, you wrote the file yourself).
    """
    ### BEGIN SOLUTION
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    rng = checkpoint["rng"]
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    if rng["cuda"]:
        torch.cuda.set_rng_state_all(rng["cuda"])
    return {"epoch": checkpoint["epoch"], **checkpoint["extra"]}
    ### END SOLUTION
