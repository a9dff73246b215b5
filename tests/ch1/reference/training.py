"""Reference for ch1/training.py: the textbook loop (torch has no counterpart). Seeding is
random.seed / numpy.random.seed / torch.manual_seed; a checkpoint is one torch.save'd dict."""
import random

import numpy as np
import torch


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)          # seeds every CUDA device as well
    torch.cuda.manual_seed_all(seed)


def seed_worker(worker_id):
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def train_one_epoch(model, loader, loss_fn, optimizer):
    model.train()
    weighted, seen = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        weighted += loss.item() * len(targets)
        seen += len(targets)
    return weighted / seen


def evaluate(model, loader, loss_fn):
    before = [(m, m.training) for m in model.modules()]
    model.eval()
    weighted, hits, seen, classes = 0.0, 0, 0, True
    try:
        with torch.no_grad():
            for inputs, targets in loader:
                out = model(inputs)
                weighted += float(loss_fn(out, targets)) * len(targets)
                seen += len(targets)
                classes = classes and out.dim() == 2 and targets.dim() == 1 and not targets.is_floating_point()
                if classes:
                    hits += int((out.argmax(1) == targets).sum())
    finally:
        for m, mode in before:
            m.training = mode
    result = {"loss": weighted / seen}
    if classes:
        result["accuracy"] = hits / seen
    return result


def save_checkpoint(path, model, optimizer, epoch, **extra):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, "extra": extra,
                "random": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}, path)


def load_checkpoint(path, model, optimizer):
    saved = torch.load(path, weights_only=False)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    random.setstate(saved["random"])
    np.random.set_state(saved["numpy"])
    torch.set_rng_state(saved["torch"])
    if saved["cuda"] is not None:
        torch.cuda.set_rng_state_all(saved["cuda"])
    return {"epoch": saved["epoch"], **saved["extra"]}
