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
import contextlib
import dis
import inspect
import math
import textwrap
import traceback
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from autograder import siblings
from autograder.policy import PolicyViolation, RuntimeGuard
from autograder.submission import ChapterModules, SubmissionImportError

MAX_DEPTH = 32
PLAIN_SCALARS = (bool, int, float, str, type(None))
# Limits on plain data, so that nothing a sandboxed worker sends can be slow or raise on the trusted
# side. Today's largest probe input or result (hidden suites of ch2 and ch6 against the solutions):
# 1,099 values, a 2,449-character string, depth 5; the limits leave room for far more.
MAX_VALUES = 100_000          # values in one probe's inputs or result, containers and tensors included
MAX_TENSORS = 10_000          # tensors among them (today's largest: 60)
MAX_STR_CHARS = 100_000       # characters in one string (dict keys included)
INT64 = range(-2**63, 2**63)  # ints: exact as int64, so comparing one with a float cannot overflow
# An int dict key k with |k| < 2**61 - 1 hashes to itself (CPython hashes ints modulo 2**61 - 1), so
# no two allowed keys share a hash (but -1 and -2): nobody can build a dict of colliding keys.
DICT_INT_KEYS = range(-(2**61 - 2), 2**61 - 1)


class NotPlainData(TypeError):
    """A probe's input or output holds something other than plain data, or more than its limits."""


class StudentError(Exception):
    """The code under test raised; the message says what and where.

    `unfinished`: it was the student's own `raise NotImplementedError()` (a stub not written
    yet), not torch refusing an operation (torch raises NotImplementedError too, e.g. for
    boolean-mask indexing or `.tolist()` on the meta device)."""

    def __init__(self, message: str = "", unfinished: bool = False):
        super().__init__(message)
        self.unfinished = unfinished


def value_problem(value) -> str | None:
    """What is wrong with one value, its items aside (None when nothing is)."""
    kind = type(value)
    if kind is int and value not in INT64:
        return "an integer too large to compare (more than 64 bits)"
    if kind is str and len(value) > MAX_STR_CHARS:
        return f"a string of {len(value)} characters (more than {MAX_STR_CHARS})"
    if kind in PLAIN_SCALARS or kind in (torch.Tensor, list, tuple, dict):
        return None
    return (f"{kind.__module__}.{kind.__qualname__} is none of what the grader compares "
            "(tensors, numbers, strings, None, lists/tuples/dicts of them)")


def key_problem(key) -> str | None:
    """What is wrong with a dict key (None when it is a str or an int within DICT_INT_KEYS)."""
    if type(key) is int:
        return None if key in DICT_INT_KEYS else "an integer dict key too large (keys stay below 2**61 - 1)"
    if type(key) is str:
        return value_problem(key)
    return f"a dict key of type {type(key).__name__} (keys are str or int)"


def where_text(path) -> str:
    """`result['b'][3]` from a path kept as nested pairs ((where, 'b'), 3) until a message needs it."""
    steps = []
    while isinstance(path, tuple):
        path, step = path
        steps.append(f"[{step!r}]" if type(step) is not str or len(step) <= 60 else f"[{step[:50]!r}...]")
    return path + "".join(reversed(steps))


def check_plain(value, where="value"):
    """Raise NotPlainData unless `value` is plain data (exact types, no subclasses) within the
    limits above. Linear in the size of `value`; stops at the first problem."""
    count = tensors = 0

    def visit(v, path, depth):
        nonlocal count, tensors
        count += 1
        tensors += type(v) is torch.Tensor
        problem = (f"more than {MAX_VALUES} values in all" if count > MAX_VALUES
                   else f"more than {MAX_TENSORS} tensors in all" if tensors > MAX_TENSORS
                   else f"nested deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH
                   else value_problem(v))
        if problem:
            raise NotPlainData(f"{where_text(path)}: {problem}")
        is_dict = type(v) is dict
        items = v.items() if is_dict else enumerate(v) if type(v) in (list, tuple) else ()
        for key, item in items:
            problem = is_dict and key_problem(key)
            if problem:
                raise NotPlainData(f"{where_text(path)}: {problem}")
            visit(item, (path, key), depth + 1)

    visit(value, where, 0)


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


def _raised_by_a_raise_in(exc: BaseException, module_file: str) -> bool:
    """Was `exc` raised by a `raise` statement of `module_file` itself (the stub's
    `raise NotImplementedError()`), rather than inside something it called (torch)?"""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_code.co_filename != module_file:
        return False
    return tb.tb_frame.f_code.co_code[tb.tb_lasti] == dis.opmap["RAISE_VARARGS"]


def _student_error(exc: BaseException, module_file: str) -> StudentError:
    """`ValueError: ... (ch2/activations.py, line 12, in relu)`, pointing into student code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == module_file]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (at {'/'.join(f.filename.split('/')[-2:])}, line {f.lineno}, in {f.name})"
    if isinstance(exc, NotImplementedError) and _raised_by_a_raise_in(exc, module_file):
        f = frames[-1]
        return StudentError(f"{f.name}() is not implemented yet: fill in its body in "
                            f"{'/'.join(f.filename.split('/')[-2:])} (line {f.lineno})", unfinished=True)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return StudentError(f"{type(exc).__name__}{': ' + text if text else ''}{where}")


class InProcessRunner:
    """Mode 1 of `student.run`: the probe runs in this process (print() and pdb work)."""

    def __init__(self, modules: ChapterModules, module: str, guard_factory=None, sibling_calls=None):
        self.modules, self.module = modules, module
        self.guard_factory = guard_factory   # () -> RuntimeGuard, or None for trusted code
        self.sibling_calls = sibling_calls   # who answers the siblings' stand-ins; default: here

    def run(self, probe, *args, **kwargs):
        return self.run_spec(probe_spec(probe), args, kwargs)

    def run_spec(self, spec: ProbeSpec, args, kwargs):
        check_plain((args, kwargs), "probe arguments")
        args, kwargs = copy_plain((args, kwargs))
        fn = compile_probe(spec)
        guard = self.guard_factory() if self.guard_factory else None
        module_file = str(self.modules.files[self.module])
        with self.modules.active(), siblings.serving(self._sibling_calls(guard)):
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
        try:
            check_plain(result, "result")
        except NotPlainData as exc:
            raise StudentError(f"what your code returned cannot be checked: {exc}") from None
        return copy_plain(result)


    def _sibling_calls(self, guard):
        """Answer the siblings' stand-ins here, on behalf of the code under test (siblings.py)."""
        if self.sibling_calls is None:
            self.sibling_calls = siblings.InProcessSiblings(self.modules.chapter, self.module).call

        def call(*request):
            with guard.paused() if guard else contextlib.nullcontext():
                return self.sibling_calls(*request)
        return call


def guard_for(exercise) -> callable:
    return lambda: RuntimeGuard(exercise.id, exercise.forbidden)
