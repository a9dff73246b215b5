"""Public tests for ch6/transformer.py: run `pytest assignments/ch6`.

Tiny models and values you can work out by hand. The hidden tests go further: the
block against torch's nn.TransformerEncoderLayer (same state_dict) with every kind
of mask, and its gradients; TinyGPT against a reference model with the same
weights; decoding with a KV cache in many chunkings; the cost of a decoding step;
next_token_loss against F.cross_entropy; float32 and float64, CPU and CUDA.

The tests that decode with a cache use your KVCache (ch6/kv_cache.py): they are
skipped until it works (`pytest -rs` shows why a test was skipped).
"""
import math

import pytest
import torch

from ch6 import transformer
from ch6.kv_cache import KVCache

D, H, FF = 8, 2, 12


def your_kv_cache(num_layers):
    """A new KVCache of yours (ch6/kv_cache.py): the decoding tests use it, so they wait for it."""
    try:
        works = appends_and_counts(KVCache(1))
    except NotImplementedError:
        pytest.skip("needs your KVCache in ch6/kv_cache.py first: it is not written yet")
    except Exception:
        works = False
    if not works:
        pytest.skip("needs your KVCache in ch6/kv_cache.py to pass its own tests first (ch6/test_kv_cache.py)")
    return KVCache(num_layers)


def appends_and_counts(cache):
    """Does `cache` hold 3 positions after a prompt of 2 and one more token?"""
    cache.update(0, torch.zeros(1, 1, 2, 1), torch.zeros(1, 1, 2, 1))
    k_all, v_all = cache.update(0, torch.ones(1, 1, 1, 1), torch.ones(1, 1, 1, 1))
    return k_all.shape == v_all.shape == (1, 1, 3, 1) and cache.seq_len == 3


def causal(T):
    return torch.ones(T, T, dtype=torch.bool).triu(1)   # nn.MultiheadAttention polarity: True = not allowed


# ------------------------------------------------------------ TransformerBlock

def test_block_state_dict_names_and_shapes():
    block = transformer.TransformerBlock(D, H, FF)
    shapes = {k: tuple(v.shape) for k, v in block.state_dict().items()}
    assert shapes == {
        "self_attn.in_proj_weight": (3 * D, D), "self_attn.in_proj_bias": (3 * D,),
        "self_attn.out_proj.weight": (D, D), "self_attn.out_proj.bias": (D,),
        "linear1.weight": (FF, D), "linear1.bias": (FF,), "linear2.weight": (D, FF), "linear2.bias": (D,),
        "norm1.weight": (D,), "norm1.bias": (D,), "norm2.weight": (D,), "norm2.bias": (D,),
    }


def test_block_with_silent_sublayers_is_the_identity():
    torch.manual_seed(0)
    block = transformer.TransformerBlock(D, H, FF)
    with torch.no_grad():   # both sub-layers now add exactly 0 to the residual stream
        for p in (*block.self_attn.out_proj.parameters(), *block.linear2.parameters()):
            p.zero_()
    src = torch.randn(2, 3, D)
    torch.testing.assert_close(block(src, src_mask=causal(3), is_causal=True), src)


def test_block_attention_of_a_single_token_by_hand():
    # One token attends only to itself (weight 1), so the attention returns out_proj(v).
    # With zero projection weights, v is the value bias: the block adds out_proj(b_v) = b_v.
    block = transformer.TransformerBlock(D, H, FF)
    with torch.no_grad():
        block.self_attn.in_proj_weight.zero_()
        block.self_attn.in_proj_bias.copy_(torch.cat([torch.zeros(2 * D), torch.arange(D) / 4.0]))
        block.self_attn.out_proj.weight.copy_(torch.eye(D))
        block.self_attn.out_proj.bias.zero_()
        block.linear2.weight.zero_()
        block.linear2.bias.zero_()
    src = torch.randn(3, 1, D)
    torch.testing.assert_close(block(src), src + torch.arange(D) / 4.0)


def test_block_feedforward_uses_exact_gelu():
    # Attention silenced; linear1 outputs its bias 1.0, so the feed-forward adds
    # linear2(gelu(1.0)) = FF * gelu(1.0) / FF = Phi(1) = 0.841345 (exact GELU; ReLU gives 1.0).
    block = transformer.TransformerBlock(D, H, FF)
    with torch.no_grad():
        block.self_attn.out_proj.weight.zero_()
        block.self_attn.out_proj.bias.zero_()
        block.linear1.weight.zero_()
        block.linear1.bias.fill_(1.0)
        block.linear2.weight.fill_(1.0 / FF)
        block.linear2.bias.zero_()
    src = torch.randn(2, 4, D)
    gelu_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    torch.testing.assert_close(block(src), src + gelu_1)


