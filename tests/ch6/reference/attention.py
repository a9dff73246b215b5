"""Torch-backed reference for ch6/attention.py.

- `scaled_dot_product_attention`: torch's own `F.scaled_dot_product_attention`;
- `MultiHeadAttention`: torch's `nn.MultiheadAttention` with the student's
  constructor signature (`batch_first=True` by default, passed through);
- `causal_mask` and `key_padding_mask`: torch has no counterpart, so they are
  built here independently of the solution (index comparisons, not `tril`);
  the hidden suite cross-checks both against torch's attention (a KV-cache
  suffix of full causal attention; zero weight on padding in
  `nn.MultiheadAttention`).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

scaled_dot_product_attention = F.scaled_dot_product_attention


def causal_mask(query_len, key_len=None, device=None):
    if key_len is None:
        key_len = query_len
    if query_len > key_len:
        raise ValueError(f"query_len ({query_len}) > key_len ({key_len})")
    offset = key_len - query_len              # absolute position of query 0
    query_pos = torch.arange(offset, key_len, device=device)
    key_pos = torch.arange(key_len, device=device)
    return key_pos[None, :] <= query_pos[:, None]


def key_padding_mask(lengths, max_len):
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.tensor(list(lengths), dtype=torch.int64)
    if lengths.device.type == "meta":     # no values: only shape, dtype and device can be checked
        return torch.empty(lengths.shape[0], max_len, dtype=torch.bool, device="meta")
    rows = [[t >= n for t in range(max_len)] for n in lengths.tolist()]
    return torch.tensor(rows, dtype=torch.bool, device=lengths.device).reshape(len(rows), max_len)


class MultiHeadAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=batch_first)."""

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=True):
        super().__init__(embed_dim, num_heads, bias=bias, batch_first=batch_first)
