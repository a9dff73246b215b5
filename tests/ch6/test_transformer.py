"""Hidden suite for ch6/transformer.py: TransformerBlock, TinyGPT, next_token_loss.

TransformerBlock is compared with torch's `nn.TransformerEncoderLayer(norm_first=True,
activation='gelu', batch_first=True, dropout=0)` loaded with the same state_dict:
outputs with every kind of mask and with is_causal=True alone (the block makes the causal
mask itself; torch's layer gets it from the test), parameter and input gradients (float64,
random upstream gradient). Its KV-cache path is checked against torch's *full* causal
forward: feeding the sequence in pieces through a cache must give the same outputs,
and the cache must hold exactly the keys and values the docstring names.

TinyGPT is graded in isolation (CURRICULUM rule 4): its sibling modules are the
reference solutions anyway, but TransformerBlock lives in the same module, so every
TinyGPT probe puts a trusted block class (`trusted.TrustedBlock`, tests/stand_ins.py)
in place of `impl.TransformerBlock` while the model is built and run, and restores it
afterwards. A bug in the student's block therefore costs the TinyGPT points nothing. The
probes also bring their own KV cache (`trusted.TrustedKVCache`: probes cannot import ch6.kv_cache).

Shapes are never square: d_model != dim_feedforward != T != B, head_dim != nhead,
vocab != T != B, so swapped axes change the answer. Masks never block every key of a
row (torch's output there depends on its version): key 0 is never blocked by a
random mask and never padding (sequences are right-padded).

float32: atol = max(default, 4 * the reference's own float32-vs-float64 error) (see
`expected`), so a correct solution that rounds differently is not punished.


The block's cache=/layer= path is part of its docstring (the student's whole specification,
CURRICULUM rule 7), so the block's own tests check it: a block without it, or with a wrong one,
fails TransformerBlock tests (never a skip), and TinyGPT, which decodes through the trusted
block, loses nothing for it. A TinyGPT that talks to its blocks another way than
`block(x, ..., cache=cache, layer=i)` keeps its own blocks (the trusted block is used only
when the TinyGPT calls blocks as the docstring says)."""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import Mismatch, expect_close, expect_equal, max_abs_diff, reference_answer, to_float64
from autograder.devices import run_on_meta
from autograder.suite_helpers import DTYPE_NAMES, gen, kwargs_text, where

# ------------------------------------------------------------------ problems

# TransformerBlock configurations: (d_model, nhead, dim_feedforward, B, T).
BLOCKS = {"d12-h3-ff20-B2-T7": (12, 3, 20, 2, 7),    # head_dim 4
          "d8-h1-ff28-B3-T5": (8, 1, 28, 3, 5)}      # a single head of 8
MASKS = ["none", "bool_mask", "float_mask", "causal_bool+is_causal", "causal_float+is_causal",
         "padding", "bool_mask+padding", "causal_bool+is_causal+padding"]

# TinyGPT: (vocab_size, d_model, nhead, num_layers, max_len), dim_feedforward, B, T.
GPT_ARGS = [13, 16, 4, 2, 12]
GPTS = {"default-ff": {"args": GPT_ARGS, "kwargs": {}},
        "ff24": {"args": GPT_ARGS, "kwargs": {"dim_feedforward": 24}},
        "3-layers": {"args": [11, 8, 2, 3, 10], "kwargs": {"dim_feedforward": 20}}}
GPT_B, GPT_T = 3, 9
DECODING = {"prompt4-then-1s": [4, 1, 1, 1, 1, 1],
            "one-at-a-time": [1] * 9,
            "chunks-3-2-1-3": [3, 2, 1, 3]}


def block_state(d, h, ff, seed, device="cpu", dtype=torch.float64):
    """A random state_dict with nn.TransformerEncoderLayer's names (all parameters nonzero)."""
    g = gen(seed)
    r = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)
    sd = {"self_attn.in_proj_weight": r(3 * d, d) * (1.5 / math.sqrt(d)),   # attention neither flat nor one-hot
          "self_attn.in_proj_bias": 0.3 * r(3 * d),
          "self_attn.out_proj.weight": r(d, d) / math.sqrt(d),
          "self_attn.out_proj.bias": 0.3 * r(d),
          "linear1.weight": r(ff, d) * (1.5 / math.sqrt(d)),
          "linear1.bias": 0.3 * r(ff),
          "linear2.weight": r(d, ff) / math.sqrt(ff),
          "linear2.bias": 0.3 * r(d),
          "norm1.weight": 1 + 0.3 * r(d),
          "norm1.bias": 0.3 * r(d),
          "norm2.weight": 1 + 0.3 * r(d),
          "norm2.bias": 0.3 * r(d)}
    return {k: v.to(device=device, dtype=dtype) for k, v in sd.items()}


