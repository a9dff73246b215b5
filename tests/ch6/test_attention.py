"""Hidden suite for ch6/attention.py.

- scaled_dot_product_attention against F.scaled_dot_product_attention: 2-D, 3-D and
  4-D inputs with L, S, E and Ev all different (a softmax over the wrong axis or a
  missing 1/sqrt(E) cannot hide), bool and float masks of every broadcast shape,
  is_causal (top-left aligned, L < S and L > S), `scale`, scores of several hundred
  (float32 must not overflow), inputs unchanged, and dropout_p by its properties (value =
  the identity exposes the weights: each 0 or rescaled by 1/(1-p), a binomial count of zeros);
- causal_mask and key_padding_mask exactly against an independent construction
  (tests/ch6/reference/attention.py), which is itself checked against torch's
  attention here (the reference must pass those checks before the student is judged);
- MultiHeadAttention against nn.MultiheadAttention loaded with the same state_dict:
  state_dict names and shapes, outputs AND attention weights (averaged or per head,
  or None), every mask kind and combination, is_causal as torch's hint, cross
  attention, batch_first=False, bias=False, one head, parameter and input gradients
  (float64), and the initialisation (zero biases, Xavier-uniform bound).

Masks never mask out every key of a row (torch's output there depends on its
version). float32 tolerances come from the reference's own float32-vs-float64 error.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.compare import Mismatch, expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import case_seed, gen, kwargs_text, randn, shape_text, where

# Sizes: no two alike, so swapped axes change the answer (B=2 batch, H=3 heads).
B, H, L, S, E, EV = 2, 3, 5, 7, 8, 6
# MultiHeadAttention: embed_dim 12 = 3 heads x head_dim 4 (head_dim != num_heads).
ME, MH = 12, 3


# ------------------------------------------------------------------ probes

def sdpa(impl, q, k, v, kwargs):
    out = impl.scaled_dot_product_attention(q, k, v, **kwargs)
    return {"out": out, "args_after": [q, k, v, kwargs]}


def sdpa_dropout(impl, q, k, v, p, seed):
    """impl.scaled_dot_product_attention(q, k, v, dropout_p=p) with torch's global RNG seeded `seed`
    (its state restored afterwards)."""
    dev = q.device
    with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        return {"out": impl.scaled_dot_product_attention(q, k, v, dropout_p=p)}


def make_causal_mask(impl, args, kwargs):
    return impl.causal_mask(*args, **kwargs)


def make_padding_mask(impl, lengths, max_len):
    mask = impl.key_padding_mask(lengths, max_len)
    return {"mask": mask, "lengths_after": lengths}


def padding_mask_in_torch_mha(impl, lengths, state, q, k, v):
    """The module's key_padding_mask used as `key_padding_mask=` of torch's own nn.MultiheadAttention."""
    mask = impl.key_padding_mask(lengths, k.shape[1])
    mha = torch.nn.MultiheadAttention(q.shape[-1], 2, batch_first=True).to(dtype=q.dtype)
    mha.load_state_dict(state)
    out, weights = mha(q, k, v, key_padding_mask=mask, average_attn_weights=False)
    return {"out": out, "weights": weights}


def mha_parameters(impl, embed_dim, num_heads, kwargs):
    m = impl.MultiHeadAttention(embed_dim, num_heads, **kwargs)
    names = sorted([name, list(t.shape)] for name, t in m.state_dict().items())
    attrs = {a: getattr(m, a, "<missing>") for a in ("embed_dim", "num_heads", "head_dim", "batch_first")}
    return {"state_dict": names, "attributes": attrs}


def mha_init(impl, embed_dim, num_heads, seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = impl.MultiHeadAttention(embed_dim, num_heads)
    sd = m.state_dict()
    return {k: sd[k] for k in ("in_proj_weight", "in_proj_bias", "out_proj.bias")}


def mha_forward(impl, embed_dim, num_heads, config, state, q, k, v, kwargs):
    m = impl.MultiHeadAttention(embed_dim, num_heads, **config)
    m = m.to(device=q.device, dtype=q.dtype)
    m.load_state_dict(state)
    out, weights = m(q, k, v, **kwargs)
    return {"out": out, "weights": weights, "args_after": [q, k, v, kwargs]}


def mha_gradients(impl, embed_dim, num_heads, config, state, q, k, v, kwargs, grad_out, grad_weights):
    m = impl.MultiHeadAttention(embed_dim, num_heads, **config)
    m = m.to(device=q.device, dtype=q.dtype)
    m.load_state_dict(state)
    q, k, v = (t.clone().requires_grad_() for t in (q, k, v))
    out, weights = m(q, k, v, **kwargs)
    loss = (out * grad_out).sum() + (weights * grad_weights).sum()
    loss.backward()
    grads = {name: p.grad for name, p in m.named_parameters()}
    grads.update({"query": q.grad, "key": k.grad, "value": v.grad})
    return grads


# ----------------------------------------------------------------- helpers

def qkv(batch, lq, s, e, ev, seed, device, dtype, q_scale=1.0):
    g = gen(seed)
    q, k, v = randn((*batch, lq, e), g, q_scale), randn((*batch, s, e), g), randn((*batch, s, ev), g)
    return [t.to(device=device, dtype=dtype) for t in (q, k, v)]


def attend_mask(shape, lq, s, g, p_attend=0.5):
    """bool, True = attend; every query row attends to at least one key."""
    mask = torch.rand(shape, generator=g) < p_attend
    full = torch.zeros((*shape[:-2], lq, s), dtype=torch.bool)
    keep = torch.randint(0, s, (*full.shape[:-1], 1), generator=g)
    full.scatter_(-1, keep, True)
    # A mask broadcast over rows ([..., 1, S]) must keep one key for every row: OR over lq.
    return mask | (full.any(dim=-2, keepdim=True) if shape[-2] == 1 else full)


def additive_mask(shape, lq, s, g):
    """float: random values added to the scores, -inf on about a quarter of them (never a whole row)."""
    values = randn(shape, g, 2.0)
    off = ~attend_mask(shape, lq, s, g, p_attend=0.75)
    return values.masked_fill(off, -math.inf)


# ----------------------------------------------- scaled_dot_product_attention

SHAPES = {  # id: (batch dims, L, S, E, Ev)
    "2d": ((), L, S, E, EV),
    "3d": ((B,), L, S, E, EV),
    "4d": ((B, H), L, S, E, EV),
    "4d-L>S": ((B, H), 9, 4, E, EV),
}


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("case", list(SHAPES))
def test_sdpa_matches_torch(student, reference, case, device, dtype):
    batch, lq, s, e, ev = SHAPES[case]
    q, k, v = qkv(batch, lq, s, e, ev, 1, device, dtype)
    args = (q, k, v, {})
    what = (f"scaled_dot_product_attention(q{shape_text(q)}, k{shape_text(k)}, v{shape_text(v)}) "
            f"{where(device, dtype)}")
    got = student.run(sdpa, *args)
    want, atol = reference_answer(reference, sdpa, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["args_after"], [q, k, v, {}], what=f"{what}: [q, k, v] after the call (must not change)")


# id: (kind, mask shape, batch dims of q/k/v)
MASKS = {
    "bool[L,S]": ("bool", (L, S), (B, H)),
    "bool[B,1,L,S]": ("bool", (B, 1, L, S), (B, H)),
    "bool[B,H,L,S]": ("bool", (B, H, L, S), (B, H)),
    "bool[B,1,1,S]": ("bool", (B, 1, 1, S), (B, H)),
    "bool[L,S]-3d": ("bool", (L, S), (B,)),
    "float[L,S]": ("float", (L, S), (B, H)),
    "float[B,1,L,S]": ("float", (B, 1, L, S), (B, H)),
    "float[B,H,L,S]": ("float", (B, H, L, S), (B, H)),
    "float[B,L,S]-3d": ("float", (B, L, S), (B,)),
}


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("case", list(MASKS))
def test_sdpa_masks(student, reference, case, device, dtype):
    kind, shape, batch = MASKS[case]
    q, k, v = qkv(batch, L, S, E, EV, 2, device, dtype)
    g = gen(3)
    if kind == "bool":
        mask = attend_mask(shape, L, S, g).to(device)
    else:
        mask = additive_mask(shape, L, S, g).to(device=device, dtype=dtype)
    kwargs = {"attn_mask": mask}
    args = (q, k, v, kwargs)
    what = (f"scaled_dot_product_attention(q{shape_text(q)}, k{shape_text(k)}, v{shape_text(v)}, "
            f"attn_mask={kind}{list(shape)}) {where(device, dtype)}"
            + (" (bool: True = attend)" if kind == "bool" else " (float: added to the scores)"))
    got = student.run(sdpa, *args)
    want, atol = reference_answer(reference, sdpa, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["args_after"], [q, k, v, kwargs], what=f"{what}: [q, k, v, {{attn_mask}}] after the call")


CAUSAL = {  # id: (batch dims, L, S)
    "L<S": ((B, H), 5, 7),
    "L>S": ((B, H), 9, 4),
    "L=S": ((B,), 6, 6),
    "L<S-3d": ((B,), 3, 8),
}


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("case", list(CAUSAL))
def test_sdpa_is_causal_top_left(student, reference, case, device, dtype):
    batch, lq, s = CAUSAL[case]
    q, k, v = qkv(batch, lq, s, E, EV, 4, device, dtype)
    args = (q, k, v, {"is_causal": True, "dropout_p": 0.0})
    what = (f"scaled_dot_product_attention(q{shape_text(q)}, k{shape_text(k)}, v{shape_text(v)}, is_causal=True) "
            f"{where(device, dtype)} (top-left aligned as torch: query i sees keys 0..i)")
    got = student.run(sdpa, *args)
    want, atol = reference_answer(reference, sdpa, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)


SCALE_CASES = {"no-mask": {}, "is_causal": {"is_causal": True}, "bool-mask": "mask"}


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("case", list(SCALE_CASES))
def test_sdpa_scale(student, reference, case, device, dtype):
    q, k, v = qkv((B, H), L, S, E, EV, 5, device, dtype)
    kwargs = {"scale": 0.37}
    if case == "bool-mask":
        kwargs["attn_mask"] = attend_mask((L, S), L, S, gen(6)).to(device)
    else:
        kwargs.update(SCALE_CASES[case])
    args = (q, k, v, kwargs)
    what = (f"scaled_dot_product_attention(q{shape_text(q)}, k, v, scale=0.37"
            f"{', is_causal=True' if case == 'is_causal' else ''}"
            f"{', attn_mask=bool[L,S]' if case == 'bool-mask' else ''}) {where(device, dtype)}")
    got = student.run(sdpa, *args)
    want, atol = reference_answer(reference, sdpa, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("q_scale", [60.0, 400.0])
def test_sdpa_large_scores_are_stable(student, reference, q_scale, device, dtype):
    """Scores of a few hundred (exp overflows float32 above 88): subtract the row max first."""
    q, k, v = qkv((B, H), L, S, E, EV, 7, device, dtype, q_scale=q_scale)
    mask = attend_mask((L, S), L, S, gen(8)).to(device)
    args = (q, k, v, {"attn_mask": mask})
    scores = (q.double() @ k.double().transpose(-2, -1) / math.sqrt(E)).abs().max().item()
    what = (f"scaled_dot_product_attention(q = {q_scale} * randn{shape_text(q)}, k, v, attn_mask=bool[L,S]) "
            f"{where(device, dtype)}: scores up to {scores:.0f} (exp overflows: subtract the row max)")
    got = student.run(sdpa, *args)
    want, atol = reference_answer(reference, sdpa, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)


DROPOUT_DELTA = 1e-9   # false-failure probability of the count check in test_sdpa_dropout


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.parametrize("p", [0.3, 0.6])
def test_sdpa_dropout_zeroes_and_rescales_weights(student, reference, p, device, dtype):
    """value = the identity [S, S], so the output holds the attention weights themselves. With
    dropout_p = p every weight must be 0 or its undropped value / (1 - p) (exact property), and the
    number of zeros among n = 756 weights ~ Binomial(n, p) must lie within Bernstein's bound
    P(|Z - np| >= t) <= 2 exp(-t^2 / (2 (np(1-p) + t/3))) = DROPOUT_DELTA (1e-9): at p = 0.3,
    138..316 zeros (no dropout gives 0; dropping with the keep probability 0.7 gives ~529)."""
    batch, lq, s = (4, 3), 9, 7
    q, k, _ = qkv(batch, lq, s, E, EV, 14, device, dtype)
    eye = torch.eye(s, dtype=dtype, device=device).expand(*batch, s, s).contiguous()
    what = (f"scaled_dot_product_attention(q{shape_text(q)}, k{shape_text(k)}, v = identity{shape_text(eye)}, "
            f"dropout_p={p}) {where(device, dtype)}, global RNG seeded: the output is the attention weights")
    got = student.run(sdpa_dropout, q, k, eye, p, case_seed(15))
    want, atol = reference_answer(reference, sdpa, (q, k, eye, {}), dtype)
    kept = want["out"] / (1 - p)
    out = got["out"]
    if not isinstance(out, torch.Tensor) or out.shape != kept.shape:
        expect_close(out, kept, what=what)        # reports the type or shape
    expect_close(out, torch.where(out == 0, torch.zeros_like(kept), kept),
                 atol=None if atol is None else atol / (1 - p),
                 what=what + ": every weight must be 0 (dropped) or its value without dropout / (1 - dropout_p)")
    n, zeros = out.numel(), int((out == 0).sum())
    x = math.log(2 / DROPOUT_DELTA)
    t = x / 3 + math.sqrt(x * x / 9 + 2 * x * n * p * (1 - p))
    if abs(zeros - n * p) > t:
        raise Mismatch(f"{what}: {zeros} of {n} weights are 0 ({zeros / n:.3f}); each is dropped with "
                       f"probability dropout_p = {p}, so about {n * p:.0f} (allowed {n * p - t:.0f}..{n * p + t:.0f})")


@pytest.mark.exercise("ch6.attention.scaled_dot_product_attention")
@pytest.mark.condition
@pytest.mark.parametrize("case", ["is_causal", "bool-mask"])
def test_sdpa_new_tensors_follow_the_input_device(student, case):
    """On the `meta` device a tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        q, k, v = qkv((B, H), L, S, E, EV, 12, device, torch.float32)
        mask = attend_mask((L, S), L, S, gen(13)).to(device)
        return q, k, v, {"is_causal": True} if case == "is_causal" else {"attn_mask": mask}

    q, k, v, _ = inputs("meta")
    got = run_on_meta(student, sdpa, inputs)
    want = torch.empty(B, H, L, EV, device="meta")   # (torch's own sdpa takes seconds to warm up on meta)
    expect_close(got["out"], want, what=f"scaled_dot_product_attention(q{shape_text(q)}, k{shape_text(k)}, "
                                        f"v{shape_text(v)}, {case}) on the meta device (a tensor made on the CPU "
                                        "shows up here)")