def test_block_causal_mask_hides_the_future():
    torch.manual_seed(1)
    block = transformer.TransformerBlock(D, H, FF)
    src = torch.randn(2, 5, D)
    changed = src.clone()
    changed[:, 3:] += 1.0                       # change positions 3 and 4 only
    out1 = block(src, src_mask=causal(5), is_causal=True)
    out2 = block(changed, src_mask=causal(5), is_causal=True)
    torch.testing.assert_close(out1[:, :3], out2[:, :3])
    assert not torch.allclose(out1[:, 3:], out2[:, 3:])


def test_block_kv_cache_step_by_step_equals_full_causal_forward():
    torch.manual_seed(2)
    block = transformer.TransformerBlock(D, H, FF)
    src = torch.randn(2, 5, D)
    full = block(src, src_mask=causal(5), is_causal=True)
    cache = your_kv_cache(1)
    steps = [block(src[:, :2], cache=cache, layer=0)]            # a prompt of 2, then one at a time
    steps += [block(src[:, t:t + 1], cache=cache, layer=0) for t in range(2, 5)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full)
    assert cache.seq_len == 5


# --------------------------------------------------------------------- TinyGPT

V, MAX_LEN = 11, 10


def tiny_gpt(**kwargs):
    torch.manual_seed(3)
    return transformer.TinyGPT(V, D, H, 2, MAX_LEN, **kwargs)


def test_gpt_parts_and_defaults():
    model = tiny_gpt()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["tok_emb.weight"] == (V, D)
    assert shapes["pos_emb.weight"] == (MAX_LEN, D)
    assert shapes["blocks.1.linear1.weight"] == (4 * D, D)        # dim_feedforward defaults to 4 * d_model
    assert shapes["norm_f.weight"] == (D,)
    assert shapes["lm_head.weight"] == (V, D) and "lm_head.bias" not in shapes
    assert model.lm_head.weight is not model.tok_emb.weight        # not tied
    assert model.max_len == MAX_LEN
    assert tuple(tiny_gpt(dim_feedforward=FF).blocks[0].linear1.weight.shape) == (FF, D)


def test_gpt_logits_shape_and_causality():
    model = tiny_gpt()
    idx = torch.tensor([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]])
    logits = model(idx)
    assert logits.shape == (2, 6, V)
    changed = idx.clone()
    changed[:, 4] = 0                                           # a later token cannot change earlier logits
    torch.testing.assert_close(model(changed)[:, :4], logits[:, :4])


def test_gpt_incremental_decoding_equals_full_forward():
    model = tiny_gpt()
    idx = torch.tensor([[1, 2, 3, 4, 5, 6, 7], [7, 0, 2, 9, 4, 4, 1]])
    full = model(idx)
    cache = your_kv_cache(2)
    steps = [model(idx[:, :3], cache=cache)]                   # prompt, then one token at a time
    for t in range(3, 7):
        steps.append(model(idx[:, t:t + 1], cache=cache))
        assert cache.seq_len == t + 1
    torch.testing.assert_close(torch.cat(steps, dim=1), full)


def test_gpt_more_than_max_len_positions_raise():
    with pytest.raises(ValueError):
        tiny_gpt()(torch.zeros(1, MAX_LEN + 1, dtype=torch.long))


def test_gpt_more_than_max_len_positions_with_the_cache_raise():
    model = tiny_gpt()
    cache = your_kv_cache(2)
    model(torch.zeros(1, MAX_LEN, dtype=torch.long), cache=cache)   # exactly max_len is fine
    with pytest.raises(ValueError):
        model(torch.zeros(1, 1, dtype=torch.long), cache=cache)


# ------------------------------------------------------------- next_token_loss

def test_loss_of_uniform_logits_is_log_vocab():
    loss = transformer.next_token_loss(torch.zeros(2, 3, 5), torch.tensor([[0, 1, 2], [3, 4, 0]]))
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(math.log(5))


def test_loss_ignores_positions_by_hand():
    # V = 2. Position 0: logits (0, 0), target 1 -> log 2. Position 1: logits (0, log 3),
    # target 1 -> p = 3/4, loss log(4/3). Position 2 is ignored (target -100).
    logits = torch.tensor([[[0.0, 0.0], [0.0, math.log(3.0)], [5.0, -5.0]]])
    targets = torch.tensor([[1, 1, -100]])
    want = (math.log(2.0) + math.log(4.0 / 3.0)) / 2           # the mean over the 2 kept positions
    assert transformer.next_token_loss(logits, targets).item() == pytest.approx(want)
    custom = torch.tensor([[1, 1, 0]])
    assert transformer.next_token_loss(logits, custom, ignore_index=0).item() == pytest.approx(want)