def block_masks(kind, B, T, seed, device, dtype):
    """The forward keyword arguments for one mask kind (MHA polarity: bool True = blocked)."""
    g = gen(seed)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    blocked = torch.rand(T, T, generator=g) < 0.4
    blocked[:, 0] = False                                         # every row keeps key 0
    float_mask = 0.7 * torch.randn(T, T, generator=g, dtype=torch.float64)
    float_mask[blocked & ~torch.eye(T, dtype=torch.bool)] = -math.inf
    float_mask[:, 0] = float_mask[:, 0].clamp(min=-1.0)
    pad = torch.zeros(B, T, dtype=torch.bool)
    for b in range(1, B):
        pad[b, T - 2 * b:] = True                                 # right padding, position 0 never padded
    kw = {}
    if "bool_mask" in kind:
        kw["src_mask"] = blocked
    if "float_mask" in kind:
        kw["src_mask"] = float_mask
    if "causal_bool" in kind:
        kw["src_mask"] = causal
    if "causal_float" in kind:
        kw["src_mask"] = torch.zeros(T, T, dtype=torch.float64).masked_fill(causal, -math.inf)
    if "is_causal" in kind:
        kw["is_causal"] = True
    if "padding" in kind:
        kw["src_key_padding_mask"] = pad
    return {k: (v.to(device=device, dtype=dtype) if torch.is_tensor(v) and v.is_floating_point()
                else v.to(device) if torch.is_tensor(v) else v) for k, v in kw.items()}


def block_problem(name, device, dtype, seed):
    d, h, ff, B, T = BLOCKS[name]
    g = gen(seed + 1000)
    x = (1.5 * torch.randn(B, T, d, generator=g, dtype=torch.float64) + 0.5).to(device=device, dtype=dtype)
    grad_out = torch.randn(B, T, d, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    cfg = {"d_model": d, "nhead": h, "dim_feedforward": ff}
    return cfg, block_state(d, h, ff, seed, device, dtype), x, grad_out


def gpt_state(cfg, seed, device="cpu", dtype=torch.float64):
    """A random state_dict with the names TinyGPT's docstring gives (blocks as torch's layer)."""
    V, d, h, n_layers, max_len = cfg["args"]
    ff = cfg["kwargs"].get("dim_feedforward", 4 * d)
    g = gen(seed)
    r = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)
    sd = {"tok_emb.weight": r(V, d), "pos_emb.weight": r(max_len, d)}
    for i in range(n_layers):
        sd.update({f"blocks.{i}.{k}": v for k, v in block_state(d, h, ff, seed + 1 + i).items()})
    sd.update({"norm_f.weight": 1 + 0.3 * r(d), "norm_f.bias": 0.3 * r(d), "lm_head.weight": r(V, d) / math.sqrt(d)})
    return {k: v.to(device=device, dtype=dtype) for k, v in sd.items()}


def token_ids(cfg, B, T, seed, device):
    return torch.randint(cfg["args"][0], (B, T), generator=gen(seed)).to(device)


# ------------------------------------------------------------------ probes

