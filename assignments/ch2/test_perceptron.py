"""Public tests for ch2/perceptron.py: run `pytest assignments/ch2`.

Small examples you can trace by hand. The hidden tests go further: larger
data sets, learning rates, float32 and float64, CPU and CUDA, integer and float
labels, zero epochs, and x and y must not be modified.
"""
import torch

from ch2 import perceptron


def test_two_points_traced_by_hand():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([1, -1])
    w, b, mistakes = perceptron.perceptron_train(x, y, epochs=3)
    # epoch 1: sample 0 sits on the boundary (0 <= 0): w = [1, 0], b = 1;
    #          sample 1: -1 * (0 + 1) <= 0: w = [1, -1], b = 0.  Then no more mistakes.
    assert mistakes == [2, 0, 0]
    torch.testing.assert_close(w, torch.tensor([1.0, -1.0]))
    assert float(b) == 0.0


def test_learning_rate_scales_the_updates():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, -1.0], dtype=torch.float64)
    w, b, mistakes = perceptron.perceptron_train(x, y, epochs=2, lr=0.5)
    assert w.dtype == torch.float64 and w.shape == (2,)
    torch.testing.assert_close(w, torch.tensor([0.5, -0.5], dtype=torch.float64))
    assert float(b) == 0.0 and mistakes == [2, 0]


def test_xor_keeps_making_mistakes():
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([-1, 1, 1, -1])
    _, _, mistakes = perceptron.perceptron_train(x, y, epochs=10)
    assert len(mistakes) == 10 and min(mistakes) > 0
