"""Public tests for ch1/training.py: run `pytest assignments/ch1`.

A one-weight model you can follow by hand. The hidden tests go further: an MLP with dropout,
shuffling DataLoaders with a short last batch, SGD with momentum, float32 and float64, CPU and
CUDA, and a resume from a checkpoint compared bit for bit with training straight through.
"""
import random

import numpy as np
import torch
import torch.nn.functional as F

from ch1 import training


class PlainSGD:
    """p -= lr * p.grad: what these functions use of an optimizer (zero_grad, step, state_dict,
    load_state_dict); a torch.optim optimizer in real use."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, closure=None):
        for p in self.params:
            p -= self.lr * p.grad

    def state_dict(self):
        return {"lr": self.lr}

    def load_state_dict(self, state):
        self.lr = state["lr"]


def one_weight_model(w):
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(w)
    return model


def test_seed_everything():
    training.seed_everything(3)
    got = (random.random(), float(np.random.rand()), float(torch.rand(())))
    random.seed(3), np.random.seed(3), torch.manual_seed(3)
    assert got == (random.random(), float(np.random.rand()), float(torch.rand(())))


def test_seed_worker():
    torch.manual_seed(2**32 + 5)       # torch.initial_seed() % 2**32 == 5
    training.seed_worker(0)
    got = (random.random(), float(np.random.rand()))
    random.seed(5), np.random.seed(5)
    assert got == (random.random(), float(np.random.rand()))


def test_train_one_epoch():
    # w = 0. Batch 1 (2 samples, x = 1, y = 2): loss 4, gradient -4, w -> 0 - 0.25 * -4 = 1.
    # Batch 2 (1 sample): loss (1 - 2)^2 = 1, gradient -2, w -> 1.5. Mean per sample: (2*4 + 1*1) / 3 = 3.
    model = one_weight_model(0.0).eval()
    loader = [(torch.ones(2, 1), torch.full((2, 1), 2.0)), (torch.ones(1, 1), torch.full((1, 1), 2.0))]
    loss = training.train_one_epoch(model, loader, F.mse_loss, PlainSGD(model.parameters(), lr=0.25))
    assert abs(loss - 3.0) < 1e-6, f"returned loss {loss}, expected 3.0"
    assert model.weight.item() == 1.5, f"weight {model.weight.item()}, expected 1.5"
    assert model.training, "the model must be in training mode"


def test_evaluate():
    # logits [2, 1], [1, 3], [0, 1] with targets 0, 0, 1: argmax 0, 1, 1, two hits of three.
    model = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Dropout(0.5))
    model[0].eval()
    x = torch.tensor([[2.0, 1.0], [1.0, 3.0], [0.0, 1.0]])
    y = torch.tensor([0, 0, 1])
    metrics = training.evaluate(model, [(x[:2], y[:2]), (x[2:], y[2:])], F.cross_entropy)
    assert abs(metrics["accuracy"] - 2 / 3) < 1e-6
    assert abs(metrics["loss"] - float(F.cross_entropy(x, y))) < 1e-6      # dropout was off
    assert [m.training for m in model.modules()] == [True, False, True], "each module back in its own mode"
    regression = training.evaluate(model, [(x, x)], F.mse_loss)
    assert regression == {"loss": 0.0}


def test_checkpoint_round_trip(tmp_path):
    model = one_weight_model(0.5)
    optimizer = PlainSGD(model.parameters(), lr=0.1)
    torch.manual_seed(7)
    training.save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, 4, best_loss=0.5)
    next_draw = float(torch.rand(()))
    torch.manual_seed(8)
    fresh = one_weight_model(-1.0)
    fresh_optimizer = PlainSGD(fresh.parameters(), lr=0.5)
    info = training.load_checkpoint(tmp_path / "ckpt.pt", fresh, fresh_optimizer)
    assert info == {"epoch": 4, "best_loss": 0.5}
    assert fresh.weight.item() == 0.5
    assert fresh_optimizer.lr == 0.1, "load_checkpoint must load the optimizer's state"
    assert float(torch.rand(())) == next_draw, "load_checkpoint must restore torch's random state"
