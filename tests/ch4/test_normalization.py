"""Hidden suite for ch4/normalization.py: the modules against torch's own (nn.BatchNorm1d/2d,
nn.LayerNorm, nn.GroupNorm) loaded with the same state_dict, and batch_norm_backward against
autograd through F.batch_norm.

BatchNorm runs several steps on one module (train, train, eval, train, train, eval): after each
step the output, the gradients of the input and of weight and bias, and the whole state_dict
(running_mean, running_var, num_batches_tracked) are compared. So a wrong momentum, a wrong
variance in the running stats, a forgotten counter or eval mode with batch statistics shows up.
The loaded state has num_batches_tracked = 3, so momentum=None (a cumulative average) must use
the counter, not the number of steps the module itself made.

Upstream gradients are random, never all ones. With grad_out = 1, grad_out - mean(grad_out) = 0
and sum(grad_out * x_hat) = sum(x_hat) = 0, so the exact dx and dgamma are 0, and so are those of
a backward that forgets the variance's term of dx (or a forward whose variance is detached): an
all-ones upstream gradient cannot catch a wrong BatchNorm backward.

The inputs have per-channel offsets and scales, one channel with std 0.01 so that eps matters
(sqrt(var) + eps and sqrt(var + eps) differ by 5% there), and shapes with no two dims equal.

Tolerances: float64 the defaults. float32 (derived, not guessed): the larger of
compare.reference_answer's atol (4 times torch's own float32-versus-float64 error, at least 1e-5)
and NUDGE_FACTOR times the change of the exact (float64) answer when every input is nudged by one
float32 rounding (relative 2**-24, random sign). The second term is the answer's own conditioning:
batch norm divides by the std of each channel and its dx subtracts nearly equal terms, so any
float32 computation, however it is ordered, is off by about (condition number) * u; torch's fused
kernel happens to be more accurate than most, so its own error alone is too tight a yardstick.
NUDGE_FACTOR = 64 covers the rounding of the few float32 steps inside (mean, variance, rsqrt,
products). Measured on these inputs: the solution and the float64-inside alternative pass with 2; a float32 one-pass
variance E[x^2] - E[x]^2 needs 16 here but fails now and then on other seeds (a row of 3 values
with a tiny spread): its error grows with mean^2/var, not with the conditioning, and the docstring
warns against it. Wrong answers differ by percents, far above these tolerances.
"""
import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal, max_abs_diff, reference_answer, to_float64
from autograder.devices import run_on_meta
from autograder.suite_helpers import call_text, gen, where

# ------------------------------------------------------------------ probes


def norm_steps(impl, name, args, kwargs, state, xs, grads, modes):
    """Build impl.<name>(*args, **kwargs) on the inputs' device and dtype, load `state` (if any),
    then one forward and backward per step in the given mode; after each step the output, the
    gradients, the state_dict, and x afterwards (must not change)."""
    m = getattr(impl, name)(*args, **kwargs)
    m.to(device=xs[0].device, dtype=xs[0].dtype)
    if state is not None:
        m.load_state_dict(state)
    steps = []
    for x, grad, mode in zip(xs, grads, modes):
        m.train(mode == "train")
        leaf = x.clone().requires_grad_()
        out = m(leaf)
        out.backward(grad)
        step = {"out": out.detach(), "dx": leaf.grad, "x_after": x}
        for pname, p in m.named_parameters():
            step["d" + pname] = p.grad
            p.grad = None
        step["state"] = {k: v.detach().clone() for k, v in m.state_dict().items()}
        steps.append(step)
    return steps


def train_forward_outcome(impl, name, num_features, x, mode):
    """'raised' or 'no exception' for one forward of a fresh impl.<name>(num_features) in `mode`."""
    m = getattr(impl, name)(num_features)
    m.train(mode == "train")
    return probes.outcome(lambda: m(x))


def construct_outcome(impl, name, args, x):
    """'raised' or 'no exception' for impl.<name>(*args) and one forward of x (either may raise)."""
    return probes.outcome(lambda: getattr(impl, name)(*args)(x))


def forward_on_device(impl, name, args, kwargs, x):
    """impl.<name>(*args, **kwargs) moved to x's device: a forward in training mode, then in eval mode."""
    m = getattr(impl, name)(*args, **kwargs).to(device=x.device, dtype=x.dtype)
    out_train = m(x)
    m.eval()
    return {"train": out_train.detach(), "eval": m(x).detach(),
            "state": {k: v.detach() for k, v in m.state_dict().items()}}


