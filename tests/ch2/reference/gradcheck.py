"""Reference for ch2/gradcheck.py.

numerical_gradient: an independent central-difference loop (the hidden tests
also check it against closed-form gradients); relative_error: the closed form
in float64; gradcheck: torch.autograd.gradcheck itself.
"""
import torch


def numerical_gradient(f, x, eps=1e-6):
    base = x.detach().clone()
    grad = torch.empty_like(base)
    for flat in range(base.numel()):
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), base.shape))
        step = torch.zeros_like(base)
        step[index] = eps
        f_plus = torch.as_tensor(f(base + step), dtype=torch.float64).item()
        f_minus = torch.as_tensor(f(base - step), dtype=torch.float64).item()
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    a, b = a.double(), b.double()
    return ((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max().item()


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    try:
        return bool(torch.autograd.gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=False))
    except Exception:
        return False
