"""Hidden suite for ch5/saliency.py: saliency maps and captured activations.

saliency_map: the probe builds a small CNN, Conv2d(3,4,3,padding=1) - BatchNorm2d(4) - ReLU -
Dropout(0.5) - Flatten - Linear(120,5), on images x[N,3,5,6] (H != W, C != K), from seeded
weights and BatchNorm running statistics far from their defaults. The model comes in with mixed
modes: the container, the batch norm, the dropout and the flatten in training mode, the conv,
ReLU and linear in eval mode. So a missing `model.eval()` changes the map (dropout zeroes
features, batch norm uses the batch's statistics and updates its buffers), a blanket
`model.train()` afterwards puts the conv in training mode, and staying in eval mode shows too.
The conv's and the batch norm's weights come with an existing `.grad`, the other parameters with
None: a `.backward()` that accumulates into them shows. Targets: an int, an int64 tensor [N] with
different classes, and a batch of one (a squeezed batch dimension shows). The values are compared
with the reference (autograd on a deep copy in eval mode, one sample at a time); float32 gets the
tolerance derived from the reference's own float32-vs-float64 error (compare.reference_answer).
Channels (3) differ from classes (5) and H from W, so max versus sum over channels, a missing
abs, the gradient of the sum of all logits or of a softmax probability all show. The model's
state (modes, buffers, grads) and x (values, requires_grad, .grad) afterwards are conditions.

capture_activations: the probe builds a module with conv (followed by ReLU(inplace=True), which
overwrites the conv's output in place), block (a Sequential called twice: its last call counts),
block.1 (inside it), pool and head, in eval mode; a forward hook of the probe's own on head
records head's output (it must survive). After the call the probe runs the model again on other
inputs and zeroes the recorded head output in place: the captured copies must not move. Hooks
are counted on every submodule (and torch's global forward hooks) after a normal call, after a
forward pass that raises ValueError (it must propagate) and after an unknown name (it must raise,
any exception: rule 8).

saliency_map also runs on the meta device (an int target, whose class ids the code makes itself:
one made without `device=` shows there even without a GPU). capture_activations has no meta
check: it makes no tensor of its own (its copies come out of the model).
"""
import pytest
import torch

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal, reference_answer
from autograder.devices import run_on_meta
from autograder.suite_helpers import gen, where

C, H, W, HIDDEN, K = 3, 5, 6, 4, 5


def cnn_state(device, dtype, seed):
    """Weights of the saliency CNN, with batch-norm statistics far from (0, 1), and the existing
    gradients of the conv's and the batch norm's weights."""
    g = gen(seed)

    def draw(*shape, scale=1.0):
        return (scale * torch.randn(shape, generator=g, dtype=torch.float64)).to(device, dtype)

    state = {"0.weight": draw(HIDDEN, C, 3, 3, scale=0.5), "0.bias": draw(HIDDEN, scale=0.2),
             "1.weight": 1.0 + draw(HIDDEN, scale=0.3), "1.bias": draw(HIDDEN, scale=0.3),
             "1.running_mean": draw(HIDDEN, scale=0.5), "1.running_var": 0.5 + draw(HIDDEN).abs(),
             "1.num_batches_tracked": torch.tensor(7, device=device),
             "5.weight": draw(K, HIDDEN * H * W, scale=0.3), "5.bias": draw(K, scale=0.1)}
    grads = {"0.weight": draw(HIDDEN, C, 3, 3), "1.weight": draw(HIDDEN)}
    return state, grads


def images(n, device, dtype, seed):
    return torch.randn(n, C, H, W, generator=gen(seed), dtype=torch.float64).to(device, dtype)


# ------------------------------------------------------------------ saliency_map

def saliency_of(impl, state, grads, x, target):
    """Probe: the CNN holding `state`, in mixed modes, with `grads` as the existing .grad of some
    parameters; impl.saliency_map(model, x, target); the map, and the model and x afterwards."""
    nn = torch.nn
    w_conv, w_fc = state["0.weight"], state["5.weight"]
    model = nn.Sequential(nn.Conv2d(w_conv.shape[1], w_conv.shape[0], 3, padding=1), nn.BatchNorm2d(w_conv.shape[0]),
                          nn.ReLU(), nn.Dropout(0.5), nn.Flatten(), nn.Linear(w_fc.shape[1], w_fc.shape[0]))
    model.to(device=w_conv.device, dtype=w_conv.dtype)
    model.load_state_dict(state)
    model.train()
    for i in (0, 2, 5):
        model[i].eval()
    params = dict(model.named_parameters())
    for name, grad in grads.items():
        params[name].grad = grad.clone()
    torch.manual_seed(0)
    out = impl.saliency_map(model, x, target)
    return {"out": out.detach() if isinstance(out, torch.Tensor) else out,
            "modes": {name or "model": m.training for name, m in model.named_modules()},
            "buffers": {name: b.clone() for name, b in model.named_buffers()},
            "grads": {name: None if p.grad is None else p.grad.clone() for name, p in model.named_parameters()},
            "x_after": x.detach(), "x_requires_grad": x.requires_grad, "x_grad": x.grad}


