"""Attention: the core of a transformer, and the masks that steer it.

Shapes follow torch: a query is `[..., L, E]` (L query positions), a key
`[..., S, E]` (S key positions), a value `[..., S, Ev]`; leading dims (batch,
heads) broadcast. Work on any device, in float32 or float64, and never modify
the inputs. Compute in the inputs' dtype: float64 results are compared with
torch's at float64 precision (about 1e-7 relative).

torch's attention is not allowed in `scaled_dot_product_attention` and
`MultiHeadAttention`: `F.scaled_dot_product_attention` (and its fused kernels),
`nn.MultiheadAttention`, `F.multi_head_attention_forward`; nor is
`nn.Transformer.generate_square_subsequent_mask` in `causal_mask`.

Two mask polarities exist in torch, and this module uses both, exactly as torch:
- `scaled_dot_product_attention` and `causal_mask`: bool True = *attend*;
- `nn.MultiheadAttention` (`MultiHeadAttention` here) and `key_padding_mask`:
  bool True = *do not attend* (masked out).
A float mask is always *added* to the attention scores (use -inf to mask out).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """`softmax(query @ key^T * scale + mask) @ value`, like `F.scaled_dot_product_attention`.

    - query `[..., L, E]`, key `[..., S, E]`, value `[..., S, Ev]` -> `[..., L, Ev]`.
    - `scale` defaults to `1 / sqrt(E)`.
    - `attn_mask` broadcasts to `[..., L, S]`. bool: True = attend, False = masked
      out (its score becomes -inf). float: added to the scores.
    - `is_causal=True`: query i attends to keys 0..i only, aligned at the top-left
      corner as in torch (when L != S, query i still sees keys j <= i). Give one or the
      other, not both: torch's fused kernels refuse the pair (its CPU math path combines
      them), so the tests never pass both; this solution raises ValueError.
    - `dropout_p > 0` zeroes each attention weight (after the softmax) with probability
      `dropout_p`, drawn from torch's global RNG, and scales the others by
      `1/(1-dropout_p)`, as torch does (always, there is no training flag). Tested by
      its properties: every weight is either 0 or its undropped value times
      `1/(1-dropout_p)`, and about a `dropout_p` fraction are 0.
    - the output keeps query's leading dims: the mask may broadcast up to them,
      not add new ones.
    - scores may reach several hundred: the softmax must not overflow in float32
      (subtract each row's max before `exp`, or use `torch.softmax`).
    Rows where every key is masked out are not tested (torch's output there
    depends on its version).
    Hint: the softmax runs over the *key* axis, the last one.
    """
    ### BEGIN SOLUTION
    L, S = query.shape[-2], key.shape[-2]
    if is_causal and attn_mask is not None:
        raise ValueError("pass either attn_mask or is_causal=True, not both")
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    scores = query @ key.transpose(-2, -1) * scale                     # (..., L, S)
    if is_causal:
        attn_mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril()
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = torch.softmax(scores, dim=-1)
    if dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ value                                                # (..., L, Ev)
    ### END SOLUTION


def causal_mask(query_len, key_len=None, device=None):
    """Bool mask `[query_len, key_len]` for causal attention with a KV cache; True = attend.

    The queries are the *last* `query_len` of `key_len` positions (bottom-right
    aligned): query i sits at position `key_len - query_len + i` and attends to
    every key j at or before it. `key_len` defaults to `query_len` (the usual
    lower-triangular mask, diagonal included). `query_len > key_len` raises
    ValueError. The mask is made on `device` (default: CPU).
    Example: `causal_mask(1, 4)` is `[[True, True, True, True]]` (one new token
    sees the whole cache and itself).
    """
    ### BEGIN SOLUTION
    if key_len is None:
        key_len = query_len
    if query_len > key_len:
        raise ValueError(f"query_len ({query_len}) must not exceed key_len ({key_len})")
    ones = torch.ones(query_len, key_len, dtype=torch.bool, device=device)
    return ones.tril(diagonal=key_len - query_len)
    ### END SOLUTION


def key_padding_mask(lengths, max_len):
    """Bool mask `[B, max_len]` for `nn.MultiheadAttention`: True = padding (ignore this key).

    `lengths` is a 1-D integer tensor (or a list of ints) with the true length of
    each of the B sequences, `0 <= lengths[b] <= max_len`; position t of sequence
    b is padding when `t >= lengths[b]` (so a length equal to max_len gives a row
    of False, and a length 0 a row of True: nothing to attend to, which attention
    cannot use; the tests use lengths >= 1). The mask is on `lengths`' device
    (CPU for a list).
    Example: `key_padding_mask([2, 4], 4)` is
    `[[False, False, True, True], [False, False, False, False]]`.
    """
    ### BEGIN SOLUTION
    lengths = torch.as_tensor(lengths)
    positions = torch.arange(max_len, device=lengths.device)
    return positions[None, :] >= lengths[:, None]
    ### END SOLUTION


class MultiHeadAttention(nn.Module):
    """Multi-head attention with the parameters and masks of `nn.MultiheadAttention`.

    `MultiHeadAttention(embed_dim, num_heads, bias=True, batch_first=True)`:
    - parameters (these state_dict names, so torch's weights load):
      `in_proj_weight [3*embed_dim, embed_dim]` (the query, key and value
      projections stacked, in that order), `in_proj_bias [3*embed_dim]` (None
      when `bias=False`), `out_proj` an `nn.Linear(embed_dim, embed_dim, bias=bias)`;
    - attributes `embed_dim`, `num_heads`, `head_dim = embed_dim // num_heads`,
      `batch_first`; `embed_dim` not divisible by `num_heads` raises ValueError;
    - initialise like torch: `in_proj_weight` Xavier-uniform, biases zero.

    `forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`:
    - batch_first: query `[B, L, E]`, key and value `[B, S, E]` (`[L, B, E]` and
      `[S, B, E]` when `batch_first=False`);
    - split E into `num_heads` heads of `head_dim`, attend in each head with scale
      `1/sqrt(head_dim)`, concatenate the heads, apply `out_proj`;
    - `attn_mask` `[L, S]` or `[B*num_heads, L, S]`: bool True = NOT allowed, float
      = added; `key_padding_mask` `[B, S]`: bool True = padding, ignore that key
      (float = added). Both may be given: a key is masked if either says so;
    - `is_causal` is only a hint, given together with the matching causal
      `attn_mask` (as torch requires): apply `attn_mask` as it is;
    - returns `(attn_output, attn_weights)`: attn_output like query; attn_weights
      the softmax weights `[B, L, S]` averaged over heads (`[B, num_heads, L, S]`
      when `average_attn_weights=False`), or None when `need_weights=False`.
    Rows where every key is masked out are not tested.
    Use your own `scaled_dot_product_attention` ideas here (torch's is forbidden).
    No dropout (torch's default `dropout=0.0`).
    """

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=True):
        super().__init__()
        ### BEGIN SOLUTION
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)
        ### END SOLUTION

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        ### BEGIN SOLUTION
        if not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        B, L, E = query.shape
        S = key.shape[1]
        H, hs = self.num_heads, self.head_dim
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        q = F.linear(query, w_q, b_q).view(B, L, H, hs).transpose(1, 2)   # (B, H, L, hs)
        k = F.linear(key, w_k, b_k).view(B, S, H, hs).transpose(1, 2)     # (B, H, S, hs)
        v = F.linear(value, w_v, b_v).view(B, S, H, hs).transpose(1, 2)   # (B, H, S, hs)

        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)                  # (B, H, L, S)
        masks = []
        if attn_mask is not None:
            masks.append(attn_mask.view(B, H, L, S) if attn_mask.dim() == 3 else attn_mask)
        if key_padding_mask is not None:
            masks.append(key_padding_mask.view(B, 1, 1, S))
        for mask in masks:   # MHA polarity: bool True = NOT allowed; a float mask is added
            scores = scores.masked_fill(mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
        weights = torch.softmax(scores, dim=-1)                           # (B, H, L, S)
        out = (weights @ v).transpose(1, 2).reshape(B, L, E)             # (B, L, E)
        out = self.out_proj(out)
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(dim=1) if average_attn_weights else weights
        ### END SOLUTION

