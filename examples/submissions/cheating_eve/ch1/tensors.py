"""Tensor basics: a linear layer's forward pass, one-hot encoding and pairwise squared
distances, each written with broadcasting and matrix products instead of Python loops.

Every function makes its new tensors on its input's device; floating-point results are in the
input's dtype (float32 or float64), computed in that dtype.
"""
import torch


def linear(input, weight, bias=None):
    """The affine map of a fully connected layer: `input @ weight.T + bias`, as F.linear.

    - `input`: shape [..., in_features]: any number of leading (batch) dimensions, possibly none
      (a single vector [in_features]) and possibly of size 0 (an empty batch [0, in_features]).
    - `weight`: shape [out_features, in_features] (one row per output feature, torch's layout).
    - `bias`: shape [out_features], or None for no bias.

    Returns a tensor of shape [..., out_features]: the leading dimensions of `input` stay as they
    are, the last one becomes out_features. Element-wise:

        out[..., j] = sum over k of input[..., k] * weight[j, k]   (+ bias[j])

    Hint: `@` (torch.matmul) multiplies the last two dimensions and broadcasts the leading ones;
    mind which side of `weight` the features are on when it is not square.
    """
    ### BEGIN SOLUTION
    out = input @ weight.T
    if bias is not None:
        out = out + bias
    return out
    ### END SOLUTION


def one_hot(tensor, num_classes=-1):
    """One-hot encode integer class ids, as F.one_hot.

    - `tensor`: an int64 tensor of class ids, of any shape [...].
    - `num_classes`: the number of classes C. With the default -1, C is inferred as the largest
      value in `tensor` plus one (an empty `tensor` then has no largest value: raise).

    Returns an int64 tensor of shape [..., C] on `tensor`'s device: out[..., c] is 1 where
    tensor[...] == c, else 0. An empty `tensor` of shape [0] with num_classes=C gives shape [0, C].

    Raises an error when a value is negative or >= num_classes.

    Hint: compare `tensor.unsqueeze(-1)` with `torch.arange(C)` (made on the right device): broadcasting
    does the rest.
    """
    ### BEGIN SOLUTION
    if num_classes == -1:
        if tensor.numel() == 0:
            raise ValueError("cannot infer the number of classes of an empty tensor")
        num_classes = int(tensor.max()) + 1
    if tensor.numel() > 0 and (tensor.min() < 0 or tensor.max() >= num_classes):
        raise ValueError(f"class ids must lie in [0, {num_classes})")
    classes = torch.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(torch.int64)
    ### END SOLUTION


def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between every row of `a` and every row of `b`.

    - `a`: shape [N, D], `b`: shape [M, D] (same D, same dtype and device).

    Returns `out` of shape [N, M] with out[i, j] = sum over d of (a[i, d] - b[j, d]) ** 2, in the
    inputs' dtype. Every entry is >= 0 (0 for identical rows).

    It must stay accurate for points far from the origin with small distances between them (say
    coordinates near 1e4 that differ by about 1): there the expanded formula
    |a|^2 + |b|^2 - 2 a.b subtracts huge nearly equal numbers and loses all its digits, even
    after clamping at 0. Take the differences first.

    Hint: `a[:, None, :] - b[None, :, :]` has shape [N, M, D].
    """
    ### BEGIN SOLUTION
    diff = a[:, None, :] - b[None, :, :]
    return (diff * diff).sum(dim=-1)
    ### END SOLUTION
