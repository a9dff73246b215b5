"""Hidden suite for ch5/resnet.py: BasicBlock and SmallResNet against a reference written from
torchvision's documented layout (tests/ch5/reference/resnet.py; torchvision is not installed).

Every forward check builds the student's module, loads a random state_dict with the reference's
names and shapes (strict: a missing, extra or reshaped key fails, e.g. a conv with a bias or a
downsample where none belongs), then runs several batches, in training mode (BatchNorm uses the
batch's statistics and updates running_mean, running_var, num_batches_tracked) and in eval mode
(the running stats). After each step the output and the whole state_dict (the buffers) are
compared with the reference's, and at the end the inputs (must not change).

BasicBlock covers the three shortcut cases: none (stride 1, in == out), stride 2 with in == out
(a downsample for the stride alone), in != out with stride 1 (a downsample for the width alone),
and both; odd image sizes (7x9 -> 4x5) and an image that shrinks to 1x1. The loaded running stats
and BatchNorm weights are random, so a missing BatchNorm or a ReLU in the wrong place changes the
answer in both modes.

SmallResNet is graded in isolation (CURRICULUM rule 4): every probe puts a trusted block
(`trusted.TrustedBasicBlock`, tests/stand_ins.py) in place of `impl.BasicBlock` while the model is
built and run, so a bug in the student's block costs the SmallResNet points nothing. Its cases
vary widths (equal consecutive widths too: the stride alone then needs the downsample),
blocks_per_stage, in_channels and num_classes, with images whose last stage is 2x2, 4x5, 5x4 and
1x1 (so max pooling or flattening without pooling differ from average pooling, except at 1x1).

Gradients (of the parameters and of x, random upstream gradient, float64) are compared in
training mode. The meta-device checks catch tensors made without `device=`.

float32: atol = max(1e-5, 4 * the reference's own float32-vs-float64 error)
(compare.reference_answer): any correct solution that rounds differently (a mean instead of
adaptive_avg_pool2d, F.relu or nn.ReLU) passes; the mistakes change the answers by far more.
"""
import math

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.suite_helpers import gen, where

MODES = ["train", "train", "eval"]

# ------------------------------------------------------------------ probes


def block_layout(impl, args):
    """impl.BasicBlock(*args).state_dict() as names -> shapes, and what `downsample` is."""
    m = impl.BasicBlock(*args)
    ds = getattr(m, "downsample", "no attribute")
    return {"shapes": {k: list(v.shape) for k, v in m.state_dict().items()},
            "downsample": ds if ds == "no attribute" else "None" if ds is None else "a module"}


def block_steps(impl, args, state, xs, modes):
    """impl.BasicBlock(*args) on the inputs' device and dtype with `state` loaded; one forward per
    x in its mode: after each the output and the state_dict; at the end the inputs."""
    m = impl.BasicBlock(*args)
    m.to(device=xs[0].device, dtype=xs[0].dtype)
    m.load_state_dict(state)
    steps = []
    with torch.no_grad():
        for x, mode in zip(xs, modes):
            m.train(mode == "train")
            out = m(x)
            steps.append({"out": out, "state": {k: v.clone() for k, v in m.state_dict().items()}})
    return {"steps": steps, "inputs_after": xs}


def block_grads(impl, args, state, x, grad_out):
    """Training-mode gradients of (impl.BasicBlock(*args)(x) * grad_out).sum(): every parameter and x."""
    m = impl.BasicBlock(*args)
    m.to(device=x.device, dtype=x.dtype)
    m.load_state_dict(state)
    leaf = x.clone().requires_grad_()
    m(leaf).backward(grad_out)
    grads = {name: p.grad for name, p in m.named_parameters()}
    grads["x"] = leaf.grad
    return grads


