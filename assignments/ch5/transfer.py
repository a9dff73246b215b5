# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Transfer learning: fine-tune a pretrained network by freezing parts of it, keeping its
BatchNorm statistics fixed, and giving the new head a larger learning rate than the backbone.

Rules shared by the exercises:

- Parameters are named as `model.named_parameters()` names them: `"layer1.0.conv1.weight"`,
  `"fc.bias"`.
- A name prefix selects parameters by whole name components: the prefix `p` matches a parameter
  name equal to `p` or starting with `p + "."`. So `"layer1"` matches `"layer1.0.conv1.weight"`
  but not `"layer10.weight"`, and `"fc.bias"` matches exactly that parameter. A trailing `"."`
  of a prefix is ignored: `"layer1."` means `"layer1"`.
- `freeze` and `set_batchnorm_eval` change flags of the model they get, in place (no weight,
  buffer or `.grad` changes), and return it, so calls can be chained.
"""
import torch.nn as nn


def freeze(model, trainable=()):
    """Freeze a model except the parameters selected by `trainable`.

    `trainable` is an iterable (list, tuple) of name prefixes (see the module's rules). Every
    parameter whose name matches one of them gets `requires_grad = True`, every other parameter
    `requires_grad = False`, whatever it was before; `freeze(model)` freezes everything. Returns
    `model`. Training modes are left alone.

    Example: `freeze(resnet, ["layer4", "fc"])` trains only the last stage and the classifier.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def set_batchnorm_eval(model):
    """Put every BatchNorm layer of `model` (at any depth, the model itself included) in eval mode.

    In eval mode a BatchNorm normalizes with its running statistics and stops updating them:
    what you want when fine-tuning with small batches after `model.train()`. Every kind counts:
    `BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`, `SyncBatchNorm`, the `LazyBatchNorm*` ones and
    any subclass of them; all derive from `torch.nn.modules.batchnorm._BatchNorm`. Every other
    module keeps its mode (`InstanceNorm*`, `GroupNorm`, `LayerNorm` and dropout included), so
    do not call `model.eval()` or `model.train()`. Parameters' `requires_grad` are left alone.
    Returns `model`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def discriminative_param_groups(model, head_names, base_lr, head_lr_mult=10.0):
    """Two optimizer parameter groups: the backbone at `base_lr`, the head at a larger rate.

    `head_names` is an iterable of name prefixes (see the module's rules) that select the head's
    parameters. Returns a list of exactly two dicts, in this order, both present even when empty:

        [{"params": [...], "lr": base_lr},                  # every other trainable parameter
         {"params": [...], "lr": base_lr * head_lr_mult}]   # the head's trainable parameters

    Only trainable parameters are included (`requires_grad=False` ones are left out), each in
    exactly one group; the lists hold the parameters themselves (not copies), in any order
    (`model.named_parameters()`'s is the natural one). The result can be handed to an optimizer:
    `torch.optim.SGD(discriminative_param_groups(model, ["fc"], 1e-3), lr=1e-3, momentum=0.9)`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
