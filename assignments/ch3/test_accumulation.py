"""Public tests for ch3/accumulation.py: run `pytest assignments/ch3`.

A one-weight model you can follow by hand. The hidden tests go further: an MLP with mean squared
error and cross-entropy, many batch and micro-batch sizes, float32 and float64, CPU and CUDA,
against one full-batch step.
"""
import pytest
import torch
import torch.nn.functional as F

from ch3 import accumulation


def assert_close(got, want, atol=1e-6):
    """got == want up to rounding (same shape); torch.allclose is quicker to load than torch.testing."""
    assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-5, atol=atol), f"got {got}, expected {want}"

X = torch.tensor([[1.0], [2.0], [3.0]])
Y = torch.zeros(3, 1)
# loss = mean((w * x)^2) = 14/3 at w = 1, and its gradient mean(2 * w * x^2) = 28/3


class CountingSGD:
    """Plain SGD (p -= lr * p.grad) that counts its steps. accumulated_step needs only an object
    with zero_grad() and step() (a torch.optim optimizer in real use)."""

    def __init__(self, params, lr):
        self.params, self.lr, self.steps = list(params), lr, 0

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, closure=None):
        self.steps += 1
        for p in self.params:
            p -= self.lr * p.grad


def one_step(micro_batch_size, stale_grad=None):
    """accumulated_step on the model y = w * x (w = 1) with SGD(lr=0.1); returns the loss, the
    model, the rows of each loss_fn call and the number of optimizer steps."""
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    model.weight.grad = stale_grad
    optimizer = CountingSGD(model.parameters(), lr=0.1)
    rows = []

    def loss_fn(out, target):
        rows.append(len(out))
        return F.mse_loss(out, target)

    loss = accumulation.accumulated_step(model, loss_fn, (X, Y), micro_batch_size, optimizer)
    return loss, model, rows, optimizer.steps


@pytest.mark.parametrize("micro_batch_size", [1, 2, 3, 5])
def test_accumulated_step_equals_the_full_batch_step(micro_batch_size):
    loss, model, rows, steps = one_step(micro_batch_size)
    assert float(loss) == pytest.approx(14 / 3)               # the full-batch mean loss
    assert_close(model.weight.grad, torch.tensor([[28 / 3]]))
    assert_close(model.weight.detach(), torch.tensor([[1 - 0.1 * 28 / 3]]))
    assert steps == 1                                         # one optimizer step
    assert max(rows) <= micro_batch_size                      # loss_fn only sees micro-batches


def test_stale_gradients_are_cleared_first():
    loss, model, _, _ = one_step(2, stale_grad=torch.tensor([[100.0]]))
    assert_close(model.weight.grad, torch.tensor([[28 / 3]]))
