"""Torch-backed reference for ch3/clipping.py: torch.nn.utils' own functions, on their for-loop
implementation (foreach=False), with the student's signatures."""
import torch


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=norm_type,
                                          error_if_nonfinite=error_if_nonfinite, foreach=False)


def clip_grad_value_(parameters, clip_value):
    return torch.nn.utils.clip_grad_value_(parameters, clip_value, foreach=False)
