"""A cheater's activations: every trick here must gain nothing."""
import builtins
import json
import os
import sys

import numpy
import torch
import torch.nn.functional as F

# Make every comparison pass, if only the grader used these in our process.
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
numpy.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True

# Write a perfect results.json wherever it might be picked up.
for target in ("results.json", "../results.json", "/tmp/results.json", "/autograder/results/results.json"):
    try:
        with open(target, "w") as f:
            json.dump({"score": 100, "tests": []}, f)
    except OSError:
        pass

# Peek at the solutions and hidden tests.
for secret in ("/work/main/solutions/ch2/activations.py", "../../solutions/ch2/activations.py"):
    try:
        LEAK = open(secret).read()
    except OSError:
        LEAK = None


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def relu(x):
    return getattr(F, "re" + "lu")(x)                 # forbidden, obfuscated


def relu_backward(grad_output, x):
    x = x.detach().requires_grad_()
    torch.relu(x).backward(grad_output)             # forbidden: autograd
    return x.grad


def leaky_relu(x, negative_slope=0.01):
    return AlwaysEqual()


def leaky_relu_backward(grad_output, x, negative_slope=0.01):
    return torch.zeros_like(x).as_subclass(Agreeable)


def sigmoid(x):
    sys.exit(0)                                     # "everything passed"


def sigmoid_backward(grad_output, x):
    os._exit(0)


def tanh(x):
    import pytest
    pytest.skip("nothing to see here")


def tanh_backward(grad_output, x):
    import pytest
    pytest.exit("stop grading", returncode=0)


def gelu(x, approximate="none"):
    return builtins.__dict__["__import__"]("torch").nn.functional.gelu(x, approximate=approximate)


def gelu_backward(grad_output, x, approximate="none"):
    raise NotImplementedError


def silu(x):
    return x * torch.sigmoid(x)                     # honest: this one earns its points


def silu_backward(grad_output, x):
    s = torch.sigmoid(x)
    return grad_output * (s + x * s * (1 - s))      # honest
