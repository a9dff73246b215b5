"""Public tests for ch5/augment.py: run `pytest assignments/ch5`.

Quick checks you can work out by hand. The hidden tests go further: every crop is matched against
every possible offset, all offsets must show up over many draws, flip frequencies are measured,
and the same seed must give the same result; float32 and float64, CPU and CUDA.
"""
import pytest
import torch

from ch5 import augment


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def test_random_crop_full_size_and_padding():
    x = torch.arange(1.0, 7.0).reshape(1, 1, 2, 3)            # one image [[1, 2, 3], [4, 5, 6]]
    assert torch.equal(augment.random_crop(x, (2, 3), generator=seeded(0)), x)   # only one position
    padded = augment.random_crop(x, (4, 5), padding=1, generator=seeded(0))
    want = torch.tensor([[0.0, 0, 0, 0, 0], [0, 1, 2, 3, 0], [0, 4, 5, 6, 0], [0, 0, 0, 0, 0]])
    assert torch.equal(padded[0, 0], want), f"got {padded[0, 0]}; pad with zeros on all four sides"
    with pytest.raises(Exception):
        augment.random_crop(x, 3)                               # 3 x 3 does not fit in 2 x 3


def test_random_crop_returns_crops_one_per_sample():
    x = torch.arange(1.0, 13.0).reshape(1, 1, 3, 4).repeat(20, 1, 1, 1)   # 20 copies of one 3 x 4 image
    out = augment.random_crop(x, 2, generator=seeded(1))
    assert out.shape == (20, 1, 2, 2)
    windows = {tuple(x[0, 0, t:t + 2, l:l + 2].flatten().tolist()) for t in range(2) for l in range(3)}
    got = [tuple(sample.flatten().tolist()) for sample in out]
    assert set(got) <= windows, "every sample is a 2 x 2 window of its image"
    assert len(set(got)) > 1, "each sample gets its own offset (6 possible offsets here)"
    assert torch.equal(augment.random_crop(x, 2, generator=seeded(1)), out), "same seed, same crops"
    assert torch.equal(x[0, 0], torch.arange(1.0, 13.0).reshape(3, 4)), "x must not change"


def test_random_horizontal_flip():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).expand(30, 1, 2, 3)   # 30 copies of one image
    assert torch.equal(augment.random_horizontal_flip(x, p=0.0, generator=seeded(2)), x)
    mirror = torch.tensor([[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]])     # columns reversed, rows kept
    assert torch.equal(augment.random_horizontal_flip(x, p=1.0, generator=seeded(2)), mirror.expand(30, 1, 2, 3))
    out = augment.random_horizontal_flip(x, generator=seeded(3))
    flipped = [torch.equal(sample[0], mirror) for sample in out]
    assert all(f or torch.equal(sample[0], x[0, 0]) for f, sample in zip(flipped, out))
    assert 0 < sum(flipped) < 30, "each sample is flipped or not on its own draw (p = 0.5)"
    assert torch.equal(augment.random_horizontal_flip(x, generator=seeded(3)), out), "same seed, same flips"
