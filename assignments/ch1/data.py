# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
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

    Not allowed here (scores 0): `torch.utils.data.TensorDataset`,
    `torch.utils.data.dataset.TensorDataset`.
    """

    def __init__(self, *tensors):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __len__(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __getitem__(self, index):
        # YOUR CODE HERE
        raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


def standardize(x, mean, std, eps=1e-8):
    """Standardize `x` with given statistics: `(x - mean) / (std + eps)`.

    - `x`: shape [N, ...]; `mean` and `std`: shape x.shape[1:] (as fit_standardizer returns them),
      broadcast over the first dimension.
    - `eps` is added to the standard deviation itself (not under a square root), so a constant
      feature (std 0) gives (x - mean) / eps instead of a division by zero.

    Returns a new tensor of x's shape and dtype; `x`, `mean` and `std` are left unchanged.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
