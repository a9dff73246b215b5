"""A differently written correct init module: a gain table, math.prod fans, its own draws.

Uniform values come from torch.rand in float64 (2b*u - b), normal values from
the Box-Muller transform of two uniform draws; both are copied into the tensor.
"""
import math

import torch

_GAINS = {
    **dict.fromkeys(["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                     "conv_transpose2d", "conv_transpose3d", "sigmoid"], 1.0),
    "tanh": 5.0 / 3.0,
    "relu": 2.0 ** 0.5,
    "selu": 0.75,
}


def calculate_gain(nonlinearity, param=None):
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"bad negative slope {param!r}")
        return (2.0 / (1.0 + slope * slope)) ** 0.5
    try:
        return _GAINS[nonlinearity]
    except (KeyError, TypeError):
        raise ValueError(f"no gain for {nonlinearity!r}") from None


def _fans(shape):
    if len(shape) < 2:
        raise ValueError(f"a weight of shape {tuple(shape)} has no fans")
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def _uniform(tensor, bound, generator):
    u = torch.rand(tensor.shape, generator=generator, dtype=torch.float64, device=tensor.device)
    with torch.no_grad():
        tensor.copy_(bound * (2 * u - 1))
    return tensor


def _normal(tensor, std, generator):
    shape, device = tensor.shape, tensor.device
    u1 = torch.rand(shape, generator=generator, dtype=torch.float64, device=device)
    u2 = torch.rand(shape, generator=generator, dtype=torch.float64, device=device)
    radius = torch.sqrt(-2.0 * torch.log1p(-u1))          # 1 - u1 lies in (0, 1]
    with torch.no_grad():
        tensor.copy_(std * radius * torch.cos(2 * math.pi * u2))
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _fans(tensor.shape)
    return _uniform(tensor, gain * (6.0 / (fan_in + fan_out)) ** 0.5, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _fans(tensor.shape)
    return _normal(tensor, gain * (2.0 / (fan_in + fan_out)) ** 0.5, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fans = dict(zip(("fan_in", "fan_out"), _fans(tensor.shape)))
    if mode not in fans:
        raise ValueError(f"unknown mode {mode!r}")
    return calculate_gain(nonlinearity, a) / fans[mode] ** 0.5


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tensor.shape:
        return tensor
    return _uniform(tensor, 3.0 ** 0.5 * _kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tensor.shape:
        return tensor
    return _normal(tensor, _kaiming_std(tensor, a, mode, nonlinearity), generator)
