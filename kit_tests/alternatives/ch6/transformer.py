"""A second, differently written ch6/transformer.py (it must get full marks).

Differences from the reference solution: its own attention container (not the
sibling MultiHeadAttention) with attention written out with einsum, computed in
float64 inside; every mask turned into one additive float bias; the cache path
builds its causal mask from absolute positions; GELU written with erf; TinyGPT
calls its blocks positionally with a float causal mask (not is_causal) and with a
while loop; the loss is a hand-written log-sum-exp with an explicit masked mean.
"""
import math

import torch
import torch.nn as nn
from ch6.positional import LearnedPositionalEmbedding


class _SelfAttention(nn.Module):
    """Holds nn.MultiheadAttention's parameters (same names) and nothing else."""

    def __init__(self, d_model, nhead):
        super().__init__()
        if d_model % nhead:
            raise ValueError("d_model must be divisible by nhead")
        self.num_heads, self.head_dim = nhead, d_model // nhead
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        nn.init.xavier_uniform_(self.in_proj_weight)


def _gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class TransformerBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.0):
        super().__init__()
        self.self_attn = _SelfAttention(d_model, nhead)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.p = dropout

    def _drop(self, x):
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * keep / (1 - self.p)

    def _heads(self, h):
        """[B, T, E] -> q, k, v each [B, nhead, T, head_dim]."""
        a = self.self_attn
        B, T, _ = h.shape
        proj = torch.einsum("bte,fe->btf", h, a.in_proj_weight) + a.in_proj_bias
        proj = proj.reshape(B, T, 3, a.num_heads, a.head_dim)
        return [proj[:, :, i].permute(0, 2, 1, 3) for i in range(3)]

    def _attend(self, q, k, v, bias):
        """softmax(q k^T / sqrt(hd) + bias) v in float64; returns [B, T, E] in q's dtype."""
        a = self.self_attn
        scores = torch.einsum("bhtd,bhsd->bhts", q.double(), k.double()) / math.sqrt(a.head_dim)
        if bias is not None:
            scores = scores + bias
        weights = torch.softmax(scores, dim=-1)
        weights = self._drop(weights)
        out = torch.einsum("bhts,bhsd->bthd", weights, v.double())
        B, T = out.shape[:2]
        return a.out_proj(out.reshape(B, T, -1).to(q.dtype))

    def forward(self, src, src_mask=None, is_causal=False, src_key_padding_mask=None, cache=None, layer=0):
        B, T, _ = src.shape
        q, k, v = self._heads(self.norm1(src))
        if cache is not None:
            k, v = cache.update(layer, k, v)
            S = k.shape[2]
            query_pos = torch.arange(S - T, S, device=src.device)
            key_pos = torch.arange(S, device=src.device)
            bias = torch.zeros(T, S, dtype=torch.float64, device=src.device)
            bias = bias.masked_fill(key_pos[None, :] > query_pos[:, None], -math.inf)
        else:
            bias = torch.zeros(B, 1, T, T, dtype=torch.float64, device=src.device)
            if src_mask is not None:
                if src_mask.dtype == torch.bool:
                    bias = bias.masked_fill(src_mask, -math.inf)
                else:
                    bias = bias + src_mask.double()
            elif is_causal:
                bias = bias.masked_fill(torch.ones(T, T, dtype=torch.bool, device=src.device).triu(1), -math.inf)
            if src_key_padding_mask is not None:
                bias = bias.masked_fill(src_key_padding_mask.bool()[:, None, None, :], -math.inf)
        x = src + self._drop(self._attend(q, k, v, bias))
        hidden = _gelu(self.linear1(self.norm2(x)))
        return x + self._drop(self.linear2(self._drop(hidden)))


class TinyGPT(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, num_layers, max_len, dim_feedforward=None):
        super().__init__()
        hidden = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = LearnedPositionalEmbedding(max_len, d_model)
        blocks = []
        for _ in range(num_layers):
            blocks.append(TransformerBlock(d_model, nhead, hidden))
        self.blocks = nn.ModuleList(blocks)
        self.norm_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.max_len = max_len

    def forward(self, idx, cache=None):
        T = idx.shape[1]
        past = cache.seq_len if cache is not None else 0
        if past + T > self.max_len:
            raise ValueError(f"{past + T} positions exceed max_len {self.max_len}")
        h = self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device) + past)
        mask = None
        if cache is None:
            mask = torch.zeros(T, T, dtype=h.dtype, device=h.device)
            mask = mask.masked_fill(torch.ones(T, T, dtype=torch.bool, device=h.device).triu(1), -math.inf)
        i = 0
        while i < len(self.blocks):
            h = self.blocks[i](h, mask, False, None, cache, i)
            i += 1
        return self.norm_f(h) @ self.lm_head.weight.T


def next_token_loss(logits, targets, ignore_index=-100):
    V = logits.shape[-1]
    flat = logits.reshape(-1, V)
    t = targets.reshape(-1)
    keep = t != ignore_index
    m = flat.max(dim=-1, keepdim=True).values.detach()
    lse = (flat - m).exp().sum(dim=-1).log() + m.squeeze(-1)
    picked = flat.gather(1, torch.where(keep, t, torch.zeros_like(t))[:, None]).squeeze(1)
    nll = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return nll.sum() / keep.sum()
