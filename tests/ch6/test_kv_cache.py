"""Hidden suite for ch6/kv_cache.py: sequences of updates as a decoder makes them, against a reference that
keeps every chunk and concatenates all of them on each update.

One probe replays a list of operations on a fresh cache: ("update", layer, k, v) records the returned
(k_all, v_all) (cloned at once, so a later update may reuse buffers), ("seq_len",) records
`cache.seq_len`. seq_len is read only where every layer holds the same number of positions (between
forward passes), so any reasonable definition of it passes. Shapes are [B, H, T, Dh] with B, H, T, Dh
all different, and k != v.
"""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.suite_helpers import gen, where

# ------------------------------------------------------------------ probes

def replay(impl, num_layers, ops):
    cache = impl.KVCache(num_layers)
    results = []
    for op in ops:
        if op[0] == "seq_len":
            results.append(cache.seq_len)
        else:
            k_all, v_all = cache.update(op[1], op[2], op[3])
            results.append([k_all.clone(), v_all.clone()])
    return {"results": results, "ops_after": ops}


# ----------------------------------------------------------------- helpers

def kv(shape, seed, device, dtype):
    g = gen(seed)
    k = torch.randn(shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    v = (torch.randn(shape, generator=g, dtype=torch.float64) + 3).to(device=device, dtype=dtype)
    return k, v


def forward_passes(chunks, num_layers, B, H, Dh, device, dtype, seed=0):
    """seq_len of the fresh cache, then per forward pass: every layer updated in order, then seq_len."""
    ops, texts = [("seq_len",)], ["cache.seq_len of a fresh cache"]
    cached = 0
    for n, T in enumerate(chunks):
        for layer in range(num_layers):
            k, v = kv((B, H, T, Dh), seed=1000 * seed + 10 * n + layer, device=device, dtype=dtype)
            ops.append(("update", layer, k, v))
            texts.append(f"forward pass {n + 1} (chunks {chunks[:n + 1]}): update({layer}, k[{B},{H},{T},{Dh}], "
                         f"v[{B},{H},{T},{Dh}]) -> (k_all, v_all), {cached + T} positions")
        cached += T
        ops.append(("seq_len",))
        texts.append(f"cache.seq_len after forward pass {n + 1} ({' + '.join(map(str, chunks[:n + 1]))} "
                     f"positions cached in every layer)")
    return ops, texts


def check_replay(student, reference, num_layers, ops, texts, setting):
    got = student.run(replay, num_layers, ops)
    want = reference.run(replay, num_layers, ops)
    head = f"KVCache({num_layers}) {setting}"
    if len(got["results"]) != len(want["results"]):   # cannot happen unless the probe changed
        expect_equal(len(got["results"]), len(want["results"]), what=f"{head}: number of results")
    for g, w, text in zip(got["results"], want["results"], texts):
        if isinstance(w, int):
            expect_equal(g, w, what=f"{head}, {text}")
        else:
            expect_close(g, w, what=f"{head}, {text}: [k_all, v_all] (all of this layer's k, v so far, "
                                    "new ones last, along dim 2)")
    expect_equal(got["ops_after"], ops, what=f"{head}: the k, v passed in, after all updates (must not change)")


# ------------------------------------------------------------------- tests

@pytest.mark.exercise("ch6.kv_cache.KVCache")
@pytest.mark.parametrize("num_layers", [1, 4])
def test_fresh_cache_has_seq_len_zero(student, reference, num_layers):
    check_replay(student, reference, num_layers, [("seq_len",)], ["cache.seq_len of a fresh cache (must be 0)"],
                 "(nothing cached)")


@pytest.mark.exercise("ch6.kv_cache.KVCache")
def test_prompt_then_single_tokens_then_a_chunk(student, reference, device, dtype):
    chunks = [5, 1, 1, 1, 6]                  # prompt of 5, three decoding steps, a chunk of 6
    ops, texts = forward_passes(chunks, 3, B=2, H=3, Dh=4, device=device, dtype=dtype, seed=1)
    check_replay(student, reference, 3, ops, texts, f"{where(device, dtype)}, B=2 H=3 Dh=4")


@pytest.mark.exercise("ch6.kv_cache.KVCache")
def test_token_by_token_from_the_start(student, reference, device):
    chunks = [1, 1, 1, 1]
    ops, texts = forward_passes(chunks, 2, B=3, H=2, Dh=5, device=device, dtype=torch.float64, seed=2)
    check_replay(student, reference, 2, ops, texts, f"on {device} float64, B=3 H=2 Dh=5")


@pytest.mark.exercise("ch6.kv_cache.KVCache")
def test_one_layer_batch_of_one(student, reference):
    chunks = [3, 1, 2]
    ops, texts = forward_passes(chunks, 1, B=1, H=1, Dh=6, device="cpu", dtype=torch.float32, seed=3)
    check_replay(student, reference, 1, ops, texts, "on cpu float32, B=1 H=1 Dh=6")


@pytest.mark.exercise("ch6.kv_cache.KVCache")
def test_layers_are_independent(student, reference, device):
    """Layers updated out of order and unevenly; seq_len read only once all hold 6 positions."""
    B, H, Dh = 2, 3, 4
    plan = [(1, 4), (1, 2), (0, 3), (2, 1), (0, 1), (2, 5), (0, 2)]    # (layer, T): 6 positions each at the end
    ops, texts, held = [], [], [0, 0, 0]
    for n, (layer, T) in enumerate(plan):
        k, v = kv((B, H, T, Dh), seed=50 + n, device=device, dtype=torch.float64)
        ops.append(("update", layer, k, v))
        held[layer] += T
        texts.append(f"update #{n + 1} of the plan {plan} (layer, T): update({layer}, k[{B},{H},{T},{Dh}], ...), "
                     f"layer {layer} now holds {held[layer]} positions; layers hold {held}")
    ops.append(("seq_len",))
    texts.append("cache.seq_len once every layer holds 6 positions")
    check_replay(student, reference, 3, ops, texts, f"on {device} float64, B={B} H={H} Dh={Dh}")


@pytest.mark.exercise("ch6.kv_cache.KVCache")
@pytest.mark.condition
def test_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` (a preallocated buffer) shows up."""
    def session(device):
        return forward_passes([4, 1, 2], 2, B=2, H=3, Dh=5, device=device, dtype=torch.float32, seed=4)

    got = run_on_meta(student, replay, lambda device: (2, session(device)[0]))
    ops, texts = session("meta")
    want = reference.run(replay, 2, ops)
    for g, w, text in zip(got["results"], want["results"], texts):
        expect_close(g, w, what=f"KVCache(2) on the meta device, {text}")
