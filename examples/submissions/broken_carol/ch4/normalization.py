"""Normalization layers: batch norm (as modules, and forward/backward by hand), layer norm, group norm.

Every exercise works for CPU and CUDA tensors, float32 and float64: new tensors follow the input's
device and dtype, and the input is never modified. Variances that normalize are biased (divide by
the number of values m, not m - 1), and `eps` goes under the square root: `(x - mean) / sqrt(var + eps)`.
Compute a variance as the mean of squared deviations from the mean (`x.var(..., correction=0)`
does): the one-pass `mean(x**2) - mean(x)**2` loses most of its digits in float32 when the values
sit far from zero compared to their spread.
"""
import torch
import torch.nn as nn


class BatchNorm1d(nn.Module):
    """Batch normalization of `[N, C]` or `[N, C, L]` inputs, like `nn.BatchNorm1d`.

    `BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)`,
    `num_features` = C. Use torch's names, so that state_dicts load both ways:
    - parameters `weight` (ones) and `bias` (zeros), each `[C]`; both None when `affine=False`
      (`self.register_parameter("weight", None)`);
    - buffers `running_mean` (zeros `[C]`), `running_var` (ones `[C]`) and `num_batches_tracked`
      (`torch.tensor(0, dtype=torch.long)`); all three None when `track_running_stats=False`.

    `forward(x)`, x `[N, C]` or `[N, C, L]` (other ranks raise ValueError); returns x's shape:
    - per channel c, the statistics are over every value of that channel (dims 0 and 2);
    - in training mode (or whenever `track_running_stats=False`) normalize with the batch's mean
      and BIASED variance: `y = (x - mean) / sqrt(var + eps) * weight + bias`. Fewer than two
      values per channel (e.g. N=1 for `[N, C]`) raise ValueError in training mode;
    - in training mode with running stats, also (without building an autograd graph)
      add 1 to `num_batches_tracked` and update
      `running = (1 - momentum) * running + momentum * batch_stat`, with the batch's mean and
      its UNBIASED variance (divide by m - 1). `momentum=None` means a cumulative average:
      use `1 / num_batches_tracked` (after adding 1) as the momentum;
    - in eval mode with running stats, normalize with `running_mean` and `running_var`.
    Gradients flow to x, weight and bias through ordinary autograd.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        ### BEGIN SOLUTION
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        if x.dim() not in (2, 3):
            raise ValueError(f"BatchNorm1d expects [N, C] or [N, C, L] input, got {x.dim()} dims")
        dims = [0] if x.dim() == 2 else [0, 2]
        shape = [1, -1] + [1] * (x.dim() - 2)
        if self.training or not self.track_running_stats:
            m = x.numel() // x.shape[1]
            if m < 2:
                raise ValueError("Expected more than 1 value per channel when training")
            mean, var = x.mean(dims), x.var(dims, correction=0)
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked += 1
                    momentum = self.momentum
                    if momentum is None:
                        momentum = 1.0 / float(self.num_batches_tracked)
                    self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                    self.running_var.mul_(1 - momentum).add_(momentum * var * m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out
        ### END SOLUTION


class BatchNorm2d(nn.Module):
    """Batch normalization of `[N, C, H, W]` inputs, like `nn.BatchNorm2d`.

    The same arguments, parameters, buffers and rules as `BatchNorm1d`; the statistics of channel c
    are over every value of that channel in the batch (dims 0, 2 and 3: N*H*W values). Inputs of
    another rank raise ValueError; fewer than two values per channel raise ValueError in training.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        ### BEGIN SOLUTION
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        if x.dim() != 4:
            raise ValueError(f"BatchNorm2d expects [N, C, H, W] input, got {x.dim()} dims")
        dims, shape = [0, 2, 3], [1, -1, 1, 1]
        if self.training or not self.track_running_stats:
            m = x.numel() // x.shape[1]
            if m < 2:
                raise ValueError("Expected more than 1 value per channel when training")
            mean, var = x.mean(dims), x.var(dims, correction=0)
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked += 1
                    momentum = self.momentum
                    if momentum is None:
                        momentum = 1.0 / float(self.num_batches_tracked)
                    self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                    self.running_var.mul_(1 - momentum).add_(momentum * var * m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out
        ### END SOLUTION


def batch_norm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization by hand: returns `(out, cache)`.

    x `[N, C]` or `[N, C, H, W]`, gamma and beta `[C]`. Per channel c, over every value of that
    channel (dims 0, or 0, 2 and 3): `x_hat = (x - mean) / sqrt(var + eps)` with the BIASED variance,
    `out = gamma * x_hat + beta` (x's shape). `cache` is anything you like: the tests hand it,
    untouched, to your `batch_norm_backward`. No running statistics here.
    """
    ### BEGIN SOLUTION
    dims = [d for d in range(x.dim()) if d != 1]
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(dims, keepdim=True)
    inv_std = 1.0 / torch.sqrt(x.var(dims, correction=0, keepdim=True) + eps)
    x_hat = (x - mean) * inv_std
    out = gamma.view(shape) * x_hat + beta.view(shape)
    return out, (x_hat, inv_std, gamma)
    ### END SOLUTION


def batch_norm_backward(grad_out, cache):
    """The gradients of `batch_norm_forward` by hand: returns `(dx, dgamma, dbeta)`.

    grad_out has the shape of `out`; `cache` is what your `batch_norm_forward` returned. dx has x's
    shape, dgamma and dbeta are `[C]`. Remember that the batch mean and variance depend on every x
    of the channel: with m values per channel,
    `dx = gamma / sqrt(var + eps) * (grad_out - mean(grad_out) - x_hat * mean(grad_out * x_hat))`,
    the means taken per channel. No autograd here. The tests make the cache with your own
    `batch_norm_forward`, so write that one first.
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    dims = [d for d in range(x_hat.dim()) if d != 1]
    shape = [1, -1] + [1] * (x_hat.dim() - 2)
    dbeta = grad_out.sum(dims)
    dgamma = (grad_out * x_hat).sum(dims)
    mean_g = grad_out.mean(dims, keepdim=True)
    mean_gx = (grad_out * x_hat).mean(dims, keepdim=True)
    dx = gamma.view(shape) * inv_std * (grad_out - mean_g - x_hat * mean_gx)
    return dx, dgamma, dbeta
    ### END SOLUTION


class LayerNorm(nn.Module):
    """Layer normalization over the last dims, like `nn.LayerNorm`.

    `LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)`: `normalized_shape`
    an int or a tuple (the trailing dims of the input, e.g. `(T, D)` for x `[B, T, D]`); keep it as a
    tuple in `self.normalized_shape`. Parameters `weight` (ones) and `bias` (zeros) of shape
    `normalized_shape`; `bias` None when `bias=False`; both None when `elementwise_affine=False`.

    `forward(x)`: over the last `len(normalized_shape)` dims of each sample,
    `(x - mean) / sqrt(var + eps) * weight + bias` with the BIASED variance; returns x's shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        ### BEGIN SOLUTION
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        self.weight = nn.Parameter(torch.ones(self.normalized_shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape)) if elementwise_affine and bias else None
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        dims = list(range(x.dim() - len(self.normalized_shape), x.dim()))
        mean = x.mean(dims, keepdim=True)
        var = x.var(dims, correction=0, keepdim=True)
        out = (x - mean) / torch.sqrt(var + self.eps)
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION


class GroupNorm(nn.Module):
    """Group normalization, like `nn.GroupNorm`.

    `GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`: `num_channels` not divisible by
    `num_groups` raises ValueError. Parameters `weight` (ones) and `bias` (zeros), each
    `[num_channels]`: one value per CHANNEL, not per group; both None when `affine=False`.

    `forward(x)`, x `[N, C, *]` (any number of trailing dims, C = num_channels): the channels are
    split into `num_groups` groups of consecutive channels (group 0 = channels 0..C/G-1, ...). Each
    group of each sample is normalized over all its values with its mean and BIASED variance,
    `(x - mean) / sqrt(var + eps)`; then `* weight[c] + bias[c]` per channel. Returns x's shape.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        ### BEGIN SOLUTION
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine else None
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        groups = x.reshape(x.shape[0], self.num_groups, -1)
        mean = groups.mean(-1, keepdim=True)
        var = groups.var(-1, correction=0, keepdim=True)
        normed = (groups - mean) / torch.sqrt(var + self.eps)
        out = normed.reshape(x.shape)
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out
        ### END SOLUTION
