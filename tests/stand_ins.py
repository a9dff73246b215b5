"""Trusted stand-ins that probes use as `trusted.<name>`: correct implementations of ch6
exercises, put in place of a sibling exercise of the same module while another is graded
(CURRICULUM rule 4: one bug costs points once).

They give answers away, so they live with the hidden tests, never in the engine that a sandboxed
worker can read (and import): the grader sends this file's source to a worker when it sets it up,
and the worker compiles it into each probe's namespace (runner.py), not into any module that
student code could import. Plain, self-contained torch code: it imports nothing from tests/ or
solutions/.

- `TrustedBlock` (ch6 TransformerBlock, with its KV-cache path), `TrustedKVCache` (ch6 KVCache's
  API), `trusted_sample` (ch6 sample).
- `TrustedBasicBlock` (ch5 BasicBlock), which the SmallResNet probes build their models with.
"""
import math

import torch
import torch.nn.functional as F

nn = torch.nn


class TrustedKVCache:
    """ch6 KVCache's API: update(layer, k, v) appends k, v [B, H, T, Dh] along dim 2 and returns
    everything cached for that layer; seq_len: the positions cached (layer 0's)."""

    def __init__(self, num_layers):
        self.keys, self.values = [None] * num_layers, [None] * num_layers

    def update(self, i, k, v):
        if self.keys[i] is not None:
            k, v = torch.cat([self.keys[i], k], dim=2), torch.cat([self.values[i], v], dim=2)
        self.keys[i], self.values[i] = k, v
        return k, v

    @property
    def seq_len(self):
        return 0 if self.keys[0] is None else self.keys[0].shape[2]


class _AttentionParameters(nn.Module):
    """nn.MultiheadAttention's parameter names; TrustedBlock.forward does the arithmetic."""

    def __init__(self, d, h):
        super().__init__()
        self.num_heads, self.head_dim = h, d // h
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d).normal_(0, d ** -0.5))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        self.out_proj = nn.Linear(d, d)


class TrustedBlock(nn.Module):
    """ch6 TransformerBlock as its docstring says, the cache path included: pre-norm, GELU,
    nn.TransformerEncoderLayer's state_dict names; `dropout` is accepted and not used (the
    suites run it with dropout off). With cache=, the T new positions are the last T of all
    cached ones (causal, no padding mask)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.0):
        super().__init__()
        self.self_attn = _AttentionParameters(d_model, nhead)
        self.linear1, self.linear2 = nn.Linear(d_model, dim_feedforward), nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, src, src_mask=None, is_causal=False, src_key_padding_mask=None, cache=None, layer=0):
        B, T, E = src.shape
        a = self.self_attn
        qkv = F.linear(self.norm1(src), a.in_proj_weight, a.in_proj_bias).split(E, dim=-1)
        q, k, v = (t.reshape(B, T, a.num_heads, a.head_dim).transpose(1, 2) for t in qkv)
        if cache is not None:
            k, v = cache.update(layer, k, v)
        S = k.shape[2]
        scores = q @ k.transpose(-2, -1) / math.sqrt(a.head_dim)                 # (B, H, T, S)
        if cache is not None or (src_mask is None and is_causal):   # queries = the last T of S positions
            allowed = torch.ones(T, S, dtype=torch.bool, device=src.device).tril(S - T)
            scores = scores.masked_fill(~allowed, -math.inf)
        elif src_mask is not None:
            scores = scores.masked_fill(src_mask, -math.inf) if src_mask.dtype == torch.bool else scores + src_mask
        if src_key_padding_mask is not None and cache is None:
            scores = scores.masked_fill(src_key_padding_mask[:, None, None, :], -math.inf)
        x = src + a.out_proj((torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, E))
        return x + self.linear2(F.gelu(self.linear1(self.norm2(x))))


def trusted_sample(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    """ch6 sample: argmax at temperature 0; else logits / temperature, top-k then top-p
    filtered, one token per row drawn with `generator`."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    x = logits.double() / temperature
    if top_k is not None and top_k < x.shape[-1]:
        kth = x.sort(dim=-1, descending=True).values[..., top_k - 1:top_k]
        x = x.masked_fill(x < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_p, order = torch.softmax(x, dim=-1).sort(dim=-1, descending=True)
        drop = (sorted_p.cumsum(-1) - sorted_p) >= top_p
        x = x.masked_fill(torch.zeros_like(drop).scatter(-1, order, drop), float("-inf"))
    return torch.multinomial(torch.softmax(x, dim=-1), 1, generator=generator)[..., 0]


class TrustedBasicBlock(nn.Module):
    """ch5 BasicBlock as its docstring says (torchvision's layout and names): conv3x3(stride)-bn-relu-
    conv3x3-bn, plus the shortcut (x, or a strided 1x1 conv and bn when the stride or the width
    changes), then relu."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        projects = stride != 1 or in_planes != planes
        self.downsample = (nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                           if projects else None)

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + shortcut)
