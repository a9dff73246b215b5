# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Classification losses by hand: log-softmax, cross-entropy, binary cross-entropy.

Conventions (the same as `torch.nn.functional`):

- Inputs are tensors on any device, float32 or float64. Results have the
  input's dtype and device; every new tensor is made on the input's device.
  The inputs are never modified.
- Logits may be huge (try ±1e4): the results must stay finite and accurate.
  `exp` of a large logit overflows to inf (float64 already at ~710, float32 at
  ~89), and `exp` of a very negative one underflows to 0, so never take the
  `log` of something that can underflow, and never `exp` a large positive number.
- `reduction` is one of
    'none'  the per-sample (per-element for the binary loss) losses,
    'mean'  their average, as a 0-d tensor,
    'sum'   their sum, as a 0-d tensor;
  any other value raises ValueError (before any computation).
- Precision: compute in the input's dtype (no float32 intermediates for float64
  inputs): float64 results are compared with torch's at float64 precision
  (about 1e-7 relative; with logits of ±1e4, within a few float eps times 1e4).

Not allowed: softmax, log-softmax, logsumexp and cross-entropy from torch in any
spelling (`F.log_softmax`, `torch.log_softmax`, `F.softmax`, `torch.softmax`,
`torch.logsumexp`, `F.cross_entropy`, `nn.LogSoftmax`, `nn.CrossEntropyLoss`, ...)
in `log_softmax` and `cross_entropy`; `F.binary_cross_entropy_with_logits` (and
`nn.BCEWithLogitsLoss`) in `binary_cross_entropy_with_logits`; autograd and
torch's backward kernels in `cross_entropy_backward`. Everything else in torch is
allowed (`torch.exp`, `torch.log1p`, `F.one_hot`, ...), and so are your own
functions of this module.
"""
import torch
import torch.nn.functional as F


def log_softmax(x, dim):
    """`log(softmax(x))` along dimension `dim`, like `F.log_softmax(x, dim)`.

    `x` has any shape; `dim` may be negative (counted from the end). The result
    has the shape of `x`; along `dim` its exponentials sum to 1.

    Stable for large |x|: use `log_softmax(x) = x - m - log(sum(exp(x - m)))`
    with `m` the maximum of `x` along `dim` (all exponents are then <= 0, and the
    sum is >= 1, so neither overflows nor takes the log of 0). Do not compute
    softmax first and take its log: a probability that underflows to 0 gives
    -inf where the right answer is a finite number like -2e4.

    Not allowed here (scores 0): `F.log_softmax`, `torch.log_softmax`,
    `torch.special.log_softmax`, `F.softmax`, `torch.softmax`, `torch.special.softmax`,
    `torch.logsumexp`, `torch.special.logsumexp`, `F.cross_entropy`, `nn.LogSoftmax`,
    `nn.Softmax`, `nn.CrossEntropyLoss`, `F.softmin`, `nn.Softmin`, `torch._log_softmax`,
    `torch._softmax`, `torch._C._nn.cross_entropy_loss`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def cross_entropy(input, target, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input[N, C]` (N samples, C classes), like `F.cross_entropy`.

    `target` is either
      - class ids: an int64 tensor of shape [N] with values in 0..C-1; then the
        loss of sample i is `-log_softmax(input)[i, target[i]]`, or
      - class probabilities: a float tensor of shape [N, C] (the same shape and
        dtype as `input`, each row summing to 1); then the loss of sample i is
        `-sum_c target[i, c] * log_softmax(input)[i, c]`.
    Tell them apart as torch does: probabilities when `target` has the shape of
    `input`, class ids otherwise. The softmax runs over the classes (dim 1).

    label_smoothing (a float in [0, 1]) replaces the target distribution of
    each sample by `(1 - label_smoothing) * p + label_smoothing / C`, where `p`
    is the one-hot vector of the class id or the given probabilities: the
    smoothing mass is spread over all C classes (the true class included).
    A value outside [0, 1] raises ValueError.

    reduction: 'none' returns the N per-sample losses (shape [N]); 'mean'
    their average over the N samples (for probability targets too: divide by
    N, not by N * C); 'sum' their sum. Other values raise ValueError.

    Not allowed here (scores 0): `F.log_softmax`, `torch.log_softmax`,
    `torch.special.log_softmax`, `F.softmax`, `torch.softmax`, `torch.special.softmax`,
    `torch.logsumexp`, `torch.special.logsumexp`, `F.cross_entropy`, `nn.LogSoftmax`,
    `nn.Softmax`, `nn.CrossEntropyLoss`, `F.softmin`, `nn.Softmin`, `torch._log_softmax`,
    `torch._softmax`, `torch._C._nn.cross_entropy_loss`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def binary_cross_entropy_with_logits(input, target, reduction="mean", pos_weight=None):
    """Binary cross-entropy of logits, like `F.binary_cross_entropy_with_logits`.

    `input` (logits) and `target` (floats in [0, 1], not necessarily 0 or 1)
    have the same shape, any shape. Elementwise, with `s = sigmoid(input)`:

        loss = -(pos_weight * target * log(s) + (1 - target) * log(1 - s))

    pos_weight (None means 1) weights the positive term only; it is a tensor
    that broadcasts against `target`, typically shape [C] for `input[N, C]`
    (one weight per class, i.e. per last dimension).

    Stable for large |input|: never take log(sigmoid(x)) directly (it is
    log(0) = -inf once sigmoid underflows). Use
    `-log(s) = softplus(-x)` and `-log(1 - s) = softplus(x)`, with
    `softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))`.

    reduction: 'none' returns the elementwise losses (the shape of `input`);
    'mean' averages over ALL elements; 'sum' sums them. Other values raise ValueError.

    Not allowed here (scores 0): `F.binary_cross_entropy_with_logits`,
    `torch.binary_cross_entropy_with_logits`, `nn.BCEWithLogitsLoss`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    """Gradient of `cross_entropy(input, target, reduction)` w.r.t. `input`, by hand.

    `input[N, C]` logits, `target[N]` int64 class ids (no label smoothing).
    `grad_output` is the gradient of the loss w.r.t. the output of
    `cross_entropy`: a 0-d tensor for 'mean' and 'sum', a tensor of shape [N]
    for 'none'. Returns a tensor of the shape of `input`.

    For one sample, d loss_i / d input[i] = softmax(input[i]) - onehot(target[i]).
    Then 'none' scales row i by grad_output[i], 'sum' every row by grad_output,
    and 'mean' every row by grad_output / N. Stable for logits of ±1e4 (compute
    the softmax with the maximum subtracted). Other reductions raise ValueError.
    Do not use autograd.

    Not allowed here (scores 0): `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`,
    `torch.ops.aten._log_softmax_backward_data`, `torch._log_softmax_backward_data`,
    `torch.ops.aten.nll_loss_backward`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
