"""Helpers of the hidden suites' trusted side: what several tests/chN/test_*.py files use to make
inputs and to word their messages.

Test code only: a probe cannot call these (it sees only autograder.probes.PROBE_GLOBALS and
the stand-ins of tests/stand_ins.py). They live in the engine because tests/ is not a package
that every way of running the suites can import."""
import torch

DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}
# The floor of the absolute tolerance where a suite derives one from the reference's own error.
DEFAULT_ATOL = {torch.float32: 1e-5, torch.float64: 1e-7}


# Added to every seed of a random case: 0 when grading; `--seed-offset K` reruns the suites on
# other random cases to measure how often a correct solution fails by chance (kit_tests/seeded_reruns.py).
_seed_offset = 0


def use_seed_offset(offset: int):
    global _seed_offset
    _seed_offset = offset


def case_seed(seed):
    """The seed a random case really uses: `seed` moved by the run's seed offset."""
    return seed + _seed_offset


def gen(seed):
    """A CPU generator seeded case_seed(seed) (draw on the CPU, then move: the same values on every device)."""
    return torch.Generator().manual_seed(case_seed(seed))


def designed_gen(seed):
    """A CPU generator for a designed case: its seed was picked for a property the test states
    (the perceptron converges in epoch 6 of 8), so the seed offset does not move it."""
    return torch.Generator().manual_seed(seed)


def randn(shape, g, scale=1.0):
    """scale * N(0, 1) values of `shape`, float64 on the CPU, drawn from the generator g."""
    return scale * torch.randn(shape, generator=g, dtype=torch.float64)


def seeded_randn(shape, seed, device="cpu", dtype=torch.float64, scale=1.0):
    """scale * N(0, 1) values drawn in float64 from gen(seed), then on `device` in `dtype`."""
    return randn(shape, gen(seed), scale).to(device=device, dtype=dtype)


def logits(shape, device, dtype, seed=0, scale=3.0):
    """Random logits: 3 * N(0, 1) by default (softmax neither flat nor one-hot)."""
    return seeded_randn(shape, seed, device, dtype, scale)


def dtype_text(dtype):
    """'float32' (not 'torch.float32'): a dtype for messages."""
    return DTYPE_NAMES.get(dtype) or str(dtype).removeprefix("torch.")


def where(device, dtype=None):
    """'on cpu float32' (or 'on cpu' without a dtype), for messages."""
    return f"on {device}" + (f" {dtype_text(dtype)}" if dtype is not None else "")


def shape_text(t):
    """'[2,3,5]': a tensor's shape, for messages."""
    return "[" + ",".join(map(str, t.shape)) + "]"


def kwargs_text(kwargs):
    """'attn_mask=bool[5, 7], is_causal=True': keyword arguments for messages, a tensor shown as
    its kind (bool or float) and shape."""
    return ", ".join(f"{k}={('bool' if v.dtype == torch.bool else 'float') + str(list(v.shape))}"
                     if torch.is_tensor(v) else f"{k}={v!r}" for k, v in kwargs.items())


def call_text(name, *args, kwargs=None):
    """'leaky_relu(x(2, 3, 5), negative_slope=0.2)': a call for messages, from the texts of its
    positional arguments and its keyword arguments (kwargs_text; none: nothing, not `{}`)."""
    return f"{name}({', '.join([*args, kwargs_text(kwargs)] if kwargs else args)})"