# --------------------------------------------------------------- causal_mask

CAUSAL_MASKS = [(3, 8), (6, None), (1, 7), (1, None), (4, 4), (5, 9), (7, 8)]  # first: tells the known mistakes apart


def check_reference_causal_mask(mask, query_len, key_len):
    """The reference mask is right: with a KV cache, attention of the last query_len queries
    under it equals the last query_len rows of full causal attention (torch's is_causal)."""
    key_len = query_len if key_len is None else key_len
    g = gen(10)
    q, k, v = randn((2, key_len, 3), g), randn((2, key_len, 3), g), randn((2, key_len, 2), g)
    full = F.scaled_dot_product_attention(q, k, v, is_causal=True)[:, key_len - query_len:]
    cached = F.scaled_dot_product_attention(q[:, key_len - query_len:], k, v, attn_mask=mask.cpu())
    if mask.dtype != torch.bool or tuple(mask.shape) != (query_len, key_len) or not torch.allclose(full, cached):
        raise Mismatch("[the reference causal_mask failed its check against torch: this test is wrong]")


@pytest.mark.exercise("ch6.attention.causal_mask")
@pytest.mark.parametrize("query_len,key_len", CAUSAL_MASKS, ids=[f"q{a}-k{b}" for a, b in CAUSAL_MASKS])
def test_causal_mask(student, reference, query_len, key_len, device):
    args = [query_len] if key_len is None else [query_len, key_len]
    kwargs = {"device": device}
    want = reference.run(make_causal_mask, args, kwargs)
    check_reference_causal_mask(want, query_len, key_len)
    got = student.run(make_causal_mask, args, kwargs)
    call = f"causal_mask({', '.join(map(str, args))}, device={device!r})"
    expect_equal(got, want, what=f"{call} (bool, True = attend; query i sits at position key_len - query_len + i "
                                 "and sees every key at or before it)")


