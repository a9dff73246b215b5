"""Evaluation metrics for classifiers: the confusion matrix and the scores built on it, ROC AUC and
average precision for binary scores, the expected calibration error, and temperature scaling.

Rules shared by every function here:

- Class labels and predictions are integer tensors (int64) of class indices `0 .. C-1`; binary
  labels are 0 (negative) or 1 (positive), as int64.
- Scores, probabilities and logits are float32 or float64 on any device; compute in their dtype
  (or in float64), and make any new tensor on their device.
- Scalar results may be Python floats or 0-d tensors: only the values are compared.
- Inputs are never modified.
"""
import math

import torch
import torch.nn.functional as F


def confusion_matrix(preds, targets, num_classes):
    """The confusion matrix of predicted classes against true classes, as scikit-learn builds it.

    `preds[N]` and `targets[N]` are int64 tensors of class indices in `0 .. num_classes-1`.
    Returns `cm[num_classes, num_classes]`, int64, on the inputs' device, where

        cm[t, p] = the number of samples whose TRUE class is t and whose PREDICTED class is p

    (rows are true classes, columns predictions). A class that never occurs gives a row and a
    column of zeros; the matrix always has `num_classes` rows.

    Hint: each pair (t, p) has its own cell number `t * num_classes + p`; count how often each
    cell number occurs (`torch.bincount(..., minlength=...)` or `index_add_`).
    """
    ### BEGIN SOLUTION
    cells = targets * num_classes + preds
    counts = torch.bincount(cells, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
    ### END SOLUTION


def precision_recall_f1(cm, average="macro"):
    """Precision, recall and F1 score from a confusion matrix `cm[t, p]` (rows true, columns predicted).

    For each class c, with tp = cm[c, c]:

        precision_c = tp / (number of samples PREDICTED as c)   = tp / column sum c
        recall_c    = tp / (number of samples whose TRUE class is c) = tp / row sum c
        f1_c        = 2 * precision_c * recall_c / (precision_c + recall_c)

    Every 0/0 counts as 0 (a class never predicted has precision 0, a class that never occurs
    has recall 0, and F1 is 0 where precision + recall is 0), as scikit-learn's
    `precision_recall_fscore_support(..., zero_division=0)` does.

    `average` says how the classes are combined:

    - `None`: no averaging; p, r and f1 are float tensors of shape `[C]` (one value per class)
      on `cm`'s device, in a floating dtype of your choice (only values are compared).
    - `'macro'`: the plain mean over all C classes of each per-class value. Macro F1 is the mean
      of the per-class F1 scores, NOT the F1 of macro precision and macro recall.
    - `'weighted'`: the mean over classes weighted by each class's TRUE support (its row sum).
    - `'micro'`: count over all samples at once: total tp / total predicted and total tp / total
      true; for single-label classification all three equal the accuracy, trace / N.

    Averaged results are scalars: Python floats or 0-d tensors. Returns the tuple `(p, r, f1)`.
    """
    ### BEGIN SOLUTION
    def safe_divide(num, den):           # num / den, and 0 where den is 0
        return torch.where(den > 0, num / den.clamp(min=1e-300), torch.zeros_like(num))

    cm = cm.double()
    tp = cm.diagonal()
    predicted, support = cm.sum(dim=0), cm.sum(dim=1)
    if average == "micro":
        accuracy = safe_divide(tp.sum(), cm.sum()).item()
        return accuracy, accuracy, accuracy
    precision = safe_divide(tp, predicted)
    recall = safe_divide(tp, support)
    f1 = safe_divide(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == "macro":
        weights = torch.full_like(support, 1.0 / len(support))
    elif average == "weighted":
        weights = support / support.sum()
    else:
        raise ValueError(f"average must be None, 'macro', 'micro' or 'weighted', not {average!r}")
    return tuple((values * weights).sum().item() for values in (precision, recall, f1))
    ### END SOLUTION


def roc_auc(scores, labels):
    """The area under the ROC curve of binary `scores[N]` for `labels[N]` (0 or 1, both present).

    Equivalently: the probability that a randomly drawn positive scores higher than a randomly
    drawn negative, where a tie between a positive and a negative counts 1/2. This is what
    scikit-learn's `roc_auc_score` computes (its ROC curve joins the points of each distinct
    threshold by straight lines, and a tied group of scores becomes one diagonal step).

    Returns a float (or a 0-d tensor).

    Hint: sort the scores in decreasing order; after each group of equal scores, record the true
    and false positive rates; the area under the polyline through (0, 0), those points is the AUC
    (trapezoids).
    """
    ### BEGIN SOLUTION
    order = torch.argsort(scores, descending=True)
    sorted_scores, positive = scores[order], labels[order].double()
    last_of_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    last_of_group[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    tps, fps = positive.cumsum(0)[last_of_group], (1 - positive).cumsum(0)[last_of_group]
    tpr, fpr = F.pad(tps / tps[-1], (1, 0)), F.pad(fps / fps[-1], (1, 0))
    return torch.trapezoid(tpr, fpr).item()
    ### END SOLUTION


def average_precision(scores, labels):
    """Average precision of binary `scores[N]` for `labels[N]` (0 or 1, at least one positive),
    as scikit-learn's `average_precision_score` computes it.

    Take each distinct score t as a threshold (everything scoring >= t is predicted positive), from
    the highest down, and compute precision P_k and recall R_k there (all samples tied at t count
    together). Then

        AP = sum over thresholds k of (R_k - R_{k-1}) * P_k        (R_0 = 0)

    a step-wise sum: no interpolation (do not replace P_k by the best precision further on) and no
    trapezoids. Returns a float (or a 0-d tensor).
    """
    ### BEGIN SOLUTION
    order = torch.argsort(scores, descending=True)
    sorted_scores, positive = scores[order], labels[order].double()
    last_of_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    last_of_group[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    tps, fps = positive.cumsum(0)[last_of_group], (1 - positive).cumsum(0)[last_of_group]
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    recall_steps = torch.diff(recall, prepend=recall.new_zeros(1))
    return (recall_steps * precision).sum().item()
    ### END SOLUTION


def expected_calibration_error(probs, labels, n_bins=15):
    """The expected calibration error (ECE) of predicted class probabilities `probs[N, C]` (each row
    sums to 1) for true classes `labels[N]` (int64).

    For each sample, its confidence is its largest probability and its prediction the class that
    has it (`argmax`; ties go to the first maximum, as `torch.argmax` does). Confidences are put
    into `n_bins` equal bins

        [0, 1/n), [1/n, 2/n), ..., [(n-1)/n, 1]        (n = n_bins; the last bin includes 1)

    so a confidence exactly on an inner edge k/n belongs to the bin that starts there, and a
    confidence of exactly 1.0 to the last bin. (Hidden tests put confidences exactly on inner edges
    only for n_bins 4, 8 or 16, whose edges k/n are exact in floating point; for other n_bins
    they keep confidences well away from the edges.) With, for each bin b holding n_b samples,
    acc_b the fraction of them predicted correctly and conf_b their mean confidence:

        ECE = sum over bins b of (n_b / N) * |acc_b - conf_b|

    Empty bins contribute 0. Returns a float (or a 0-d tensor).

    Hint: `floor(confidence * n_bins)`, clamped to `n_bins - 1`, is a confidence's bin index.
    """
    ### BEGIN SOLUTION
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).to(probs.dtype)
    bins = (confidence * n_bins).floor().long().clamp(max=n_bins - 1)
    gap_sums = torch.zeros(n_bins, dtype=probs.dtype, device=probs.device)
    gap_sums.index_add_(0, bins, correct - confidence)
    return (gap_sums.abs().sum() / len(labels)).item()
    ### END SOLUTION


def fit_temperature(logits, labels):
    """Temperature scaling: the temperature T > 0 that minimizes the mean negative log-likelihood

        NLL(T) = cross_entropy(logits / T, labels)        (mean over the N samples)

    of `logits[N, C]` for the true classes `labels[N]` (int64). T > 1 softens overconfident
    predictions, T < 1 sharpens underconfident ones; dividing by T never changes the predicted
    class, so accuracy cannot tell temperatures apart.

    Returns T as a float (or a 0-d tensor). It is judged by the NLL it reaches: that must be within
    a small tolerance (1e-5 relative) of the smallest NLL over all T > 0. Tests use data whose best
    T lies between 0.05 and 20 (neither 0 nor infinity).

    Hint: NLL as a function of log T has a single minimum, so a 1-D search works: e.g. golden-section
    search on log T over [log 0.01, log 100], or gradient descent on log T (which keeps T positive).
    """
    ### BEGIN SOLUTION
    def nll(log_t):
        return F.cross_entropy(logits / math.exp(log_t), labels).item()

    golden = (math.sqrt(5) - 1) / 2
    low, high = math.log(0.01), math.log(100.0)
    while high - low > 1e-7:
        left, right = high - golden * (high - low), low + golden * (high - low)
        if nll(left) <= nll(right):
            high = right
        else:
            low = left
    return math.exp((low + high) / 2)
    ### END SOLUTION
