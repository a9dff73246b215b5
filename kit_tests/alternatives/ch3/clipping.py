"""A differently written correct ch3/clipping.py (kit_tests/test_chapters.py gives it full marks):
the norm of all gradients concatenated into one float64 vector (cast back to their dtype), the
coefficient with torch.minimum, and clip_grad_value_ through torch.where and copy_."""
import torch


def _with_grads(parameters):
    params = [parameters] if torch.is_tensor(parameters) else list(parameters)
    return [p for p in params if p.grad is not None]


@torch.no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    params = _with_grads(parameters)
    if len(params) == 0:
        return torch.zeros(())
    dtype = params[0].grad.dtype
    flat = torch.cat([p.grad.reshape(-1).to(torch.float64) for p in params])
    total = torch.linalg.vector_norm(flat, ord=norm_type).to(dtype)
    if error_if_nonfinite and (total.isnan() | total.isinf()).item():
        raise ValueError("non-finite total norm")
    ratio = max_norm / (total + 1e-6)
    coef = torch.minimum(ratio, torch.ones_like(ratio))
    for p in params:
        p.grad.mul_(coef)
    return total


@torch.no_grad()
def clip_grad_value_(parameters, clip_value):
    for p in _with_grads(parameters):
        g = p.grad
        limited = torch.where(g > clip_value, torch.full_like(g, clip_value), g)
        limited = torch.where(limited < -clip_value, torch.full_like(g, -clip_value), limited)
        g.copy_(limited)
