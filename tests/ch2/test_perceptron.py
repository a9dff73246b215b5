"""Hidden suite for ch2/perceptron.py.

Against an independent straightforward loop (tests/ch2/reference/perceptron.py).
Exact comparisons use integer-valued data with lr a small integer or a power of
two: every intermediate value is then an exactly representable integer (or
half-integer) in float32 and float64, so any correct implementation produces
bit-identical w, b and mistakes. On random float data, where rounding order may
differ between correct implementations, only properties are checked.
"""
import pytest
import torch

from autograder.compare import expect_equal
from autograder.suite_helpers import designed_gen, dtype_text, gen


def train(impl, x, y, epochs, kwargs):
    """perceptron_train; w as returned, b as a float (a 0-d tensor or a float are both fine)."""
    w, b, mistakes = impl.perceptron_train(x, y, epochs, **kwargs)
    return {"w": w, "b": float(b), "mistakes": [int(m) for m in mistakes], "args_after": [x, y]}


def integer_data(n, d, seed, w_star, device, dtype, label_dtype):
    """Integer features in [-4, 4]; labels from a separating hyperplane with bias 0.5 (never 0).
    A designed case: the seeds below give the convergence the tests rely on."""
    g = designed_gen(seed)
    x = torch.randint(-4, 5, (n, d), generator=g).double()
    y = torch.where(x @ torch.tensor(w_star, dtype=torch.float64) + 0.5 > 0, 1, -1)
    y = y.to(device=device, dtype=dtype if label_dtype == "float" else torch.int64)
    return x.to(device=device, dtype=dtype), y


def check_exact(student, reference, x, y, epochs, kwargs, what):
    got = student.run(train, x, y, epochs, kwargs)
    want = reference.run(train, x, y, epochs, kwargs)
    expect_equal(got["mistakes"], want["mistakes"], what=f"{what}: mistakes per epoch")
    expect_equal(got["w"], want["w"], what=f"{what}: w")
    expect_equal(got["b"], want["b"], what=f"{what}: b")
    expect_equal(got["args_after"], [x, y], what=f"{what}: x and y after the call (must not change)")
    return want


SMALL = dict(n=7, d=3, seed=3, w_star=[2.0, -1.0, 1.0])     # converges in epoch 6 of 8
LARGER = dict(n=40, d=5, seed=4, w_star=[1.0, -2.0, 0.0, 3.0, 1.0])   # converges in epoch 10 of 15


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
@pytest.mark.parametrize("label_dtype", ["int64", "float"])
def test_exact_on_small_integer_data(student, reference, device, dtype, label_dtype):
    x, y = integer_data(**SMALL, device=device, dtype=dtype, label_dtype=label_dtype)
    want = check_exact(student, reference, x, y, 8, {},
                       f"perceptron_train(x[7, 3] integer-valued {dtype_text(dtype)} on {device}, "
                       f"y {dtype_text(label_dtype)} "
                       f"labels, epochs=8)")
    assert want["mistakes"][-3:] == [0, 0, 0] and want["mistakes"][0] > 0, "kit self-check: the data converges early"


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
@pytest.mark.parametrize("lr", [0.5, 3.0])
def test_exact_with_learning_rate(student, reference, lr, device, dtype):
    x, y = integer_data(**SMALL, device=device, dtype=dtype, label_dtype="int64")
    check_exact(student, reference, x, y, 8, {"lr": lr},
                f"perceptron_train(x[7, 3] integer-valued {dtype_text(dtype)} on {device}, epochs=8, lr={lr})")


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
def test_exact_on_larger_integer_data(student, reference, device, dtype):
    x, y = integer_data(**LARGER, device=device, dtype=dtype, label_dtype="int64")
    want = check_exact(student, reference, x, y, 15, {},
                       f"perceptron_train(x[40, 5] integer-valued {dtype_text(dtype)} on {device}, epochs=15)")
    assert want["mistakes"][-1] == 0, "kit self-check: the data converges"


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
def test_xor_never_converges(student, reference, device, dtype):
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], device=device, dtype=dtype)
    y = torch.tensor([-1, 1, 1, -1], device=device)
    want = check_exact(student, reference, x, y, 12, {},
                       f"perceptron_train(XOR: x[4, 2] {dtype_text(dtype)} on {device}, epochs=12)")
    assert min(want["mistakes"]) > 0, "kit self-check: XOR is not separable"


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
def test_zero_epochs(student, reference, device):
    x, y = integer_data(**SMALL, device=device, dtype=torch.float64, label_dtype="int64")
    check_exact(student, reference, x, y, 0, {},
                f"perceptron_train(x[7, 3] float64 on {device}, epochs=0): w zeros, b 0, mistakes []")


@pytest.mark.exercise("ch2.perceptron.perceptron_train")
@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_separable_random_data_converges(student, reference, lr, device, dtype):
    """Random float data with margin 0.3: every correct implementation converges and separates it."""
    g = gen(7)
    x = torch.randn(200, 4, generator=g, dtype=torch.float64)
    w_star = torch.tensor([0.8, -0.4, 0.2, 0.4], dtype=torch.float64)
    margin = x @ w_star + 0.3
    keep = margin.abs() > 0.3
    x, y = x[keep][:30], torch.where(margin[keep][:30] > 0, 1.0, -1.0)
    x, y = x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)
    epochs = 60
    what = f"perceptron_train(x[30, 4] separable random {dtype_text(dtype)} data on {device}, epochs={epochs}, lr={lr})"
    got = student.run(train, x, y, epochs, {"lr": lr})
    want = reference.run(train, x, y, epochs, {"lr": lr})
    w_ref = want["w"].double()
    ref_margin = (y.double() * (x.double() @ w_ref + want["b"])).min().item() / w_ref.norm().item()
    assert want["mistakes"].index(0) < epochs // 3 and ref_margin > 1e-3, "kit self-check: converges, clear margin"
    expect_equal(len(got["mistakes"]), epochs, what=f"{what}: number of entries in mistakes (one per epoch)")
    expect_equal(got["mistakes"][-5:], [0] * 5, what=f"{what}: mistakes in the last 5 epochs (converged)")
    expect_equal(sum(got["mistakes"]) > 0, True, what=f"{what}: some mistakes were made (w, b start at zero)")
    w = got["w"]
    expect_equal(torch.zeros_like(w) if isinstance(w, torch.Tensor) else w, torch.zeros_like(want["w"]),
                 what=f"{what}: w's shape, dtype and device")
    # The student's own arithmetic found every margin > 0 in the last epochs; recomputed in float64
    # they differ by rounding only. (w itself is not compared: a correct implementation may round
    # differently and, very rarely, take another path to a separating w.)
    classified = (y.double() * (x.double() @ w.double() + got["b"]) > 0).tolist()
    expect_equal(classified, [True] * len(classified), what=f"{what}: every training point classified correctly")
    expect_equal(got["args_after"], [x, y], what=f"{what}: x and y after the call (must not change)")
