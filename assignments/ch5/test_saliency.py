"""Public tests for ch5/saliency.py: run `pytest assignments/ch5`.

Quick checks of values you can work out by hand. The hidden tests go further: a CNN with
BatchNorm and dropout in mixed training/eval modes, existing gradients, targets per sample,
layers called twice or followed by in-place ReLUs, forward passes that raise, CPU and CUDA.
"""
import pytest
import torch

from ch5 import saliency


def linear_model():
    """Flatten, then Linear(2*1*2 -> 2) with weights you can read: logit k = sum of W[k] * x."""
    model = torch.nn.Sequential(torch.nn.Dropout(0.9), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[1.0, -3.0, 2.0, 0.5], [-1.0, 0.0, 4.0, -2.0]]))
        model[2].bias.zero_()
    return model


def test_saliency_map_of_a_linear_model():
    model = linear_model()            # in training mode: the dropout must be switched off
    x = torch.ones(2, 2, 1, 2)        # [N=2, C=2, H=1, W=2]; channel c, column w is weight c*2 + w
    out = saliency.saliency_map(model, x, torch.tensor([0, 1]))
    # the gradient of logit k is W[k] itself: max over the channels of |W[k]|, per column
    assert torch.equal(out, torch.tensor([[[2.0, 3.0]], [[4.0, 2.0]]]))
    assert model.training and model[0].training, "the model must be back in training mode"
    assert all(p.grad is None for p in model.parameters()), "no parameter may get a .grad"
    assert torch.equal(saliency.saliency_map(model, x, 1), out[1:].expand(2, 1, 2))   # an int: every sample


def test_capture_activations():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(inplace=True), torch.nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
        model[0].bias.zero_()
    out = saliency.capture_activations(model, ["0", "1"], torch.tensor([[3.0, 2.0]]))
    assert sorted(out) == ["0", "1"]
    assert torch.equal(out["0"], torch.tensor([[3.0, -2.0]]))   # a copy from before the in-place ReLU
    assert torch.equal(out["1"], torch.tensor([[3.0, 0.0]]))
    assert not out["0"].requires_grad
    assert all(not m._forward_hooks for m in model.modules()), "the hooks must be removed"
    with pytest.raises(Exception):
        saliency.capture_activations(model, ["5"], torch.tensor([[3.0, 2.0]]))   # no layer "5"