def bn_forward(impl, x, gamma, beta, kwargs):
    out, _ = impl.batch_norm_forward(x, gamma, beta, **kwargs)
    return {"out": out, "inputs_after": [x, gamma, beta]}


def bn_forward_backward(impl, x, gamma, beta, grad_out, kwargs):
    """The student's own cache goes from forward to backward (it never leaves this call)."""
    _, cache = impl.batch_norm_forward(x, gamma, beta, **kwargs)
    dx, dgamma, dbeta = impl.batch_norm_backward(grad_out, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, "inputs_after": [x, gamma, beta, grad_out]}


# ------------------------------------------------------------------ tolerances

U32 = 2.0 ** -24
NUDGE_FACTOR = 64     # see the module docstring


def nudged(value, g):
    """Plain data with every floating tensor moved by one float32 rounding (random sign)."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            return value
        sign = torch.randint(0, 2, value.shape, generator=g).to(device=value.device, dtype=value.dtype) * 2 - 1
        return value * (1 + U32 * sign)
    if isinstance(value, (list, tuple)):
        return type(value)(nudged(v, g) for v in value)
    if isinstance(value, dict):
        return {k: nudged(v, g) for k, v in value.items()}
    return value


def answer_and_atol(reference, probe, args, dtype):
    """The reference's answer, and the atol to compare with (module docstring; None: the defaults)."""
    want, atol = reference_answer(reference, probe, args, dtype)
    if dtype != torch.float32:
        return want, atol
    args64 = to_float64(args)
    exact = reference.run(probe, *args64)
    moved = reference.run(probe, *nudged(args64, gen(99)))
    return want, max(atol, NUDGE_FACTOR * max_abs_diff(moved, exact))


# ------------------------------------------------------------------ inputs

C = 5
SCALES = [2.0, 0.01, 1.0, 5.0, 0.5]    # channel 1: std 0.01, where eps matters
OFFSETS = [0.5, 0.02, 3.0, 0.0, -2.0]


def channel_view(t, ndim):
    return t.view([1, -1] + [1] * (ndim - 2))


def batch(shape, seed, device, dtype):
    """Random x of `shape` ([N, C, ...], C = 5) with per-channel scales and offsets."""
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    x = x * channel_view(torch.tensor(SCALES, dtype=torch.float64), len(shape))
    x = x + channel_view(torch.tensor(OFFSETS, dtype=torch.float64), len(shape))
    return x.to(device=device, dtype=dtype)


def random_like(shape, seed, device, dtype):
    g = gen(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)


def bn_state(seed, affine, track, device, dtype):
    """Random weight and bias, running stats as after 3 earlier batches."""
    g = gen(seed)
    state = {}
    if affine:
        state["weight"] = 1 + 0.5 * torch.randn(C, generator=g, dtype=torch.float64)
        state["bias"] = torch.randn(C, generator=g, dtype=torch.float64)
    if track:
        state["running_mean"] = 0.5 * torch.randn(C, generator=g, dtype=torch.float64)
        state["running_var"] = 0.5 + torch.rand(C, generator=g, dtype=torch.float64)
    state = {k: v.to(device=device, dtype=dtype) for k, v in state.items()}
    if track:
        state["num_batches_tracked"] = torch.tensor(3, dtype=torch.long, device=device)
    return state


def compare_steps(got, want, atol, modes, what):
    expect_equal(len(got), len(want), what=f"{what}: the number of steps")
    for i, (g, w) in enumerate(zip(got, want)):
        step = f"{what}, step {i + 1} ({modes[i]} mode)"
        expect_equal(g["x_after"], w["x_after"], what=f"{step}: x after the call (must not change)")
        expect_close(g["out"], w["out"], atol=atol, what=f"{step}: the output")
        expect_close(g["dx"], w["dx"], atol=atol, what=f"{step}: the gradient of x (random upstream gradient)")
        for key in ("dweight", "dbias"):
            if key in w:
                expect_close(g.get(key), w[key], atol=atol, what=f"{step}: the gradient of {key[1:]}")
        expect_close(g["state"], w["state"], atol=atol,
                     what=f"{step}: the state_dict afterwards (parameters, running stats, num_batches_tracked)")


