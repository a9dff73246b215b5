"""Data handling: a dataset over tensors, a train/validation split that keeps groups together,
and standardization of features with statistics computed on the training set.

New tensors are made on the inputs' device; floating-point results are in the input's dtype
(float32 or float64), computed in that dtype.
"""
import torch


class TensorDataset:
    """A dataset whose i-th sample is the i-th row of each of the given tensors, as
    torch.utils.data.TensorDataset: `TensorDataset(features, labels)`.

    - `TensorDataset(*tensors)`: one or more tensors that all have the same size N along their
      first dimension (features [N, D] or [N, C, H, W], labels [N], ...). Otherwise raise
      ValueError. Keep the tensors themselves (no copies, no changes).
    - `len(dataset)` is N.
    - `dataset[i]` is the tuple `(tensors[0][i], tensors[1][i], ...)`, always a tuple, even for a
      single tensor. `i` indexes as it does a tensor (-1 is the last sample).

    A torch DataLoader can batch it: it only needs `__len__` and `__getitem__`.
    """

    def __init__(self, *tensors):
        ### BEGIN SOLUTION
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"size mismatch between tensors: first dims {[t.shape[0] for t in tensors]}")
        self.tensors = tensors
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return self.tensors[0].shape[0]
        ### END SOLUTION

    def __getitem__(self, index):
        ### BEGIN SOLUTION
        return tuple(t[index] for t in self.tensors)
        ### END SOLUTION


def group_split(groups, val_fraction, generator=None):
    """Split sample indices into training and validation sets so that no group is on both sides.

    - `groups`: 1-D int64 tensor [N]; groups[i] is the id of sample i's group (a patient, a user,
      a recording...). Ids are arbitrary integers, not necessarily 0..G-1.
    - `val_fraction`: a number in [0, 1].
    - `generator`: a torch.Generator on the CPU for the random draw (None: torch's global one).
      Draw on the CPU (e.g. torch.randperm(G, generator=generator)), then move the result to
      `groups`' device.

    With G distinct group ids, exactly `round(val_fraction * G)` whole groups, chosen at random,
    go to validation: Python's built-in round, which rounds halves to even (round(2.5) == 2,
    round(3.5) == 4). Every other group goes to training.

    Returns `(train_idx, val_idx)`: 1-D int64 tensors on `groups`' device holding the indices i of
    the samples on each side, in increasing order. Together they hold every index 0..N-1 exactly
    once. The same generator state gives the same split.

    Hint: torch.unique gives the distinct ids; torch.isin tells which samples belong to the
    chosen groups; torch.nonzero (or torch.where) turns a mask into sorted indices.
    """
    ### BEGIN SOLUTION
    ids = torch.unique(groups)
    n_val = round(val_fraction * len(ids))
    order = torch.randperm(len(ids), generator=generator).to(groups.device)
    in_val = torch.isin(groups, ids[order[:n_val]])
    train_idx = torch.nonzero(~in_val).flatten()
    val_idx = torch.nonzero(in_val).flatten()
    return train_idx, val_idx
    ### END SOLUTION


def fit_standardizer(x):
    """The per-feature mean and standard deviation of `x` over its first dimension (the samples).

    - `x`: shape [N, ...] (e.g. [N, D] or [N, C, H, W]), N >= 1, float32 or float64.

    Returns `(mean, std)`, each of shape x.shape[1:], in x's dtype:

        mean = (1/N) sum_i x[i]
        std  = sqrt((1/N) sum_i (x[i] - mean) ** 2)      (correction 0: divide by N, not N - 1)

    Compute std from the deviations x - mean: E[x^2] - E[x]^2 loses its digits when the mean is
    large next to the spread. `x` is left unchanged.

    Fit it on the training set only, and standardize every split with those statistics.
    """
    ### BEGIN SOLUTION
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    return mean, std
    ### END SOLUTION


def standardize(x, mean, std, eps=1e-8):
    """Standardize `x` with given statistics: `(x - mean) / (std + eps)`.

    - `x`: shape [N, ...]; `mean` and `std`: shape x.shape[1:] (as fit_standardizer returns them),
      broadcast over the first dimension.
    - `eps` is added to the standard deviation itself (not under a square root), so a constant
      feature (std 0) gives (x - mean) / eps instead of a division by zero.

    Returns a new tensor of x's shape and dtype; `x`, `mean` and `std` are left unchanged.
    """
    ### BEGIN SOLUTION
    return (x - mean) / (std + eps)
    ### END SOLUTION
