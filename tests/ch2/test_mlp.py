"""Hidden suite for ch2/mlp.py: forward against F.linear + torch's activations, backward against autograd.

The cache is the student's own format: probes only hand it from `impl.mlp_forward`
to `impl.mlp_backward` inside one probe, never look at it or return it.
"""
import math

import pytest
import torch

from autograder.compare import expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import gen, where

ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu"]
# Layer widths d_0 = D, d_1, ..., d_L: no two consecutive equal, none equal to N (= 7), so a
# missing transpose or a swapped axis changes the shape of the answer.
N = 7
NETWORKS = {"L1": [5, 3], "L2": [5, 8, 3], "L3": [5, 9, 6, 3]}
DEEP = [4, 6, 3, 5, 2, 7, 4, 6, 3, 5, 8, 3]  # 11 layers: "W10" sorts before "W2"


# ------------------------------------------------------------------ probes

def forward(impl, x, params, kwargs):
    out, cache = impl.mlp_forward(x, params, **kwargs)
    return {"out": out, "inputs_after": [x, params]}


def forward_backward(impl, x, params, grad_out, kwargs):
    out, cache = impl.mlp_forward(x, params, **kwargs)
    grads = impl.mlp_backward(grad_out, cache)
    return {"grads": dict(grads), "inputs_after": [x, params, grad_out]}


def backward_twice(impl, x, params, grad_out, kwargs):
    """Two backward passes from one cache: mlp_backward must not modify the cache."""
    out, cache = impl.mlp_forward(x, params, **kwargs)
    first = impl.mlp_backward(grad_out, cache)
    second = impl.mlp_backward(grad_out, cache)
    return {"first": dict(first), "second": dict(second)}


def two_in_flight(impl, x1, x2, params, g1, g2, kwargs):
    """Two forward passes before their backward passes (a global cache would mix them up)."""
    out1, cache1 = impl.mlp_forward(x1, params, **kwargs)
    out2, cache2 = impl.mlp_forward(x2, params, **kwargs)
    grads2 = impl.mlp_backward(g2, cache2)
    grads1 = impl.mlp_backward(g1, cache1)
    return {"grads1": dict(grads1), "grads2": dict(grads2)}


# ----------------------------------------------------------------- helpers

def make_problem(dims, n, device, dtype, seed, shuffle_keys=False):
    """x [n, dims[0]], params of a len(dims)-1 layer MLP, a random upstream gradient [n, dims[-1]]."""
    g = gen(seed)
    x = torch.randn(n, dims[0], generator=g, dtype=torch.float64)
    params = {}
    for i in range(1, len(dims)):
        # pre-activations of size ~1.5: the nonlinear part of tanh/sigmoid/gelu is exercised
        scale = 1.5 / math.sqrt(dims[i - 1])
        params[f"W{i}"] = torch.randn(dims[i], dims[i - 1], generator=g, dtype=torch.float64) * scale
        params[f"b{i}"] = 0.5 * torch.randn(dims[i], generator=g, dtype=torch.float64)
    grad_out = torch.randn(n, dims[-1], generator=g, dtype=torch.float64)
    if shuffle_keys:
        order = torch.randperm(len(params), generator=g).tolist()
        names = list(params)
        params = {names[i]: params[names[i]] for i in order}
    to = dict(device=device, dtype=dtype)
    return x.to(**to), {k: v.to(**to) for k, v in params.items()}, grad_out.to(**to)


def expect_grads(got, want, atol, what):
    """Every params key must be there; an "x" key is optional but then must be right."""
    names = sorted((k for k in want if k != "x"), key=lambda k: (int(k[1:]), k[0] != "W"))
    if "x" in got:
        names.append("x")
    expect_close(got, {k: want[k] for k in names}, atol=atol, what=what)  # reports W1, b1, W2, ... first


def arch(dims):
    return "->".join(map(str, dims))


def deep_problem(activation, device, dtype, seed):
    """make_problem for DEEP with the params keys shuffled: x, params, grad_out, the keyword
    arguments, and the text of the mlp_forward call."""
    x, params, grad_out = make_problem(DEEP, 9, device, dtype, seed=seed, shuffle_keys=True)
    call = (f"mlp_forward(x[9,{DEEP[0]}], params of an 11-layer {arch(DEEP)} MLP with the dict keys "
            f"in the order {list(params)}, activation={activation!r}) {where(device, dtype)}")
    return x, params, grad_out, {"activation": activation}, call


# ------------------------------------------------------------------ forward

