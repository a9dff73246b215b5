"""A differently written correct ch1/tensors.py (kit_tests/test_chapters.py gives it full marks)."""
import torch


def linear(input, weight, bias=None):
    # einsum over the last dimension, bias through torch.addmm-free broadcasting
    out = torch.einsum("...k,jk->...j", input, weight)
    return out if bias is None else out + bias


def one_hot(tensor, num_classes=-1):
    if num_classes < 0:
        num_classes = int(tensor.max().item()) + 1
    flat = tensor.reshape(-1)
    if ((flat < 0) | (flat >= num_classes)).any():
        raise IndexError("class id out of range")
    out = torch.zeros(flat.numel(), num_classes, dtype=torch.int64, device=tensor.device)
    out.scatter_(1, flat[:, None], 1)
    return out.reshape(*tensor.shape, num_classes)


def pairwise_sq_dists(a, b):
    # centre both sets on a's mean, then the expanded formula (exact enough once centred), in float64
    centre = a.mean(dim=0, keepdim=True) if a.shape[0] else 0.0
    a64 = (a - centre).to(torch.float64)
    b64 = (b - centre).to(torch.float64)
    out = (a64 ** 2).sum(1)[:, None] + (b64 ** 2).sum(1)[None, :] - 2.0 * a64 @ b64.T
    return out.clamp_min(0.0).to(a.dtype)
