"""Reference for ch6/transformer.py.

- `TransformerBlock` builds torch's own `nn.TransformerEncoderLayer` (pre-norm,
  exact GELU, batch first); its forward takes the same keyword arguments
  (`src_mask`, `is_causal`, `src_key_padding_mask`). It has no KV-cache path: the
  hidden suite checks the student's cache path against this layer's full causal
  forward instead.
- `TinyGPT` is a plain decoder with the named submodules. It looks the block class
  up as the module global `TransformerBlock` when it is built, so the TinyGPT
  probes can put their trusted stand-in block there (rule 4), exactly as they do in
  the student's module. Its full forward passes a float causal mask
  (`-inf` above the diagonal) plus the `is_causal` hint, as torch's own models do.
- `next_token_loss` is `F.cross_entropy` on the flattened positions.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from ch6.positional import LearnedPositionalEmbedding


def TransformerBlock(d_model, nhead, dim_feedforward, dropout=0.0):
    return nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=dropout, activation="gelu",
                                      batch_first=True, norm_first=True)


class TinyGPT(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, num_layers, max_len, dim_feedforward=None):
        super().__init__()
        if dim_feedforward is None:
            dim_feedforward = 4 * d_model
        self.max_len = max_len
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = LearnedPositionalEmbedding(max_len, d_model)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, nhead, dim_feedforward) for _ in range(num_layers))
        self.norm_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, idx, cache=None):
        T = idx.shape[1]
        offset = 0 if cache is None else cache.seq_len
        x = self.tok_emb(idx) + self.pos_emb(offset + torch.arange(T, device=idx.device))
        if cache is None:
            mask = torch.full((T, T), float("-inf"), dtype=x.dtype, device=x.device).triu(1)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
        else:
            for layer, block in enumerate(self.blocks):
                x = block(x, cache=cache, layer=layer)
        return self.lm_head(self.norm_f(x))


def next_token_loss(logits, targets, ignore_index=-100):
    return F.cross_entropy(logits.flatten(0, -2), targets.flatten(), ignore_index=ignore_index)
