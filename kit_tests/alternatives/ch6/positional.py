"""A differently written correct positional module: float32 loops over columns, a one-hot matmul,
RoPE through complex numbers (torch.polar) in the input's own precision."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_positions(num_positions, dim):
    # the tutorial formula exp(-log(10000) * 2i / dim), one column at a time, in float32
    pos = torch.arange(num_positions, dtype=torch.float32)
    pe = torch.empty(num_positions, dim)
    for col in range(dim):
        two_i = col - col % 2
        w = math.exp(-math.log(10000.0) * two_i / dim)
        pe[:, col] = torch.sin(pos * w) if col % 2 == 0 else torch.cos(pos * w)
    return pe


class LearnedPositionalEmbedding(nn.Module):
    def __init__(self, max_len, dim):
        super().__init__()
        self.max_len = max_len
        self.register_parameter("weight", nn.Parameter(torch.empty(max_len, dim)))
        nn.init.normal_(self.weight, mean=0.0, std=1.0)

    def forward(self, positions):
        for p in positions.reshape(-1).tolist():
            if p < 0 or p >= self.max_len:
                raise IndexError(f"positions must lie in [0, {self.max_len}) (max_len={self.max_len}), got {p}")
        one_hot = F.one_hot(positions.long(), self.max_len).to(self.weight.dtype)   # (..., max_len)
        return one_hot @ self.weight


def apply_rope(x, positions, base=10000.0):
    D = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, D, 2, device=x.device, dtype=x.dtype) / D))
    angles = torch.outer(positions.to(device=x.device, dtype=x.dtype), inv_freq)      # (T, D/2)
    rotation = torch.polar(torch.ones_like(angles), angles)                             # e^{i angle}
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], D // 2, 2).contiguous())    # x[2i] + i x[2i+1]
    return torch.view_as_real(pairs * rotation).reshape(x.shape)
