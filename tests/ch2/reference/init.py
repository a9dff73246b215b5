"""Torch-backed reference for ch2/init.py: torch.nn.init itself."""
import warnings

import torch

calculate_gain = torch.nn.init.calculate_gain
xavier_uniform_ = torch.nn.init.xavier_uniform_
xavier_normal_ = torch.nn.init.xavier_normal_


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    with warnings.catch_warnings():   # torch warns on tensors with no elements
        warnings.simplefilter("ignore")
        return torch.nn.init.kaiming_uniform_(tensor, a, mode, nonlinearity, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.nn.init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)