# ------------------------------------------------------------------ BatchNorm1d, BatchNorm2d

MODES = ["train", "train", "eval", "train", "train", "eval"]
BN_SHAPES = [("BatchNorm1d", (6, C)), ("BatchNorm1d", (4, C, 3)), ("BatchNorm2d", (3, C, 4, 2))]
BN_CONFIGS = [  # (id, kwargs, load a random state)
    ("default", {}, True),
    ("fresh", {}, False),
    ("momentum=None", {"momentum": None}, True),
    ("momentum=0.3,eps=1e-2", {"momentum": 0.3, "eps": 1e-2}, True),
    ("affine=False", {"affine": False}, True),
    ("track_running_stats=False", {"track_running_stats": False}, True),
]


@pytest.mark.exercise("ch4.normalization.{name}")
@pytest.mark.parametrize("config,kwargs,load", BN_CONFIGS, ids=[c[0] for c in BN_CONFIGS])
@pytest.mark.parametrize("name,shape", BN_SHAPES, ids=[f"{n}-{list(s)}" for n, s in BN_SHAPES])
def test_batchnorm_matches_torch_over_steps(student, reference, name, shape, config, kwargs, load, device, dtype):
    state = (bn_state(10, kwargs.get("affine", True), kwargs.get("track_running_stats", True), device, dtype)
             if load else None)
    xs = [batch(shape, 20 + i, device, dtype) for i in range(len(MODES))]
    grads = [random_like(shape, 40 + i, device, dtype) for i in range(len(MODES))]
    args = [name, [C], kwargs, state, xs, grads, MODES]
    got = student.run(norm_steps, *args)
    want, atol = answer_and_atol(reference, norm_steps, args, dtype)
    loaded = "with torch's state_dict loaded" if load else "freshly built"
    what = f"{name}({C}, {config}) {loaded}, x{list(shape)} {where(device, dtype)}"
    compare_steps(got, want, atol, MODES, what)


ONE_VALUE_CASES = [  # (name, x shape, mode): torch raises exactly when training sees one value per channel
    ("BatchNorm1d", (1, C), "train"),
    ("BatchNorm1d", (1, C, 1), "train"),
    ("BatchNorm2d", (1, C, 1, 1), "train"),
    ("BatchNorm1d", (1, C, 3), "train"),
    ("BatchNorm2d", (1, C, 2, 1), "train"),
    ("BatchNorm1d", (1, C), "eval"),
    ("BatchNorm2d", (1, C, 1, 1), "eval"),
]
RAISING = 3   # the first three must raise: an argument check, a condition (it earns no points)


@pytest.mark.exercise("ch4.normalization.{name}")
@pytest.mark.parametrize("name,shape,mode", [
    pytest.param(*case, id=f"{case[0]}-{list(case[1])}-{case[2]}", marks=[pytest.mark.condition] if i < RAISING else [])
    for i, case in enumerate(ONE_VALUE_CASES)])
def test_batchnorm_one_value_per_channel(student, reference, name, shape, mode):
    x = batch(shape, 3, "cpu", torch.float32)
    got = student.run(train_forward_outcome, name, C, x, mode)
    want = reference.run(train_forward_outcome, name, C, x, mode)
    values = x.numel() // C
    rule = "must raise (any exception)" if want == "raised" else "must work"
    expect_equal(got, want, what=f"{name}({C}) in {mode} mode on x{list(shape)} ({values} value(s) per channel) {rule}")


META_CASES = [("BatchNorm1d", [C], {}, (6, C)), ("BatchNorm1d", [C], {"affine": False}, (4, C, 3)),
              ("BatchNorm2d", [C], {}, (3, C, 4, 2)), ("LayerNorm", [(3, 2)], {}, (4, C, 3, 2)),
              ("LayerNorm", [2], {"elementwise_affine": False}, (4, C, 2)), ("GroupNorm", [5, C], {}, (3, C, 4))]


@pytest.mark.exercise("ch4.normalization.{name}")
@pytest.mark.condition
@pytest.mark.parametrize("name,args,kwargs,shape", META_CASES,
                         ids=[f"{n}-{a}-{k}" for n, a, k, _ in META_CASES])