MODEL_TEXT = ("Sequential(Conv2d(3,4,3,padding=1), BatchNorm2d(4), ReLU(), Dropout(0.5), Flatten(), Linear(120,5)) "
              "with the container, BatchNorm2d, Dropout and Flatten in training mode and the others in eval mode")
TARGETS = {  # case: (batch size, target or None for a tensor of classes)
    "int": (4, 3),
    "tensor": (4, None),
    "batch-of-one": (1, None),
}


def saliency_case(case, device, dtype):
    n, target = TARGETS[case]
    state, grads = cnn_state(device, dtype, seed=1)
    x = images(n, device, dtype, seed=2)
    if target is None:
        target = torch.tensor([4, 0, 2, 1][:n], device=device)
    shown = target if isinstance(target, int) else f"tensor({target.tolist()})"
    what = f"saliency_map({MODEL_TEXT}, x[{n},3,5,6], target={shown}) {where(device, dtype)}"
    return (state, grads, x, target), what


@pytest.mark.exercise("ch5.saliency.saliency_map")
@pytest.mark.parametrize("case", list(TARGETS))
def test_saliency_map_matches_autograd(student, reference, case, device, dtype):
    args, what = saliency_case(case, device, dtype)
    got = student.run(saliency_of, *args)
    want, atol = reference_answer(reference, saliency_of, args, dtype)
    expect_close(got["out"], want["out"], atol=atol,
                 what=f"{what}: the map [N,H,W] (max over channels of |d logits[n, target[n]] / d x|, in eval mode)")


@pytest.mark.condition
@pytest.mark.exercise("ch5.saliency.saliency_map")
def test_saliency_map_makes_its_tensors_on_x_device(student, reference):
    """On the `meta` device a tensor made without `device=` (the class ids of an int target) shows."""
    def inputs(device):
        return saliency_case("int", device, torch.float32)[0]

    got = run_on_meta(student, saliency_of, inputs)
    want = reference.run(saliency_of, *inputs("meta"))
    expect_close(got["out"], want["out"], what=f"saliency_map({MODEL_TEXT}, x[4,3,5,6], target=3) on the meta device "
                                               f"(new tensors on x's device)")


@pytest.mark.condition
@pytest.mark.exercise("ch5.saliency.saliency_map")
def test_saliency_map_leaves_the_model_as_it_was(student, reference, device, dtype):
    args, what = saliency_case("tensor", device, dtype)
    got = student.run(saliency_of, *args)
    want = reference.run(saliency_of, *args)
    expect_equal(got["modes"], want["modes"], what=f"{what}: the training flag of every submodule afterwards "
                                                   f"(each back in its own mode)")
    expect_equal(got["buffers"], want["buffers"], what=f"{what}: the BatchNorm2d's buffers afterwards (unchanged)")
    expect_equal(got["grads"], want["grads"], what=f"{what}: every parameter's .grad afterwards (None stays None, "
                                                   f"an existing .grad keeps its values)")


@pytest.mark.condition
@pytest.mark.exercise("ch5.saliency.saliency_map")
def test_saliency_map_leaves_x_alone(student, device, dtype):
    args, what = saliency_case("int", device, dtype)
    got = student.run(saliency_of, *args)
    x = args[2]
    expect_equal(got["x_after"], x, what=f"{what}: x's values afterwards (unchanged)")
    expect_equal(got["x_requires_grad"], False, what=f"{what}: x.requires_grad afterwards (False, as before)")
    expect_equal(got["x_grad"], None, what=f"{what}: x.grad afterwards (None, as before)")


# ------------------------------------------------------------------ capture_activations

def captured_by(impl, state, x, x_again, layer_names, broken):
    """Probe: the hooked network holding `state`, in eval mode, with a hook of the probe's own on
    `head`; impl.capture_activations(model, layer_names, x) (when `broken`, the forward raises
    ValueError after `block`). Returns what came, or how the call ended, the captured copies after
    the model ran again on `x_again` and head's first output was zeroed in place, and the number
    of forward hooks on every submodule and globally afterwards."""
    nn = torch.nn

    class Hooked(nn.Module):
        def __init__(self, channels, hidden, classes):
            super().__init__()
            self.conv = nn.Conv2d(channels, hidden, 3, padding=1)
            self.act = nn.ReLU(inplace=True)
            self.block = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), nn.Tanh())
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(hidden, classes)
            self.broken = False

        def forward(self, inputs):
            h = self.act(self.conv(inputs))
            h = self.block(self.block(h))
            if self.broken:
                raise ValueError("the head is broken")
            return self.head(self.pool(h).flatten(1))

    w_conv, w_head = state["conv.weight"], state["head.weight"]
    model = Hooked(w_conv.shape[1], w_conv.shape[0], w_head.shape[0]).to(device=w_conv.device, dtype=w_conv.dtype)
    model.load_state_dict(state)
    model.eval()
    model.broken = broken
    head_outputs = []
    model.head.register_forward_hook(lambda module, inputs, output: head_outputs.append(output))
    answer = {}
    if broken or any(name not in dict(model.named_modules()) for name in layer_names):
        answer["outcome"] = probes.outcome(lambda: impl.capture_activations(model, layer_names, x),
                                           ValueError if broken else None)
    else:
        captured = impl.capture_activations(model, layer_names, x)
        answer["keys"] = sorted(captured)
        answer["captured"] = {name: t.clone() for name, t in captured.items()}
        answer["requires_grad"] = {name: t.requires_grad for name, t in captured.items()}
        with torch.no_grad():
            model(x_again)
            head_outputs[0].detach().zero_()
        answer["captured_later"] = dict(captured)
    answer["hooks"] = {name or "model": len(m._forward_hooks) for name, m in model.named_modules()}
    answer["global_hooks"] = len(torch.nn.modules.module._global_forward_hooks)
    return answer


