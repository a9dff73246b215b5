"""Torch-backed reference for ch6/distill.py: `F.kl_div` (batchmean) + `F.cross_entropy`."""
import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, targets, temperature=2.0, alpha=0.5):
    T = temperature
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=1), F.log_softmax(teacher_logits / T, dim=1),
                    reduction="batchmean", log_target=True)
    return alpha * T ** 2 * soft + (1 - alpha) * F.cross_entropy(student_logits, targets)
