"""What every probe may use: PROBE_GLOBALS, the helpers below (as `probes.<name>`), and the
probes shared by many hidden suites (each still self-contained: see runner.py).

Nothing here gives an answer away: a sandboxed worker can read (and student code import) this
module. Stand-ins that solve exercises live in tests/stand_ins.py.
"""
import contextlib
import math
import sys

import torch
import torch.nn.functional as F

# The name probe code gives this module: `probes.outcome(...)`, `probes.swapped(...)`.
probes = sys.modules[__name__]

# What a probe's code sees besides its arguments (runner.compile_probe): torch, F, math, this
# module as `probes`, and `trusted`, the stand-ins of tests/stand_ins.py (hidden from workers).
PROBE_GLOBALS = {"torch": torch, "F": F, "math": math, "probes": probes}


# ------------------------------------------------------------------ raising

def attempt(call):
    """(what call() returned, None), or (None, the exception it raised).

    NotImplementedError propagates: a stub's `raise NotImplementedError()` must read as "not
    implemented yet", never as the exception a test asked for."""
    try:
        return call(), None
    except NotImplementedError:
        raise
    except Exception as exc:
        return None, exc


def outcome(call, expected=None):
    """What happened when call() ran, in the words the suites compare.

    expected None (CURRICULUM rule 8: any exception counts where the curriculum names no type):
    'raised' or 'no exception'. expected an exception class, e.g. ValueError: 'ValueError', or
    'KeyError (expected ValueError)', or 'no exception (expected ValueError)'."""
    _, exc = attempt(call)
    if expected is None:
        return "no exception" if exc is None else "raised"
    if exc is None:
        return f"no exception (expected {expected.__name__})"
    if isinstance(exc, expected):
        return expected.__name__
    return f"{type(exc).__name__} (expected {expected.__name__})"


@contextlib.contextmanager
def swapped(obj, name, value):
    """obj.<name> is `value` inside the `with`; afterwards what it was before (absent again if
    it was absent), whatever happened inside."""
    missing = object()
    old = getattr(obj, name, missing)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if old is missing:
            delattr(obj, name)
        else:
            setattr(obj, name, old)


# ------------------------------------------------------------------ shared probes

def apply(impl, name, args, kwargs):
    """Call impl.<name>(*args, **kwargs); also return the arguments afterwards (must be unchanged)."""
    out = getattr(impl, name)(*args, **kwargs)
    return {"out": out, "args_after": list(args)}


def raises(impl, name, args, kwargs):
    """'raised' when impl.<name>(*args, **kwargs) raises any exception (rule 8: the type is
    checked only where the curriculum names it), else 'no exception'. A class name builds an
    object: raises(impl, "MultiHeadAttention", [10, 3], {})."""
    return probes.outcome(lambda: getattr(impl, name)(*args, **kwargs))
