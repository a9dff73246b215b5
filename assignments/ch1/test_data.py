"""Public tests for ch1/data.py: run `pytest assignments/ch1`.

Quick checks of values you can work out by hand. The hidden tests go further.
"""
import pytest
import torch

from ch1 import data


def test_tensor_dataset():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y = torch.tensor([0, 1, 1])
    dataset = data.TensorDataset(x, y)
    assert len(dataset) == 3
    item = dataset[1]
    assert isinstance(item, tuple) and len(item) == 2
    assert item[0].tolist() == [3.0, 4.0] and item[1].item() == 1
    with pytest.raises(ValueError):
        data.TensorDataset(x, torch.tensor([0, 1]))


def test_group_split():
    groups = torch.tensor([7, 7, 3, 9, 3, 9, 5, 5])    # four groups: 7, 3, 9, 5
    train_idx, val_idx = data.group_split(groups, 0.5, torch.Generator().manual_seed(0))
    assert train_idx.dtype == torch.int64 and val_idx.dtype == torch.int64
    assert sorted(train_idx.tolist() + val_idx.tolist()) == list(range(8))
    assert val_idx.tolist() == sorted(val_idx.tolist())
    assert len(set(groups[val_idx].tolist())) == 2     # round(0.5 * 4) groups
    assert not set(groups[val_idx].tolist()) & set(groups[train_idx].tolist())
    _, none = data.group_split(groups, 0.125, torch.Generator().manual_seed(0))
    assert none.tolist() == []                         # round(0.5) == 0: halves go to the even number


def test_fit_standardizer():
    x = torch.tensor([[1.0, 10.0], [3.0, 10.0]])
    mean, std = data.fit_standardizer(x)
    torch.testing.assert_close(mean, torch.tensor([2.0, 10.0]))
    torch.testing.assert_close(std, torch.tensor([1.0, 0.0]))   # divide by N, not N - 1


def test_standardize():
    x = torch.tensor([[1.0, 10.0], [3.0, 10.0]])
    out = data.standardize(x, torch.tensor([2.0, 10.0]), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(out, torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
    torch.testing.assert_close(data.standardize(x, torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0]), eps=1.0),
                               torch.tensor([[0.5, 5.0], [1.5, 5.0]]))
