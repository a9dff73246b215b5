"""A differently written correct ch1/debugging.py (kit_tests/test_chapters.py gives it full marks):
the norm of all gradients concatenated into one float64 vector (cast back), NaN and inf found by
`t - t` (0 for every finite entry, NaN otherwise), and check_shape with an explicit loop over axes
that raises one error class of its own, a ValueError subclass."""
import torch


def grad_global_norm(parameters, norm_type=2.0):
    params = [parameters] if torch.is_tensor(parameters) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if len(grads) == 0:
        return torch.zeros(())
    flat = torch.cat([g.reshape(-1).to(torch.float64) for g in grads])
    return torch.linalg.vector_norm(flat, ord=norm_type).to(grads[0].dtype)


def find_nonfinite(named_tensors):
    pairs = list(named_tensors.items()) if isinstance(named_tensors, dict) else list(named_tensors)
    found = []
    for name, t in pairs:
        if t is None or t.numel() == 0:
            continue
        if ((t - t) != 0).any():
            found.append(name)
    return found


class ShapeError(ValueError):
    pass


def check_shape(x, spec, dims=None):
    tokens = spec.split()
    out = {} if dims is None else {**dims}
    if x.ndim != len(tokens):
        raise ShapeError(f"rank {x.ndim} != {len(tokens)} for spec '{spec}'")
    for axis in range(x.ndim):
        token, actual = tokens[axis], int(x.shape[axis])
        if token.isdecimal():
            if actual != int(token):
                raise ShapeError(f"axis {axis}: literal size {token} expected, size is {actual}")
            continue
        if token not in out:
            out[token] = actual
        elif out[token] != actual:
            raise ShapeError(f"{token} should be {out[token]} but is {actual}")
    return out
