"""Alternative ch4/normalization.py: statistics in float64 (cast back at the end), the running
stats updated as `running += momentum * (batch - running)`, one shared batch-norm helper for both
modules, group norm channel group by channel group, and batch_norm_backward from the sums."""
import torch
import torch.nn as nn


def _channel_stats64(x, channel_dim=1):
    """Per-channel mean and biased variance in float64, and the number of values per channel."""
    flat = x.transpose(0, channel_dim).reshape(x.shape[channel_dim], -1).double()
    m = flat.shape[1]
    mean = flat.sum(1) / m
    var = ((flat - mean[:, None]) ** 2).sum(1) / m
    return mean, var, m


class _BatchNormBase(nn.Module):
    ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.full((num_features,), 1.0))
            self.bias = nn.Parameter(torch.full((num_features,), 0.0))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", torch.zeros(num_features) if track_running_stats else None)
        self.register_buffer("running_var", torch.ones(num_features) if track_running_stats else None)
        self.register_buffer("num_batches_tracked",
                             torch.zeros((), dtype=torch.long) if track_running_stats else None)

    def forward(self, x):
        if x.dim() not in self.ranks:
            raise ValueError(f"expected an input of rank {self.ranks}, got {x.dim()}")
        shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
        if self.training or self.running_mean is None:
            if x.numel() // x.shape[1] <= 1:
                raise ValueError("Expected more than 1 value per channel when training")
            dims = tuple(d for d in range(x.dim()) if d != 1)
            x64 = x.double()
            mean = x64.mean(dims)
            var = ((x64 - mean.reshape(shape)) ** 2).mean(dims)
            if self.training and self.running_mean is not None:
                self._update_running(mean.detach(), var.detach(), x.numel() // x.shape[1])
        else:
            mean, var = self.running_mean.double(), self.running_var.double()
            x64 = x.double()
        y = (x64 - mean.reshape(shape)) * torch.rsqrt(var.reshape(shape) + self.eps)
        y = y.to(x.dtype)
        if self.weight is not None:
            y = torch.addcmul(self.bias.reshape(shape), y, self.weight.reshape(shape))
        return y

    @torch.no_grad()
    def _update_running(self, mean, var, m):
        self.num_batches_tracked.add_(1)
        factor = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
        for running, batch in ((self.running_mean, mean), (self.running_var, var * m / (m - 1))):
            new = running.double() + factor * (batch - running.double())
            running.copy_(new)


class BatchNorm1d(_BatchNormBase):
    ranks = (2, 3)


class BatchNorm2d(_BatchNormBase):
    ranks = (4,)


def batch_norm_forward(x, gamma, beta, eps=1e-5):
    x_c = x.movedim(1, -1)                       # channels last: [..., C]
    flat = x_c.reshape(-1, x.shape[1]).double()
    mean = flat.mean(0)
    var = (flat * flat).mean(0) - mean * mean    # float64: no cancellation trouble at these scales
    inv_std = (var + eps).rsqrt()
    x_hat = ((flat - mean) * inv_std)
    out = (x_hat * gamma.double() + beta.double()).to(x.dtype)
    out = out.reshape(x_c.shape).movedim(-1, 1)
    return out, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma, "shape": x_c.shape, "dtype": x.dtype}


def batch_norm_backward(grad_out, cache):
    g = grad_out.movedim(1, -1).reshape(-1, grad_out.shape[1]).double()
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    m = g.shape[0]
    dbeta = g.sum(0)
    dgamma = (g * x_hat).sum(0)
    dx = cache["gamma"].double() * inv_std / m * (m * g - dbeta - x_hat * dgamma)
    dx = dx.to(cache["dtype"]).reshape(cache["shape"]).movedim(-1, 1)
    return dx, dgamma.to(cache["dtype"]), dbeta.to(cache["dtype"])


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(shape))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = nn.Parameter(torch.zeros(shape))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        k = len(self.normalized_shape)
        rows = x.reshape(*x.shape[:-k], -1).double()
        mean = rows.mean(-1, keepdim=True)
        var = (rows - mean).pow(2).mean(-1, keepdim=True)
        y = ((rows - mean) / (var + self.eps).sqrt()).reshape(x.shape).to(x.dtype)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


class GroupNorm(nn.Module):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        per_group = self.num_channels // self.num_groups
        parts = []
        for start in range(0, self.num_channels, per_group):
            group = x[:, start:start + per_group].double()
            dims = tuple(range(1, x.dim()))
            mean = group.mean(dims, keepdim=True)
            var = group.var(dims, correction=0, keepdim=True)
            parts.append((group - mean) / torch.sqrt(var + self.eps))
        y = torch.cat(parts, dim=1).to(x.dtype)
        if self.weight is not None:
            shape = (1, -1) + (1,) * (x.dim() - 2)
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y