NET_TEXT = ("model(conv=Conv2d(3,4,3,padding=1) then ReLU(inplace=True), block=Sequential(Conv2d(4,4,3,padding=1), "
            "Tanh()) called twice, pool, head=Linear(4,5)) in eval mode")
LAYERS = ["conv", "block", "block.1", "head"]


def capture_case(device, dtype, seed=3):
    g = gen(seed)

    def draw(*shape, scale=0.5):
        return (scale * torch.randn(shape, generator=g, dtype=torch.float64)).to(device, dtype)

    state = {"conv.weight": draw(HIDDEN, C, 3, 3), "conv.bias": draw(HIDDEN),
             "block.0.weight": draw(HIDDEN, HIDDEN, 3, 3), "block.0.bias": draw(HIDDEN),
             "head.weight": draw(K, HIDDEN), "head.bias": draw(K)}
    return state, images(2, device, dtype, seed + 1), images(3, device, dtype, seed + 2)


@pytest.mark.exercise("ch5.saliency.capture_activations")
def test_capture_activations_matches_the_reference(student, reference, device, dtype):
    state, x, x_again = capture_case(device, dtype)
    args = (state, x, x_again, LAYERS, False)
    got = student.run(captured_by, *args)
    want = reference.run(captured_by, *args)
    what = f"capture_activations({NET_TEXT}, {LAYERS}, x[2,3,5,6]) {where(device, dtype)}"
    expect_equal(got["keys"], want["keys"], what=f"{what}: the keys of the returned dict (the layer names)")
    expect_close(got["captured"], want["captured"],
                 what=f"{what}: each layer's output (a copy taken when it ran: conv's before the in-place ReLU; "
                      f"block's of its last call)")
    expect_equal(got["requires_grad"], want["requires_grad"], what=f"{what}: requires_grad of each copy (detached)")


@pytest.mark.exercise("ch5.saliency.capture_activations")
def test_capture_activations_copies_stay_put(student, reference, device, dtype):
    state, x, x_again = capture_case(device, dtype, seed=13)
    args = (state, x, x_again, LAYERS, False)
    got = student.run(captured_by, *args)
    want = reference.run(captured_by, *args)
    what = (f"capture_activations({NET_TEXT}, {LAYERS}, x[2,3,5,6]) {where(device, dtype)}, then the model run "
            f"again on other inputs and head's output of the first run zeroed in place")
    expect_close(got["captured_later"], want["captured_later"],
                 what=f"{what}: the returned tensors (copies of their own: they must not change)")


@pytest.mark.condition
@pytest.mark.exercise("ch5.saliency.capture_activations")
@pytest.mark.parametrize("case", ["returns", "forward raises", "unknown name"])
def test_capture_activations_removes_its_hooks(student, reference, case, device):
    state, x, x_again = capture_case(device, torch.float64)
    names = LAYERS + ["layer9"] if case == "unknown name" else LAYERS
    args = (state, x, x_again, names, case == "forward raises")
    got = student.run(captured_by, *args)
    want = reference.run(captured_by, *args)
    model = NET_TEXT.replace("in eval mode", "whose forward raises ValueError after block" if case == "forward raises"
                             else "with a forward hook of the caller's own on head")
    what = f"capture_activations({model}, {names}, x[2,3,5,6]) {where(device)}"
    if case != "returns":
        expect_equal(got["outcome"], want["outcome"],
                     what=f"{what}: how the call ended ("
                          + ("the model's ValueError passes through" if case == "forward raises" else
                             "a name that is not a submodule raises") + ")")
    expect_equal(got["hooks"], want["hooks"], what=f"{what}: forward hooks on each submodule afterwards (yours "
                                                   f"removed, also on error; the caller's own on head kept)")
    expect_equal(got["global_hooks"], want["global_hooks"], what=f"{what}: torch's global forward hooks afterwards")