def block_keys(impl, cfg):
    """The state_dict of a fresh impl.TransformerBlock: {name: shape}."""
    m = impl.TransformerBlock(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"])
    return {k: tuple(v.shape) for k, v in m.state_dict().items()}


def block_run(impl, cfg, sd, x, kwargs, grad_out=None, dropout=None):
    """impl.TransformerBlock with the state_dict sd on x: the output (and gradients when grad_out)."""
    extra = {} if dropout is None else {"dropout": dropout}
    m = impl.TransformerBlock(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"], **extra)
    m.to(device=x.device, dtype=x.dtype)
    m.load_state_dict(sd)
    if dropout is not None:
        m.eval()
    if grad_out is None:
        out = m(x, **kwargs)
        return {"out": out, "inputs_after": [x, kwargs]}
    xg = x.clone().requires_grad_()
    m(xg, **kwargs).backward(grad_out)
    grads = {name: p.grad for name, p in m.named_parameters()}
    grads["src"] = xg.grad
    return grads


def block_cached(impl, cfg, sd, x, chunks, layer, num_layers, hints="none"):
    """Feed x [B, T, E] in chunks through impl.TransformerBlock(..., cache=cache, layer=layer).

    hints: "none", or "is_causal" / "is_causal+src_mask": also pass is_causal=True (and a causal
    [n, n] src_mask of the chunk), as a TinyGPT may; with a cache the block ignores them."""
    m = impl.TransformerBlock(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"])
    m.to(device=x.device, dtype=x.dtype)
    m.load_state_dict(sd)
    cache, outs, t = trusted.TrustedKVCache(num_layers), [], 0
    for n in chunks:   # a block without the docstring's cache=/layer= fails here (TypeError): no skip
        kwargs = {} if hints == "none" else {"is_causal": True}
        if hints == "is_causal+src_mask":
            kwargs["src_mask"] = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
        outs.append(m(x[:, t:t + n], cache=cache, layer=layer, **kwargs))
        t += n
    return {"outs": outs, "keys": cache.keys, "values": cache.values, "x_after": x}


def gpt(impl, mode, cfg, sd, idx, arg=None):
    """Build impl.TinyGPT with a trusted TransformerBlock in place of impl's, load sd, run `mode`.

    modes: "state" (names, shapes, tying), "forward" (logits), "grad" (parameter
    gradients for the upstream gradient arg), "steps" (decode with a cache in chunks
    of the sizes in arg), "raises" (arg: None = full forward, else chunk sizes),
    "flops" (FLOPs of one-token cached steps at the cache lengths in arg, and of the
    full forward)."""
    def loaded():
        model = impl.TinyGPT(*cfg["args"], **cfg["kwargs"])
        model.to(device=idx.device, dtype=sd["tok_emb.weight"].dtype)
        model.load_state_dict(sd)
        return model

    def talks_like_the_docstring(model):
        """Does this TinyGPT call its blocks as the docstring says (cache=, layer=)? Else it
        keeps its own blocks: the curriculum leaves that protocol open."""
        try:
            with torch.no_grad():
                model(idx[:, :1])
                model(idx[:, :1], cache=trusted.TrustedKVCache(cfg["args"][3]))
        except TypeError:
            return False
        except Exception:
            pass   # any other error is the student's, and shows in the real run
        return True

    own_block = impl.TransformerBlock
    with probes.swapped(impl, "TransformerBlock", trusted.TrustedBlock):
        if mode == "state":
            model = impl.TinyGPT(*cfg["args"], **cfg["kwargs"])
            return {"shapes": {k: tuple(v.shape) for k, v in model.state_dict().items()},
                    "lm_head_is_tok_emb": model.lm_head.weight is model.tok_emb.weight,
                    "max_len": model.max_len}
        model = loaded()
        if not talks_like_the_docstring(model):
            impl.TransformerBlock = own_block
            model = loaded()
        cache = trusted.TrustedKVCache(cfg["args"][3])
        if mode == "forward":
            return {"logits": model(idx), "idx_after": idx}
        if mode == "grad":
            model(idx).backward(arg)
            return {name: p.grad for name, p in model.named_parameters()}
        if mode == "steps":
            logits, seq_lens, t = [], [], 0
            for n in arg:
                logits.append(model(idx[:, t:t + n], cache=cache))
                seq_lens.append(cache.seq_len)
                t += n
            return {"logits": logits, "seq_lens": seq_lens, "idx_after": idx}
        if mode == "raises":
            done = []

            def feed():
                if arg is None:
                    model(idx)
                t = 0
                for n in arg or []:
                    model(idx[:, t:t + n], cache=cache)
                    t += n
                    done.append(n)

            _, error = probes.attempt(feed)   # any exception type (the curriculum names none for TinyGPT)
            return {"completed_chunks": done, "error": None if error is None else "raised"}
        if mode == "flops":   # arg: the cache lengths at which a one-token step is counted
            from torch.utils.flop_counter import FlopCounterMode
            steps = []
            with torch.no_grad():
                model(idx[:, :arg[0]], cache=cache)
                for t in range(arg[0], idx.shape[1]):
                    if t in arg:
                        with FlopCounterMode(display=False) as counter:
                            model(idx[:, t:t + 1], cache=cache)
                        steps.append(counter.get_total_flops())
                    else:
                        model(idx[:, t:t + 1], cache=cache)
                with FlopCounterMode(display=False) as counter:
                    model(idx)
            return {"steps": steps, "full": counter.get_total_flops(), "seq_len": cache.seq_len}
        raise ValueError(f"unknown mode {mode}")


def loss_run(impl, logits, targets, kwargs, grad=None):
    """impl.next_token_loss(logits, targets, **kwargs); with grad: d(loss)/d(logits) for upstream grad."""
    if grad is None:
        out = impl.next_token_loss(logits, targets, **kwargs)
        return {"loss": out, "inputs_after": [logits, targets]}
    x = logits.clone().requires_grad_()
    out = impl.next_token_loss(x, targets, **kwargs)
    out.backward(grad)
    return {"loss": out.detach(), "grad": x.grad}


# ========================================================= TransformerBlock

@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_state_dict_names_like_torch(student, reference, name):
    d, h, ff, _, _ = BLOCKS[name]
    cfg = {"d_model": d, "nhead": h, "dim_feedforward": ff}
    got = student.run(block_keys, cfg)
    want = reference.run(block_keys, cfg)
    expect_equal(got, want, what=f"TransformerBlock({d}, {h}, {ff}).state_dict() (names -> shapes), "
                                 "as nn.TransformerEncoderLayer's")


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.parametrize("name,kind", [("d12-h3-ff20-B2-T7", kind) for kind in MASKS]
                         + [("d8-h1-ff28-B3-T5", kind)
                            for kind in ("none", "float_mask", "causal_bool+is_causal+padding")])
def test_block_forward_matches_torch(student, reference, name, kind, device, dtype):
    cfg, sd, x, _ = block_problem(name, device, dtype, seed=MASKS.index(kind))
    d, h, ff, B, T = BLOCKS[name]
    kwargs = block_masks(kind, B, T, seed=7 + MASKS.index(kind), device=device, dtype=dtype)
    what = (f"TransformerBlock({d}, {h}, {ff})(src[{B},{T},{d}]{', ' if kwargs else ''}{kwargs_text(kwargs)}) "
            f"{where(device, dtype)}, vs nn.TransformerEncoderLayer(norm_first=True, activation='gelu')")
    got = student.run(block_run, cfg, sd, x, kwargs)
    want, atol = reference_answer(reference, block_run, (cfg, sd, x, kwargs), dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)
    expect_equal(got["inputs_after"], [x, kwargs], what=what + ": [src, masks] after the call (must not change)")


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.parametrize("padding", [False, True], ids=["is_causal", "is_causal+padding"])
def test_block_is_causal_without_a_mask(student, reference, padding, device, dtype):
    """is_causal=True with src_mask=None: the block applies the causal mask itself (its docstring; this is
    how TinyGPT calls it). torch's layer needs the mask with the hint, so the reference gets it."""
    cfg, sd, x, _ = block_problem("d12-h3-ff20-B2-T7", device, dtype, seed=45)
    ref_kwargs = block_masks("causal_bool+is_causal" + ("+padding" if padding else ""), 2, 7, seed=46,
                             device=device, dtype=dtype)
    kwargs = {k: v for k, v in ref_kwargs.items() if k != "src_mask"}
    what = (f"TransformerBlock(12, 3, 20)(src[2,7,12], {kwargs_text(kwargs)}) {where(device, dtype)}: no src_mask, "
            "so is_causal=True applies the causal mask (token t sees tokens <= t), vs nn.TransformerEncoderLayer "
            "with the causal mask")
    got = student.run(block_run, cfg, sd, x, kwargs)
    want, atol = reference_answer(reference, block_run, (cfg, sd, x, ref_kwargs), dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what)


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
def test_block_dropout_argument_and_eval_mode(student, reference, dtype):
    """TransformerBlock(..., dropout=0.25).eval() is deterministic and equals torch's layer in eval mode."""
    cfg, sd, x, _ = block_problem("d12-h3-ff20-B2-T7", "cpu", dtype, seed=20)
    kwargs = block_masks("causal_bool+is_causal", 2, 7, seed=21, device="cpu", dtype=dtype)
    got = student.run(block_run, cfg, sd, x, kwargs, None, 0.25)
    want, atol = reference_answer(reference, block_run, (cfg, sd, x, kwargs, None, 0.25), dtype)
    expect_close(got["out"], want["out"], atol=atol,
                 what=f"TransformerBlock(12, 3, 20, dropout=0.25).eval()(src[2,7,12], causal mask) "
                      f"{DTYPE_NAMES[dtype]} (dropout is off in eval mode)")


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.parametrize("kind", ["none", "float_mask", "causal_bool+is_causal", "bool_mask+padding"])
def test_block_gradients_match_torch(student, reference, kind, device):
    cfg, sd, x, grad_out = block_problem("d12-h3-ff20-B2-T7", device, torch.float64, seed=30)
    kwargs = block_masks(kind, 2, 7, seed=31, device=device, dtype=torch.float64)
    got = student.run(block_run, cfg, sd, x, kwargs, grad_out)
    want = reference.run(block_run, cfg, sd, x, kwargs, grad_out)
    what = (f"gradients of (TransformerBlock(12, 3, 20)(src[2,7,12]{', ' if kwargs else ''}{kwargs_text(kwargs)})"
            f" * a random upstream gradient).sum() on {device} float64, by parameter name ('src': the input)")
    expect_close(got, want, what=what)


def expected_cache(cfg, sd, x, layer, num_layers):
    """The keys and values the block's cache must hold: norm1(x) projected, split into heads."""
    d, h = cfg["d_model"], cfg["nhead"]
    B, T, _ = x.shape
    hx = torch.nn.functional.layer_norm(x, (d,), sd["norm1.weight"], sd["norm1.bias"])
    qkv = torch.nn.functional.linear(hx, sd["self_attn.in_proj_weight"], sd["self_attn.in_proj_bias"])
    k, v = (t.reshape(B, T, h, d // h).transpose(1, 2) for t in qkv.split(d, dim=-1)[1:])
    keys, values = [None] * num_layers, [None] * num_layers
    keys[layer], values[layer] = k, v
    return keys, values


CACHE_FEEDS = {"one-at-a-time": ([1] * 7, "none"), "prompt3-1-2-1": ([3, 1, 2, 1], "none"),
               "chunks-2-3-2": ([2, 3, 2], "none"), "all-at-once": ([7], "none"),
               # as TinyGPT calls its blocks: is_causal=True (and maybe a mask) beside the cache, ignored there
               "prompt3-1-2-1+is_causal": ([3, 1, 2, 1], "is_causal"),
               "chunks-2-3-2+is_causal+src_mask": ([2, 3, 2], "is_causal+src_mask")}


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.parametrize("feed", list(CACHE_FEEDS))
def test_block_kv_cache_equals_full_causal_forward(student, reference, feed, device, dtype):
    chunks, hints = CACHE_FEEDS[feed]
    cfg, sd, x, _ = block_problem("d12-h3-ff20-B2-T7", device, dtype, seed=40)
    causal = {"src_mask": torch.ones(7, 7, dtype=torch.bool, device=device).triu(1), "is_causal": True}
    layer, num_layers = 1, 3
    extra = {"none": "", "is_causal": ", is_causal=True",
             "is_causal+src_mask": ", is_causal=True, src_mask=the chunk's causal mask"}[hints]
    what = (f"TransformerBlock(12, 3, 20) fed src[2,7,12] in chunks of {chunks} with cache=KVCache(3), layer=1"
            f"{extra}, {where(device, dtype)}")
    if extra:
        what += " (with a cache the masks and is_causal are ignored)"
    got = student.run(block_cached, cfg, sd, x, chunks, layer, num_layers, hints)
    want, atol = reference_answer(reference, block_run, (cfg, sd, x, causal), dtype)
    t = 0
    for i, n in enumerate(chunks):
        expect_close(got["outs"][i], want["out"][:, t:t + n], atol=atol,
                     what=what + f": output of chunk {i} (positions {t}..{t + n - 1}) vs "
                                 "nn.TransformerEncoderLayer's full forward with the causal mask")
        t += n
    keys, values = expected_cache(cfg, sd, x, layer, num_layers)
    cache_atol = None
    if dtype == torch.float32:
        keys64, values64 = expected_cache(cfg, to_float64(sd), x.double(), layer, num_layers)
        cache_atol = max(1e-5, 4 * max_abs_diff([keys[layer], values[layer]], [keys64[layer], values64[layer]]))
    expect_close(got["keys"], keys, atol=cache_atol,
                 what=what + ": the cache's keys per layer after the last chunk (cache.update(layer, k, v) with "
                             "k = heads of norm1(src)'s key projection, [B, nhead, T, head_dim]; "
                             "other layers untouched)")
    expect_close(got["values"], values, atol=cache_atol,
                 what=what + ": the cache's values per layer after the last chunk")
    expect_equal(got["x_after"], x, what=what + ": src after the calls (must not change)")


@pytest.mark.exercise("ch6.transformer.TransformerBlock")
@pytest.mark.condition
@pytest.mark.parametrize("path", ["masks", "is_causal", "kv_cache"])
def test_block_new_tensors_follow_the_input_device(student, reference, path):
    """On the `meta` device any tensor made without `device=` (a mask) shows up, with or without a GPU."""
    def problem(device):
        cfg, sd, x, _ = block_problem("d12-h3-ff20-B2-T7", device, torch.float32, seed=50)
        if path == "masks":
            kwargs = block_masks("causal_bool+is_causal+padding", 2, 7, seed=51, device=device, dtype=torch.float32)
            return block_run, (cfg, sd, x, kwargs)
        if path == "is_causal":   # the block makes the causal mask itself
            return block_run, (cfg, sd, x, {"is_causal": True})
        return block_cached, (cfg, sd, x, [3, 2, 2], 0, 1)

    probe, args = problem("meta")
    got = run_on_meta(student, probe, lambda device: problem(device)[1])
    about = {"masks": "masks", "is_causal": "is_causal=True without a mask", "kv_cache": "KV-cache path"}[path]
    what = f"TransformerBlock(12, 3, 20) on the meta device ({about})"
    if path == "masks":
        want = reference.run(block_run, *args)
        expect_close(got["out"], want["out"], what=what)
    elif path == "is_causal":
        expect_close(got["out"], torch.empty(2, 7, 12, device="meta"), what=what)
    else:
        want = [torch.empty(2, n, 12, device="meta") for n in (3, 2, 2)]
        expect_close(got["outs"], want, what=what + ": chunk outputs")


# ================================================================== TinyGPT

def gpt_text(cfg):
    args = ", ".join(map(str, cfg["args"])) + "".join(f", {k}={v}" for k, v in cfg["kwargs"].items())
    return f"TinyGPT({args})"


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.parametrize("name", list(GPTS))
def test_gpt_state_dict_names_and_shapes(student, reference, name):
    cfg = GPTS[name]
    got = student.run(gpt, "state", cfg, None, None)
    want = reference.run(gpt, "state", cfg, None, None)
    what = f"{gpt_text(cfg)}.state_dict() (names -> shapes; the blocks are a trusted TransformerBlock)"
    expect_equal(got["shapes"], want["shapes"], what=what)   # default dim_feedforward: linear1 [4*d_model, d_model]
    expect_equal(got["lm_head_is_tok_emb"], False,
                 what=f"{gpt_text(cfg)}: lm_head.weight is tok_emb.weight (must not be tied)")
    expect_equal(got["max_len"], cfg["args"][4], what=f"{gpt_text(cfg)}.max_len")


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.parametrize("T", [GPT_T, 12, 1], ids=["T9", "T12=max_len", "T1"])
@pytest.mark.parametrize("name", ["default-ff", "ff24", "3-layers"])
def test_gpt_forward_matches_reference(student, reference, name, T, device, dtype):
    cfg = GPTS[name]
    T = min(T, cfg["args"][4])
    sd = gpt_state(cfg, seed=60, device=device, dtype=dtype)
    idx = token_ids(cfg, GPT_B, T, seed=61, device=device)
    what = f"{gpt_text(cfg)}(idx[{GPT_B},{T}]) logits {where(device, dtype)} (causal; positions 0..T-1)"
    got = student.run(gpt, "forward", cfg, sd, idx)
    want, atol = reference_answer(reference, gpt, ("forward", cfg, sd, idx), dtype)
    expect_close(got["logits"], want["logits"], atol=atol, what=what)
    expect_equal(got["idx_after"], idx, what=what + ": idx after the call (must not change)")


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.parametrize("name", ["default-ff", "3-layers"])
def test_gpt_gradients_match_reference(student, reference, name):
    cfg = GPTS[name]
    sd = gpt_state(cfg, seed=70)
    idx = token_ids(cfg, GPT_B, GPT_T, seed=71, device="cpu")
    grad = torch.randn(GPT_B, GPT_T, cfg["args"][0], generator=gen(72), dtype=torch.float64)
    got = student.run(gpt, "grad", cfg, sd, idx, grad)
    want = reference.run(gpt, "grad", cfg, sd, idx, grad)
    expect_close(got, want, what=f"gradients of ({gpt_text(cfg)}(idx[{GPT_B},{GPT_T}]) * a random upstream "
                                 "gradient).sum(), float64, by parameter name")


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.parametrize("decoding", list(DECODING))
@pytest.mark.parametrize("name", ["default-ff", "3-layers"])
def test_gpt_incremental_decoding_equals_full_forward(student, reference, name, decoding, device, dtype):
    cfg, chunks = GPTS[name], DECODING[decoding]
    T = sum(chunks)
    sd = gpt_state(cfg, seed=80, device=device, dtype=dtype)
    idx = token_ids(cfg, GPT_B, T, seed=81, device=device)
    what = (f"{gpt_text(cfg)} decoding idx[{GPT_B},{T}] in chunks of {chunks} with a KVCache, "
            f"{where(device, dtype)}")
    got = student.run(gpt, "steps", cfg, sd, idx, chunks)
    want, atol = reference_answer(reference, gpt, ("forward", cfg, sd, idx), dtype)
    ends = [sum(chunks[:i + 1]) for i in range(len(chunks))]
    t = 0
    for i, n in enumerate(chunks):
        expect_close(got["logits"][i], want["logits"][:, t:t + n], atol=atol,
                     what=what + f": logits of chunk {i} (positions {t}..{t + n - 1}; they continue from "
                                 f"cache.seq_len = {t}) vs the full forward's")
        t += n
    expect_equal(got["seq_lens"], ends, what=what + ": cache.seq_len after each chunk (every block updates "
                                                    "its own layer: block i gets cache=cache, layer=i)")
    expect_equal(got["idx_after"], idx, what=what + ": idx after the calls (must not change)")


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.condition
@pytest.mark.parametrize("path", ["forward", "kv_cache"])
def test_gpt_new_tensors_follow_the_input_device(student, path):
    """On the `meta` device any tensor made without `device=` (the positions, a mask) shows up, with
    or without a GPU."""
    cfg, chunks = GPTS["default-ff"], [4, 1, 1]
    V, T = cfg["args"][0], sum(chunks)

    def problem(device):
        sd = gpt_state(cfg, seed=100, device=device, dtype=torch.float32)
        idx = token_ids(cfg, GPT_B, T, seed=101, device=device)
        return ("forward", cfg, sd, idx) if path == "forward" else ("steps", cfg, sd, idx, chunks)

    got = run_on_meta(student, gpt, problem)
    if path == "forward":
        expect_close(got["logits"], torch.empty(GPT_B, T, V, device="meta"),
                     what=f"{gpt_text(cfg)}(idx[{GPT_B},{T}]) on the meta device: the logits")
    else:
        expect_close(got["logits"], [torch.empty(GPT_B, n, V, device="meta") for n in chunks],
                     what=f"{gpt_text(cfg)} decoding idx[{GPT_B},{T}] in chunks of {chunks} with a KVCache on "
                          "the meta device: the logits of each chunk")


TOO_LONG = {"full-T13": None, "cache-10-then-3": [10, 3], "cache-11-then-1-1": [11, 1, 1], "cache-12-then-1": [12, 1]}


@pytest.mark.exercise("ch6.transformer.TinyGPT")
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.condition) if TOO_LONG[c] is None else c
                                  for c in TOO_LONG])   # full-T13 only raises: a condition
def test_gpt_more_than_max_len_positions_raise(student, case):
    cfg = GPTS["default-ff"]                                   # max_len 12
    sd = gpt_state(cfg, seed=90)
    if case == "full-T13":
        idx, chunks, want = token_ids(cfg, 2, 13, 91, "cpu"), None, {"completed_chunks": [], "error": "raised"}
        what = f"{gpt_text(cfg)}(idx[2,13]): 13 positions > max_len 12 must raise an error"
    else:
        chunks = TOO_LONG[case]
        idx = token_ids(cfg, 2, sum(chunks), 92, "cpu")
        want = {"completed_chunks": chunks[:-1], "error": "raised"}
        what = (f"{gpt_text(cfg)} with a KVCache, chunks {chunks}: the chunks up to 12 positions in all work, "
                "the one going past max_len 12 must raise an error")
    got = student.run(gpt, "raises", cfg, sd, idx, chunks)
    expect_equal(got, want, what=what)


@pytest.mark.exercise("ch6.transformer.TinyGPT")
def test_gpt_decoding_cost_grows_linearly(student):
    """FLOPs (torch.utils.flop_counter.FlopCounterMode, deterministic) of a one-token cached
    step at cache lengths t = 6, 14, 22, 30 must be affine in t, and far below a full forward.

    A cached step attends 1 query to t+1 keys: 4*B*d_model*(t+1) FLOPs per layer, plus a
    constant for the projections, the MLP and lm_head, so its second differences are 0.
    A step that recomputes the whole prefix costs about a full forward, whose attention is
    4*B*d_model*(t+1)**2 per layer: second differences of 8*B*d_model*num_layers*8**2 at
    this spacing of 8. We allow 5% of that (the check is exact for torch's counter)."""
    cfg = {"args": [13, 16, 2, 2, 40], "kwargs": {}}
    V, d, h, L, _ = cfg["args"]
    B, lengths = 2, [6, 14, 22, 30]
    T, gap = lengths[-1] + 1, lengths[1] - lengths[0]
    sd = gpt_state(cfg, seed=100)
    idx = token_ids(cfg, B, T, seed=101, device="cpu")
    got = student.run(gpt, "flops", cfg, sd, idx, lengths)
    steps, full = got["steps"], got["full"]
    what = (f"{gpt_text(cfg)} decoding idx[{B},{T}] one token at a time after a prompt of {lengths[0]} "
            f"with a KVCache")
    expect_equal(got["seq_len"], T, what=what + ": cache.seq_len at the end")
    quadratic = 8 * B * d * L * gap ** 2
    d2 = [steps[i + 2] - 2 * steps[i + 1] + steps[i] for i in range(len(steps) - 2)]
    worst = max(range(len(d2)), key=lambda i: abs(d2[i]))
    if abs(d2[worst]) > 0.05 * quadratic:
        raise Mismatch(f"{what}: FLOPs of a one-token step at cache lengths {lengths} are {steps}; they "
                       f"must grow linearly with the length, but their second difference around length "
                       f"{lengths[worst + 1]} is {d2[worst]} (a step that recomputes the whole prefix shows "
                       f"about {quadratic}): use the cache, run the blocks on the new tokens only")
    if steps[-1] > full / 4:
        raise Mismatch(f"{what}: the step at cache length {lengths[-1]} costs {steps[-1]} FLOPs, the full "
                       f"forward of {T} tokens {full}; a cached step must cost far less (at most a quarter): "
                       "do not recompute the prefix")


# ========================================================== next_token_loss

# (B, T, V), keyword arguments, which positions are ignored
LOSS_CASES = {
    "none-ignored": ((3, 5, 7), {}, "none"),
    "default-ignore": ((3, 5, 7), {}, "some"),
    "ignore_index=2": ((4, 3, 6), {"ignore_index": 2}, "some"),     # a valid class id, ignored
    "ignore_index=-1": ((2, 6, 9), {"ignore_index": -1}, "some"),
    "one-kept": ((2, 4, 5), {}, "all-but-one"),
}


def loss_problem(case, device, dtype, seed, scale=2.0):
    (B, T, V), kwargs, ignored = LOSS_CASES[case]
    g = gen(seed)
    logits = (scale * torch.randn(B, T, V, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)
    ignore = kwargs.get("ignore_index", -100)
    targets = torch.randint(V, (B, T), generator=g)
    if ignore in range(V):
        targets[targets == ignore] = (ignore + 1) % V        # only the chosen positions are ignored
    if ignored == "some":
        targets[0, 1] = targets[-1, -1] = targets[1, 0] = ignore
    if ignored == "all-but-one":
        targets[:] = ignore
        targets[1, 2] = 3
    return logits, targets.to(device), kwargs


def loss_text(case, logits, kwargs, device, dtype):
    args = "".join(f", {k}={v}" for k, v in kwargs.items())
    return (f"next_token_loss(logits{list(logits.shape)}, targets{list(logits.shape[:2])}{args}) [{case}] "
            f"{where(device, dtype)}")


@pytest.mark.exercise("ch6.transformer.next_token_loss")
@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_matches_cross_entropy(student, reference, case, device, dtype):
    logits, targets, kwargs = loss_problem(case, device, dtype, seed=110 + len(case))
    what = loss_text(case, logits, kwargs, device, dtype)
    got = student.run(loss_run, logits, targets, kwargs)
    want, atol = reference_answer(reference, loss_run, (logits, targets, kwargs), dtype)
    expect_close(got["loss"], want["loss"], atol=atol,
                 what=what + " vs F.cross_entropy (a 0-d tensor: the mean over the non-ignored positions)")
    expect_equal(got["inputs_after"], [logits, targets], what=what + ": [logits, targets] after (must not change)")


@pytest.mark.exercise("ch6.transformer.next_token_loss")
@pytest.mark.parametrize("case", ["default-ignore", "ignore_index=2", "one-kept"])
def test_loss_gradient_matches_autograd(student, reference, case, device):
    logits, targets, kwargs = loss_problem(case, device, torch.float64, seed=120)
    grad = torch.tensor(0.37, dtype=torch.float64, device=device)
    got = student.run(loss_run, logits, targets, kwargs, grad)
    want = reference.run(loss_run, logits, targets, kwargs, grad)
    what = loss_text(case, logits, kwargs, device, torch.float64)
    expect_close(got["grad"], want["grad"], what=f"d/d logits of 0.37 * {what} (ignored positions get 0)")


@pytest.mark.exercise("ch6.transformer.next_token_loss")
@pytest.mark.parametrize("case", ["default-ignore", "ignore_index=-1"])
def test_loss_large_logits(student, reference, case, device, dtype):
    """Logits of ±1e3: a softmax without max-subtraction overflows (exp(1000) = inf)."""
    logits, targets, kwargs = loss_problem(case, device, dtype, seed=130, scale=1.0)
    logits = (1e3 * torch.tanh(logits.double())).to(dtype)
    what = loss_text(case, logits, kwargs, device, dtype) + " with logits up to ±1e3"
    got = student.run(loss_run, logits, targets, kwargs)
    want, atol = reference_answer(reference, loss_run, (logits, targets, kwargs), dtype)
    expect_close(got["loss"], want["loss"], atol=atol, what=what)