@pytest.mark.exercise("ch6.attention.causal_mask")
def test_causal_mask_default_device_is_cpu(student, reference):
    want = reference.run(make_causal_mask, [3, 5], {})
    got = student.run(make_causal_mask, [3, 5], {})
    expect_equal(got, want, what="causal_mask(3, 5) without device= (a bool tensor on the CPU)")


@pytest.mark.exercise("ch6.attention.causal_mask")
@pytest.mark.condition
def test_causal_mask_on_the_requested_device(student, reference):
    """On the `meta` device, with or without a GPU: the mask must be made where asked."""
    want = reference.run(make_causal_mask, [2, 6], {"device": "meta"})
    got = student.run(make_causal_mask, [2, 6], {"device": "meta"})
    expect_equal(got, want, what="causal_mask(2, 6, device='meta'): shape, dtype and device")


@pytest.mark.exercise("ch6.attention.causal_mask")
@pytest.mark.condition
def test_causal_mask_more_queries_than_keys_raises(student, reference):
    # CURRICULUM rule 8: any exception counts (the docstring asks for ValueError).
    expect_equal(reference.run(raises, "causal_mask", [5, 3], {}), "raised", what="[the reference: this test is wrong]")
    got = student.run(raises, "causal_mask", [5, 3], {})
    expect_equal(got, "raised", what="causal_mask(5, 3): more queries than keys must raise (ValueError)")


