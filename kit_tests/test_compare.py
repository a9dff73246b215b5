"""Trusted comparisons: what passes, what fails, and what the message says."""
import math

import pytest
import torch

from autograder.compare import Mismatch, expect_close, expect_equal, find_mismatch, is_close


def test_equal_tensors_pass_and_tolerance_depends_on_dtype():
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    expect_close(x, x.clone())
    assert is_close(x.float() + 1e-7, x.float())
    assert not is_close(x + 1e-6, x)          # float64 is held to a tighter tolerance


def test_message_names_worst_error_and_index_and_repeats_nothing_that_matched():
    want = torch.zeros(2, 3, 4)
    got = want.clone()
    got[1, 2, 3] = 0.5
    got[0, 0, 0] = 0.1
    with pytest.raises(Mismatch) as info:
        expect_close(got, want, what="relu(x(2, 3, 4)) on cpu float32")
    message = str(info.value)
    for piece in ("relu(x(2, 3, 4)) on cpu float32: 2 of 24 elements differ", "index (1, 2, 3)",
                  "expected 0", "got 0.5"):
        assert piece in message, (piece, message)
    assert message.count("(2, 3, 4)") == 1 and "torch.float32" not in message, message


@pytest.mark.parametrize("got,wrong", [
    (torch.zeros(3, 2), "shape"),
    (torch.zeros(2, 3, dtype=torch.float64), "dtype"),
    (torch.zeros(2, 3, device="meta"), "device"),
])
def test_shape_dtype_and_device_must_match(got, wrong):
    problem = find_mismatch(got, torch.zeros(2, 3))
    assert problem and f"wrong {wrong}" in problem


def test_nan_and_inf_must_sit_where_expected():
    want = torch.tensor([1.0, math.inf, math.nan])
    expect_close(want.clone(), want)
    assert not is_close(torch.tensor([1.0, math.inf, 0.0]), want)
    assert not is_close(torch.tensor([math.nan, math.inf, math.nan]), want)
    assert not is_close(torch.tensor([1.0, -math.inf, math.nan]), want)


def test_scalars_compare_by_value():
    expect_close(torch.tensor(2.0), 2.0)       # a 0-d tensor and a float are the same scalar
    expect_close(1, 1.0)
    assert not is_close(2.5, 2.0)


def test_structures_report_the_path():
    want = {"W1": torch.ones(2), "b1": [torch.ones(1), 3]}
    got = {"W1": torch.ones(2), "b1": [torch.ones(1), 4]}
    assert "grads['b1'][1]" in find_mismatch(got, want, where="grads")
    assert "missing keys ['b1']" in find_mismatch({"W1": torch.ones(2)}, want)
    assert "expected a tuple of 2 items" in find_mismatch((1,), (1, 2))


def test_exact_comparison_for_integers():
    expect_equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(Mismatch, match="exact match"):
        expect_equal(torch.tensor([1, 3]), torch.tensor([1, 2]))


def test_max_abs_diff_and_to_float64_walk_plain_data():
    from autograder.compare import max_abs_diff, to_float64

    a = {"x": [torch.tensor([1.0, float("inf")]), torch.tensor([2, 3])], "y": 1.0}
    b = {"x": [torch.tensor([1.5, float("inf")]), torch.tensor([9, 9])], "y": 7.0}
    assert max_abs_diff(a, b) == 0.5                       # floats only, infinities skipped
    doubled = to_float64(a)
    assert doubled["x"][0].dtype == torch.float64 and doubled["x"][1].dtype == torch.int64
    assert doubled["y"] == 1.0


def test_reference_answer_widens_float32_tolerance_by_the_references_own_error():
    from autograder.compare import reference_answer

    class Reference:   # float32 answer off by 1e-3 from the float64 one
        def run(self, probe, x):
            return x.sum() + (1e-3 if x.dtype == torch.float32 else 0.0)

    x = torch.ones(3)
    want, atol = reference_answer(Reference(), None, (x,), torch.float32)
    assert float(want) == float(torch.tensor(3.0) + 1e-3) and abs(atol - 4e-3) < 1e-6
    assert reference_answer(Reference(), None, (x.double(),), torch.float64)[1] is None