def net(impl, mode, kwargs, state=None, xs=None, arg=None):
    """impl.SmallResNet(**kwargs) built and run with a trusted BasicBlock in place of impl's.

    modes: "layout" (state_dict names -> shapes), "steps" (state loaded; one forward per x in the
    modes `arg`: the logits and the state_dict after each, the inputs at the end), "grads" (state
    loaded, training mode: gradients of (logits * arg).sum() for every parameter and x)."""
    with probes.swapped(impl, "BasicBlock", trusted.TrustedBasicBlock):
        m = impl.SmallResNet(**kwargs)
        if mode == "layout":
            return {k: list(v.shape) for k, v in m.state_dict().items()}
        m.to(device=xs[0].device, dtype=xs[0].dtype)
        m.load_state_dict(state)
        if mode == "steps":
            steps = []
            with torch.no_grad():
                for x, step_mode in zip(xs, arg):
                    m.train(step_mode == "train")
                    out = m(x)
                    steps.append({"out": out, "state": {k: v.clone() for k, v in m.state_dict().items()}})
            return {"steps": steps, "inputs_after": xs}
        if mode == "grads":
            leaf = xs[0].clone().requires_grad_()
            m(leaf).backward(arg)
            grads = {name: p.grad for name, p in m.named_parameters()}
            grads["x"] = leaf.grad
            return grads
        raise ValueError(f"unknown mode {mode}")


# ------------------------------------------------------------------ inputs


def random_state(shapes, seed, device, dtype):
    """A state_dict with these names and shapes: conv and linear weights with std sqrt(2 / fan_in)
    (activations stay of order 1), BatchNorm weights 1 + 0.3 N(0,1), biases 0.3 N(0,1), running
    stats as after 3 earlier batches (mean 0.3 N(0,1), var in [0.5, 1.5))."""
    g = gen(seed)
    state = {}
    for name, shape in shapes.items():
        kind = name.rsplit(".", 1)[-1]
        if kind == "num_batches_tracked":
            state[name] = torch.tensor(3, dtype=torch.long, device=device)
            continue
        if kind == "weight" and len(shape) > 1:
            fan_in = math.prod(shape[1:])
            value = torch.randn(shape, generator=g, dtype=torch.float64) * math.sqrt(2 / fan_in)
        elif kind == "weight":
            value = 1 + 0.3 * torch.randn(shape, generator=g, dtype=torch.float64)
        elif kind == "running_var":
            value = 0.5 + torch.rand(shape, generator=g, dtype=torch.float64)
        else:   # biases, running_mean
            value = 0.3 * torch.randn(shape, generator=g, dtype=torch.float64)
        state[name] = value.to(device=device, dtype=dtype)
    return state