# ----------------------------------------------------------- key_padding_mask

PADDING = {  # id: (lengths, max_len, integer dtype)
    "int64": ([3, 5, 1, 5, 2], 5, "int64"),
    "int32-longer": ([4, 1, 6], 9, "int32"),
    "one-sequence": ([2], 7, "int64"),
}


@pytest.mark.exercise("ch6.attention.key_padding_mask")
@pytest.mark.parametrize("case", list(PADDING))
def test_key_padding_mask(student, reference, case, device):
    lengths, max_len, int_dtype = PADDING[case]
    t = torch.tensor(lengths, dtype=getattr(torch, int_dtype), device=device)
    want = reference.run(make_padding_mask, t, max_len)
    got = student.run(make_padding_mask, t, max_len)
    what = f"key_padding_mask(torch.tensor({lengths}, dtype={int_dtype}) on {device}, max_len={max_len})"
    expect_equal(got["mask"], want["mask"], what=what + " (bool [B, max_len], True = padding: t >= lengths[b])")
    expect_equal(got["lengths_after"], t, what=what + ": lengths after the call (must not change)")


@pytest.mark.exercise("ch6.attention.key_padding_mask")
def test_key_padding_mask_from_a_list(student, reference):
    want = reference.run(make_padding_mask, [2, 6, 1, 4], 6)
    got = student.run(make_padding_mask, [2, 6, 1, 4], 6)
    expect_equal(got["mask"], want["mask"], what="key_padding_mask([2, 6, 1, 4], max_len=6) (a list of lengths: "
                                                 "bool [4, 6] on the CPU, True = padding)")


