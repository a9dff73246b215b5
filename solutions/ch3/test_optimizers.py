"""Public tests for ch3/optimizers.py: run `pytest assignments/ch3`.

Quick checks of one or two steps you can work out by hand. The hidden tests go further: 30 steps
of random gradients against torch.optim, two param groups, every option, float32 and float64,
CPU and CUDA, and a state_dict() saved in the middle of a run and loaded into a fresh optimizer.
"""
import copy

import pytest
import torch

from ch3 import optimizers

G = torch.tensor([0.5, -1.0])


def params():
    """p = [1, 2] with gradient G = [0.5, -1], and a second parameter that has no gradient."""
    p, q = torch.tensor([1.0, 2.0]), torch.tensor([3.0])
    p.grad = G.clone()
    return p, q


def steps(opt, n):
    for _ in range(n):
        opt.step()


def test_SGD_plain_step():
    p, q = params()
    steps(optimizers.SGD([p, q], lr=0.1), 1)
    torch.testing.assert_close(p, torch.tensor([0.95, 2.1]))   # p - lr * g
    torch.testing.assert_close(q, torch.tensor([3.0]))          # no gradient: not moved
    torch.testing.assert_close(p.grad, G)                       # the gradient is left alone


def test_SGD_momentum_two_steps():
    p, _ = params()
    steps(optimizers.SGD([p], lr=0.1, momentum=0.9, dampening=0.5), 2)
    # b = g on the first step (no dampening yet), then b = 0.9 * g + 0.5 * g = 1.4 g
    torch.testing.assert_close(p, torch.tensor([1.0, 2.0]) - 0.1 * 2.4 * G)


def test_SGD_nesterov_two_steps():
    p, _ = params()
    steps(optimizers.SGD([p], lr=0.1, momentum=0.9, nesterov=True), 2)
    # step 1: b = g, d = g + 0.9 b = 1.9 g; step 2: b = 1.9 g, d = g + 0.9 b = 2.71 g
    torch.testing.assert_close(p, torch.tensor([1.0, 2.0]) - 0.1 * 4.61 * G)


def test_SGD_maximize_goes_uphill():
    p, _ = params()
    steps(optimizers.SGD([p], lr=0.1, maximize=True), 1)
    torch.testing.assert_close(p, torch.tensor([1.05, 1.9]))


def test_SGD_param_groups():
    p, q = params()
    q.grad = torch.tensor([1.0])
    steps(optimizers.SGD([{"params": [p]}, {"params": [q], "lr": 1.0}], lr=0.1), 1)
    torch.testing.assert_close(p, torch.tensor([0.95, 2.1]))
    torch.testing.assert_close(q, torch.tensor([2.0]))


def test_RMSprop_first_step():
    p, _ = params()
    steps(optimizers.RMSprop([p], lr=0.01), 1)
    # v = 0.01 g^2, so g / (sqrt(v) + eps) is about 10 * sign(g)
    torch.testing.assert_close(p, torch.tensor([0.9, 2.1]))


def test_Adam_first_step_is_lr_times_sign():
    p, _ = params()
    steps(optimizers.Adam([p], lr=0.1), 1)
    # after bias correction m_hat = g and v_hat = g^2: the step is lr * g / (|g| + eps)
    torch.testing.assert_close(p, torch.tensor([0.9, 2.1]))


def test_AdamW_decay_is_decoupled():
    p, _ = params()
    steps(optimizers.AdamW([p], lr=0.1, weight_decay=0.1), 1)
    # p * (1 - 0.1 * 0.1), then Adam's first step lr * sign(g)
    torch.testing.assert_close(p, torch.tensor([0.99 - 0.1, 1.98 + 0.1]))


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_is_a_torch_optimizer_and_round_trips_its_state(name):
    cls = getattr(optimizers, name)
    p, _ = params()
    opt = cls([p], lr=0.01)
    assert isinstance(opt, torch.optim.Optimizer)
    steps(opt, 2)
    fresh = p.detach().clone()
    fresh.grad = G.clone()
    again = cls([fresh], lr=0.01)
    again.load_state_dict(copy.deepcopy(opt.state_dict()))   # a copy: the two must not share tensors
    steps(opt, 1)
    steps(again, 1)
    torch.testing.assert_close(fresh, p)
