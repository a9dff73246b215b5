# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""A pre-norm transformer block and TinyGPT, a small decoder-only language model.

The parts come from the other modules of this chapter (`attention`, `positional`,
`kv_cache`). When this module is graded, those are the reference solutions, so a
bug elsewhere costs points only once.

Work on any device, in float32 or float64: make new tensors (masks, positions) on
the input's device, and compute in the input's dtype (float64 results are compared
with torch's at float64 precision, about 1e-7 relative). The inputs (`src`, the
masks, `idx`, `logits`, `targets`) are never modified. torch's own layers
`nn.TransformerEncoderLayer` and `nn.TransformerDecoderLayer` are not allowed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ch6.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from ch6.positional import LearnedPositionalEmbedding


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: `nn.TransformerEncoderLayer(norm_first=True, activation='gelu', batch_first=True)`.

    `TransformerBlock(d_model, nhead, dim_feedforward, dropout=0.0)` has the
    submodules (so torch's state_dict loads): `self_attn` (`MultiHeadAttention(d_model,
    nhead)`, batch first), `linear1` (d_model -> dim_feedforward), `linear2` (back),
    `norm1`, `norm2` (`nn.LayerNorm(d_model)`, eps 1e-5).

        x = src + SelfAttention(norm1(src))            # queries, keys, values all norm1(src)
        out = x + linear2(dropout(gelu(linear1(norm2(x)))))   # exact (erf) GELU

    `forward(src, src_mask=None, is_causal=False, src_key_padding_mask=None, cache=None, layer=0)`:
    - `src [B, T, d_model]`; masks as `nn.MultiheadAttention` takes them (bool True =
      NOT allowed; a float mask is added to the scores): `src_mask [T, T]`,
      `src_key_padding_mask [B, T]` (bool, True = padding);
    - `is_causal=True` with `src_mask=None` applies the causal mask (token t sees
      tokens <= t); with a `src_mask` it is only a hint, as in torch;
    - KV cache (used by TinyGPT for decoding): when `cache` is given, `src` holds only
      the new positions; project norm1 of them to queries, keys and values with
      `self_attn.in_proj_weight / in_proj_bias`, split into heads `[B, nhead, T, head_dim]`,
      append k and v to the cache with `cache.update(layer, k, v)`, and let the new
      queries attend causally to everything cached (they are the *last* positions:
      `causal_mask(T, T_all)`), then `self_attn.out_proj`; the residuals and the
      feed-forward are as above. The masks and `is_causal` are ignored with a cache.
      Fed in pieces like this, a sequence gives the same outputs as one forward with
      the causal mask.
    `dropout` is the probability of an `nn.Dropout` on the attention output and in the
    feed-forward (as above), active only in training mode; the tests use `dropout=0`, and
    `dropout=0.25` only in eval mode, where the block must be deterministic.

    Not allowed here (scores 0): `nn.TransformerEncoderLayer`, `nn.TransformerDecoderLayer`,
    `torch._transformer_encoder_layer_fwd`.
    """

    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.0):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, src, src_mask=None, is_causal=False, src_key_padding_mask=None, cache=None, layer=0):
        # YOUR CODE HERE
        raise NotImplementedError()


class TinyGPT(nn.Module):
    """A decoder-only language model: `TinyGPT(vocab_size, d_model, nhead, num_layers, max_len, dim_feedforward=None)`.

    Submodules and attributes (these names, so a state_dict loads):
    `tok_emb` (`nn.Embedding(vocab_size, d_model)`), `pos_emb`
    (`LearnedPositionalEmbedding(max_len, d_model)`), `blocks` (`nn.ModuleList` of
    `num_layers` `TransformerBlock(d_model, nhead, dim_feedforward)`), `norm_f`
    (`nn.LayerNorm(d_model)`), `lm_head` (`nn.Linear(d_model, vocab_size, bias=False)`,
    not tied to `tok_emb`), attribute `max_len`. `dim_feedforward` defaults to `4*d_model`.

    `forward(idx, cache=None) -> logits [B, T, vocab_size]` for token ids `idx [B, T]`:
    `x = tok_emb(idx) + pos_emb(positions)`, then every block with causal attention
    (`block(x, is_causal=True)`, or a causal `src_mask` in the block's polarity), then
    `norm_f`, then `lm_head`.
    - Without a cache the positions are `0..T-1`.
    - With a `KVCache` (see kv_cache.py), `idx` holds only the *new* tokens: their
      positions continue from `cache.seq_len`, and block i is called with
      `cache=cache, layer=i`. A prompt, then one token at a time (or chunks), gives the
      same logits as one full forward of the whole sequence.
    - With a cache, run the blocks on the new tokens only, never recompute the prefix:
      the cost of a one-token step grows linearly with the cache length (the tests count
      its FLOPs with `torch.utils.flop_counter.FlopCounterMode`), far below a full forward.
    - More than `max_len` positions in all raise ValueError (pos_emb does that).
    """

    def __init__(self, vocab_size, d_model, nhead, num_layers, max_len, dim_feedforward=None):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, idx, cache=None):
        # YOUR CODE HERE
        raise NotImplementedError()


def next_token_loss(logits, targets, ignore_index=-100):
    """Cross-entropy of next-token prediction: the mean over every non-ignored position.

    `logits [B, T, V]`, `targets [B, T]` already shifted (targets[b, t] is the token
    that follows position t). Positions whose target is `ignore_index` count neither
    in the sum nor in the mean. Returns a 0-d tensor, like
    `F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=ignore_index)`
    (which is allowed), differentiable w.r.t. `logits`. Stable for large logits (the
    tests use up to ±1e3): a softmax without subtracting each row's maximum overflows.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