@pytest.mark.exercise("ch6.attention.key_padding_mask")
@pytest.mark.condition
def test_key_padding_mask_on_the_lengths_device(student, reference):
    def inputs(device):
        return torch.tensor([2, 5, 1], device=device), 5

    got = run_on_meta(student, make_padding_mask, inputs)
    want = reference.run(make_padding_mask, *inputs("meta"))
    expect_equal(got["mask"], want["mask"], what="key_padding_mask(lengths on the meta device, 5): the mask "
                                                 "belongs on lengths' device")


@pytest.mark.exercise("ch6.attention.key_padding_mask")
def test_key_padding_mask_works_in_nn_multihead_attention(student, reference):
    """Polarity: torch's nn.MultiheadAttention must give padded keys zero weight."""
    g = gen(11)
    lengths = [4, 1, 6]
    e, s = 6, 6
    q, k, v = randn((3, 4, e), g), randn((3, s, e), g), randn((3, s, e), g)
    state = {"in_proj_weight": randn((3 * e, e), g, 0.5), "in_proj_bias": randn((3 * e,), g, 0.3),
             "out_proj.weight": randn((e, e), g, 0.5), "out_proj.bias": randn((e,), g, 0.3)}
    args = (torch.tensor(lengths), state, q, k, v)
    want = reference.run(padding_mask_in_torch_mha, *args)
    padded = torch.arange(s)[None, :] >= torch.tensor(lengths)[:, None]           # [B, S]
    w = want["weights"]                                                            # [B, heads, L, S]
    if not (w[padded[:, None, None, :].expand_as(w)] == 0).all() or not (w.sum(-1) - 1).abs().max() < 1e-12:
        raise Mismatch("[the reference key_padding_mask failed its check against torch: this test is wrong]")
    got = student.run(padding_mask_in_torch_mha, *args)
    what = (f"nn.MultiheadAttention(6, 2)(q, k, v, key_padding_mask=key_padding_mask(lengths={lengths}, 6)): "
            "padded keys (True) must get zero attention weight")
    expect_close(got["weights"], want["weights"], what=what + ": attention weights [B, heads, L, S]")
    expect_close(got["out"], want["out"], what=what + ": output")


# -------------------------------------------------------- MultiHeadAttention

def mha_state(embed_dim, bias, seed, device="cpu", dtype=torch.float64):
    """A random state_dict in torch's layout (biases nonzero, so bias mistakes show)."""
    g = gen(seed)
    scale = 1 / math.sqrt(embed_dim)
    state = {"in_proj_weight": randn((3 * embed_dim, embed_dim), g, 1.5 * scale),
             "out_proj.weight": randn((embed_dim, embed_dim), g, scale)}
    if bias:
        state["in_proj_bias"] = randn((3 * embed_dim,), g, 0.5)
        state["out_proj.bias"] = randn((embed_dim,), g, 0.5)
    return {k: v.to(device=device, dtype=dtype) for k, v in state.items()}


