"""Public tests for ch6/sampling.py: run `pytest assignments/ch6`.

Quick checks you can work out by hand. The hidden tests go further: ties and
-inf in the logits, p close to 1 with long tails, leading batch dims, float32
and float64, CPU and CUDA, the statistics of many draws with a seeded
generator, and `generate` on a model that notices a misused cache.
"""
import pytest
import torch

from ch6 import sampling

INF = float("inf")


def test_top_k_keeps_ties_with_the_kth():
    logits = torch.tensor([[3.0, 1.0, 2.0, 2.0], [0.5, -1.0, 4.0, 0.0]])
    out = sampling.top_k_filter(logits, 2)
    torch.testing.assert_close(out, torch.tensor([[3.0, -INF, 2.0, 2.0], [0.5, -INF, 4.0, -INF]]))
    assert logits[0, 1] == 1.0            # the input is not modified


def test_top_k_larger_than_vocabulary_keeps_everything():
    logits = torch.tensor([[0.1, -2.0, 3.0]])
    torch.testing.assert_close(sampling.top_k_filter(logits, 10), logits)


def test_top_k_rejects_k_zero():
    with pytest.raises(ValueError):
        sampling.top_k_filter(torch.zeros(2, 3), 0)


def test_top_p_keeps_the_crossing_token():
    # probabilities 0.1, 0.5, 0.25, 0.15: sorted 0.5, 0.25 reach 0.7 (0.75), so tokens 1 and 2 stay
    logits = torch.tensor([[0.1, 0.5, 0.25, 0.15]]).log()
    out = sampling.top_p_filter(logits, 0.7)
    assert torch.isinf(out[0, [0, 3]]).all()
    torch.testing.assert_close(out[0, [1, 2]], logits[0, [1, 2]])


def test_top_p_always_keeps_the_top_token_and_p_one_keeps_all():
    logits = torch.tensor([[1.0, 3.0, 2.0]])
    torch.testing.assert_close(sampling.top_p_filter(logits, 1e-6), torch.tensor([[-INF, 3.0, -INF]]))
    torch.testing.assert_close(sampling.top_p_filter(logits, 1.0), logits)


def test_sample_temperature_zero_is_argmax():
    logits = torch.tensor([[0.0, 2.0, 2.0, -1.0], [5.0, 1.0, 0.0, 4.0]])
    out = sampling.sample(logits, temperature=0)
    assert out.dtype == torch.int64 and out.shape == (2,)
    assert out.tolist() == [1, 0]         # ties go to the lowest index


def test_sample_top_k_one_is_greedy_and_seeded_draws_repeat():
    logits = torch.tensor([[0.2, 0.1, 0.9, 0.3]]).repeat(5, 1)
    assert sampling.sample(logits, top_k=1).tolist() == [2] * 5
    a = sampling.sample(logits, generator=torch.Generator().manual_seed(0))
    b = sampling.sample(logits, generator=torch.Generator().manual_seed(0))
    assert a.shape == (5,) and torch.equal(a, b)


class CountingModel(torch.nn.Module):
    """A toy model: the next token is always (last token + 1) mod 7."""

    def __init__(self):
        super().__init__()
        self.max_len = 8
        self.blocks = torch.nn.ModuleList([torch.nn.Identity(), torch.nn.Identity()])
        self.lengths = []

    def forward(self, idx, cache=None):
        self.lengths.append(idx.shape[1])
        if cache is not None:   # store something, so the cache counts positions
            for layer in range(len(self.blocks)):
                kv = idx.to(torch.float32)[:, None, :, None]
                cache.update(layer, kv, kv)
        return 10.0 * torch.nn.functional.one_hot((idx + 1) % 7, 7).to(torch.float32)


@pytest.mark.parametrize("use_cache", [False, True])
def test_generate_greedy_counts_up(use_cache):
    model = CountingModel()
    prompt = torch.tensor([[3, 4], [0, 6]])
    out = sampling.generate(model, prompt, 4, temperature=0, use_cache=use_cache)
    assert out.tolist() == [[3, 4, 5, 6, 0, 1], [0, 6, 0, 1, 2, 3]]
    assert model.lengths == ([2, 1, 1, 1] if use_cache else [2, 3, 4, 5])


def test_generate_too_long_raises():
    with pytest.raises(ValueError):
        sampling.generate(CountingModel(), torch.zeros(1, 5, dtype=torch.long), 4)
