# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Class imbalance: a loss that focuses on hard examples, per-class weights for a weighted loss, and
per-sample weights for a sampler that draws every class equally often.

Rules shared by the exercises:

- Logits and targets are float32 or float64 on any device; compute in their dtype and make every
  new tensor on their device.
- Class counts are whole numbers (a list, or an integer or float tensor) and labels int64 class
  ids; the weights you return are floating-point tensors on their device.
- Inputs are never modified: return new tensors.
"""
import torch
import torch.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """The focal loss of RetinaNet, as torchvision's `sigmoid_focal_loss` computes it.

    `inputs` are logits of any shape; `targets` has the same shape and dtype, with values in [0, 1]:
    usually 0 or 1 (the binary label of each element), but soft targets such as 0.9 are allowed and
    go through the same formula. Elementwise, with p = sigmoid(inputs) and t = targets:

        ce    = binary cross-entropy of the logits = -(t * log(p) + (1 - t) * log(1 - p))
        p_t   = p * t + (1 - p) * (1 - t)           # the probability given to the true label
        loss  = ce * (1 - p_t) ** gamma             # easy examples (p_t near 1) count less
        if alpha >= 0:
            loss = (alpha * t + (1 - alpha) * (1 - t)) * loss   # alpha on positives, 1 - alpha on negatives

    A negative alpha switches the class weighting off; gamma = 0 (with alpha < 0) gives plain binary
    cross-entropy.

    reduction: 'none' returns the elementwise losses (the shape of `inputs`); 'mean' averages over
    all elements; 'sum' adds them up. Any other value raises ValueError.

    Stable for large logits (|x| of 50 and more): compute ce without taking log(sigmoid(x)), which
    is log(0) = -inf once sigmoid rounds to 0 or 1: `F.binary_cross_entropy_with_logits(...,
    reduction='none')` is allowed. The result is differentiable with respect to `inputs` (use tensor
    operations and autograd does the rest).

    Not allowed here (scores 0): `torchvision.ops`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def class_weights(counts, scheme="inverse", beta=0.999):
    """One weight per class from the number of training examples of each class, for a weighted loss
    such as `F.cross_entropy(logits, y, weight=class_weights(counts))`.

    `counts[C]`: how many examples each class has, as a Python list of ints or a 1-D tensor
    (integer or floating, any device). Every count must be at least 1: a class without examples
    has no finite weight, so a zero or negative count raises ValueError (as scikit-learn's
    `compute_class_weight` refuses a class that never occurs). With N = the total count:

    - scheme='inverse':   w_c = N / (C * n_c). A balanced dataset gets weight 1 everywhere; a class
      with half the average count gets 2.
    - scheme='effective': the "effective number of samples" (Cui et al., 2019):
      e_c = (1 - beta) / (1 - beta ** n_c), then scaled so the weights sum to C:
      w_c = C * e_c / sum(e). beta in [0, 1); near 1 it weights like 'inverse', at 0 all weights are 1.

    Any other scheme raises ValueError. Returns a 1-D floating tensor [C] on counts' device (the CPU
    for a list): counts' dtype when counts is a floating tensor, else torch's default float dtype
    (float32). Compute in that dtype (true division of integer tensors already gives it).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def balanced_sample_weights(labels):
    """One weight per training example, so that every class has the same total weight.

    `labels[N]` is an int64 tensor of class ids (>= 0; ids that never occur are fine). Returns a
    float tensor [N] (torch's default float dtype, float32) on labels' device with

        weight[i] = 1 / (the number of examples whose label is labels[i])

    so the weights of each class that occurs add up to 1. Hand them to
    `torch.utils.data.WeightedRandomSampler(weights, num_samples, replacement=True)` and each class
    is drawn about equally often.

    Hint: `torch.bincount` counts how often each id occurs; index its result with the labels.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