def padding(lengths, s):
    """MHA polarity: True = padding (ignored)."""
    return torch.arange(s)[None, :] >= torch.tensor(lengths)[:, None]


def mha_masks(case, lq, s, g, dtype, device, num_heads=MH):
    """kwargs of MultiHeadAttention.forward for a mask case (MHA polarity: bool True = NOT allowed).
    Key 0 is never masked by both attn_mask and key_padding_mask, so no row is fully masked."""
    batch = B
    kpm_lengths = [s - 2, 3]
    kw = {}
    if case in ("attn-bool[L,S]", "attn-bool+kpm"):
        kw["attn_mask"] = ~attend_mask((lq, s), lq, s, g)
    if case == "attn-float[L,S]":
        kw["attn_mask"] = additive_mask((lq, s), lq, s, g)
    if case == "attn-bool[BH,L,S]":
        kw["attn_mask"] = ~attend_mask((batch * num_heads, lq, s), lq, s, g)
    if case in ("attn-float[BH,L,S]", "attn-float+kpm-float"):
        kw["attn_mask"] = additive_mask((batch * num_heads, lq, s), lq, s, g)
    if case in ("kpm", "attn-bool+kpm"):
        kw["key_padding_mask"] = padding(kpm_lengths, s)
    if case == "attn-float+kpm-float":
        kw["key_padding_mask"] = torch.zeros(batch, s, dtype=torch.float64).masked_fill(
            padding(kpm_lengths, s), -math.inf) + randn((batch, s), g, 0.5)
    if case == "attn-bool+kpm":   # key 0 is never padding: keep it allowed so no row is fully masked
        kw["attn_mask"][:, 0] = False
    if case == "attn-float+kpm-float":
        kw["attn_mask"][..., 0] = 0.0
    return {k: (m.to(device=device, dtype=dtype) if m.is_floating_point() else m.to(device)) for k, m in kw.items()}


MASK_CASES = ["none", "attn-bool[L,S]", "attn-float[L,S]", "attn-bool[BH,L,S]", "attn-float[BH,L,S]", "kpm",
              "attn-bool+kpm", "attn-float+kpm-float"]


def mha_check(student, reference, config, case, device, dtype, *, embed_dim=ME, num_heads=MH, lq=L, s=S,
              self_attention=False, extra=None, seed=20):
    state = mha_state(embed_dim, config.get("bias", True), seed, device, dtype)
    g = gen(seed + 1)
    q = randn((B, lq, embed_dim), g)
    k = q.clone() if self_attention else randn((B, s, embed_dim), g)
    v = q.clone() if self_attention else randn((B, s, embed_dim), g)
    if not config.get("batch_first", True):
        q, k, v = (t.transpose(0, 1).contiguous() for t in (q, k, v))
    q, k, v = (t.to(device=device, dtype=dtype) for t in (q, k, v))
    kwargs = {**mha_masks(case, lq, s, g, dtype, device, num_heads), **(extra or {})}
    args = (embed_dim, num_heads, config, state, q, k, v, kwargs)
    cfg = "".join(f", {a}={b}" for a, b in config.items())
    kw = kwargs_text(kwargs)
    what = (f"MultiHeadAttention({embed_dim}, {num_heads}{cfg})(q{shape_text(q)}, k{shape_text(k)}, "
            f"v{shape_text(v)}{', ' + kw if kw else ''}) {where(device, dtype)}")
    got = student.run(mha_forward, *args)
    want, atol = reference_answer(reference, mha_forward, args, dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what + ": attn_output")
    if want["weights"] is None:
        expect_equal(got["weights"], None, what=what + ": attn_weights (need_weights=False: None)")
    else:
        shape = "[B, num_heads, L, S]" if kwargs.get("average_attn_weights", True) is False else "[B, L, S]"
        expect_close(got["weights"], want["weights"], atol=atol, what=f"{what}: attn_weights {shape}")
    expect_equal(got["args_after"], [q, k, v, kwargs], what=what + ": [q, k, v, {masks}] after the call "
                                                                  "(must not change)")


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("config", [{}, {"bias": False}, {"batch_first": False}, {"bias": False, "batch_first": False}],
                         ids=["default", "bias-False", "batch_first-False", "both-False"])
