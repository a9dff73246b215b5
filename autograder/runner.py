"""`student.run` and `reference.run`: run a probe beside the code under test.

A probe is a self-contained module-level function of a hidden test file:
`probe(impl, *args, **kwargs)` where `impl` is the module under test. It may use
`torch`, `F` (torch.nn.functional), `math` and its arguments, nothing else of
the test file: it is compiled from its own source into a fresh namespace, the
same way the sandboxed worker of batch grading will run it.

Inputs and outputs are plain data (tensors, numbers, strings, None, and
lists/tuples/dicts of them), checked here in every mode, so a test that works
in-process also works across a process boundary.
"""
from __future__ import annotations

import ast
import inspect
import math
import textwrap
import traceback
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from autograder.policy import PolicyViolation, RuntimeGuard
from autograder.submission import ChapterModules, SubmissionImportError

MAX_DEPTH = 32
PLAIN_SCALARS = (bool, int, float, str, type(None))


class NotPlainData(TypeError):
    """A probe's input or output holds something other than plain data."""


class StudentError(Exception):
    """The code under test raised; the message says what and where."""


def check_plain(value, where="value", depth=0):
    """Raise NotPlainData unless `value` is plain data (exact types, no subclasses)."""
    if depth > MAX_DEPTH:
        raise NotPlainData(f"{where}: nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind in PLAIN_SCALARS or kind is torch.Tensor:
        return
    if kind in (list, tuple):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]", depth + 1)
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) not in (str, int):
                raise NotPlainData(f"{where}: dict key {key!r} is not a str or int")
            check_plain(item, f"{where}[{key!r}]", depth + 1)
        return
    raise NotPlainData(f"{where}: {kind.__module__}.{kind.__qualname__} is not plain data "
                       "(tensors, numbers, strings, None, lists/tuples/dicts of them)")


def copy_plain(value):
    """A deep copy whose tensors are detached clones (the other side cannot alias them)."""
    if type(value) is torch.Tensor:
        return value.detach().clone()
    if type(value) in (list, tuple):
        return type(value)(copy_plain(v) for v in value)
    if type(value) is dict:
        return {k: copy_plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ProbeSpec:
    """What travels to wherever a probe runs: its source, not the function object."""
    name: str
    source: str
    filename: str
    firstlineno: int


@lru_cache(maxsize=None)
def probe_spec(probe) -> ProbeSpec:
    return ProbeSpec(probe.__name__, textwrap.dedent(inspect.getsource(probe)),
                     inspect.getsourcefile(probe), probe.__code__.co_firstlineno)


@lru_cache(maxsize=None)
def compile_probe(spec: ProbeSpec):
    """The probe compiled from its source alone (line numbers kept for tracebacks)."""
    tree = ast.parse(spec.source)
    ast.increment_lineno(tree, spec.firstlineno - 1)
    namespace = {"torch": torch, "F": F, "math": math, "__name__": f"probe.{spec.name}"}
    exec(compile(tree, spec.filename, "exec"), namespace)
    return namespace[spec.name]


def _student_error(exc: BaseException, module_file: str) -> StudentError:
    """`ValueError: ... (ch2/activations.py, line 12, in relu)`, pointing into student code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == module_file]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (at {'/'.join(f.filename.split('/')[-2:])}, line {f.lineno}, in {f.name})"
    if isinstance(exc, NotImplementedError) and frames:
        f = frames[-1]
        return StudentError(f"{f.name}() is not implemented yet: fill in its body in "
                            f"{'/'.join(f.filename.split('/')[-2:])} (line {f.lineno})")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return StudentError(f"{type(exc).__name__}{': ' + text if text else ''}{where}")


class InProcessRunner:
    """Mode 1 of `student.run`: the probe runs in this process (print() and pdb work)."""

    def __init__(self, modules: ChapterModules, module: str, guard_factory=None):
        self.modules, self.module = modules, module
        self.guard_factory = guard_factory   # () -> RuntimeGuard, or None for trusted code

    def run(self, probe, *args, **kwargs):
        return self.run_spec(probe_spec(probe), args, kwargs)

    def run_spec(self, spec: ProbeSpec, args, kwargs):
        check_plain((args, kwargs), "probe arguments")
        args, kwargs = copy_plain((args, kwargs))
        fn = compile_probe(spec)
        guard = self.guard_factory() if self.guard_factory else None
        module_file = str(self.modules.files[self.module])
        with self.modules.active():
            try:
                if guard:
                    with guard:
                        result = fn(self.modules.module(self.module), *args, **kwargs)
                else:
                    result = fn(self.modules.module(self.module), *args, **kwargs)
            except (SubmissionImportError, PolicyViolation):
                if guard:
                    guard.check()
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # incl. SystemExit and pytest.skip/exit from student code
                if guard:
                    guard.check()
                raise _student_error(exc, module_file) from exc
        if guard:
            guard.check()
        check_plain(result, "probe result")
        return copy_plain(result)


def guard_for(exercise) -> callable:
    return lambda: RuntimeGuard(exercise.id, exercise.forbidden)
