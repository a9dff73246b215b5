"""Public tests for ch1/debugging.py: run `pytest assignments/ch1`.

Quick checks of values you can work out by hand. The hidden tests go further: norms of order 1,
2, inf, 0.5 and 3 against torch.nn.utils.clip_grad_norm_'s, NaN and inf in gradients, a model's
named_parameters(), chains of check_shape calls and the messages of its errors, float32 and
float64, CPU and CUDA.
"""
import math

import torch

from ch1 import debugging


def assert_close(got, want):
    """got == want up to rounding (same shape); torch.allclose is quicker to load than torch.testing."""
    assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-5, atol=1e-6), f"got {got}, expected {want}"


def test_grad_global_norm():
    p, q, r = torch.zeros(2), torch.zeros(1), torch.zeros(3)
    p.grad, q.grad = torch.tensor([3.0, 0.0]), torch.tensor([-4.0])    # r has no gradient: skipped
    assert_close(debugging.grad_global_norm([p, q, r]), torch.tensor(5.0))              # sqrt(9 + 16)
    assert_close(debugging.grad_global_norm([p, q, r], norm_type=1.0), torch.tensor(7.0))   # 3 + 4
    assert_close(debugging.grad_global_norm([p, q, r], norm_type=math.inf), torch.tensor(4.0))  # max |g|
    assert_close(q.grad, torch.tensor([-4.0]))                                          # left as it was
    assert_close(debugging.grad_global_norm([r]), torch.tensor(0.0))                    # no gradients at all


def test_find_nonfinite():
    pairs = [("w", torch.tensor([1.0, math.nan])), ("b", torch.tensor([2.0])), ("a", torch.tensor([-math.inf])),
             ("g", None)]
    assert debugging.find_nonfinite(pairs) == ["w", "a"]           # input order, None skipped
    assert debugging.find_nonfinite([("ok", torch.ones(3))]) == []


def test_check_shape():
    dims = debugging.check_shape(torch.zeros(2, 7, 5), "B T D")
    assert dims == {"B": 2, "T": 7, "D": 5}
    dims = debugging.check_shape(torch.zeros(2, 3, 4), "B 3 K", dims)   # 3 is a literal size, not a name
    assert dims == {"B": 2, "T": 7, "D": 5, "K": 4}
    try:
        debugging.check_shape(torch.zeros(2, 6), "B D", dims)         # D was bound to 5
    except ValueError as error:
        assert "D" in str(error) and "5" in str(error) and "6" in str(error), f"unclear message: {error}"
    else:
        raise AssertionError("check_shape(zeros(2, 6), 'B D', {'D': 5, ...}) did not raise ValueError")
