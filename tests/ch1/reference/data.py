"""Reference for ch1/data.py: torch.utils.data.TensorDataset (with the ValueError the curriculum
names on mismatched first dimensions, where torch asserts); group_split written independently
(the hidden suite checks its properties, not one draw); the standardizer as its closed form in
float64, cast back to the input's dtype."""
import torch
import torch.utils.data


class TensorDataset(torch.utils.data.TensorDataset):
    def __init__(self, *tensors):
        if len({t.shape[0] for t in tensors}) > 1:
            raise ValueError("size mismatch between tensors")
        super().__init__(*tensors)


def group_split(groups, val_fraction, generator=None):
    ids = sorted(set(groups.tolist()))
    n_val = round(val_fraction * len(ids))
    chosen = torch.randperm(len(ids), generator=generator)[:n_val].tolist()
    val_ids = {ids[k] for k in chosen}
    val = [i for i, g in enumerate(groups.tolist()) if g in val_ids]
    train = [i for i, g in enumerate(groups.tolist()) if g not in val_ids]
    return (torch.tensor(train, dtype=torch.int64, device=groups.device),
            torch.tensor(val, dtype=torch.int64, device=groups.device))


def fit_standardizer(x):
    x64 = x.to(torch.float64)
    n = x64.shape[0]
    mean = x64.sum(dim=0) / n
    std = (((x64 - mean) ** 2).sum(dim=0) / n).sqrt()
    return mean.to(x.dtype), std.to(x.dtype)


def standardize(x, mean, std, eps=1e-8):
    x64, mean64, std64 = (t.to(torch.float64) for t in (x, mean, std))
    return ((x64 - mean64) / (std64 + eps)).to(x.dtype)
