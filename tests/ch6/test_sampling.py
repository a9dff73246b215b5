"""Hidden suite for ch6/sampling.py: exact filters, distribution tests for sampling, a toy model for generate.

Filters are compared exactly (kept logits are copied, removed ones are -inf)
with an independent reference, on inputs built so that the kept set is known by
hand (the reference is checked against that first: a failing reference means
this file is wrong, never the student).

`sample` is random, and any correct way of drawing must pass, so its draws are
never compared one by one: with a seeded generator, 10000 rows of each of two
logit vectors are drawn in one call; every drawn token must have nonzero
probability under the filtered distribution (exact), and every count must lie
within a Bernstein bound of its expectation.
False failures: per `check_draws` call, Bernstein's inequality
P(|S - nq| >= t) <= 2 exp(-t^2 / (2 (nq(1-q) + t/3))) for each of at most K
categories, with t chosen so that each is <= DELTA / K (union bound): at most
DELTA = 1e-7 per call; a test makes at most 2 calls (the reference's draws and
the student's), so at most 2e-7 per test. The seeds are fixed, so the outcome
for a given implementation is deterministic anyway.

`generate` runs a toy language model defined inside the probe (probes cannot
import ch6 modules): its logits depend on the current token, its absolute
position (`cache.seq_len` when a cache is given) and every earlier token
(through the cache, or the full sequence), so feeding the whole sequence into
the cache, re-feeding the prompt or a fresh cache per step give other tokens.
Its argmax is unique and its arithmetic is exact integers, so greedy decoding
with and without the cache is bit-identical. While `generate` runs, the probe
puts a trusted `sample` (`trusted.trusted_sample`, tests/stand_ins.py) in
place of the module's own (rule 4: a bug in `sample` costs points once, in `sample`'s tests).
"""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import Mismatch, expect_equal
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, case_seed, gen, where

NEG_INF = float("-inf")

def check_reference(want, expected, what):
    """The reference must agree with the values worked out by hand (else this file is wrong)."""
    expect_equal(want, expected, what=f"[the reference failed: this test is wrong] {what}")


def run_filter(student, reference, name, logits, arg, what, expected=None):
    """impl.<name>(logits, arg) on both sides: exact equality, input unchanged."""
    want = reference.run(apply, name, [logits, arg], {})
    if expected is not None:
        check_reference(want["out"], expected, what)
    got = student.run(apply, name, [logits, arg], {})
    expect_equal(got["out"], want["out"], what=what)
    expect_equal(got["args_after"], [logits, arg], what=f"{what}: the logits after the call (must not change)")


# ==================================================================== top_k_filter