def images(shape, seed, device, dtype):
    """x of `shape` [N, C, H, W]: N(0.3, 1.5^2) values, so ReLUs and signs matter."""
    g = gen(seed)
    return (0.3 + 1.5 * torch.randn(shape, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)


def compare_steps(got, want, atol, modes, what):
    expect_equal(len(got["steps"]), len(want["steps"]), what=f"{what}: the number of steps")
    for i, (g, w) in enumerate(zip(got["steps"], want["steps"])):
        step = f"{what}, batch {i + 1} in {modes[i]} mode"
        expect_close(g["out"], w["out"], atol=atol, what=f"{step}: the output")
        expect_close(g["state"], w["state"], atol=atol,
                     what=f"{step}: the state_dict afterwards (running_mean, running_var, num_batches_tracked "
                          "of every BatchNorm)")
    expect_equal(got["inputs_after"], want["inputs_after"],
                 what=f"{what}: the inputs after the calls (must not change)")


# ================================================================== BasicBlock

# (in_planes, planes, stride), x's [N, H, W]
BLOCKS = {"8->8-stride1": ((8, 8, 1), (2, 7, 9)),        # no downsample
          "8->8-stride2": ((8, 8, 2), (3, 7, 9)),        # downsample for the stride alone; 7x9 -> 4x5
          "6->10-stride1": ((6, 10, 1), (2, 5, 6)),      # downsample for the width alone
          "6->10-stride2": ((6, 10, 2), (2, 8, 6)),      # both; 8x6 -> 4x3
          "5->7-stride2-to-1x1": ((5, 7, 2), (3, 2, 1))}  # 2x1 -> 1x1


def block_text(args):
    in_planes, planes, stride = args
    return f"BasicBlock({in_planes}, {planes}, stride={stride})"


def block_problem(name, device, dtype, seed, reference):
    args, (n, h, w) = BLOCKS[name]
    shapes = reference.run(block_layout, list(args))["shapes"]
    state = random_state(shapes, seed, device, dtype)
    xs = [images((n, args[0], h, w), seed + 1 + i, device, dtype) for i in range(len(MODES))]
    return list(args), state, xs


@pytest.mark.exercise("ch5.resnet.BasicBlock")
@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_state_dict_and_downsample(student, reference, name):
    args = list(BLOCKS[name][0])
    got = student.run(block_layout, args)
    want = reference.run(block_layout, args)
    what = f"{block_text(args)}"
    expect_equal(got["shapes"], want["shapes"],
                 what=f"{what}.state_dict() (names -> shapes): conv1, bn1, conv2, bn2 and downsample.0/.1 only "
                      "when stride != 1 or in_planes != planes; convs without bias")
    expect_equal(got["downsample"], want["downsample"],
                 what=f"{what}.downsample (None when neither the stride nor the width changes, else the "
                      "Sequential(conv1x1, BatchNorm2d))")


@pytest.mark.exercise("ch5.resnet.BasicBlock")
@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_forward_and_buffers_match_reference(student, reference, name, device, dtype):
    args, state, xs = block_problem(name, device, dtype, 10 + list(BLOCKS).index(name), reference)
    got = student.run(block_steps, args, state, xs, MODES)
    want, atol = reference_answer(reference, block_steps, (args, state, xs, MODES), dtype)
    what = (f"{block_text(args)} with a random state_dict loaded, x{list(xs[0].shape)} {where(device, dtype)}, "
            f"batches in {'/'.join(MODES)} mode")
    compare_steps(got, want, atol, MODES, what)


@pytest.mark.exercise("ch5.resnet.BasicBlock")
@pytest.mark.parametrize("name", ["8->8-stride1", "6->10-stride2"])
def test_block_gradients_match_reference(student, reference, name, device):
    args, state, xs = block_problem(name, device, torch.float64, 30, reference)
    out_shape = reference.run(block_steps, args, state, xs[:1], ["train"])["steps"][0]["out"].shape
    grad_out = images(tuple(out_shape), 39, device, torch.float64)
    got = student.run(block_grads, args, state, xs[0], grad_out)
    want = reference.run(block_grads, args, state, xs[0], grad_out)
    expect_close(got, want, what=f"gradients of ({block_text(args)}(x{list(xs[0].shape)}) * a random upstream "
                                 f"gradient).sum() in training mode, by parameter name (and x), "
                                 f"{where(device, torch.float64)}")


@pytest.mark.exercise("ch5.resnet.BasicBlock")
@pytest.mark.condition
@pytest.mark.parametrize("name", ["8->8-stride1", "6->10-stride2"])
def test_block_new_tensors_follow_the_input_device(student, reference, name):
    """On the `meta` device any tensor left on the CPU (made without `device=`) shows up, with or
    without a GPU."""
    args, state, xs = block_problem(name, "cpu", torch.float32, 40, reference)

    def inputs(device):
        return args, {k: v.to(device) for k, v in state.items()}, [x.to(device) for x in xs], MODES

    got = run_on_meta(student, block_steps, inputs)
    want = reference.run(block_steps, *inputs("meta"))
    expect_close(got["steps"], want["steps"], what=f"{block_text(args)} on x{list(xs[0].shape)} on the meta device")


# ================================================================== SmallResNet

# kwargs, x's shape
NETS = {"default-8x8": ({}, (2, 3, 8, 8)),                                                   # 8 -> 8 -> 4 -> 2
        "w(4,6)-b2-in1-c5-7x9": ({"num_classes": 5, "widths": (4, 6), "blocks_per_stage": 2,
                                  "in_channels": 1}, (3, 1, 7, 9)),                           # 7x9 -> 4x5
        "w(5,5,7,8)-in2-c3-6x5": ({"num_classes": 3, "widths": (5, 5, 7, 8), "in_channels": 2},
                                  (2, 2, 6, 5)),                                              # -> 3x3, 2x2, 1x1
        "w(6,)-b3-c4-5x4": ({"num_classes": 4, "widths": (6,), "blocks_per_stage": 3}, (2, 3, 5, 4)),  # one stage
        "w(3,4)-b2-c2-3x3": ({"num_classes": 2, "widths": (3, 4), "blocks_per_stage": 2}, (4, 3, 3, 3))}


def net_text(kwargs):
    return "SmallResNet(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def net_problem(name, device, dtype, seed, reference):
    kwargs, shape = NETS[name]
    state = random_state(reference.run(net, "layout", kwargs), seed, device, dtype)
    xs = [images(shape, seed + 1 + i, device, dtype) for i in range(len(MODES))]
    return kwargs, state, xs


@pytest.mark.exercise("ch5.resnet.SmallResNet")
@pytest.mark.parametrize("name", list(NETS))
def test_net_state_dict_names_and_shapes(student, reference, name):
    kwargs = NETS[name][0]
    got = student.run(net, "layout", kwargs)
    want = reference.run(net, "layout", kwargs)
    expect_equal(got, want, what=f"{net_text(kwargs)}.state_dict() (names -> shapes; the blocks are a trusted "
                                 "BasicBlock): conv1 (3x3, no bias), bn1, layer1..layerK, fc")


@pytest.mark.exercise("ch5.resnet.SmallResNet")
@pytest.mark.parametrize("name", list(NETS))
def test_net_forward_and_buffers_match_reference(student, reference, name, device, dtype):
    kwargs, state, xs = net_problem(name, device, dtype, 50 + 10 * list(NETS).index(name), reference)
    got = student.run(net, "steps", kwargs, state, xs, MODES)
    want, atol = reference_answer(reference, net, ("steps", kwargs, state, xs, MODES), dtype)
    what = (f"{net_text(kwargs)} (trusted blocks) with a random state_dict loaded, x{list(xs[0].shape)} "
            f"{where(device, dtype)}, batches in {'/'.join(MODES)} mode")
    compare_steps(got, want, atol, MODES, what)


@pytest.mark.exercise("ch5.resnet.SmallResNet")
@pytest.mark.parametrize("name", ["w(4,6)-b2-in1-c5-7x9", "w(5,5,7,8)-in2-c3-6x5"])
def test_net_gradients_match_reference(student, reference, name, device):
    kwargs, state, xs = net_problem(name, device, torch.float64, 120, reference)
    grad_out = images((xs[0].shape[0], kwargs["num_classes"]), 129, device, torch.float64)
    got = student.run(net, "grads", kwargs, state, xs[:1], grad_out)
    want = reference.run(net, "grads", kwargs, state, xs[:1], grad_out)
    expect_close(got, want, what=f"gradients of ({net_text(kwargs)}(x{list(xs[0].shape)}) * a random upstream "
                                 f"gradient).sum() in training mode (trusted blocks), by parameter name (and x), "
                                 f"{where(device, torch.float64)}")


@pytest.mark.exercise("ch5.resnet.SmallResNet")
@pytest.mark.condition
def test_net_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor left on the CPU (made without `device=`) shows up, with or
    without a GPU."""
    kwargs, state, xs = net_problem("w(4,6)-b2-in1-c5-7x9", "cpu", torch.float32, 130, reference)

    def inputs(device):
        return "steps", kwargs, {k: v.to(device) for k, v in state.items()}, [x.to(device) for x in xs], MODES

    got = run_on_meta(student, net, inputs)
    want = reference.run(net, *inputs("meta"))
    expect_close(got["steps"], want["steps"],
                 what=f"{net_text(kwargs)} (trusted blocks) on x{list(xs[0].shape)} on the meta device")
