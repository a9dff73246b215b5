"""Reference for ch1/tensors.py: torch's F.linear and F.one_hot; pairwise_sq_dists as the
closed form sum_d (a_id - b_jd)^2 computed in float64 on the inputs (then cast back), checked
against torch.cdist(...) ** 2 in the suite's docstring (see test_tensors.py)."""
import torch
import torch.nn.functional as F


def linear(input, weight, bias=None):
    return F.linear(input, weight, bias)


def one_hot(tensor, num_classes=-1):
    return F.one_hot(tensor, num_classes)


def pairwise_sq_dists(a, b):
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    out = ((a64[:, None, :] - b64[None, :, :]) ** 2).sum(dim=-1)
    return out.to(a.dtype)