@pytest.mark.exercise("ch2.mlp.mlp_forward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("layers", list(NETWORKS))
def test_forward_matches_torch(student, reference, layers, activation, device, dtype):
    dims = NETWORKS[layers]
    x, params, _ = make_problem(dims, N, device, dtype, seed=len(dims))
    kwargs = {"activation": activation}
    what = (f"mlp_forward(x[{N},{dims[0]}], params of a {arch(dims)} MLP, activation={activation!r}) "
            f"{where(device, dtype)}")
    got = student.run(forward, x, params, kwargs)
    want, atol = reference_answer(reference, forward, (x, params, kwargs), dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what + ": out")
    expect_equal(got["inputs_after"], [x, params], what=what + ": [x, params] after the call (must not change)")


@pytest.mark.exercise("ch2.mlp.mlp_forward")
def test_forward_default_activation_is_relu(student, reference):
    x, params, _ = make_problem(NETWORKS["L2"], N, "cpu", torch.float64, seed=10)
    got = student.run(forward, x, params, {})
    want = reference.run(forward, x, params, {"activation": "relu"})
    expect_close(got["out"], want["out"], what="mlp_forward(x, params) without activation= (default 'relu'): out")


@pytest.mark.exercise("ch2.mlp.mlp_forward")
@pytest.mark.condition
@pytest.mark.parametrize("activation", ["softplus", "leaky_relu", "RELU"])
def test_forward_rejects_unknown_activation(student, activation):
    # CURRICULUM rule 8: the table names no exception type, so any exception counts
    # (the docstring asks for ValueError).
    x, params, _ = make_problem(NETWORKS["L2"], N, "cpu", torch.float64, seed=11)
    got = student.run(raises, "mlp_forward", [x, params], {"activation": activation})
    expect_equal(got, "raised", what=f"mlp_forward(x, params, activation={activation!r}) must raise (ValueError)")


@pytest.mark.exercise("ch2.mlp.mlp_forward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_deep_network_any_key_order(student, reference, activation, device, dtype):
    x, params, _, kwargs, what = deep_problem(activation, device, dtype, seed=12)
    got = student.run(forward, x, params, kwargs)
    want, atol = reference_answer(reference, forward, (x, params, kwargs), dtype)
    expect_close(got["out"], want["out"], atol=atol, what=what + ": out")


@pytest.mark.exercise("ch2.mlp.mlp_forward")
def test_forward_single_sample(student, reference, device):
    dims = NETWORKS["L3"]
    x, params, _ = make_problem(dims, 1, device, torch.float64, seed=13)
    kwargs = {"activation": "tanh"}
    got = student.run(forward, x, params, kwargs)
    want = reference.run(forward, x, params, kwargs)
    expect_close(got["out"], want["out"],
                 what=f"mlp_forward(x[1,{dims[0]}] (N=1), {arch(dims)} MLP, tanh) on {device}: out")


# ----------------------------------------------------------------- backward

@pytest.mark.exercise("ch2.mlp.mlp_backward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("layers", list(NETWORKS))
def test_backward_matches_autograd(student, reference, layers, activation, device, dtype):
    dims = NETWORKS[layers]
    x, params, grad_out = make_problem(dims, N, device, dtype, seed=20 + len(dims))
    kwargs = {"activation": activation}
    what = (f"mlp_backward(grad_out[{N},{dims[-1]}], cache) after mlp_forward(x[{N},{dims[0]}], params of a "
            f"{arch(dims)} MLP, activation={activation!r}) {where(device, dtype)}")
    got = student.run(forward_backward, x, params, grad_out, kwargs)
    want, atol = reference_answer(reference, forward_backward, (x, params, grad_out, kwargs), dtype)
    expect_grads(got["grads"], want["grads"], atol, what + ": the gradients")
    expect_equal(got["inputs_after"], [x, params, grad_out],
                 what=what + ": [x, params, grad_out] after both calls (must not change)")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
def test_backward_default_activation_is_relu(student, reference):
    x, params, grad_out = make_problem(NETWORKS["L3"], N, "cpu", torch.float64, seed=30)
    got = student.run(forward_backward, x, params, grad_out, {})
    want = reference.run(forward_backward, x, params, grad_out, {"activation": "relu"})
    expect_grads(got["grads"], want["grads"], None,
                 "mlp_backward after mlp_forward(x, params) without activation= (default 'relu'): the gradients")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
def test_backward_relu_kink_follows_torch(student, reference, device, dtype):
    """Pre-activations exactly 0 in layers 1 and 2: the ReLU derivative there is 0 (as torch)."""
    dims = NETWORKS["L3"]
    x, params, grad_out = make_problem(dims, N, device, dtype, seed=31)
    x[2] = 0.0                                    # row 2: z_1 = b_1 exactly
    b1 = -params["b1"].abs()
    b1[::3] = 0.0                                 # some z_1[2, j] == 0; all <= 0, so h_1[2] = 0
    params["b1"] = b1
    params["b2"] = params["b2"].clone()
    params["b2"][1::2] = 0.0                      # z_2[2] = b_2: some entries == 0
    kwargs = {"activation": "relu"}
    what = f"mlp_backward with pre-activations exactly 0 (relu, {arch(dims)} MLP) {where(device, dtype)}"
    got = student.run(forward_backward, x, params, grad_out, kwargs)
    want, atol = reference_answer(reference, forward_backward, (x, params, grad_out, kwargs), dtype)
    expect_grads(got["grads"], want["grads"], atol, what + ": the gradients")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_deep_network_any_key_order(student, reference, activation, device, dtype):
    x, params, grad_out, kwargs, call = deep_problem(activation, device, dtype, seed=32)
    what = "mlp_backward after " + call
    got = student.run(forward_backward, x, params, grad_out, kwargs)
    want, atol = reference_answer(reference, forward_backward, (x, params, grad_out, kwargs), dtype)
    expect_grads(got["grads"], want["grads"], atol, what + ": the gradients")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
def test_backward_single_sample(student, reference, device):
    dims = NETWORKS["L3"]
    x, params, grad_out = make_problem(dims, 1, device, torch.float64, seed=33)
    kwargs = {"activation": "sigmoid"}
    got = student.run(forward_backward, x, params, grad_out, kwargs)
    want = reference.run(forward_backward, x, params, grad_out, kwargs)
    expect_grads(got["grads"], want["grads"], None,
                 f"mlp_backward after mlp_forward(x[1,{dims[0]}] (N=1), {arch(dims)} MLP, sigmoid) on {device}")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
def test_backward_two_passes_in_flight(student, reference, device):
    """forward(x1), forward(x2), backward(g2), backward(g1): each backward uses its own cache."""
    dims = NETWORKS["L3"]
    x1, params, g1 = make_problem(dims, N, device, torch.float64, seed=34)
    x2, _, g2 = make_problem(dims, 4, device, torch.float64, seed=35)
    kwargs = {"activation": "tanh"}
    got = student.run(two_in_flight, x1, x2, params, g1, g2, kwargs)
    want = reference.run(two_in_flight, x1, x2, params, g1, g2, kwargs)
    what = (f"out1, cache1 = mlp_forward(x1[{N},5]); out2, cache2 = mlp_forward(x2[4,5]); "
            f"mlp_backward(g2, cache2); mlp_backward(g1, cache1) ({arch(dims)} MLP, tanh, {device})")
    expect_grads(got["grads2"], want["grads2"], None, what + ": gradients of the second pass")
    expect_grads(got["grads1"], want["grads1"], None, what + ": gradients of the first pass (is the cache "
                 "global state? keep everything a backward pass needs in the cache)")


@pytest.mark.exercise("ch2.mlp.mlp_backward")
@pytest.mark.condition
def test_backward_leaves_the_cache_alone(student, device):
    """mlp_backward(g, cache) twice with the same cache: the second call gives the gradients of the
    first (whether they are right is the other tests' business)."""
    dims = NETWORKS["L3"]
    x, params, grad_out = make_problem(dims, N, device, torch.float64, seed=36)
    kwargs = {"activation": "gelu"}
    got = student.run(backward_twice, x, params, grad_out, kwargs)
    what = (f"out, cache = mlp_forward(x[{N},5]); mlp_backward(g, cache) twice ({arch(dims)} MLP, gelu, {device})")
    expect_grads(got["second"], got["first"], None, what + ": the second call's gradients, next to the first's "
                 "(nothing passed in is modified, the cache included)")


# ------------------------------------------------------------ device checks

@pytest.mark.exercise("ch2.mlp.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["mlp_forward", "mlp_backward"])
def test_new_tensors_follow_the_input_device(student, reference, name):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    dims = NETWORKS["L3"]
    kwargs = {"activation": "gelu"}
    probe = forward if name == "mlp_forward" else forward_backward

    def problem(device):
        x, params, grad_out = make_problem(dims, N, device, torch.float32, seed=40)
        return (x, params, kwargs) if name == "mlp_forward" else (x, params, grad_out, kwargs)

    got = run_on_meta(student, probe, problem)
    want = reference.run(probe, *problem("meta"))
    what = f"{name} on the meta device ({arch(dims)} MLP)"
    if name == "mlp_forward":
        expect_close(got["out"], want["out"], what=what + ": out")
    else:
        expect_grads(got["grads"], want["grads"], None, what + ": the gradients")