TOP_K_HAND = [  # (logits rows, k, expected)
    ([[3.0, 1.0, 2.0, 2.0]], 2, [[3.0, NEG_INF, 2.0, 2.0]]),
    ([[0.5, -1.0, 2.0, 0.5, 7.0], [1.0, 1.0, 1.0, 1.0, 0.0]], 3,
     [[0.5, NEG_INF, 2.0, 0.5, 7.0], [1.0, 1.0, 1.0, 1.0, NEG_INF]]),
    ([[-2.0, 4.0, 4.0, 4.0, -1.0, 0.0]], 1, [[NEG_INF, 4.0, 4.0, 4.0, NEG_INF, NEG_INF]]),
    ([[0.25, -3.5, 9.0, 1.5, -0.5, 2.0, 0.0]], 4, [[0.25, NEG_INF, 9.0, 1.5, NEG_INF, 2.0, NEG_INF]]),
]


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.parametrize("case", range(len(TOP_K_HAND)))
def test_top_k_hand_examples_with_ties(student, reference, case, device, dtype):
    rows, k, expected = TOP_K_HAND[case]
    logits = torch.tensor(rows, device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, k,
               f"top_k_filter(logits={rows}, k={k}) {where(device, dtype)} (ties with the k-th largest are kept)",
               expected=torch.tensor(expected, device=device, dtype=dtype))


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_top_k_many_ties_three_dims(student, reference, k, device, dtype):
    """Small integer logits [3, 4, 11] (batch, time, vocab): ties at the k-th value in most rows."""
    g = gen(10 + k)
    logits = torch.randint(-3, 4, (3, 4, 11), generator=g).to(device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, k,
               f"top_k_filter(integer-valued logits [3, 4, 11], k={k}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.parametrize("k", [1, 4, 12])
def test_top_k_random_logits(student, reference, k, device, dtype):
    g = gen(20 + k)
    logits = (3 * torch.randn(5, 13, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, k,
               f"top_k_filter(random logits [5, 13], k={k}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.condition
@pytest.mark.parametrize("k", [7, 8, 50])
def test_top_k_at_least_the_vocabulary_keeps_everything(student, reference, k, device, dtype):
    g = gen(3)
    logits = torch.randn(3, 7, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, k,
               f"top_k_filter(logits [3, 7], k={k} >= vocabulary size 7) {where(device, dtype)} (keeps every logit)",
               expected=logits)


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.parametrize("k", [2, 3, pytest.param(6, marks=pytest.mark.condition)])   # 6: the identity passes
def test_top_k_with_minus_infinity_in_the_logits(student, reference, k, device, dtype):
    rows = [[NEG_INF, 1.0, NEG_INF, 3.0, 0.5, NEG_INF, 2.0, NEG_INF],     # 4 finite
            [0.0, NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF, -1.0, NEG_INF],   # 2 finite
            [1.0, 1.0, NEG_INF, -2.0, 1.0, 0.0, NEG_INF, 5.0]]
    logits = torch.tensor(rows, device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, k,
               f"top_k_filter(logits with -inf entries {rows}, k={k}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.sampling.top_k_filter")
def test_top_k_single_row_without_batch_dim(student, reference, device, dtype):
    logits = torch.tensor([0.5, 2.5, -1.0, 2.5, 1.0, 3.0, -0.5], device=device, dtype=dtype)
    expected = torch.tensor([NEG_INF, 2.5, NEG_INF, 2.5, NEG_INF, 3.0, NEG_INF], device=device, dtype=dtype)
    run_filter(student, reference, "top_k_filter", logits, 2,
               f"top_k_filter(a single row of shape [7], k=2) {where(device, dtype)}", expected=expected)


@pytest.mark.exercise("ch6.sampling.top_k_filter")
@pytest.mark.condition
@pytest.mark.parametrize("k", [0, -2])
def test_top_k_rejects_k_below_one(student, reference, k):
    expect_filter_raises(student, reference, "top_k_filter", f"k={k}", k, "k must be >= 1")


def expect_filter_raises(student, reference, name, arg_text, arg, why):
    logits = torch.randn(2, 5, generator=gen(0))
    want = reference.run(raises, name, [logits, arg], {})
    check_reference(want, "raised", f"{name}(logits, {arg_text})")
    got = student.run(raises, name, [logits, arg], {})
    expect_equal(got, "raised", what=f"{name}(logits [2, 5], {arg_text}): {why}, so it must raise")


# ==================================================================== top_p_filter

def nucleus_logits(prob_rows, seed, device, dtype):
    """Logits whose softmax is each row of `prob_rows` (0 -> -inf), the tokens shuffled and the
    row shifted by a random constant. Also the order of the tokens by probability (largest first)."""
    g = gen(seed)
    probs = torch.tensor(prob_rows, dtype=torch.float64)
    R, V = probs.shape
    perms = torch.stack([torch.randperm(V, generator=g) for _ in range(R)])
    shuffled = torch.empty_like(probs).scatter_(1, perms, probs)     # probs[r, i] goes to perms[r, i]
    logits = shuffled.log() + 20 * torch.rand(R, 1, generator=g, dtype=torch.float64) - 10
    return logits.to(device=device, dtype=dtype), perms


def keep_first(logits, perms, counts):
    """The expected output: the counts[r] most probable tokens of row r kept, the rest -inf."""
    out = torch.full_like(logits, NEG_INF)
    for r, m in enumerate(counts):
        idx = perms[r, :m].to(logits.device)
        out[r, idx] = logits[r, idx]
    return out


# Probabilities sorted large to small; every running sum is at least 0.005 away from every p below.
NUCLEUS_ROWS = [
    [0.40, 0.20, 0.15, 0.10, 0.07, 0.05, 0.02, 0.01],       # running sums .4 .6 .75 .85 .92 .97 .99 1
    [0.55, 0.30, 0.10, 0.03, 0.01, 0.005, 0.003, 0.002],    # .55 .85 .95 .98 .99 .995 .998 1
    [0.30, 0.25, 0.20, 0.10, 0.06, 0.05, 0.04, 0.0],        # .3 .55 .75 .85 .91 .96 1, and a -inf
]
NUCLEUS_P = {  # p -> tokens kept in each row: the smallest prefix whose sum reaches p
    0.25: [1, 1, 1], 0.5: [2, 1, 2], 0.7: [3, 2, 3], 0.8: [4, 2, 4],
    0.9: [5, 3, 5], 0.955: [6, 4, 6], 0.985: [7, 5, 7],
}


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.parametrize("p", sorted(NUCLEUS_P))
def test_top_p_keeps_the_crossing_token(student, reference, p, device, dtype):
    logits, perms = nucleus_logits(NUCLEUS_ROWS, seed=int(p * 1000), device=device, dtype=dtype)
    expected = keep_first(logits, perms, NUCLEUS_P[p])
    run_filter(student, reference, "top_p_filter", logits, p,
               f"top_p_filter(logits with softmax {NUCLEUS_ROWS} (tokens shuffled), p={p}) {where(device, dtype)}: "
               f"expected to keep {NUCLEUS_P[p]} tokens per row (the smallest prefix of the sorted "
               "probabilities whose sum reaches p, crossing token included)", expected=expected)


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.parametrize("p", [0.5, 0.9])
def test_top_p_three_dims(student, reference, p, device, dtype):
    """[2, 3, 8]: every row of NUCLEUS_ROWS under two batch entries (leading dims are batch dims)."""
    logits, perms = nucleus_logits(NUCLEUS_ROWS * 2, seed=77, device=device, dtype=dtype)
    expected = keep_first(logits, perms, NUCLEUS_P[p] * 2).reshape(2, 3, 8)
    run_filter(student, reference, "top_p_filter", logits.reshape(2, 3, 8), p,
               f"top_p_filter(logits [2, 3, 8], p={p}) {where(device, dtype)}", expected=expected)


# p = 0.9999: a head of 4 tokens (sum 0.9997), three of 8e-5 (running sums 0.99978, 0.99986,
# 0.99994: the last one crosses, 4e-5 on either side of p), then 293 tokens sharing 6e-5.
LONG_TAIL = [0.6, 0.3, 0.09, 0.0097, 8e-5, 8e-5, 8e-5] + [6e-5 / 293] * 293


@pytest.mark.exercise("ch6.sampling.top_p_filter")
def test_top_p_close_to_one_with_a_long_tail(student, reference, device, dtype):
    logits, perms = nucleus_logits([LONG_TAIL, LONG_TAIL], seed=5, device=device, dtype=dtype)
    expected = keep_first(logits, perms, [7, 7])
    run_filter(student, reference, "top_p_filter", logits, 0.9999,
               f"top_p_filter(logits [2, 300] with a long tail of small probabilities, p=0.9999) "
               f"{where(device, dtype)}: expected to keep 7 tokens per row", expected=expected)


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.parametrize("p", [1e-9, 0.01])
def test_top_p_tiny_p_keeps_the_top_token(student, reference, p, device, dtype):
    g = gen(8)
    logits = (2 * torch.randn(4, 9, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)
    top = logits.argmax(dim=-1)
    expected = torch.full_like(logits, NEG_INF)
    expected[torch.arange(4), top] = logits[torch.arange(4), top]
    run_filter(student, reference, "top_p_filter", logits, p,
               f"top_p_filter(random logits [4, 9], p={p}) {where(device, dtype)}: the most probable token "
               "is always kept", expected=expected)


def nucleus_margin(logits, p):
    """Smallest |running sum - p| over the sorted probabilities (float64) of every row."""
    probs = torch.softmax(logits.double().cpu(), dim=-1).sort(dim=-1, descending=True).values
    return (probs.cumsum(-1) - p).abs().min().item()


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.parametrize("p", [0.5, 0.9])
def test_top_p_random_logits(student, reference, p, device, dtype):
    g = gen(31)
    logits = (2 * torch.randn(3, 4, 17, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)
    margin = nucleus_margin(logits, p)
    if margin < 1e-4:
        raise Mismatch(f"[this test is wrong] a running sum is within {margin:.2g} of p={p}")
    run_filter(student, reference, "top_p_filter", logits, p,
               f"top_p_filter(random logits [3, 4, 17], p={p}) {where(device, dtype)}")


@pytest.mark.exercise("ch6.sampling.top_p_filter")
def test_top_p_single_row_without_batch_dim(student, reference, device, dtype):
    probs = [0.05, 0.4, 0.1, 0.3, 0.15]      # sorted .4 .3 .15 .1 .05: p = 0.8 keeps .4 .3 .15
    logits = torch.tensor(probs, dtype=torch.float64).log().to(device=device, dtype=dtype)
    expected = torch.tensor([NEG_INF, 1.0, NEG_INF, 1.0, 1.0], device=device, dtype=dtype)
    expected = torch.where(expected == 1.0, logits, expected)
    run_filter(student, reference, "top_p_filter", logits, 0.8,
               f"top_p_filter(a single row [5] with softmax {probs}, p=0.8) {where(device, dtype)}",
               expected=expected)


# Tails far below the top token: in float32 and float64 the sorted running sum reaches 1.0 exactly
# before the last tokens (e.g. exp(-52) ~ 2.6e-23 is lost in 1 + ...), so a filter without its p >= 1
# rule removes them.
TINY_TAILS = [[0.0, -30.0, -40.0, 2.0, -50.0, NEG_INF], [1.0, 1.5, -60.0, 0.5, -45.0, 3.0]]


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.condition
@pytest.mark.parametrize("p", [1.0, 1.5])
def test_top_p_at_least_one_keeps_everything(student, reference, p, device, dtype):
    logits = torch.tensor(TINY_TAILS, device=device, dtype=dtype)
    run_filter(student, reference, "top_p_filter", logits, p,
               f"top_p_filter(logits {TINY_TAILS}, p={p}) {where(device, dtype)}: p >= 1 keeps every logit (the "
               "float running sum may reach 1 before the last tokens: do not rely on it)", expected=logits)


@pytest.mark.exercise("ch6.sampling.top_p_filter")
@pytest.mark.condition
@pytest.mark.parametrize("p", [0.0, -0.5])
def test_top_p_rejects_p_not_positive(student, reference, p):
    expect_filter_raises(student, reference, "top_p_filter", f"p={p}", p, "p must be positive")


def write_into_result(impl, name, logits, arg):
    """impl.<name>(logits, arg), then fill the result with 7: do the logits change (a view or the
    input itself returned)?"""
    before = logits.clone()
    out = getattr(impl, name)(logits, arg)
    out.fill_(7.0)
    return {"logits_changed": not torch.equal(logits, before)}


@pytest.mark.exercise("ch6.sampling.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,arg", [("top_k_filter", 9), ("top_k_filter", 3), ("top_p_filter", 1.0),
                                      ("top_p_filter", 0.5)])
def test_filters_return_a_new_tensor(student, name, arg):
    """Also when nothing is removed (k >= V, p >= 1): the result is a new tensor, not the logits themselves."""
    logits = torch.randn(4, 9, generator=gen(1), dtype=torch.float64)
    got = student.run(write_into_result, name, logits, arg)
    expect_equal(got["logits_changed"], False,
                 what=f"{name}(logits [4, 9], {arg}), then result.fill_(7): the logits changed, so the result is the "
                      "logits themselves (or a view of them); return a new tensor (e.g. logits.clone())")


# ========================================================================== sample

def draw(impl, logits, kwargs, seed):
    """impl.sample with a generator seeded `seed`; the logits afterwards (must not change)."""
    g = torch.Generator(device=logits.device).manual_seed(seed)
    out = impl.sample(logits, generator=g, **kwargs)
    return {"out": out, "logits_after": logits}


def filtered_probs(impl, logits, kwargs):
    """softmax(top_p(top_k(logits / temperature))) in float64 with impl's filters (run on the reference)."""
    x = logits.double() / kwargs.get("temperature", 1.0)
    if kwargs.get("top_k") is not None:
        x = impl.top_k_filter(x, kwargs["top_k"])
    if kwargs.get("top_p") is not None:
        x = impl.top_p_filter(x, kwargs["top_p"])
    return torch.softmax(x, dim=-1)


def draw_repeatedly(impl, logits, kwargs):
    """Seeded draws under different global seeds, other seeds, and generator=None (global RNG)."""
    dev = logits.device

    def once(seed, global_seed):
        torch.manual_seed(global_seed)
        g = None if seed is None else torch.Generator(device=dev).manual_seed(seed)
        return impl.sample(logits, generator=g, **kwargs)

    with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
        seeded = once(3, 100)
        seeded_again = once(3, 200)
        other_seed = once(4, 100)
        global_a = once(None, 100)
        global_b = once(None, 100)
    return {"seeded": seeded, "seeded_again": seeded_again, "other_seed": other_seed,
            "global_a": global_a, "global_b": global_b}


def expect_the_seed_decides(first, again, other, seeds, count, what, same_because, differ_how):
    """`first` and `again` drawn with generators seeded seeds[0] (under different global seeds) must
    be equal; `other`, drawn with one seeded seeds[1], must differ somewhere among its `count` tokens."""
    expect_equal(again, first, what=f"{what} twice with generator=torch.Generator().manual_seed({seeds[0]})"
                                    f"{same_because}, so both give the same tokens")
    if torch.equal(other, first):
        raise Mismatch(f"{what} with generators seeded {seeds[0]} and {seeds[1]} gave the same {count} tokens: "
                       f"{differ_how}")


DELTA = 1e-7   # false-failure probability of one check_draws call (see the module docstring)


def check_sample_form(out, n, vocab, device, what):
    if not isinstance(out, torch.Tensor):
        raise Mismatch(f"{what}: expected a LongTensor of shape ({n},), got {type(out).__name__}")
    problems = []
    if tuple(out.shape) != (n,):
        problems.append(f"shape {tuple(out.shape)} instead of ({n},) (one token id per row)")
    if out.dtype != torch.int64:
        problems.append(f"dtype {out.dtype} instead of torch.int64")
    if out.device.type != torch.device(device).type:
        problems.append(f"device {out.device} instead of the logits' device {device}")
    if problems:
        raise Mismatch(f"{what}: the result has " + "; ".join(problems))
    bad = (out < 0) | (out >= vocab)
    if bad.any():
        raise Mismatch(f"{what}: token id {int(out[bad][0])} is outside the vocabulary 0..{vocab - 1}")


def check_draws(tokens, row_type, probs, what):
    """tokens[i] drawn from probs[row_type[i]]: zero-probability tokens never, counts within Bernstein bounds."""
    tokens, row_type = tokens.cpu(), row_type.cpu()
    R, V = probs.shape
    K = int((probs > 0).sum())
    x = math.log(2 * K / DELTA)
    for r in range(R):
        mine = tokens[row_type == r]
        n = mine.numel()
        counts = torch.bincount(mine, minlength=V)
        for v in range(V):
            q = probs[r, v].item()
            c = int(counts[v])
            if q == 0:
                if c:
                    raise Mismatch(f"{what}: row kind {r}: token {v} was drawn {c} times, but its probability "
                                   f"is 0 (filtered out or -inf); expected probabilities {fmt(probs[r])}")
                continue
            t = x / 3 + math.sqrt(x * x / 9 + 2 * x * n * q * (1 - q))
            if abs(c - n * q) > t:
                freq = counts.double() / n
                raise Mismatch(f"{what}: row kind {r}: token {v} drawn in {c / n:.4f} of {n} rows, expected "
                               f"{q:.4f} (allowed +-{t / n:.4f}); frequencies {fmt(freq)}, expected "
                               f"{fmt(probs[r])}")


def fmt(row):
    return "[" + ", ".join(f"{v:.3f}" for v in row.tolist()) + "]"


# Two logit rows over 9 tokens (row B has two -inf and a tie: tokens 3 and 4).
SAMPLE_ROWS = [[0.35, 0.22, 0.15, 0.10, 0.08, 0.05, 0.03, 0.015, 0.005],
               [0.02, 0.30, 0.0, 0.12, 0.12, 0.25, 0.06, 0.0, 0.13]]
ALL_A, ALL_B = list(range(9)), [0, 1, 3, 4, 5, 6, 8]
SAMPLE_CASES = [  # (keyword arguments, tokens with nonzero probability in row A, in row B) worked out by hand
    ({}, ALL_A, ALL_B),
    ({"temperature": 0.5}, ALL_A, ALL_B),
    ({"temperature": 2.0}, ALL_A, ALL_B),
    ({"top_k": 3}, [0, 1, 2], [1, 5, 8]),
    ({"temperature": 0.8, "top_k": 4}, [0, 1, 2, 3], [1, 3, 4, 5, 8]),          # B: tie at the 4th
    ({"top_p": 0.6}, [0, 1, 2], [1, 5, 8]),
    ({"temperature": 0.5, "top_p": 0.79}, [0, 1], [1, 5, 8]),                   # temperature first
    ({"temperature": 0.7, "top_k": 4, "top_p": 0.75}, [0, 1], [1, 5, 8]),       # then top-k, then top-p
    ({"temperature": 1.5, "top_k": 5}, [0, 1, 2, 3, 4], [1, 3, 4, 5, 8]),
]
SAMPLE_IDS = ["-".join(f"{k}{v}" for k, v in kw.items()) or "plain" for kw, _, _ in SAMPLE_CASES]
N_PER_ROW = 10000


@pytest.mark.exercise("ch6.sampling.sample")
@pytest.mark.parametrize("case", range(len(SAMPLE_CASES)), ids=SAMPLE_IDS)
def test_sample_distribution(student, reference, case, device, dtype):
    kwargs, support_a, support_b = SAMPLE_CASES[case]
    rows = torch.tensor(SAMPLE_ROWS, dtype=torch.float64).log().to(device=device, dtype=dtype)
    logits = rows.repeat(N_PER_ROW, 1)                  # row i is SAMPLE_ROWS[i % 2]
    row_type = torch.arange(len(logits)) % 2
    what = (f"{call_text('sample', f'logits [{len(logits)}, 9] (two kinds of rows, alternating)', kwargs=kwargs)} "
            f"with a seeded generator {where(device, dtype)}")
    probs = reference.run(filtered_probs, rows, kwargs).cpu()
    expected_support = [[v in support for v in range(9)] for support in (support_a, support_b)]
    check_reference((probs > 0).tolist(), expected_support, f"{what}: tokens with nonzero probability")
    want = reference.run(draw, logits, kwargs, case_seed(1))
    check_draws(want["out"], row_type, probs, f"[the reference failed: this test is wrong] {what}")
    got = student.run(draw, logits, kwargs, case_seed(1))
    check_sample_form(got["out"], len(logits), 9, device, what)
    check_draws(got["out"], row_type, probs, what)
    expect_equal(got["logits_after"], logits, what=f"{what}: the logits after the call (must not change)")


GREEDY_LOGITS = [[0.1, 2.0, -1.0, 2.0, 0.5, -3.0],             # tie: tokens 1 and 3 -> 1
                 [NEG_INF, -3.0, -2.5, NEG_INF, -2.5, -4.0],   # tie: 2 and 4 -> 2
                 [5.0, 4.0, 3.0, 2.0, 1.0, 0.0],
                 [1e4, -1e4, 1e4, 0.0, 9999.0, 1e4],           # tie: 0, 2, 5 -> 0
                 [-1.0, -1.0, -1.0, -1.0, -1.0, -0.5]]
GREEDY_EXPECTED = [1, 2, 0, 0, 5]


@pytest.mark.exercise("ch6.sampling.sample")
@pytest.mark.parametrize("kwargs", [{"temperature": 0}, {"temperature": 0.0, "top_k": 2},
                                    {"temperature": 0, "top_p": 0.3, "top_k": 4}],
                         ids=["plain", "top_k", "top_k-top_p"])
def test_sample_temperature_zero_is_argmax(student, reference, kwargs, device, dtype):
    logits = torch.tensor(GREEDY_LOGITS, device=device, dtype=dtype)
    what = (f"{call_text('sample', f'logits {GREEDY_LOGITS}', kwargs=kwargs)} {where(device, dtype)}: greedy, "
            "the index of the largest logit (ties: the lowest index)")
    want = reference.run(draw, logits, kwargs, 0)
    check_reference(want["out"], torch.tensor(GREEDY_EXPECTED, device=device), what)
    got = student.run(draw, logits, kwargs, 0)
    check_sample_form(got["out"], len(GREEDY_LOGITS), 6, device, what)
    expect_equal(got["out"], want["out"], what=what)
    expect_equal(got["logits_after"], logits, what=f"{what}: the logits after the call (must not change)")


@pytest.mark.exercise("ch6.sampling.sample")
@pytest.mark.parametrize("kwargs", [{}, {"temperature": 0.7, "top_k": 5, "top_p": 0.9}], ids=["plain", "filtered"])
def test_sample_draws_from_the_generator(student, kwargs, device):
    rows = torch.tensor(SAMPLE_ROWS, dtype=torch.float64).log()
    logits = rows.repeat(100, 1).to(device=device)
    what = f"{call_text('sample', 'logits [200, 9]', kwargs=kwargs)} {where(device)}"
    got = student.run(draw_repeatedly, logits, kwargs)
    expect_the_seed_decides(got["seeded"], got["seeded_again"], got["other_seed"], (3, 4), 200, what,
                            ", after torch.manual_seed(100) and torch.manual_seed(200): draw with `generator`",
                            "draw at random with `generator`")
    expect_equal(got["global_b"], got["global_a"],
                 what=f"{what} with generator=None twice after torch.manual_seed(100): the same tokens "
                      "(draw from torch's global generator)")


@pytest.mark.exercise("ch6.sampling.sample")
@pytest.mark.condition
@pytest.mark.parametrize("temperature", [-1.0, -0.5])
def test_sample_rejects_negative_temperature(student, reference, temperature):
    logits = torch.randn(3, 5, generator=gen(0))
    kwargs = {"temperature": temperature}
    want = reference.run(raises, "sample", [logits], kwargs)
    check_reference(want, "raised", f"sample(logits, temperature={temperature})")
    got = student.run(raises, "sample", [logits], kwargs)
    expect_equal(got, "raised",
                 what=f"sample(logits [3, 5], temperature={temperature}): a negative temperature must raise")


# ======================================================================== generate

def run_generate(impl, prompt, max_new_tokens, kwargs, max_len=12, seed=None, global_seed=0, training=True,
                 mode="generate"):
    """impl.generate on a toy language model (a test double with TinyGPT's interface).

    mode "generate": returns the output, the prompt afterwards, the model's mode afterwards and the
    calls the model saw as [B, T, cache.seq_len (0 without a cache), cache given, grad enabled];
    {"raised": "ValueError", "calls": ...} when generate raises ValueError.
    mode "logits": the toy's logits for the whole sequence `prompt` (no cache): for trusted checks.
    """
    vocab, layers, alpha = 13, 3, 0.7

    class ToyLM(torch.nn.Module):
        """logits[b, t, v] = -alpha * ((v - h) mod vocab): a unique argmax h, which depends on the
        token, its position and all earlier tokens (exact integer arithmetic)."""

        def __init__(self):
            super().__init__()
            self.max_len = max_len
            self.blocks = torch.nn.ModuleList([torch.nn.Identity() for _ in range(layers)])
            self.calls = []

        def forward(self, idx, cache=None):
            B, T = idx.shape
            start = 0 if cache is None else cache.seq_len
            self.calls.append([B, T, start, cache is not None, torch.is_grad_enabled()])
            if start + T > self.max_len:
                raise IndexError(f"ToyLM: positions {start}..{start + T - 1} do not fit max_len {self.max_len}")
            pos = torch.arange(start, start + T, device=idx.device)
            h = 3 * idx + 5 * pos + pos * idx
            x = idx.to(torch.float64)[:, None, :, None]                  # [B, 1, T, 1]
            for layer in range(len(self.blocks)):
                k = x + (layer + 1)
                v = x * (layer + 2) + 1
                if cache is not None:
                    k, v = cache.update(layer, k, v)
                context = (k * v).cumsum(dim=2)[:, 0, -T:, 0]            # sums over all earlier tokens
                h = h + (layer + 1) * context.round().long()
            j = torch.remainder(torch.arange(vocab, device=idx.device) - h[..., None], vocab)
            return -alpha * j.to(torch.float64)

    model = ToyLM()
    model.train(training)
    if mode == "logits":
        with torch.no_grad():
            return {"logits": model(prompt)}
    dev = prompt.device
    g = None if seed is None else torch.Generator(device=dev).manual_seed(seed)
    with probes.swapped(impl, "sample", trusted.trusted_sample):
        try:
            with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
                torch.manual_seed(global_seed)
                out = impl.generate(model, prompt, max_new_tokens, generator=g, **kwargs)
        except ValueError:
            return {"raised": "ValueError", "calls": model.calls}
    shares = isinstance(out, torch.Tensor) and out.untyped_storage().data_ptr() == prompt.untyped_storage().data_ptr()
    return {"out": out, "calls": model.calls, "prompt_after": prompt, "training_after": model.training,
            "out_shares_memory_with_idx": shares}


def make_prompt(B, T0, device, seed=0):
    return torch.randint(0, 13, (B, T0), generator=gen(seed)).to(device)


def generate_text(B, T0, n, kwargs, max_len=12):
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"generate(toy model with max_len={max_len}, idx [{B}, {T0}], max_new_tokens={n}{args})"


def expect_generated(got, prompt, n, device, what):
    """No exception, shape [B, T0 + n], int64 on the prompt's device, the prompt kept at the start."""
    if "raised" in got:
        raise Mismatch(f"{what} raised ValueError (T0 + max_new_tokens <= max_len: it should not)")
    out = got["out"]
    B, T0 = prompt.shape
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (B, T0 + n) or out.dtype != torch.int64 \
            or out.device.type != torch.device(device).type:
        raise Mismatch(f"{what}: expected a LongTensor of shape ({B}, {T0 + n}) (prompt + new tokens) on "
                       f"{device}, got {describe(out)}")
    expect_equal(out[:, :T0], prompt, what=f"{what}: the first {T0} tokens of the output (the prompt)")
    expect_equal(got["prompt_after"], prompt, what=f"{what}: idx after the call (must not change)")


def describe(value):
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}, {value.dtype}, on {value.device}"
    return type(value).__name__


# (B, T0, max_new_tokens, max_len): the last two fill max_len
GREEDY_CASES = [(3, 4, 6, 12), (1, 1, 9, 10), (2, 5, 7, 12)]


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("case", GREEDY_CASES, ids=lambda c: f"B{c[0]}-T{c[1]}-n{c[2]}-max{c[3]}")
def test_generate_greedy_matches_a_trusted_loop(student, reference, case, use_cache, device):
    B, T0, n, max_len = case
    prompt = make_prompt(B, T0, device, seed=T0)
    kwargs = {"temperature": 0, "use_cache": use_cache}
    what = f"{generate_text(B, T0, n, kwargs, max_len)} {where(device)}"
    trusted = reference.run(run_generate, prompt, n, {"temperature": 0, "use_cache": False}, max_len=max_len)
    cached = reference.run(run_generate, prompt, n, {"temperature": 0, "use_cache": True}, max_len=max_len)
    check_reference(cached["out"], trusted["out"], f"{what}: greedy with and without the cache")
    got = student.run(run_generate, prompt, n, kwargs, max_len=max_len)
    expect_generated(got, prompt, n, device, what)
    expect_equal(got["out"], trusted["out"], what=f"{what}: the greedy continuation")


def expected_calls(B, T0, n, use_cache):
    if use_cache:   # the prompt once, then the newest token, with the cache's offset
        return [[B, T0, 0, True]] + [[B, 1, T0 + i, True] for i in range(n - 1)]
    return [[B, T0 + i, 0, False] for i in range(n)]


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_generate_calls_the_model_with_the_right_inputs(student, reference, use_cache):
    B, T0, n = 2, 3, 5
    prompt = make_prompt(B, T0, "cpu", seed=4)
    kwargs = {"temperature": 0, "use_cache": use_cache}
    what = (f"{generate_text(B, T0, n, kwargs)}: the calls the model saw, as [batch, new positions, "
            "cache.seq_len before the call (0 without cache), cache given]")
    want = expected_calls(B, T0, n, use_cache)
    ref = reference.run(run_generate, prompt, n, kwargs)
    check_reference([c[:4] for c in ref["calls"]], want, what)
    got = student.run(run_generate, prompt, n, kwargs)
    expect_generated(got, prompt, n, "cpu", generate_text(B, T0, n, kwargs))
    expect_equal([c[:4] for c in got["calls"]], want, what=what)


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.condition
@pytest.mark.parametrize("training", [True, False], ids=["train-mode", "eval-mode"])
def test_generate_no_grad_and_leaves_the_mode_alone(student, reference, training):
    B, T0, n = 2, 3, 4
    prompt = make_prompt(B, T0, "cpu", seed=6)
    kwargs = {"temperature": 0}
    what = generate_text(B, T0, n, kwargs)
    got = student.run(run_generate, prompt, n, kwargs, training=training)
    expect_generated(got, prompt, n, "cpu", what)
    expect_equal([c[4] for c in got["calls"]], [False] * len(got["calls"]),
                 what=f"{what}: torch.is_grad_enabled() inside each model call (run the model under torch.no_grad())")
    expect_equal(got["training_after"], training,
                 what=f"{what}: model.training afterwards (generate must not switch the model's mode)")


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.condition
@pytest.mark.parametrize("case", [(2, 5, 8), (1, 12, 1), (3, 13, 0), (2, 4, -1)],
                         ids=["5+8>12", "12+1>12", "13+0>12", "negative"])
def test_generate_too_long_raises_before_generating(student, reference, case):
    B, T0, n = case
    prompt = make_prompt(B, T0, "cpu", seed=2)
    what = f"{generate_text(B, T0, n, {})}: T0 + max_new_tokens > max_len (or max_new_tokens < 0)"
    want = reference.run(run_generate, prompt, n, {}, seed=0)
    check_reference(want, {"raised": "ValueError", "calls": []}, what)
    got = student.run(run_generate, prompt, n, {}, seed=0)
    if "raised" not in got:
        raise Mismatch(f"{what}: expected ValueError, but generate returned {describe(got['out'])}")
    expect_equal(got["calls"], [], what=f"{what}: raise ValueError before calling the model (the calls it saw)")


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.condition
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_generate_zero_new_tokens_returns_the_prompt(student, use_cache, device):
    prompt = make_prompt(3, 4, device, seed=9)
    kwargs = {"use_cache": use_cache}
    what = f"{generate_text(3, 4, 0, kwargs)} {where(device)}"
    got = student.run(run_generate, prompt, 0, kwargs, seed=0)
    expect_generated(got, prompt, 0, device, what)
    expect_equal(got["calls"], [], what=f"{what}: calls to the model (none needed)")
    expect_equal(got["out_shares_memory_with_idx"], False,
                 what=f"{what}: the result shares memory with idx; return a new tensor (a copy of idx)")


def allowed_tokens(logits, temperature, top_k=None, top_p=None):
    """Bool mask [..., V]: the tokens `sample` may draw from these logits (trusted, float64)."""
    x = logits.double() / temperature
    if top_k is not None:
        kth = x.sort(dim=-1, descending=True).values[..., top_k - 1:top_k]
        x = x.masked_fill(x < kth, NEG_INF)
    probs = torch.softmax(x, dim=-1)
    if top_p is not None:
        above = probs.unsqueeze(-2) > probs.unsqueeze(-1)
        probs = torch.where((probs.unsqueeze(-2) * above).sum(-1) < top_p, probs, torch.zeros_like(probs))
    return probs > 0


def check_new_tokens_allowed(reference, out, T0, kwargs, max_len, what):
    logits = reference.run(run_generate, out.cpu(), 0, {}, max_len=max_len, mode="logits")["logits"]
    ok = allowed_tokens(logits[:, T0 - 1:-1], kwargs.get("temperature", 1.0), kwargs.get("top_k"),
                        kwargs.get("top_p"))                                  # [B, n, V]
    new = out[:, T0:].cpu()
    fine = ok.gather(-1, new.unsqueeze(-1)).squeeze(-1)
    if not fine.all():
        b, t = [int(i) for i in (~fine).nonzero()[0]]
        raise Mismatch(f"{what}: row {b}, new token {t} is {int(new[b, t])}, which the filters remove "
                       f"(allowed there: {ok[b, t].nonzero().flatten().tolist()}); the sequence: "
                       f"{out[b].tolist()}")


SAMPLED = [{"temperature": 1.3, "top_k": 3}, {"temperature": 0.9, "top_p": 0.75},
           {"temperature": 1.1, "top_k": 4, "top_p": 0.8}]


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("case", range(len(SAMPLED)), ids=["top_k", "top_p", "top_k-top_p"])
def test_generate_sampled_tokens_pass_the_filters(student, reference, case, use_cache, device):
    B, T0, n = 6, 3, 8
    kwargs = {**SAMPLED[case], "use_cache": use_cache}
    prompt = make_prompt(B, T0, device, seed=11)
    what = f"{generate_text(B, T0, n, kwargs)} with a seeded generator {where(device)}"
    ref = reference.run(run_generate, prompt, n, kwargs, seed=case_seed(5))
    check_new_tokens_allowed(reference, ref["out"], T0, kwargs, 12,
                             f"[the reference failed: this test is wrong] {what}")
    got = student.run(run_generate, prompt, n, kwargs, seed=case_seed(5))
    expect_generated(got, prompt, n, device, what)
    check_new_tokens_allowed(reference, got["out"], T0, kwargs, 12, what)


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_generate_first_token_distribution(student, reference, use_cache, device):
    """4000 copies of one prompt: the first new token follows the filtered softmax of the toy's logits."""
    B, T0, n = 4000, 3, 2
    kwargs = {"temperature": 0.8, "top_p": 0.9, "use_cache": use_cache}
    prompt = make_prompt(1, T0, device, seed=12).repeat(B, 1)
    what = f"{generate_text(B, T0, n, kwargs)} with a seeded generator {where(device)} (one prompt repeated)"
    last = reference.run(run_generate, prompt[:1].cpu(), 0, {}, mode="logits")["logits"][:, -1]
    probs = torch.softmax(last.double() / 0.8, dim=-1)
    probs = torch.where(allowed_tokens(last, 0.8, top_p=0.9), probs, torch.zeros_like(probs))
    probs = probs / probs.sum()
    check_reference(int((probs > 0).sum()), 3, f"{what}: tokens in the nucleus")
    for side, run in (("[the reference failed: this test is wrong] ", reference.run), ("", student.run)):
        got = run(run_generate, prompt, n, kwargs, seed=case_seed(3))
        expect_generated(got, prompt, n, device, side + what)
        check_draws(got["out"][:, T0], torch.zeros(B, dtype=torch.long), probs, f"{side}{what}: the first new token")
        check_new_tokens_allowed(reference, got["out"][:50], T0, kwargs, 12, side + what)


@pytest.mark.exercise("ch6.sampling.generate")
@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_generate_same_seed_same_tokens(student, use_cache, device):
    B, T0, n = 4, 2, 9
    kwargs = {"temperature": 1.2, "use_cache": use_cache}
    prompt = make_prompt(B, T0, device, seed=13)
    what = f"{generate_text(B, T0, n, kwargs)} {where(device)}"
    first = student.run(run_generate, prompt, n, kwargs, seed=21, global_seed=1)
    again = student.run(run_generate, prompt, n, kwargs, seed=21, global_seed=2)
    other = student.run(run_generate, prompt, n, kwargs, seed=22, global_seed=1)
    expect_generated(first, prompt, n, device, what)
    expect_the_seed_decides(first["out"], again["out"], other["out"], (21, 22), B * n, what,
                            " (after different torch.manual_seed calls): pass `generator` on to `sample`",
                            "sample with `generator` and `temperature` (not greedily)")
