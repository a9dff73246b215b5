"""Public tests for ch4/regularization.py: run `pytest assignments/ch4`.

Quick checks of values you can work out by hand. The hidden tests go further: dropout's kept
fraction and gradient on 100,000 elements, models with tied and frozen parameters, cutmix boxes
checked for size, clipping and position over hundreds of draws, float32 and float64, CPU and CUDA.
"""
import pytest
import torch

from ch4 import regularization


def assert_close(got, want):
    """got == want up to rounding (same shape and dtype); torch.allclose loads faster than torch.testing."""
    assert got.shape == want.shape and got.dtype == want.dtype, f"got {got}, expected {want}"
    assert torch.allclose(got, want, rtol=1e-6, atol=1e-7), f"got {got}, expected {want}"


def test_Dropout_zeroes_and_scales_up():
    torch.manual_seed(0)
    x = torch.full((1000,), 3.0)
    out = regularization.Dropout(0.5)(x)
    dropped, kept = (out == 0).sum().item(), (out == 6.0).sum().item()   # kept ones are x / (1 - p)
    assert dropped + kept == 1000, "every element is 0 or x / (1 - p)"
    assert 400 < kept < 600, f"{kept} of 1000 kept; expected about half"
    assert torch.equal(x, torch.full((1000,), 3.0)), "x must not change"


def test_Dropout_edge_cases_and_eval_mode():
    x = torch.tensor([[-2.0, 0.5, 1.0], [4.0, -3.0, 2.5]])
    assert_close(regularization.Dropout(0.0)(x), x)                       # p=0: nothing dropped
    assert_close(regularization.Dropout(1.0)(x), torch.zeros(2, 3))       # p=1: zeros, no NaN
    module = regularization.Dropout(0.9)
    module.eval()
    assert_close(module(x), x)                                            # eval mode: the identity
    with pytest.raises(Exception):
        regularization.Dropout(1.5)(x)                                    # p is a probability


def test_weight_decay_groups():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    decay, no_decay = regularization.weight_decay_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0
    assert [id(p) for p in decay["params"]] == [id(model[0].weight)]       # the only matrix
    assert {id(p) for p in no_decay["params"]} == {id(model[0].bias), id(model[1].weight), id(model[1].bias)}

    model[1].requires_grad_(False)                                          # frozen: left out
    _, no_decay = regularization.weight_decay_groups(model, 0.1)
    assert [id(p) for p in no_decay["params"]] == [id(model[0].bias)]

    decay, no_decay = regularization.weight_decay_groups(torch.nn.LayerNorm(4), 0.1)
    assert list(decay["params"]) == [] and len(no_decay["params"]) == 2   # both groups, even when empty


def test_mixup():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y, perm = torch.tensor([0, 2]), torch.tensor([1, 0])
    x_mixed, y_soft = regularization.mixup(x, y, 3, 0.25, perm)
    assert_close(x_mixed, torch.tensor([[2.5, 3.5], [1.5, 2.5]]))          # 0.25 * x + 0.75 * x[perm]
    assert_close(y_soft, torch.tensor([[0.25, 0.0, 0.75], [0.75, 0.0, 0.25]]))


def test_cutmix_labels_follow_the_box_area():
    x = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)])            # sample 0 all 0, sample 1 all 1
    y, perm = torch.tensor([0, 1]), torch.tensor([1, 0])
    x_mixed, y_soft = regularization.cutmix(x, y, 2, 0.75, perm, generator=torch.Generator().manual_seed(3))
    box = x_mixed[0, 0]                                                     # 1 inside the box, 0 outside
    area = box.sum().item()
    assert 0 < area <= 9, f"a box of about 2 x 2 pixels (at most 3 x 3), got {area} pixels"
    assert_close(y_soft[0], torch.tensor([1 - area / 16, area / 16]))       # label weight = box area / (H*W)
    assert_close(y_soft.sum(dim=1), torch.ones(2))
    again, _ = regularization.cutmix(x, y, 2, 0.75, perm, generator=torch.Generator().manual_seed(3))
    assert torch.equal(again, x_mixed), "the same generator seed gives the same box"
    no_box, y_none = regularization.cutmix(x, y, 2, 1.0, perm, generator=torch.Generator().manual_seed(3))
    assert no_box[0].sum().item() <= 1 and y_none[0, 0].item() >= 1 - 1 / 16   # lam=1: no box
