"""Independent reference for ch6/positional.py (torch has no counterpart of these).

Each is a closed form written differently from the solution: the sinusoids per
column with `2i = col - col % 2` (odd dims come for free), the learned
embedding by `F.embedding`, and RoPE as explicit 2x2 rotation matrices
(float64 inside, the result cast to the input's dtype).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_positions(num_positions, dim):
    p = torch.arange(num_positions, dtype=torch.float64)[:, None]        # (P, 1)
    col = torch.arange(dim, dtype=torch.float64)                           # (dim,)
    two_i = col - torch.remainder(col, 2)                                  # 0, 0, 2, 2, 4, ...
    angle = p / torch.pow(torch.tensor(10000.0, dtype=torch.float64), two_i / dim)
    pe = torch.where(torch.remainder(col, 2) == 0, torch.sin(angle), torch.cos(angle))
    return pe.to(torch.get_default_dtype())


class LearnedPositionalEmbedding(nn.Module):
    def __init__(self, max_len, dim):
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.empty(max_len, dim))
        nn.init.normal_(self.weight)

    def forward(self, positions):
        flat = positions.reshape(-1).tolist()
        bad = [p for p in flat if not 0 <= p < self.max_len]
        if bad:
            raise ValueError(f"position {bad[0]} is out of range for max_len {self.max_len}")
        return F.embedding(positions, self.weight)


def apply_rope(x, positions, base=10000.0):
    D = x.shape[-1]
    i = torch.arange(D // 2, dtype=torch.float64, device=x.device)
    theta = positions.to(device=x.device, dtype=torch.float64)[:, None] * base ** (-2.0 * i / D)   # (T, D/2)
    c, s = torch.cos(theta), torch.sin(theta)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)   # (T, D/2, 2, 2): [[c, -s], [s, c]]
    pairs = x.to(torch.float64).reshape(*x.shape[:-1], D // 2, 2)                # (..., T, D/2, 2)
    out = torch.einsum("tiab,...tib->...tia", rot, pairs)
    return out.reshape(x.shape).to(x.dtype)
