# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
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

    Not allowed here (scores 0): `F.scaled_dot_product_attention`, `nn.MultiheadAttention`,
    `F.multi_head_attention_forward`, `torch.ops.aten._scaled_dot_product_attention_math`,
    `torch.ops.aten._scaled_dot_product_flash_attention`,
    `torch.ops.aten._scaled_dot_product_efficient_attention`,
    `torch.ops.aten._scaled_dot_product_cudnn_attention`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def causal_mask(query_len, key_len=None, device=None):
    """Bool mask `[query_len, key_len]` for causal attention with a KV cache; True = attend.

    The queries are the *last* `query_len` of `key_len` positions (bottom-right
    aligned): query i sits at position `key_len - query_len + i` and attends to
    every key j at or before it. `key_len` defaults to `query_len` (the usual
    lower-triangular mask, diagonal included). `query_len > key_len` raises
    ValueError. The mask is made on `device` (default: CPU).
    Example: `causal_mask(1, 4)` is `[[True, True, True, True]]` (one new token
    sees the whole cache and itself).

    Not allowed here (scores 0): `nn.Transformer.generate_square_subsequent_mask`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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

    Not allowed here (scores 0): `F.scaled_dot_product_attention`, `nn.MultiheadAttention`,
    `F.multi_head_attention_forward`, `torch.ops.aten._scaled_dot_product_attention_math`,
    `torch.ops.aten._scaled_dot_product_flash_attention`,
    `torch.ops.aten._scaled_dot_product_efficient_attention`,
    `torch.ops.aten._scaled_dot_product_cudnn_attention`.
    """

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=True):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        # YOUR CODE HERE
        raise NotImplementedError()

