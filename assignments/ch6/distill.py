# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Knowledge distillation: train a small student to imitate a large teacher.

The student learns from two signals at once: the true labels (ordinary cross
entropy) and the teacher's *softened* class probabilities `softmax(t / T)`.
A temperature `T > 1` flattens both distributions, so the student also learns
how the teacher ranks the wrong classes ("dark knowledge", Hinton et al. 2015).

Everything in torch is allowed here (`F.log_softmax`, `F.kl_div`,
`F.cross_entropy`, ...); the exercise is getting every convention right.
"""
import torch
import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, targets, temperature=2.0, alpha=0.5):
    """Hinton's distillation loss, a 0-d tensor:

        alpha * T**2 * KL(p_teacher || p_student)  +  (1 - alpha) * CE(student_logits, targets)

    with `T = temperature`, `p_teacher = softmax(teacher_logits / T)` and
    `p_student = softmax(student_logits / T)` over the classes (dim 1).

    Shapes: `student_logits` and `teacher_logits` are `[B, C]` (B samples, C classes),
    float32 or float64, same dtype and device; `targets` is `[B]`, int64 class ids.
    Only 2-D logits are part of this spec: for a sequence model with `[B, T, C]`
    logits, flatten to `[B*T, C]` (and the targets to `[B*T]`) before calling.

    - The KL term is the divergence of the student *from the teacher*:
      `KL(p || q) = sum_c p_c * (log p_c - log q_c)` with `p = p_teacher`, `q = p_student`,
      summed over the classes and the batch and divided by B (torch's
      `reduction="batchmean"`: the mean over samples, not over all B*C entries).
    - The factor `T**2` keeps the soft term's gradients the same size whatever T
      is (its gradient w.r.t. the logits scales like 1/T**2 otherwise).
    - The temperature divides both the student's and the teacher's logits in the KL term.
    - The cross entropy uses the raw student logits (temperature 1), mean over the batch.
    - `alpha` weights the soft (teacher) term; `alpha=0` is plain cross entropy,
      `alpha=1` is pure distillation.

    Numerics: logits up to ±1e4 must give a finite loss and finite gradients. Work
    with log-probabilities (a log-softmax that subtracts each row's maximum, such
    as `F.log_softmax`), never `log(softmax(...))`, which underflows to log(0) = -inf.

    Gradients: the result is differentiable w.r.t. `student_logits` (call
    `.backward()` on it). The teacher is a fixed target: `teacher_logits` usually
    comes from `torch.no_grad()` and need not require grad (detaching it is fine).
    The result has the logits' dtype and device; the inputs are not modified.
    Compute in the logits' dtype: float64 results are compared with torch's at
    float64 precision (about 1e-7 relative; with logits of ±1e4, within a few float
    eps times the loss's sensitivity to rounding the logits).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
