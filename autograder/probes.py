"""Probes shared by many hidden suites (each is still self-contained: see runner.py), and
PROBE_GLOBALS, the names every probe may use besides its arguments."""
import math
import sys

import torch
import torch.nn.functional as F

from autograder.probe_helpers import (  # noqa: F401  (for probe code: probes.TrustedBlock, ...)
    TrustedBlock,
    TrustedKVCache,
    attempt,
    outcome,
    swapped,
    trusted_sample,
)

# The name probe code gives this module: `probes.outcome(...)`, `probes.TrustedBlock`.
probes = sys.modules[__name__]

# What a probe's code sees (runner.compile_probe): torch, F, math, this module (its probes and
# the vetted helpers of autograder/probe_helpers.py imported above), and nothing else.
PROBE_GLOBALS = {"torch": torch, "F": F, "math": math, "probes": probes}


def apply(impl, name, args, kwargs):
    """Call impl.<name>(*args, **kwargs); also return the arguments afterwards (must be unchanged)."""
    out = getattr(impl, name)(*args, **kwargs)
    return {"out": out, "args_after": list(args)}


def raises_value_error(impl, name, args, kwargs):
    """'ValueError' when impl.<name>(*args, **kwargs) raises it, else what happened instead."""
    return probes.outcome(lambda: getattr(impl, name)(*args, **kwargs), ValueError)


def raises(impl, name, args, kwargs):
    """'raised' when impl.<name>(*args, **kwargs) raises any exception (rule 8: the type is
    checked only where the curriculum names it), else 'no exception'. A class name builds an
    object: raises(impl, "MultiHeadAttention", [10, 3], {})."""
    return probes.outcome(lambda: getattr(impl, name)(*args, **kwargs))
