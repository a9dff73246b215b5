"""A second correct ch6/attention.py, written differently from the reference solution:
float64 inside (cast back at the end), einsum instead of matmul, a hand-written
softmax (row max subtracted), every mask turned into one additive float mask first,
the causal masks built by comparing position indices or filled row by row, the
padding mask stacked row by row, and multi-head attention computed one head at a
time from slices of in_proj_weight, with its own uniform draw for the Xavier bound."""
import math

import torch
import torch.nn as nn


def _softmax_last(scores):
    top = scores.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    e = torch.exp(scores - top)
    return e / e.sum(dim=-1, keepdim=True)


def _additive(mask, masked_when, like):
    """A bool mask (masked where it equals `masked_when`) or a float mask -> float64 to add."""
    if mask.dtype == torch.bool:
        zero = torch.zeros((), dtype=torch.float64, device=like.device)
        minus_inf = torch.full((), -math.inf, dtype=torch.float64, device=like.device)
        return torch.where(mask == masked_when, minus_inf, zero)
    return mask.to(torch.float64)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    if attn_mask is not None and is_causal:
        raise ValueError("attn_mask and is_causal=True together")
    q, k, v = query.double(), key.double(), value.double()
    factor = (1.0 / math.sqrt(q.shape[-1])) if scale is None else float(scale)
    scores = torch.einsum("...le,...se->...ls", q, k) * factor
    n_q, n_k = q.shape[-2], k.shape[-2]
    if is_causal:
        rows = torch.arange(n_q, device=q.device).unsqueeze(-1)
        cols = torch.arange(n_k, device=q.device).unsqueeze(0)
        attn_mask = cols <= rows                      # top-left: query i sees keys 0..i
    if attn_mask is not None:
        scores = scores + _additive(attn_mask, False, scores)
    weights = _softmax_last(scores)
    if dropout_p > 0:
        keep = torch.rand(weights.shape, device=weights.device) >= dropout_p
        weights = weights * keep / (1 - dropout_p)
    out = torch.einsum("...ls,...sv->...lv", weights, v)
    return out.to(query.dtype)


def causal_mask(query_len, key_len=None, device=None):
    n_k = query_len if key_len is None else key_len
    if query_len > n_k:
        raise ValueError("query_len > key_len")
    mask = torch.zeros(query_len, n_k, dtype=torch.bool, device=device)
    first = n_k - query_len
    for i in range(query_len):
        mask[i, : first + i + 1] = True
    return mask


def key_padding_mask(lengths, max_len):
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.tensor([int(n) for n in lengths])
    idx = torch.arange(max_len, device=lengths.device)
    return torch.stack([idx >= lengths[b] for b in range(lengths.shape[0])]).reshape(lengths.shape[0], max_len)


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True, batch_first=True):
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads:
            raise ValueError("embed_dim must be a multiple of num_heads")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        bound = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))
        self.in_proj_weight = nn.Parameter(torch.rand(3 * embed_dim, embed_dim) * (2 * bound) - bound)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            with torch.no_grad():
                self.out_proj.bias.zero_()

    def _project(self, x, part, h):
        e, d = self.embed_dim, self.head_dim
        rows = slice(part * e + h * d, part * e + (h + 1) * d)
        y = torch.einsum("bte,de->btd", x, self.in_proj_weight[rows].double())
        if self.in_proj_bias is not None:
            y = y + self.in_proj_bias[rows].double()
        return y

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        dtype = query.dtype
        q_in, k_in, v_in = (t.double() for t in (query, key, value))
        if not self.batch_first:
            q_in, k_in, v_in = (t.permute(1, 0, 2) for t in (q_in, k_in, v_in))
        n_b, n_q, _ = q_in.shape
        n_k = k_in.shape[1]
        n_h = self.num_heads
        bias = torch.zeros(n_b, n_h, n_q, n_k, dtype=torch.float64, device=query.device)
        if attn_mask is not None:
            extra = _additive(attn_mask, True, bias)
            bias = bias + (extra.reshape(n_b, n_h, n_q, n_k) if extra.dim() == 3 else extra)
        if key_padding_mask is not None:
            bias = bias + _additive(key_padding_mask, True, bias)[:, None, None, :]
        heads, per_head = [], []
        for h in range(n_h):
            qh, kh, vh = self._project(q_in, 0, h), self._project(k_in, 1, h), self._project(v_in, 2, h)
            scores = torch.einsum("bld,bsd->bls", qh, kh) / math.sqrt(self.head_dim) + bias[:, h]
            w = _softmax_last(scores)
            per_head.append(w)
            heads.append(torch.einsum("bls,bsd->bld", w, vh))
        concat = torch.cat(heads, dim=-1)
        out = concat @ self.out_proj.weight.double().t()
        if self.out_proj.bias is not None:
            out = out + self.out_proj.bias.double()
        if not self.batch_first:
            out = out.permute(1, 0, 2)
        out = out.to(dtype)
        if not need_weights:
            return out, None
        weights = torch.stack(per_head, dim=1)
        if average_attn_weights:
            weights = sum(per_head) / n_h
        return out, weights.to(dtype)
