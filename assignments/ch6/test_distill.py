"""Public tests for ch6/distill.py: run `pytest assignments/ch6`.

Quick checks of values you can work out by hand. The hidden tests go further:
random logits compared with `F.kl_div` + `F.cross_entropy` for several
temperatures and alphas, float32 and float64, CPU and CUDA, logits up to ±1e4,
gradients w.r.t. the student's logits, and the inputs must not be modified.
"""
import math

import pytest
import torch

from ch6 import distill

# Student: uniform over 2 classes. Teacher: logits (T*log 3, 0), so softmax(teacher / T) = (3/4, 1/4).
KL = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)


def teacher(T):
    return torch.tensor([[T * math.log(3.0), 0.0], [0.0, T * math.log(3.0)]])


def test_pure_distillation_at_temperature_1():
    loss = distill.distillation_loss(torch.zeros(2, 2), teacher(1.0), torch.tensor([0, 1]),
                                     temperature=1.0, alpha=1.0)
    assert loss.item() == pytest.approx(KL)


def test_the_kl_term_is_scaled_by_t_squared():
    loss = distill.distillation_loss(torch.zeros(2, 2), teacher(2.0), torch.tensor([0, 1]),
                                     temperature=2.0, alpha=1.0)
    assert loss.item() == pytest.approx(4 * KL)


def test_alpha_zero_is_plain_cross_entropy():
    teacher_logits = torch.arange(12.0).reshape(3, 4)
    loss = distill.distillation_loss(torch.zeros(3, 4), teacher_logits, torch.tensor([0, 1, 3]), alpha=0.0)
    assert loss.item() == pytest.approx(math.log(4.0))


def test_defaults_mix_both_terms():
    # temperature=2.0, alpha=0.5: 0.5 * 4 * KL + 0.5 * log(2)
    loss = distill.distillation_loss(torch.zeros(2, 2), teacher(2.0), torch.tensor([0, 1]))
    assert loss.item() == pytest.approx(0.5 * 4 * KL + 0.5 * math.log(2.0))


def test_returns_a_0d_tensor_with_a_gradient_for_the_student():
    student = torch.zeros(2, 2, requires_grad=True)
    loss = distill.distillation_loss(student, teacher(1.0), torch.tensor([0, 1]), temperature=1.0, alpha=1.0)
    assert isinstance(loss, torch.Tensor) and loss.shape == ()
    loss.backward()
    # d KL / d student = (softmax(student) - p_teacher) / B = ((1/2 - 3/4) / 2, (1/2 - 1/4) / 2) for row 0
    torch.testing.assert_close(student.grad, torch.tensor([[-0.125, 0.125], [0.125, -0.125]]))


def test_large_logits_give_a_finite_loss():
    s = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    t = torch.tensor([[-1e4, 1e4, 0.0], [1e4, -1e4, -1e4]])
    loss = distill.distillation_loss(s, t, torch.tensor([2, 0]), temperature=1.0, alpha=0.5)
    assert math.isfinite(loss.item())


def test_float64_stays_float64():
    loss = distill.distillation_loss(torch.zeros(2, 3, dtype=torch.float64), torch.ones(2, 3, dtype=torch.float64),
                                     torch.tensor([0, 2]))
    assert loss.dtype == torch.float64
