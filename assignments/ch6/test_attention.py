"""Public tests for ch6/attention.py: run `pytest assignments/ch6`.

Quick checks of values you can work out by hand. The hidden tests go further:
they compare with F.scaled_dot_product_attention and nn.MultiheadAttention on
random inputs (2-D to 4-D, every mask shape, is_causal with L != S, scale,
scores of several hundred), float32 and float64, CPU and CUDA, outputs AND
attention weights AND gradients, and check the inputs are not modified.
"""
import math

import pytest
import torch

from ch6 import attention as att


def test_sdpa_zero_query_averages_the_values():
    # Every score is 0, so the weights are uniform: each output row is the mean of v's rows.
    q = torch.zeros(2, 3, 4)
    k = torch.randn(2, 5, 4)
    v = torch.arange(2 * 5 * 6, dtype=torch.float32).reshape(2, 5, 6)
    out = att.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 6)
    torch.testing.assert_close(out, v.mean(dim=1, keepdim=True).expand(2, 3, 6))


def test_sdpa_scale_and_softmax_over_keys():
    # One query, two keys: scores [2, 0] * (1/sqrt(4)) = [1, 0] -> weights softmax([1, 0]).
    q = torch.tensor([[2.0, 0.0, 0.0, 0.0]])
    k = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    w1 = math.exp(1) / (math.exp(1) + 1)
    torch.testing.assert_close(att.scaled_dot_product_attention(q, k, v), torch.tensor([[w1, 1 - w1]]))
    w2 = math.exp(2) / (math.exp(2) + 1)   # scale=1.0: scores [2, 0]
    torch.testing.assert_close(att.scaled_dot_product_attention(q, k, v, scale=1.0), torch.tensor([[w2, 1 - w2]]))


def test_sdpa_bool_mask_true_means_attend():
    q = torch.zeros(1, 2, 3)
    k = torch.randn(1, 3, 3)
    v = torch.tensor([[[1.0], [2.0], [4.0]]])
    mask = torch.tensor([[True, False, False], [False, True, True]])
    out = att.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, torch.tensor([[[1.0], [3.0]]]))


def test_sdpa_is_causal_top_left():
    q = torch.zeros(3, 2)
    k = torch.zeros(3, 2)
    v = torch.tensor([[3.0], [6.0], [9.0]])
    out = att.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(out, torch.tensor([[3.0], [4.5], [6.0]]))   # running means


def test_sdpa_large_scores_do_not_overflow():
    q = torch.tensor([[1000.0], [-1000.0]])
    k = torch.tensor([[1.0], [-1.0]])
    v = torch.tensor([[1.0], [2.0]])
    torch.testing.assert_close(att.scaled_dot_product_attention(q, k, v), torch.tensor([[1.0], [2.0]]))


def test_causal_mask_square_and_kv_cache():
    assert att.causal_mask(3).dtype == torch.bool
    torch.testing.assert_close(att.causal_mask(3), torch.ones(3, 3, dtype=torch.bool).tril())
    torch.testing.assert_close(att.causal_mask(1, 4), torch.ones(1, 4, dtype=torch.bool))
    torch.testing.assert_close(att.causal_mask(2, 4), torch.tensor([[True, True, True, False],
                                                                   [True, True, True, True]]))


def test_key_padding_mask_true_is_padding():
    expected = torch.tensor([[False, False, True, True], [False, False, False, False]])
    torch.testing.assert_close(att.key_padding_mask(torch.tensor([2, 4]), 4), expected)
    torch.testing.assert_close(att.key_padding_mask([2, 4], 4), expected)


def test_mha_parameter_names_and_shapes():
    m = att.MultiHeadAttention(6, 2)
    shapes = {name: tuple(t.shape) for name, t in m.state_dict().items()}
    assert shapes == {"in_proj_weight": (18, 6), "in_proj_bias": (18,),
                      "out_proj.weight": (6, 6), "out_proj.bias": (6,)}
    assert set(att.MultiHeadAttention(6, 2, bias=False).state_dict()) == {"in_proj_weight", "out_proj.weight"}


def test_mha_output_and_weight_shapes():
    m = att.MultiHeadAttention(6, 2)
    q, kv = torch.randn(2, 3, 6), torch.randn(2, 5, 6)
    out, w = m(q, kv, kv)
    assert out.shape == (2, 3, 6) and w.shape == (2, 3, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3))
    _, w_heads = m(q, kv, kv, average_attn_weights=False)
    assert w_heads.shape == (2, 2, 3, 5)
    assert m(q, kv, kv, need_weights=False)[1] is None


def test_mha_key_padding_mask_gives_padding_zero_weight():
    m = att.MultiHeadAttention(4, 2)
    x = torch.randn(1, 3, 4)
    _, w = m(x, x, x, key_padding_mask=torch.tensor([[False, False, True]]))
    assert (w[..., 2] == 0).all()


def test_mha_embed_dim_must_divide():
    with pytest.raises(ValueError):
        att.MultiHeadAttention(10, 3)