def test_new_tensors_follow_the_input_device(student, reference, name, args, kwargs, shape):
    """On the `meta` device any tensor left on the CPU (made without `device=`, or kept outside the
    module's buffers so that `.to()` misses it) shows up, with or without a GPU."""
    def inputs(device):
        return name, args, kwargs, batch(shape, 5, "cpu", torch.float32).to(device)

    got = run_on_meta(student, forward_on_device, inputs)
    want = reference.run(forward_on_device, *inputs("meta"))
    call = call_text(name, *map(str, args), kwargs=kwargs)
    expect_close(got, want, what=f"{call} on x{list(shape)} on the meta device")


# ------------------------------------------------------------------ batch_norm_forward, batch_norm_backward

BN_FN_SHAPES = [(7, C), (3, C, 2, 4)]
BN_FN_KWARGS = [{}, {"eps": 1e-2}]


def bn_fn_inputs(shape, device, dtype):
    x = batch(shape, 60, device, dtype)
    gamma = 1 + 0.5 * random_like((C,), 61, device, dtype)
    beta = random_like((C,), 62, device, dtype)
    grad_out = random_like(shape, 63, device, dtype)   # random: all ones would hide a wrong dx and dgamma
    return x, gamma, beta, grad_out


@pytest.mark.exercise("ch4.normalization.batch_norm_forward")
@pytest.mark.parametrize("kwargs", BN_FN_KWARGS, ids=str)
@pytest.mark.parametrize("shape", BN_FN_SHAPES, ids=str)
def test_batch_norm_forward_matches_torch(student, reference, shape, kwargs, device, dtype):
    x, gamma, beta, _ = bn_fn_inputs(shape, device, dtype)
    args = [x, gamma, beta, kwargs]
    got = student.run(bn_forward, *args)
    want, atol = answer_and_atol(reference, bn_forward, args, dtype)
    eps = ", eps=0.01" if kwargs else ""
    what = f"batch_norm_forward(x{list(shape)}, gamma[{C}], beta[{C}]{eps}) {where(device, dtype)}"
    expect_close(got["out"], want["out"], atol=atol, what=f"{what}: out")
    expect_equal(got["inputs_after"], want["inputs_after"],
                 what=f"{what}: [x, gamma, beta] after the call (must not change)")


@pytest.mark.exercise("ch4.normalization.batch_norm_backward")
@pytest.mark.parametrize("kwargs", BN_FN_KWARGS, ids=str)
@pytest.mark.parametrize("shape", BN_FN_SHAPES, ids=str)
def test_batch_norm_backward_matches_autograd(student, reference, shape, kwargs, device, dtype):
    x, gamma, beta, grad_out = bn_fn_inputs(shape, device, dtype)
    args = [x, gamma, beta, grad_out, kwargs]
    got = student.run(bn_forward_backward, *args)
    want, atol = answer_and_atol(reference, bn_forward_backward, args, dtype)
    what = (f"batch_norm_backward(grad_out, cache) after batch_norm_forward(x{list(shape)}, gamma[{C}], beta[{C}]"
            f"{', eps=0.01' if kwargs else ''}), random grad_out, {where(device, dtype)}")
    for key in ("dx", "dgamma", "dbeta"):
        expect_close(got[key], want[key], atol=atol, what=f"{what}: {key}")
    expect_equal(got["inputs_after"], want["inputs_after"],
                 what=f"{what}: [x, gamma, beta, grad_out] after the calls (must not change)")


# ------------------------------------------------------------------ LayerNorm, GroupNorm

def affine_state(shape, seed, weight, bias, device, dtype):
    g = gen(seed)
    state = {}
    if weight:
        state["weight"] = 1 + 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)
    if bias:
        state["bias"] = torch.randn(shape, generator=g, dtype=torch.float64)
    return {k: v.to(device=device, dtype=dtype) for k, v in state.items()}


def ln_batch(shape, seed, device, dtype):
    """Random x with an offset per row of the last dim and a scale per trailing position."""
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    x = x * (0.5 + 1.5 * torch.rand(shape[-1:], generator=g, dtype=torch.float64))
    x = x + torch.randn(shape[:-1] + (1,), generator=g, dtype=torch.float64)
    return x.to(device=device, dtype=dtype)


LN_CASES = [  # (normalized_shape, kwargs, x shape, load a random state)
    (3, {}, (4, C, 3), True),
    ((3,), {}, (2, 4, C, 3), True),
    ((C, 3), {}, (4, C, 3), True),
    ((C, 3), {}, (4, C, 3), False),
    ((C, 3), {"bias": False}, (4, C, 3), True),
    ((C, 3), {"elementwise_affine": False}, (4, C, 3), True),
    (3, {"eps": 1e-2}, (4, C, 3), True),
]


