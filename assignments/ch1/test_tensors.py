"""Public tests for ch1/tensors.py: run `pytest assignments/ch1`.

Quick checks of values you can work out by hand. The hidden tests go further.
"""
import torch

from ch1 import tensors


def test_linear():
    x = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])      # 3 samples, 2 features in
    weight = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])  # 3 features out
    bias = torch.tensor([0.5, 0.0, -1.0])
    out = tensors.linear(x, weight, bias)
    want = torch.tensor([[1.5, 3.0, 3.0], [0.5, -1.0, -3.0], [3.5, 4.0, 1.0]])
    torch.testing.assert_close(out, want)
    assert tensors.linear(torch.zeros(0, 2), weight).shape == (0, 3)


def test_one_hot():
    out = tensors.one_hot(torch.tensor([2, 0, 1, 2]))
    want = torch.tensor([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == torch.int64
    assert torch.equal(out, want)
    assert tensors.one_hot(torch.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]


def test_pairwise_sq_dists():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 4.0], [1.0, 0.0], [1.0, 1.0]])
    want = torch.tensor([[25.0, 1.0, 2.0], [13.0, 1.0, 0.0]])
    torch.testing.assert_close(tensors.pairwise_sq_dists(a, b), want)
    far = torch.tensor([[10000.0, 10000.0]])
    torch.testing.assert_close(tensors.pairwise_sq_dists(far, far + torch.tensor([1.0, 2.0])), torch.tensor([[5.0]]))
