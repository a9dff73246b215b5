"""Hidden suite for ch6/positional.py: closed forms (float64) for the sinusoids and RoPE, autograd for the
learned embedding, and the properties RoPE is for (relative positions, norms kept).

Tolerances for float32 (derived, not guessed). An angle `theta = p * w` computed in float32 carries a
relative error of a few units of u = 2**-24 (rounding of the frequency w, of its exponent and of the
product; measured: 0.8-1.4 u*p for the usual formulas, up to 7.3 u*p for exp(log p - 2i/dim*log 10000)).
Rotating by theta + d instead of theta moves a point of norm r by at most r*|d|. So a correct float32
computation is within 16 u * p * r of the exact value: for p ~ 1000 that is 1e-3 * r, for p < 4 it
is 4e-6 * r. The sinusoids (r = 1) are compared band by band of positions with that bound; RoPE with
the bound for its largest |position| and largest pair norm. float64 uses the default tolerances.
"""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import Mismatch, expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply
from autograder.suite_helpers import DTYPE_NAMES, case_seed, gen, seeded_randn, shape_text, where

U32 = 2.0 ** -24        # float32 unit roundoff
ANGLE_ULPS = 16         # see the module docstring


# ------------------------------------------------------------------ probes

def sinusoid_table(impl, num_positions, dim, default_dtype):
    """sinusoidal_positions with torch's default dtype set to `default_dtype` for the call."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default_dtype))
    try:
        return impl.sinusoidal_positions(num_positions, dim)
    finally:
        torch.set_default_dtype(old)


def embedding_parameters(impl, max_len, dim):
    m = impl.LearnedPositionalEmbedding(max_len, dim)
    return {"state_dict": {name: list(t.shape) for name, t in m.state_dict().items()},
            "parameters": {name: [list(p.shape), p.requires_grad] for name, p in m.named_parameters()}}


def embedding_forward(impl, max_len, dim, state, positions, dtype):
    m = impl.LearnedPositionalEmbedding(max_len, dim)
    m.load_state_dict(state)
    m.to(device=positions.device, dtype=getattr(torch, dtype))
    out = m(positions)
    return {"out": out.detach(), "positions_after": positions}


def embedding_backward(impl, max_len, dim, state, positions, grad_out, dtype):
    m = impl.LearnedPositionalEmbedding(max_len, dim)
    m.load_state_dict(state)
    m.to(device=positions.device, dtype=getattr(torch, dtype))
    m(positions).backward(grad_out)
    return {name: p.grad for name, p in m.named_parameters()}


def embedding_error(impl, max_len, dim, positions):
    """Whether forward(positions) raises (any exception: the table names no type) and whether its
    message contains max_len. Only these two booleans come back, so any message without max_len
    matches the known mistake of that name."""
    m = impl.LearnedPositionalEmbedding(max_len, dim)
    _, error = probes.attempt(lambda: m(positions))
    return {"raised": error is not None, "names_max_len": error is not None and str(max_len) in str(error)}


def embedding_init(impl, max_len, dim, seed):
    torch.manual_seed(seed)
    m = impl.LearnedPositionalEmbedding(max_len, dim)
    return {name: t for name, t in m.state_dict().items()}


def rope_two(impl, q, k, pos_q, pos_k):
    return {"q": impl.apply_rope(q, pos_q), "k": impl.apply_rope(k, pos_k)}


def rope_transposed(impl, x_bthd, positions):
    """x as attention makes it: q.view(B, T, H, D).transpose(1, 2), a [B, H, T, D] view, not contiguous."""
    x = x_bthd.transpose(1, 2)
    return {"out": impl.apply_rope(x, positions), "x_after": x_bthd, "positions_after": positions}


# ----------------------------------------------------------------- helpers

def position_bands(num_positions):
    """[0, 1), [1, 4), [4, 16), ... : rows compared with the bound of their largest position."""
    lo, hi = 0, 1
    while lo < num_positions:
        yield lo, min(hi, num_positions)
        lo, hi = hi, hi * 4


def expect_table(got, want64, what):
    """Compare a sinusoid table with the float64 closed form, band by band of positions (rtol 0)."""
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{what}: expected a tensor, got {type(got).__name__}")
    expect_equal(list(got.shape), list(want64.shape), what=f"{what}: the shape [num_positions, dim]")
    g = got.detach().cpu().double()
    for lo, hi in position_bands(want64.shape[0]):
        atol = max(1e-6, ANGLE_ULPS * U32 * (hi - 1))
        band = want64.clone()
        band[lo:hi] = g[lo:hi]                 # only these rows differ; indices stay the table's own
        expect_close(band, want64, rtol=0.0, atol=atol,
                     what=f"{what}, rows {lo}..{hi - 1} (positions up to {hi - 1}: atol {atol:.2g})")


def rope_atol(x, positions):
    """float32: 16 u * max|position| * the largest pair norm (module docstring); float64: the default."""
    if x.dtype != torch.float32:
        return None
    pairs = x.detach().cpu().double().reshape(*x.shape[:-1], -1, 2).norm(dim=-1)
    pmax = positions.detach().cpu().double().abs().max().item() if positions.numel() else 0.0
    return max(1e-5, ANGLE_ULPS * U32 * pmax * pairs.max().item())


def check_rope(student, reference, x, positions, kwargs, what):
    got = student.run(apply, "apply_rope", [x, positions], kwargs)
    want = reference.run(apply, "apply_rope", [x, positions], kwargs)
    expect_close(got["out"], want["out"], atol=rope_atol(x, positions), what=what)
    expect_equal(got["args_after"], [x, positions], what=f"{what}: [x, positions] after the call (must not change)")
    return got["out"]


# ------------------------------------------------------ sinusoidal_positions

SINUSOID_SIZES = [(1, 4), (7, 6), (50, 16), (129, 2), (300, 512), (1000, 64)]


@pytest.mark.exercise("ch6.positional.sinusoidal_positions")
@pytest.mark.parametrize("num_positions,dim", SINUSOID_SIZES, ids=lambda v: str(v))
def test_sinusoidal_matches_closed_form(student, reference, num_positions, dim):
    got = student.run(sinusoid_table, num_positions, dim, "float32")
    want64 = reference.run(sinusoid_table, num_positions, dim, "float64")
    expect_table(got, want64, f"sinusoidal_positions({num_positions}, {dim})")


@pytest.mark.exercise("ch6.positional.sinusoidal_positions")
def test_sinusoidal_odd_dim_ends_with_a_sine_column(student, reference):
    # The formula fixes every column: the last column of an odd dim is column 2i, a sine (docstring).
    got = student.run(sinusoid_table, 20, 7, "float32")
    want64 = reference.run(sinusoid_table, 20, 7, "float64")
    expect_table(got, want64, "sinusoidal_positions(20, 7) (odd dim: columns 0, 2, 4, 6 sine; 1, 3, 5 cosine)")


@pytest.mark.exercise("ch6.positional.sinusoidal_positions")
@pytest.mark.parametrize("default_dtype", ["float32", "float64"])
def test_sinusoidal_returns_the_default_dtype_on_the_cpu(student, reference, default_dtype):
    got = student.run(sinusoid_table, 50, 12, default_dtype)
    want = reference.run(sinusoid_table, 50, 12, default_dtype)
    what = f"sinusoidal_positions(50, 12) with torch.get_default_dtype() == torch.{default_dtype}"
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{what}: expected a tensor, got {type(got).__name__}")
    expect_equal([str(got.dtype), str(got.device), list(got.shape)], [str(want.dtype), "cpu", [50, 12]],
                 what=f"{what}: [dtype, device, shape]")
    expect_table(got, want.double(), what)


# ------------------------------------------------ LearnedPositionalEmbedding

MAX_LEN, DIM = 12, 5          # non-square, and no position shape below uses 12 or 5


def embedding_state(max_len, dim, seed):
    g = gen(seed)
    return {"weight": torch.randn(max_len, dim, generator=g)}


def embedding_positions(kind, device):
    g = gen(3)
    if kind == "1-D from 4":
        p = torch.arange(4, 4 + 7)
    elif kind == "2-D with repeats":
        p = torch.tensor([[0, 4, 4, 11, 2, 11], [11, 2, 0, 7, 7, 7], [1, 1, 9, 3, 10, 6]])
    elif kind == "0-D":
        p = torch.tensor(MAX_LEN - 1)
    elif kind == "3-D":
        p = torch.randint(0, MAX_LEN, (2, 3, 4), generator=g)
        p[1, 2, 3] = MAX_LEN - 1
    elif kind == "int32":
        p = torch.tensor([[3, 0, 11], [8, 8, 1]], dtype=torch.int32)
    else:
        raise ValueError(kind)
    return p.to(device)


POSITION_KINDS = ["1-D from 4", "2-D with repeats", "0-D", "3-D", "int32"]


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
@pytest.mark.parametrize("max_len,dim", [(12, 5), (7, 20)], ids=str)
def test_embedding_has_parameter_weight(student, reference, max_len, dim):
    got = student.run(embedding_parameters, max_len, dim)
    want = reference.run(embedding_parameters, max_len, dim)
    what = f"LearnedPositionalEmbedding({max_len}, {dim})"
    expect_equal(got["state_dict"], want["state_dict"],
                 what=f"{what}.state_dict(): its keys and shapes (one nn.Parameter named `weight`, [max_len, dim])")
    expect_equal(got["parameters"], want["parameters"],
                 what=f"{what}.named_parameters(): {{name: [shape, requires_grad]}}")


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
@pytest.mark.parametrize("kind", POSITION_KINDS)
def test_embedding_forward_looks_up_rows(student, reference, kind, device, dtype):
    state = embedding_state(MAX_LEN, DIM, seed=1)
    positions = embedding_positions(kind, device)
    args = (MAX_LEN, DIM, state, positions, DTYPE_NAMES[dtype])
    got = student.run(embedding_forward, *args)
    want = reference.run(embedding_forward, *args)
    what = (f"LearnedPositionalEmbedding({MAX_LEN}, {DIM}) {where(device, dtype)}, forward(positions "
            f"{positions.dtype} of shape {tuple(positions.shape)}: {kind}, max_len - 1 = {MAX_LEN - 1} included)")
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["positions_after"], positions, what=f"{what}: positions after the call (must not change)")


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
def test_embedding_last_position_works(student, reference, device):
    state = embedding_state(MAX_LEN, DIM, seed=2)
    positions = torch.tensor([MAX_LEN - 1], device=device)
    got = student.run(embedding_forward, MAX_LEN, DIM, state, positions, "float32")
    want = reference.run(embedding_forward, MAX_LEN, DIM, state, positions, "float32")
    expect_close(got["out"], want["out"],
                 what=f"LearnedPositionalEmbedding({MAX_LEN}, {DIM}) forward(tensor([{MAX_LEN - 1}])) "
                      "(max_len - 1 is valid)")


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
@pytest.mark.parametrize("kind", ["2-D with repeats", "3-D"])
def test_embedding_gradient_reaches_weight(student, reference, kind, device, dtype):
    """Repeated positions must accumulate their gradients in the same row of weight."""
    state = embedding_state(MAX_LEN, DIM, seed=4)
    positions = embedding_positions(kind, device)
    grad_out = seeded_randn(tuple(positions.shape) + (DIM,), seed=5, device=device, dtype=dtype)
    got = student.run(embedding_backward, MAX_LEN, DIM, state, positions, grad_out, DTYPE_NAMES[dtype])
    want = reference.run(embedding_backward, MAX_LEN, DIM, state, positions, grad_out, DTYPE_NAMES[dtype])
    expect_close(got, want, what=(f"the gradients {{name: param.grad}} after forward(positions of shape "
                                  f"{tuple(positions.shape)}, {kind}).backward(random grad) {where(device, dtype)} "
                                  "(repeated positions add up)"))


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
@pytest.mark.condition
@pytest.mark.parametrize("positions", [[0, 36, 37], [[5, 52], [1, 2]], [80]], ids=["max_len", "beyond", "far"])
def test_embedding_position_out_of_range_raises_naming_max_len(student, positions):
    max_len = 37
    got = student.run(embedding_error, max_len, 6, torch.tensor(positions))
    what = f"LearnedPositionalEmbedding({max_len}, 6).forward(tensor({positions}))"
    if not got["raised"]:
        raise Mismatch(f"{what}: no exception; positions >= max_len must raise (ValueError)")
    if not got["names_max_len"]:
        raise Mismatch(f"{what} raised, but the message does not contain {max_len}: it must name max_len")


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
@pytest.mark.condition
def test_embedding_negative_position_raises(student):
    got = student.run(embedding_error, 37, 6, torch.tensor([3, -1, 4]))
    expect_equal(got["raised"], True,
                 what="LearnedPositionalEmbedding(37, 6).forward(tensor([3, -1, 4])) raises (negative position; "
                      "weight[-1] would silently give the last row)")


# A standard normal weight [1000, 64] (n = 64000 draws). False failures of a correct init:
#   mean ~ N(0, 1/n): P(|mean| > 6.5/sqrt(n)) = 8.0e-11;
#   S = sum(w**2) ~ chi-square(n): P(S >= n + 2 sqrt(n x) + 2x) <= e^-x and P(S <= n - 2 sqrt(n x)) <= e^-x
#   (Laurent & Massart 2000), x = 22: 2.8e-10 each;
#   tails: P(max |w| < 3) = (1 - 0.0027)**n < 1e-70.
# In all < 6.5e-10 per check, 1.3e-9 per test (the reference is checked too). The seed is fixed.
INIT_SHAPE = (1000, 64)
Z_MEAN, X_CHI2 = 6.5, 22.0


def check_standard_normal(w, what):
    v = w.detach().double().cpu().reshape(-1)
    n = v.numel()
    if not torch.isfinite(v).all():
        raise Mismatch(f"{what}: weight holds NaN or inf (fill every element)")
    mean, ss = v.mean().item(), v.square().sum().item()
    lo, hi = n - 2 * math.sqrt(n * X_CHI2), n + 2 * math.sqrt(n * X_CHI2) + 2 * X_CHI2
    if abs(mean) > Z_MEAN / math.sqrt(n):
        raise Mismatch(f"{what}: the mean of the {n} weights is {mean:.4g}; standard normal values "
                       f"average within {Z_MEAN / math.sqrt(n):.3g} of 0")
    if not lo <= ss <= hi:
        raise Mismatch(f"{what}: the {n} weights have mean square {ss / n:.4g}; standard normal values "
                       f"give 1 (allowed {lo / n:.4f} to {hi / n:.4f}): use torch.randn (like nn.Embedding)")
    if v.abs().max().item() < 3:
        raise Mismatch(f"{what}: no weight reaches 3 in absolute value among {n}: not normal (uniform?)")


@pytest.mark.exercise("ch6.positional.LearnedPositionalEmbedding")
def test_embedding_init_is_standard_normal(student, reference):
    want = reference.run(embedding_init, *INIT_SHAPE, case_seed(0))
    check_standard_normal(want["weight"], "[the reference failed: this test is wrong]")
    got = student.run(embedding_init, *INIT_SHAPE, case_seed(0))
    what = f"LearnedPositionalEmbedding{INIT_SHAPE}.weight right after construction"
    if "weight" not in got:
        raise Mismatch(f"{what}: state_dict() has no key 'weight' (keys: {sorted(got)})")
    expect_equal(list(got["weight"].shape), list(INIT_SHAPE), what=f"{what}: the shape")
    check_standard_normal(got["weight"], what)


# --------------------------------------------------------------- apply_rope

ROPE_SHAPES = [(5, 6), (3, 5, 8), (2, 3, 5, 10)]     # [T, D], [B, T, D], [B, H, T, D]; T = 5 != D


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.parametrize("shape", ROPE_SHAPES, ids=lambda s: "x" + "x".join(map(str, s)))
def test_rope_matches_closed_form(student, reference, shape, device, dtype):
    x = seeded_randn(shape, seed=len(shape), device=device, dtype=dtype)
    positions = torch.arange(shape[-2], device=device)
    check_rope(student, reference, x, positions, {},
               f"apply_rope(x{shape_text(x)}, positions=arange({shape[-2]})) {where(device, dtype)}")


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.parametrize("case", ["offset", "shuffled", "large"])
def test_rope_positions_need_not_start_at_zero(student, reference, case, device, dtype):
    x = seeded_randn((2, 3, 6, 8), seed=10, device=device, dtype=dtype)
    g = gen(11)
    positions = {"offset": torch.arange(17, 23),                                   # after a KV cache of 17
                 "shuffled": torch.tensor([9, 0, 41, 3, 3, 27]),
                 "large": torch.randint(1000, 4096, (6,), generator=g)}[case].to(device)
    check_rope(student, reference, x, positions, {},
               f"apply_rope(x{shape_text(x)}, positions={positions.tolist()}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.positional.apply_rope")
def test_rope_float_positions(student, reference, device, dtype):
    x = seeded_randn((3, 5, 12), seed=12, device=device, dtype=dtype)
    positions = torch.tensor([0.5, 1.25, 2.0, 7.75, 100.5], device=device, dtype=dtype)
    check_rope(student, reference, x, positions, {},
               f"apply_rope(x{shape_text(x)}, fractional positions={positions.tolist()}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.parametrize("base", [500.0, 1e6, 10])
def test_rope_base_argument(student, reference, base, device, dtype):
    x = seeded_randn((2, 2, 7, 16), seed=13, device=device, dtype=dtype)
    positions = torch.arange(3, 10, device=device)
    check_rope(student, reference, x, positions, {"base": base},
               f"apply_rope(x{shape_text(x)}, positions=arange(3, 10), base={base!r}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.parametrize("D", [2, 64])
def test_rope_one_pair_and_many_pairs(student, reference, D, device):
    x = seeded_randn((4, 3, D), seed=14, device=device, dtype=torch.float64)
    positions = torch.tensor([2, 5, 11], device=device)
    check_rope(student, reference, x, positions, {},
               f"apply_rope(x{shape_text(x)}, positions=[2, 5, 11]) on {device} float64")


@pytest.mark.exercise("ch6.positional.apply_rope")
def test_rope_on_a_transposed_view(student, reference, device, dtype):
    x_bthd = seeded_randn((2, 5, 3, 8), seed=15, device=device, dtype=dtype)     # [B, T, H, D]
    positions = torch.arange(4, 9, device=device)
    got = student.run(rope_transposed, x_bthd, positions)
    want = reference.run(rope_transposed, x_bthd, positions)
    what = (f"apply_rope(x, positions=arange(4, 9)) with x = q.transpose(1, 2), a non-contiguous [2, 3, 5, 8] "
            f"view of q[2, 5, 3, 8] (use reshape, not view) {where(device, dtype)}")
    expect_close(got["out"], want["out"], atol=rope_atol(x_bthd, positions), what=what)
    expect_equal([got["x_after"], got["positions_after"]], [x_bthd, positions],
                 what=f"{what}: [q, positions] after the call (must not change)")


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.condition
def test_rope_keeps_the_norm_of_every_pair(student, reference, device, dtype):
    x = seeded_randn((2, 3, 6, 10), seed=16, device=device, dtype=dtype, scale=2.0)
    positions = torch.tensor([0, 3, 8, 20, 57, 300], device=device)
    got = student.run(apply, "apply_rope", [x, positions], {})
    what = f"apply_rope(x{shape_text(x)}, positions={positions.tolist()}) {where(device, dtype)}"
    out = got["out"]
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        raise Mismatch(f"{what}: expected a tensor of shape {tuple(x.shape)}, got "
                       f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    pair_norms = x.reshape(*x.shape[:-1], -1, 2).norm(dim=-1)
    expect_close(out.reshape(*x.shape[:-1], -1, 2).norm(dim=-1), pair_norms,
                 what=f"{what}: the norm of every pair (out[..., 2i], out[..., 2i+1]) must equal x's "
                      "(a rotation of the interleaved pairs)")


@pytest.mark.exercise("ch6.positional.apply_rope")
def test_rope_dot_products_depend_only_on_relative_position(student, reference, device):
    """q at position m and k at position m - 3: q_rot . k_rot is the same for every m."""
    H, D = 2, 8
    q = seeded_randn((H, 1, D), seed=17, device=device, dtype=torch.float64).expand(H, 6, D).contiguous()
    k = seeded_randn((H, 1, D), seed=18, device=device, dtype=torch.float64).expand(H, 6, D).contiguous()
    pos_q = torch.tensor([3.0, 10.0, 57.5, 200.0, 1003.0, 4.0], device=device, dtype=torch.float64)
    pos_k = pos_q - 3
    got = student.run(rope_two, q, k, pos_q, pos_k)
    what = (f"apply_rope(q, {pos_q.tolist()}) . apply_rope(k, {pos_k.tolist()}) for q, k [{H}, 6, {D}] "
            f"with one vector per head repeated over time, on {device} float64")
    for name in ("q", "k"):
        if not isinstance(got[name], torch.Tensor) or tuple(got[name].shape) != (H, 6, D):
            raise Mismatch(f"{what}: apply_rope({name}, ...) should be a tensor of shape {(H, 6, D)}")
    dots = (got["q"].double() * got["k"].double()).sum(-1).cpu()             # [H, 6]
    expect_close(dots, dots[:, :1].expand_as(dots).contiguous(), atol=1e-9, rtol=1e-9,
                 what=f"{what}: the dot products (every position difference is 3, so each row must be constant)")
    want = reference.run(rope_two, q, k, pos_q, pos_k)
    expect_close(got, want, what=what)


@pytest.mark.exercise("ch6.positional.apply_rope")
@pytest.mark.condition
def test_rope_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def args(device):
        return [torch.zeros(2, 3, 5, 8, device=device), torch.arange(5, device=device)]

    got = run_on_meta(student, apply, lambda device: ("apply_rope", args(device), {}))
    want = reference.run(apply, "apply_rope", args("meta"), {})
    expect_close(got["out"], want["out"], what="apply_rope(x[2,3,5,8], arange(5)) on the meta device")
