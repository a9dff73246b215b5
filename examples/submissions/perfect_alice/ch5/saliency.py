"""Looking inside a trained network: which input pixels a class score depends on (a saliency map),
and what a layer outputs (its activations).

Rules shared by the exercises:

- `model` is an `nn.Module` that maps a batch `x[N, ...]` to an output; `x` is float32 or float64
  on any device, with the model's parameters on the same device and dtype.
- Looking must not change what is looked at. After each call the model is as it was: the
  training flag of every submodule (`m.training`), every buffer (BatchNorm's running statistics),
  every parameter's `.grad` (`None` stays `None`, an existing gradient keeps its values), and any
  hooks that were registered before. `x` is not modified: its values, its `requires_grad` and
  its `.grad` (None) stay as they were.
- Any tensor you make yourself (class ids from an int target, say) goes on x's device.
"""
import torch


def saliency_map(model, x, target):
    """Vanilla gradient saliency: how strongly each pixel moves the score of the target class.

    `model` maps images `x[N, C, H, W]` to logits `[N, K]`. `target` is the class of each sample:
    an int (the same class for every sample) or an int64 tensor `[N]` (one class per sample).
    Returns `[N, H, W]` in x's dtype on x's device, without an autograd graph:

        saliency[n, h, w] = max over c of | d logits[n, target[n]] / d x[n, c, h, w] |

    (the largest absolute gradient over the channels, not their sum). The gradient is of the raw
    logit, not of a softmax probability or a loss.

    The model is evaluated in eval mode (dropout off, BatchNorm on its running statistics), so the
    map of a sample does not depend on the other samples of the batch. Afterwards every submodule
    is back in its own mode (a model may hold some submodules in training mode and some in eval
    mode: a blanket `model.train()` is not a restore), and nothing else of the model or of x has
    changed (see the module's rules): in particular the parameters' `.grad` are as before.

    Hint: work on `x.detach().requires_grad_()` and take the gradient with
    `torch.autograd.grad(score, x_leaf)`, which fills no `.grad` at all; summing the chosen logits
    over the batch gives every sample's gradient in one call. Record each submodule's mode before
    `model.eval()` and put them back in a `finally:` block.
    """
    ### BEGIN SOLUTION
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        x_leaf = x.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = model(x_leaf)
            classes = torch.as_tensor(target, device=logits.device).expand(logits.shape[0])
            score = logits.gather(1, classes.view(-1, 1)).sum()
            (grad,) = torch.autograd.grad(score, x_leaf)
    finally:
        for module, training in modes:
            module.train(training)
    return grad.abs().amax(dim=1)
    ### END SOLUTION


def capture_activations(model, layer_names, x):
    """Run `model(x)` once and return what the named layers output, as a dict name -> tensor.

    `layer_names` is a list of submodule names as `model.named_modules()` spells them (`"0"`,
    `"features.3"`, `"layer1.0.conv2"`); each such layer returns a tensor. Returns a dict with one
    entry per name: a detached copy (`.detach().clone()`) of that layer's output, so that it has
    no autograd graph and does not change when the model is run again or when a later layer
    (`nn.ReLU(inplace=True)`) modifies the original output in place. A layer called more than
    once during the forward pass keeps the output of its last call.

    The model runs as it is (in its current mode; running under `torch.no_grad()` is fine); what
    it returns is not needed. A name that is not a submodule raises KeyError naming it, before the
    model runs. The forward hooks you register (`module.register_forward_hook(hook)`, which returns
    a handle) are removed before returning, also when the forward pass raises an exception (which
    propagates to the caller); hooks registered by others stay.

    Hint: remove the handles in a `finally:` block.
    """
    ### BEGIN SOLUTION
    modules = dict(model.named_modules())
    for name in layer_names:
        if name not in modules:
            raise KeyError(f"the model has no submodule named {name!r}")
    captured = {}

    def keeper(name):
        def hook(module, inputs, output):
            captured[name] = output.detach().clone()
        return hook

    handles = [modules[name].register_forward_hook(keeper(name)) for name in layer_names]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return captured
    ### END SOLUTION