@pytest.mark.exercise("ch4.normalization.LayerNorm")
@pytest.mark.parametrize("normalized_shape,kwargs,shape,load", LN_CASES,
                         ids=[f"{n}-{k}-x{list(s)}-{'loaded' if ld else 'fresh'}" for n, k, s, ld in LN_CASES])
def test_layernorm_matches_torch(student, reference, normalized_shape, kwargs, shape, load, device, dtype):
    pshape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    affine = kwargs.get("elementwise_affine", True)
    state = affine_state(pshape, 70, affine, affine and kwargs.get("bias", True), device, dtype) if load else None
    xs = [ln_batch(shape, 71, device, dtype)]
    grads = [random_like(shape, 72, device, dtype)]
    args = ["LayerNorm", [normalized_shape], kwargs, state, xs, grads, ["train"]]
    got = student.run(norm_steps, *args)
    want, atol = answer_and_atol(reference, norm_steps, args, dtype)
    built = "with torch state_dict loaded" if load else "freshly built"
    compare_steps(got, want, atol, ["train"],
                  f"{call_text('LayerNorm', repr(normalized_shape), kwargs=kwargs)} {built}, "
                  f"x{list(shape)} {where(device, dtype)}")


GN_CASES = [  # (num_groups, kwargs, x shape, load a random state); C = 6 here
    (1, {}, (3, 6, 4, 2), True),
    (2, {}, (3, 6, 4, 2), True),
    (3, {}, (3, 6, 5), True),
    (6, {}, (3, 6, 4, 2), True),
    (3, {}, (3, 6, 4, 2), False),
    (2, {"affine": False}, (3, 6, 5), True),
    (3, {"eps": 1e-2}, (2, 6, 4, 2), True),
]


def group_batch(shape, seed, device, dtype):
    """[N, 6, ...]: channels with different offsets and scales (one with std 0.01), so that a
    group made of the wrong channels has other statistics."""
    g = gen(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    scales = torch.tensor([2.0, 0.01, 1.0, 5.0, 0.5, 0.02], dtype=torch.float64)
    offsets = torch.tensor([0.5, 0.02, 3.0, 0.0, -2.0, 0.03], dtype=torch.float64)
    x = x * channel_view(scales, len(shape)) + channel_view(offsets, len(shape))
    return x.to(device=device, dtype=dtype)


@pytest.mark.exercise("ch4.normalization.GroupNorm")
@pytest.mark.parametrize("num_groups,kwargs,shape,load", GN_CASES,
                         ids=[f"G{n}-{k}-x{list(s)}-{'loaded' if ld else 'fresh'}" for n, k, s, ld in GN_CASES])
def test_groupnorm_matches_torch(student, reference, num_groups, kwargs, shape, load, device, dtype):
    affine = kwargs.get("affine", True)
    state = affine_state((6,), 80, affine, affine, device, dtype) if load else None
    xs = [group_batch(shape, 81, device, dtype)]
    grads = [random_like(shape, 82, device, dtype)]
    args = ["GroupNorm", [num_groups, 6], kwargs, state, xs, grads, ["train"]]
    got = student.run(norm_steps, *args)
    want, atol = answer_and_atol(reference, norm_steps, args, dtype)
    built = "with torch state_dict loaded" if load else "freshly built"
    compare_steps(got, want, atol, ["train"],
                  f"{call_text('GroupNorm', str(num_groups), '6', kwargs=kwargs)} {built}, "
                  f"x{list(shape)} {where(device, dtype)}")


@pytest.mark.exercise("ch4.normalization.GroupNorm")
@pytest.mark.condition
@pytest.mark.parametrize("num_groups,num_channels", [(4, 6), (5, 6), (3, 8)], ids=str)
def test_groupnorm_channels_not_divisible_raise(student, num_groups, num_channels):
    x = torch.randn(2, num_channels, 3, generator=gen(90))
    got = student.run(construct_outcome, "GroupNorm", [num_groups, num_channels], x)
    expect_equal(got, "raised", what=f"GroupNorm({num_groups}, {num_channels}) (channels not divisible by groups) "
                                     "must raise (any exception), at construction or on "
                                     f"forward(x[2, {num_channels}, 3])")
