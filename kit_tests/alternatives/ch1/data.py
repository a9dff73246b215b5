"""A differently written correct ch1/data.py (kit_tests/test_chapters.py gives it full marks)."""
import torch


class TensorDataset:
    def __init__(self, *tensors):
        sizes = [len(t) for t in tensors]
        if min(sizes) != max(sizes):
            raise ValueError(f"every tensor needs the same number of samples, got {sizes}")
        self.tensors = list(tensors)

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        items = []
        for t in self.tensors:
            items.append(t[index])
        return tuple(items)


def group_split(groups, val_fraction, generator=None):
    # loops over the distinct ids; picks groups by sorting random keys instead of a permutation
    ids = sorted(set(groups.tolist()))
    n_val = round(val_fraction * len(ids))
    keys = torch.rand(len(ids), generator=generator, dtype=torch.float64)
    picked = torch.argsort(keys)[:n_val].tolist()
    val_ids = torch.tensor([ids[k] for k in picked], dtype=groups.dtype).to(groups.device)
    in_val = (groups[:, None] == val_ids[None, :]).any(dim=1)
    everything = torch.arange(groups.shape[0], device=groups.device)
    return everything[~in_val], everything[in_val]


def fit_standardizer(x):
    # float64 inside, two passes
    x64 = x.double()
    mean = x64.mean(dim=0)
    var = ((x64 - mean) ** 2).mean(dim=0)
    return mean.to(x.dtype), var.sqrt().to(x.dtype)


def standardize(x, mean, std, eps=1e-8):
    scale = 1.0 / (std.double() + eps)
    return ((x.double() - mean.double()) * scale).to(x.dtype)
