"""Public tests for ch5/pooling.py: run `pytest assignments/ch5`.

Quick checks of values you can work out by hand on one small 3x4 image. The hidden tests go
further: many window settings against torch's F.max_pool2d and F.avg_pool2d, the backward against
autograd with random upstream gradients and inputs full of ties, CPU and CUDA, float32 and float64.
"""
import pytest
import torch

from ch5 import pooling


def image():
    """[1, 1, 3, 4]: the values 1..12 row by row."""
    return torch.arange(1.0, 13.0).reshape(1, 1, 3, 4)


def assert_equal(got, want):
    want = torch.tensor(want, dtype=got.dtype).reshape(1, 1, *torch.tensor(want).shape)
    assert got.shape == want.shape and torch.allclose(got, want), f"got {got}, expected {want}"


def test_max_pool2d_default_stride_is_the_kernel():
    x = image()
    assert_equal(pooling.max_pool2d(x, 2), [[6.0, 8.0]])          # the last row has no whole window
    assert_equal(pooling.max_pool2d(x, (3, 2)), [[10.0, 12.0]])   # (height, width)
    assert_equal(pooling.max_pool2d(x, (3, 2), stride=1), [[10.0, 11.0, 12.0]])
    assert torch.equal(x, image())                                # the input is left alone


def test_max_pool2d_padding_is_never_the_max():
    assert_equal(pooling.max_pool2d(-image(), 2, padding=1), [[-1.0, -2.0, -4.0], [-5.0, -6.0, -8.0]])
    with pytest.raises(Exception):
        pooling.max_pool2d(image(), 2, padding=2)                 # more than half the kernel


def test_avg_pool2d_counts_the_padding():
    x = image()
    assert_equal(pooling.avg_pool2d(x, 2), [[3.5, 5.5]])
    assert_equal(pooling.avg_pool2d(x, 2, padding=1), [[0.25, 1.25, 1.0], [3.5, 8.5, 5.0]])   # always / 4


def test_max_pool2d_backward_routes_to_the_max():
    g = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])   # 2x2 windows, stride 1: maxima at their bottom right
    assert_equal(pooling.max_pool2d_backward(g, image(), 2, stride=1),
                 [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0], [0.0, 4.0, 5.0, 6.0]])


def test_max_pool2d_backward_ties_and_overlaps():
    g = torch.tensor([[[[1.0, 2.0]]]])
    ones = torch.ones(1, 1, 2, 3)                                 # every value ties: the first in each window wins
    assert_equal(pooling.max_pool2d_backward(g, ones, 2, stride=1), [[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    peak = torch.tensor([[[[0.0, 5.0, 0.0]]]])                    # both windows share the max: 1 + 2
    assert_equal(pooling.max_pool2d_backward(g, peak, (1, 2), stride=1), [[0.0, 3.0, 0.0]])
