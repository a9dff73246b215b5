"""Regularization: dropout, weight decay for the right parameters, and two ways of mixing training
examples (mixup and cutmix).

Rules shared by the exercises:

- Tensors are float32 or float64 on any device; compute in the input's dtype and make every new
  tensor on the input's device (`torch.zeros_like(x)`, `device=x.device`).
- Inputs are never modified: return new tensors.
- Labels `y` are int64 class ids of shape `[N]`; `perm` is an int64 permutation of `range(N)`
  (sample i is mixed with sample `perm[i]`).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Dropout(nn.Module):
    """Inverted dropout, like `torch.nn.Dropout(p)`.

    `Dropout(p=0.5)`: `p` is the probability of zeroing an element, a number in [0, 1]; any other
    value raises an error (when the module is made, as torch does).

    `forward(x)` (any shape):
    - in training mode (a new module is in training mode; `.train()` / `.eval()` switch it),
      every element is kept with probability 1 - p, independently, and a kept element is divided
      by 1 - p, so that the expected output equals x: out = x * mask / (1 - p) with mask 0 or 1.
      Draw the mask from torch's global random generator (`torch.rand_like`, `torch.bernoulli`),
      a new mask at every call. p = 0 returns x's values unchanged; p = 1 returns zeros (never
      NaN: do not divide by 1 - p = 0).
    - in eval mode, the identity: out equals x.
    The output has x's shape, dtype and device; the gradient flows through the kept elements, as
    mask / (1 - p) (use tensor operations and autograd does this for you).

    Hint: call `super().__init__()` first in `__init__`; `nn.Module` then keeps the mode in
    `self.training`, which `.train()` and `.eval()` set.
    """

    def __init__(self, p=0.5):
        ### BEGIN SOLUTION
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
        self.p = p
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        if not self.training:
            return x.clone()
        if self.p == 1.0:
            return torch.zeros_like(x)
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1.0 - self.p)
        ### END SOLUTION


def weight_decay_groups(model, weight_decay):
    """Split a model's parameters into two optimizer parameter groups: with and without weight decay.

    Weight decay belongs on the weight matrices and kernels, not on biases or normalization
    weights. Returns a list of exactly two dicts, in this order, both present even when empty:

        [{"params": [...], "weight_decay": weight_decay},   # every parameter with p.ndim >= 2
         {"params": [...], "weight_decay": 0.0}]            # the rest: biases, norm weights, scalars

    Only trainable parameters are included (frozen ones, `requires_grad=False`, are left out), and
    each parameter object appears once even when it is shared by two modules (tied weights):
    `model.parameters()` already yields each parameter once. The parameters themselves go into the
    lists (not copies), in the order `model.parameters()` gives them (only the order of the two
    groups is fixed: tests compare each group's contents, not their order). The result can be
    handed to an optimizer: `torch.optim.AdamW(weight_decay_groups(model, 0.05), lr=1e-3)`.

    Hint: decide by the parameter's number of dimensions, not by its name.
    """
    ### BEGIN SOLUTION
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.ndim >= 2]
    no_decay = [p for p in trainable if p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
    ### END SOLUTION


def mixup(x, y, num_classes, lam, perm):
    """Mixup: blend each sample with another one, inputs and labels alike.

    `x[N, ...]` float inputs, `y[N]` int64 labels in [0, num_classes), `lam` a number in [0, 1],
    `perm[N]` int64 (sample i is mixed with sample perm[i]). Returns `(x_mixed, y_soft)`:

        x_mixed = lam * x + (1 - lam) * x[perm]                              # x's shape
        y_soft  = lam * one_hot(y) + (1 - lam) * one_hot(y[perm])            # [N, num_classes]

    Both in x's dtype, on x's device (one_hot gives int64: convert it). Rows of y_soft sum to 1.
    """
    ### BEGIN SOLUTION
    x_mixed = lam * x + (1 - lam) * x[perm]
    y_soft = lam * F.one_hot(y, num_classes).to(x.dtype) + (1 - lam) * F.one_hot(y[perm], num_classes).to(x.dtype)
    return x_mixed, y_soft
    ### END SOLUTION


def cutmix(x, y, num_classes, lam, perm, generator=None):
    """CutMix: paste a rectangle of another sample into each sample; labels mixed by area.

    `x[N, C, H, W]` float images, `y[N]` int64 labels, `lam` a number in [0, 1], `perm[N]` int64
    (sample i gets its patch from sample perm[i]), `generator` a CPU `torch.Generator` or None (then
    torch's global one). Returns `(x_mixed, y_soft)`, in x's dtype on x's device.

    The box:
    - its height is about sqrt(1 - lam) * H and its width about sqrt(1 - lam) * W (rounding to
      whole pixels is yours: within 1 pixel either way);
    - its centre is a pixel drawn uniformly over the whole image with `generator` (draw it on the
      CPU, e.g. `torch.randint(H, (1,), generator=generator)`, whatever x's device), so the box
      may stick out of the image: clip it to the image (it then gets smaller);
    - one box for the whole batch (as timm does; one box per sample is accepted too).
    Inside the clipped box every channel of a pixel comes from x[perm], outside from x. lam=1 gives
    no box (or at most one pixel), lam=0 a box the size of the image before clipping.

    The label weight is the clipped box's real area, not lam: with a = box area / (H * W),

        y_soft = (1 - a) * one_hot(y) + a * one_hot(y[perm])                 # [N, num_classes]
    """
    ### BEGIN SOLUTION
    def span(size):
        # int(sqrt(1 - lam) * size) pixels around a random centre, clipped to [0, size]
        length = int(math.sqrt(1 - lam) * size)
        start = int(torch.randint(size, (1,), generator=generator)) - length // 2
        return max(start, 0), min(start + length, size)

    H, W = x.shape[-2:]
    top, bottom = span(H)
    left, right = span(W)
    x_mixed = x.clone()
    x_mixed[..., top:bottom, left:right] = x[perm][..., top:bottom, left:right]
    a = (bottom - top) * (right - left) / (H * W)
    y_soft = (1 - a) * F.one_hot(y, num_classes).to(x.dtype) + a * F.one_hot(y[perm], num_classes).to(x.dtype)
    return x_mixed, y_soft
    ### END SOLUTION

