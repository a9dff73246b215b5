"""Public tests for ch6/kv_cache.py: run `pytest assignments/ch6`.

Quick checks you can follow by hand. The hidden tests go further: a prompt,
then single tokens, then a chunk, on several layers updated in any order,
float32 and float64, CPU and CUDA, and the k, v you pass in must not change.
"""
import torch

from ch6.kv_cache import KVCache


def kv(T, fill):
    """k, v of shape [B=1, H=2, T, Dh=3]: k full of `fill`, v full of `-fill`."""
    return torch.full((1, 2, T, 3), float(fill)), torch.full((1, 2, T, 3), -float(fill))


def test_fresh_cache_is_empty():
    assert KVCache(2).seq_len == 0


def test_update_appends_along_time():
    cache = KVCache(1)
    k1, v1 = kv(4, 1)
    k_all, v_all = cache.update(0, k1, v1)            # the prompt: 4 positions
    torch.testing.assert_close(k_all, k1)
    assert cache.seq_len == 4
    k2, v2 = kv(1, 2)
    k_all, v_all = cache.update(0, k2, v2)            # one new token
    assert k_all.shape == (1, 2, 5, 3)
    torch.testing.assert_close(k_all, torch.cat([k1, k2], dim=2))
    torch.testing.assert_close(v_all, torch.cat([v1, v2], dim=2))
    assert cache.seq_len == 5


def test_layers_are_separate():
    cache = KVCache(2)
    cache.update(0, *kv(3, 1))
    cache.update(1, *kv(3, 7))
    k_all, v_all = cache.update(0, *kv(1, 2))
    assert k_all[0, 0, :, 0].tolist() == [1.0, 1.0, 1.0, 2.0]   # nothing of layer 1 (7) in layer 0
    k_all, v_all = cache.update(1, *kv(1, 8))
    assert v_all[0, 0, :, 0].tolist() == [-7.0, -7.0, -7.0, -8.0]
    assert cache.seq_len == 4
