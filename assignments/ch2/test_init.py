"""Public tests for ch2/init.py: run `pytest assignments/ch2`.

Quick checks you can work out by hand. The hidden tests go further: every
nonlinearity and mode, Linear and conv weights of 3 to 5 dimensions, float32
and float64, CPU and CUDA, tensors that require grad, transposed views, and
statistical checks of the bounds and standard deviations of many draws.
"""
import math

import pytest
import torch

from ch2 import init


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("selu") == pytest.approx(0.75)


def test_calculate_gain_leaky_relu_slope():
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", 1) == pytest.approx(1.0)


def test_calculate_gain_unknown_name_raises():
    with pytest.raises(ValueError):
        init.calculate_gain("softmax")


def test_xavier_uniform_in_place_and_within_bound():
    w = torch.empty(30, 50)                    # fan_in 50, fan_out 30: a = sqrt(6 / 80)
    out = init.xavier_uniform_(w, generator=seeded())
    assert out is w
    bound = math.sqrt(6 / 80)
    assert w.abs().max() <= bound + 1e-6
    assert w.max() > 0.9 * bound and w.min() < -0.9 * bound


def test_kaiming_uniform_conv_weight_fans():
    w = torch.empty(8, 3, 2, 5, dtype=torch.float64)   # fan_in = 3*2*5 = 30, fan_out = 8*10 = 80
    init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu", generator=seeded())
    bound_in = math.sqrt(2) * math.sqrt(3 / 30)
    assert w.dtype == torch.float64
    assert w.abs().max() <= bound_in + 1e-12
    assert w.max() > 0.8 * bound_in and w.min() < -0.8 * bound_in
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=seeded())
    assert w.abs().max() <= math.sqrt(2) * math.sqrt(3 / 80) + 1e-12


def test_kaiming_normal_std():
    w = torch.empty(50, 200)                   # fan_in 200: std = sqrt(2) / sqrt(200) = 0.1
    out = init.kaiming_normal_(w, nonlinearity="relu", generator=seeded())
    assert out is w
    assert abs(w.mean().item()) < 0.01
    assert w.std().item() == pytest.approx(0.1, rel=0.1)


def test_xavier_normal_std_with_gain():
    w = torch.empty(40, 60)                    # std = 2 * sqrt(2 / 100) = 0.2828
    init.xavier_normal_(w, gain=2.0, generator=seeded())
    assert w.std().item() == pytest.approx(2 * math.sqrt(2 / 100), rel=0.1)


def test_same_generator_seed_same_values():
    a = init.kaiming_normal_(torch.empty(4, 6), generator=seeded(1))
    b = init.kaiming_normal_(torch.empty(4, 6), generator=seeded(1))
    c = init.kaiming_normal_(torch.empty(4, 6), generator=seeded(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.xavier_normal_,
                                init.kaiming_uniform_, init.kaiming_normal_])
def test_one_dimensional_tensor_raises(fn):
    with pytest.raises(ValueError):
        fn(torch.empty(5))