def test_mha_state_dict_names_and_shapes(student, reference, config):
    got = student.run(mha_parameters, ME, MH, config)
    want = reference.run(mha_parameters, ME, MH, config)
    cfg = "".join(f", {a}={b}" for a, b in config.items())
    expect_equal(got["state_dict"], want["state_dict"],
                 what=f"MultiHeadAttention({ME}, {MH}{cfg}).state_dict(): sorted [name, shape] pairs "
                      "(nn.MultiheadAttention's names: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias)")


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("config", [{}, {"batch_first": False}], ids=["default", "batch_first-False"])
def test_mha_attributes(student, reference, config):
    got = student.run(mha_parameters, ME, 4, config)
    want = reference.run(mha_parameters, ME, 4, config)
    cfg = "".join(f", {a}={b}" for a, b in config.items())
    expect_equal(got["attributes"], want["attributes"],
                 what=f"MultiHeadAttention({ME}, 4{cfg}): attributes embed_dim, num_heads, head_dim, batch_first")


# Per init check: false-failure probability <= 2 * P_END = 5e-8 (see test_mha_initialisation).
P_END = 2.5e-8


def check_xavier(w, fan_in, fan_out, what):
    """All |w| <= bound (rounding slack 1e-6) and both ends reached: for n iid U(-b, b) draws,
    P(max < b(1 - delta)) = (1 - delta/2)**n = P_END with delta = 2 (1 - P_END**(1/n)); the same
    for the min, so a correct draw fails with probability at most 5e-8."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    x = w.double().reshape(-1)
    n = x.numel()
    delta = 2 * (1 - P_END ** (1 / n))
    hi, lo = x.max().item(), x.min().item()
    if hi > bound * (1 + 1e-6) or lo < -bound * (1 + 1e-6):
        raise Mismatch(f"{what}: Xavier-uniform values lie in [-b, b] with b = sqrt(6 / (fan_in + fan_out)) = "
                       f"{bound:.6g} for the [{fan_out}, {fan_in}] weight, but one is {max(hi, -lo):.6g}")
    if hi < bound * (1 - delta) or lo > -bound * (1 - delta):
        raise Mismatch(f"{what}: Xavier-uniform values should fill [-b, b] with b = {bound:.6g}; {n} draws span "
                       f"[{lo:.6g}, {hi:.6g}] (chance {P_END:g} for a correct draw): the bound is too small")


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
def test_mha_initialisation(student, reference):
    """Fresh module (embed_dim 32): zero biases, in_proj_weight Xavier-uniform over [3E, E].
    At most 2 check_xavier calls (reference, student): false failure <= 1e-7."""
    e = 32
    want = reference.run(mha_init, e, 4, case_seed(0))
    check_xavier(want["in_proj_weight"], e, 3 * e, "[the reference failed: this test is wrong]")
    got = student.run(mha_init, e, 4, case_seed(0))
    what = f"a fresh MultiHeadAttention({e}, 4)"
    expect_equal(got["in_proj_bias"], want["in_proj_bias"], what=f"{what}: in_proj_bias (zeros, as torch)")
    expect_equal(got["out_proj.bias"], want["out_proj.bias"], what=f"{what}: out_proj.bias (zeros, as torch)")
    w = got["in_proj_weight"]
    if tuple(w.shape) != (3 * e, e) or not torch.isfinite(w).all():
        raise Mismatch(f"{what}: in_proj_weight should be a finite [{3 * e}, {e}] tensor, got {tuple(w.shape)}")
    check_xavier(w, e, 3 * e, f"{what}: in_proj_weight")


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("average", [True, False], ids=["average", "per-head"])
@pytest.mark.parametrize("case", MASK_CASES)
def test_mha_matches_torch(student, reference, case, average, device, dtype):
    mha_check(student, reference, {}, case, device, dtype, extra={"average_attn_weights": average})


CONFIGS = {  # id: (config, embed_dim, num_heads)
    "one-head": ({}, ME, 1),
    "six-heads": ({}, ME, 6),
    "bias-False": ({"bias": False}, ME, MH),
    "batch_first-False": ({"batch_first": False}, ME, MH),
    "bias-False-batch_first-False": ({"bias": False, "batch_first": False}, 10, 2),
}


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("case", ["none", "attn-bool+kpm", "attn-float[BH,L,S]"])
@pytest.mark.parametrize("config_id", list(CONFIGS))
def test_mha_configurations(student, reference, config_id, case, device, dtype):
    config, embed_dim, num_heads = CONFIGS[config_id]
    mha_check(student, reference, config, case, device, dtype, embed_dim=embed_dim, num_heads=num_heads,
              extra={"average_attn_weights": False}, seed=30)


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("case", ["none", "attn-bool+kpm"])
def test_mha_self_attention(student, reference, case, device, dtype):
    mha_check(student, reference, {}, case, device, dtype, lq=L, s=L, self_attention=True, seed=40)


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("case", ["none", "kpm", "attn-float[L,S]"])
def test_mha_need_weights_false_returns_none(student, reference, case, device, dtype):
    mha_check(student, reference, {}, case, device, dtype, extra={"need_weights": False}, seed=50)


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("need_weights", [True, False], ids=["need_weights", "no-weights"])
@pytest.mark.parametrize("case", ["self", "self+kpm", "cross-L<S"])
def test_mha_is_causal_with_its_mask(student, reference, case, need_weights, device, dtype):
    """is_causal=True comes with the matching causal attn_mask (True above the diagonal), as torch requires."""
    lq, s = (L, S) if case == "cross-L<S" else (6, 6)
    extra = {"attn_mask": torch.ones(lq, s, dtype=torch.bool, device=device).triu(1), "is_causal": True,
             "need_weights": need_weights}
    mha_check(student, reference, {}, "kpm" if case == "self+kpm" else "none", device, dtype, lq=lq, s=s,
              self_attention=case != "cross-L<S", extra=extra, seed=60)


GRAD_CASES = {  # id: (config, mask case, average_attn_weights)
    "attn-bool+kpm": ({}, "attn-bool+kpm", True),
    "attn-float[BH,L,S]-per-head": ({}, "attn-float[BH,L,S]", False),
    "batch_first-False": ({"batch_first": False}, "none", True),
}


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.parametrize("grad_case", list(GRAD_CASES))
def test_mha_gradients_match_torch(student, reference, grad_case, device):
    """float64: loss = <out, G_out> + <attn_weights, G_w> with random G's; grads of the four
    parameters and of query, key, value."""
    config, case, average = GRAD_CASES[grad_case]
    dtype = torch.float64
    state = mha_state(ME, True, 70, device, dtype)
    g = gen(71)
    q, k, v = randn((B, L, ME), g), randn((B, S, ME), g), randn((B, S, ME), g)
    batch_first = config.get("batch_first", True)
    if not batch_first:
        q, k, v = (t.transpose(0, 1).contiguous() for t in (q, k, v))
    q, k, v = (t.to(device) for t in (q, k, v))
    kwargs = {**mha_masks(case, L, S, g, dtype, device), "average_attn_weights": average}
    grad_out = randn(tuple(q.shape), g).to(device)
    grad_w = randn((B, L, S) if average else (B, MH, L, S), g).to(device)
    args = (ME, MH, config, state, q, k, v, kwargs, grad_out, grad_w)
    got = student.run(mha_gradients, *args)
    want = reference.run(mha_gradients, *args)
    what = (f"gradients of sum(out * G) + sum(attn_weights * G_w) through MultiHeadAttention({ME}, {MH}"
            f"{''.join(f', {a}={b}' for a, b in config.items())}) with {case} on {device} float64")
    expect_close(got, want, what=what)


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.condition
@pytest.mark.parametrize("embed_dim,num_heads", [(10, 3), (12, 5)])
def test_mha_embed_dim_not_divisible_raises(student, reference, embed_dim, num_heads):
    # CURRICULUM rule 8: any exception counts (the docstring asks for ValueError; torch asserts).
    expect_equal(reference.run(raises, "MultiHeadAttention", [embed_dim, num_heads], {}), "raised",
                 what="[the reference: this test is wrong]")
    got = student.run(raises, "MultiHeadAttention", [embed_dim, num_heads], {})
    expect_equal(got, "raised", what=f"MultiHeadAttention({embed_dim}, {num_heads}): embed_dim not divisible "
                                     "by num_heads must raise (ValueError)")


@pytest.mark.exercise("ch6.attention.MultiHeadAttention")
@pytest.mark.condition
@pytest.mark.parametrize("case", ["attn-bool+kpm", "attn-float+kpm-float"])
def test_mha_new_tensors_follow_the_input_device(student, case):
    """On the `meta` device any tensor made without `device=` (a mask, a scale) shows up, with or without a GPU."""
    def inputs(device):
        g = gen(80)
        q, k, v = (randn(shape, g).to(device=device, dtype=torch.float32) for shape in ((B, L, ME), (B, S, ME),
                                                                                          (B, S, ME)))
        kwargs = {**mha_masks(case, L, S, g, torch.float32, device), "average_attn_weights": False}
        return ME, MH, {}, mha_state(ME, True, 81, device, torch.float32), q, k, v, kwargs

    got = run_on_meta(student, mha_forward, inputs)
    what = f"MultiHeadAttention({ME}, {MH})(q[{B},{L},{ME}], k[{B},{S},{ME}], v, {case}) on the meta device"
    expect_close(got["out"], torch.empty(B, L, ME, device="meta"), what=what + ": attn_output")
    expect_close(got["weights"], torch.empty(B, MH, L, S, device="meta"), what=what + ": attn_weights (per head)")
