"""Public tests for ch2/mlp.py: run `pytest assignments/ch2`.

Small networks you can check by hand. The hidden tests go further: 1, 2, 3 and
11 layers, every activation, random upstream gradients, float32 and float64,
CPU and CUDA, and nothing passed in may be modified.
"""
import pytest
import torch

from ch2 import mlp

# A 2-layer ReLU network: 2 inputs -> 3 hidden units -> 1 output, on 2 samples.
X = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
PARAMS = {
    "W1": torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]),
    "b1": torch.tensor([0.0, -1.0, 0.0]),
    "W2": torch.tensor([[1.0, 1.0, 1.0]]),
    "b2": torch.tensor([0.5]),
}
GRAD_OUT = torch.tensor([[1.0], [2.0]])


def test_single_layer_is_linear_without_activation():
    x = torch.tensor([[1.0, 2.0], [3.0, 1.0], [0.0, 0.0]])
    params = {"W1": torch.tensor([[1.0, -1.0]]), "b1": torch.tensor([0.5])}
    out, _ = mlp.mlp_forward(x, params, activation="relu")
    # x @ W1.T + b1; no ReLU after the last (here: only) layer, so -0.5 stays negative
    torch.testing.assert_close(out, torch.tensor([[-0.5], [2.5], [0.5]]))


def test_two_layer_relu_forward():
    # hidden pre-activations: [1, 1, -3] and [3, -2, -2]; after ReLU: [1, 1, 0] and [3, 0, 0]
    out, _ = mlp.mlp_forward(X, PARAMS)
    torch.testing.assert_close(out, torch.tensor([[2.5], [3.5]]))


def test_two_layer_relu_backward():
    out, cache = mlp.mlp_forward(X, PARAMS, activation="relu")
    grads = mlp.mlp_backward(GRAD_OUT, cache)
    assert set(PARAMS) <= set(grads) <= set(PARAMS) | {"x"}
    torch.testing.assert_close(grads["W2"], torch.tensor([[7.0, 1.0, 0.0]]))
    torch.testing.assert_close(grads["b2"], torch.tensor([3.0]))
    torch.testing.assert_close(grads["W1"], torch.tensor([[7.0, 0.0], [1.0, 2.0], [0.0, 0.0]]))
    torch.testing.assert_close(grads["b1"], torch.tensor([3.0, 1.0, 0.0]))
    if "x" in grads:
        torch.testing.assert_close(grads["x"], torch.tensor([[1.0, 1.0], [2.0, 0.0]]))


def test_single_layer_backward():
    x = torch.tensor([[1.0, 2.0], [3.0, 1.0], [0.0, -1.0]])
    params = {"W1": torch.tensor([[1.0, -1.0]]), "b1": torch.tensor([0.5])}
    g = torch.tensor([[1.0], [-2.0], [0.5]])
    _, cache = mlp.mlp_forward(x, params, activation="tanh")
    grads = mlp.mlp_backward(g, cache)
    torch.testing.assert_close(grads["W1"], g.T @ x)     # [[-5, -0.5]]
    torch.testing.assert_close(grads["b1"], g.sum(0))    # summed over the samples, not averaged


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_shapes_and_dtype_of_a_three_layer_network(activation):
    g = torch.Generator().manual_seed(0)
    dims = [4, 6, 5, 3]
    params = {}
    for l in range(1, 4):
        params[f"W{l}"] = torch.randn(dims[l], dims[l - 1], generator=g, dtype=torch.float64)
        params[f"b{l}"] = torch.randn(dims[l], generator=g, dtype=torch.float64)
    x = torch.randn(7, 4, generator=g, dtype=torch.float64)
    out, cache = mlp.mlp_forward(x, params, activation=activation)
    assert out.shape == (7, 3) and out.dtype == torch.float64
    grads = mlp.mlp_backward(torch.randn(7, 3, generator=g, dtype=torch.float64), cache)
    for name, p in params.items():
        assert grads[name].shape == p.shape, name
        assert grads[name].dtype == torch.float64, name


def test_unknown_activation_raises():
    with pytest.raises(ValueError):
        mlp.mlp_forward(X, PARAMS, activation="softplus")
