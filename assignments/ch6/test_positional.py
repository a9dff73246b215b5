"""Public tests for ch6/positional.py: run `pytest assignments/ch6`.

Quick checks of values you can work out by hand. The hidden tests go further:
up to 1000 positions and 512 dims, an odd dim, torch's default dtype, float32
and float64, CPU and CUDA, 2-D/3-D/4-D inputs, positions that do not start at
0 or are floats, another `base`, gradients of the learned embedding, the
relative-position property of RoPE, and the inputs must not be modified.
"""
import math

import pytest
import torch

from ch6 import positional as pos


def test_sinusoidal_small_table():
    pe = pos.sinusoidal_positions(3, 4)          # pair 0 turns with frequency 1, pair 1 with 10000^(-2/4) = 1/100
    assert pe.shape == (3, 4) and pe.dtype == torch.get_default_dtype()
    want = torch.tensor([[0.0, 1.0, 0.0, 1.0],
                         [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
                         [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)]])
    torch.testing.assert_close(pe, want)


def test_learned_embedding_weight_and_lookup():
    emb = pos.LearnedPositionalEmbedding(10, 4)
    assert [name for name, _ in emb.named_parameters()] == ["weight"]
    assert emb.weight.shape == (10, 4)
    positions = torch.tensor([[0, 3], [9, 9]])
    out = emb(positions)
    assert out.shape == (2, 2, 4)
    torch.testing.assert_close(out[0, 1], emb.weight[3])
    torch.testing.assert_close(out[1, 0], emb.weight[9])


def test_learned_embedding_gradient_adds_up_for_repeated_positions():
    emb = pos.LearnedPositionalEmbedding(10, 4)
    emb(torch.tensor([[0, 3], [9, 9]])).sum().backward()
    counts = torch.zeros(10)
    counts[0], counts[3], counts[9] = 1.0, 1.0, 2.0
    torch.testing.assert_close(emb.weight.grad, counts[:, None].expand(10, 4))


def test_learned_embedding_raises_beyond_max_len():
    emb = pos.LearnedPositionalEmbedding(10, 4)
    emb(torch.tensor([9]))                       # the last position is fine
    with pytest.raises(Exception, match="10"):   # the message names max_len
        emb(torch.tensor([2, 15]))


def test_rope_position_zero_changes_nothing():
    x = torch.arange(24.0).reshape(2, 3, 4)
    torch.testing.assert_close(pos.apply_rope(x, torch.zeros(3)), x)


def test_rope_rotates_interleaved_pairs():
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0],
                      [0.0, 1.0, 0.0, 2.0]])          # T = 2, D = 4
    out = pos.apply_rope(x, torch.tensor([1, 2]))     # pair (0, 1) turns by p, pair (2, 3) by p/100
    want = torch.tensor([[math.cos(1), math.sin(1), math.cos(0.01), math.sin(0.01)],
                         [-math.sin(2), math.cos(2), -2 * math.sin(0.02), 2 * math.cos(0.02)]])
    torch.testing.assert_close(out, want)


def test_rope_keeps_shape_and_dtype_and_leaves_x_alone():
    x = torch.linspace(-1, 1, 2 * 3 * 5 * 6, dtype=torch.float64).reshape(2, 3, 5, 6)   # [B, H, T, D]
    before = x.clone()
    out = pos.apply_rope(x, torch.arange(5))
    assert out.shape == x.shape and out.dtype == torch.float64
    torch.testing.assert_close(x, before)
