"""Forbidden shortcuts: an exercise may not call its own torch counterpart.

grading.toml lists, per exercise, dotted names:
  - `torch.nn.functional.relu`   a function (or class, or module: everything in it);
    a name `torch.X` also forbids the tensor method `torch.Tensor.X`, and every
    name forbids its in-place twin `X_` where torch has one;
  - `.backward`                   any attribute of that name (a method call).

Two checks, both needed:
  - static (`static_violations`): the exercise's code and the module-level
    helpers it uses, read as an AST with import aliases resolved;
  - run time (`RuntimeGuard`): while student code runs, a profiler hook sees every
    Python and C function called, and a TorchFunctionMode sees tensor methods,
    so `getattr(torch, "re" + "lu")` or `nn.ReLU()(x)` are caught as well.

In this process (`autograder check`, pytest), the same hook also stops, before it
runs, a call that would end the process at once (`os._exit`, `os.abort`: no
exception, no cleanup, so check would end without its table): the call raises
EndsTheProcess instead, and `RuntimeGuard.stopped` says which call it was and
where (ProcessKeeper, which check also uses at import and in the public tests).
A sandboxed worker is left to die: the grader sees that.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import os
import sys
import traceback
import types
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.overrides import TorchFunctionMode

from autograder.outcomes import PolicyViolation  # noqa: F401  (raised here)


def expand_names(forbidden) -> list[str]:
    """Add the tensor-method, aten-op and in-place twins of each forbidden name."""
    names = []
    for name in forbidden:
        names.append(name)
        if name.startswith("."):
            continue
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "torch" and hasattr(torch.Tensor, parts[1]):
            names.append(f"torch.Tensor.{parts[1]}")
        if name.startswith(("torch.nn.functional.", "torch.Tensor.")) or len(parts) == 2 and parts[0] == "torch":
            if hasattr(torch.ops.aten, parts[-1]):   # the aten op underneath: torch.ops.aten.relu
                names.append(f"torch.ops.aten.{parts[-1]}")
        for twin in list(names):
            if twin.startswith("torch") and not twin.endswith("_") and _resolve(twin + "_") is not None:
                names.append(twin + "_")
    return list(dict.fromkeys(names))


def _resolve(dotted: str):
    """The object a dotted name refers to, as `torch.a.b` evaluates in code, or None.

    Attribute access wins over submodules: `torch.autograd.gradcheck` is the
    function, not the module of the same name."""
    parts = dotted.split(".")
    try:
        obj = importlib.import_module(parts[0])
        for attr in parts[1:]:
            obj = getattr(obj, attr)
        return obj
    except (ImportError, AttributeError):
        pass
    for cut in range(len(parts), 1, -1):   # a function of a shadowed submodule
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            return obj
        except (ImportError, AttributeError):
            continue
    return None


# ---------------------------------------------------------------- static check
# The functions in SHIPPED_STATIC_CHECK need nothing but `ast` and `functools.lru_cache`: `autograder
# generate` copies their source into the students' assignments/forbidden_names.py, so the public tests
# find the same uses as grading.

def _alias_map(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name, from every import in the file."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


def _top_level_definitions(tree: ast.Module) -> dict[str, list[ast.AST]]:
    defs: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        defs.setdefault(node.id, []).append(stmt)
    return defs


def _reachable_nodes(tree: ast.Module, entry: str, references: dict) -> list[ast.AST]:
    """The definition of `entry` plus every top-level definition it uses, transitively,
    and module-level code that is not a definition (it runs at import)."""
    defs = _top_level_definitions(tree)
    seen, todo, nodes = set(), [entry], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in defs.get(name, []):
            nodes.append(node)
            todo.extend(n.id for n, _ in references[id(node)] if isinstance(n, ast.Name))
    defined = {id(n) for ns in defs.values() for n in ns}
    nodes += [s for s in tree.body if id(s) not in defined
              and not isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    return nodes


def _imports_binding(tree: ast.Module, name: str) -> list[tuple[ast.AST, str]]:
    """The top-level imports that bind `name`, with the dotted name each binds it to."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names if (a.asname or a.name.split(".")[0]) == name]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node, f"{node.module}.{a.name}") for a in node.names if (a.asname or a.name) == name]
    return found


def _is_forbidden(dotted: str, names: set[str]) -> bool:
    """Whether `dotted` is one of `names` or inside one (`torch.func.grad` is inside `torch.func`)."""
    parts = dotted.split(".")
    return any(".".join(parts[:k]) in names for k in range(1, len(parts) + 1))


@lru_cache(maxsize=64)
def _parsed(source: str) -> tuple[ast.Module, dict[str, str], dict[int, list]]:
    """The tree of `source`, its import aliases and, per top-level statement (by id), every name and
    attribute in it with its dotted name (None for `f(x).attr`): made once for all of a module's exercises."""
    tree = ast.parse(source)
    aliases = _alias_map(tree)
    references = {id(top): [(node, _dotted(node, aliases)) for node in ast.walk(top)
                            if isinstance(node, (ast.Attribute, ast.Name))] for top in tree.body}
    return tree, aliases, references


def forbidden_uses(source: str, entry: str, names) -> list[tuple[int, str, str]]:
    """(line, forbidden name, the code as written) for each use of `names` (already expanded)
    by `entry` (a top-level function or class) in `source`, in line order."""
    tree, aliases, references = _parsed(source)
    dotted_names = {name for name in names if not name.startswith(".")}
    attributes = {name[1:] for name in names if name.startswith(".")}
    found = [(node.lineno, dotted, dotted) for node, dotted in _imports_binding(tree, entry)   # `import X as entry`
             if _is_forbidden(dotted, dotted_names)]
    for top in _reachable_nodes(tree, entry, references):
        for node, dotted in references[id(top)]:
            if isinstance(node, ast.Attribute) and node.attr in attributes:
                found.append((node.lineno, "." + node.attr, ast.get_source_segment(source, node) or node.attr))
            elif dotted and _is_forbidden(dotted, dotted_names):
                found.append((node.lineno, dotted, ast.get_source_segment(source, node) or dotted))
    return sorted(set(found))


def violation_lines(uses) -> list[str]:
    """"line 12: torch.nn.functional.relu", once each, for the (line, name, written) of `forbidden_uses`."""
    return list(dict.fromkeys(f"line {line}: {name}" for line, name, _ in uses))


SHIPPED_STATIC_CHECK = (_alias_map, _dotted, _top_level_definitions, _reachable_nodes, _imports_binding,
                        _is_forbidden, _parsed, forbidden_uses, violation_lines)


def static_violations(source: str, entry: str, forbidden) -> list[str]:
    """Forbidden names used by `entry` (a top-level function or class) in `source`.

    Returns readable findings like "line 12: torch.nn.functional.relu"."""
    return list(_static_violations(source, entry, tuple(forbidden)))


@lru_cache(maxsize=4096)
def _static_violations(source: str, entry: str, forbidden: tuple) -> tuple[str, ...]:
    return tuple(violation_lines(forbidden_uses(source, entry, expand_names(forbidden))))


# ------------------------------------------------------------- run-time check

@dataclass
class _Targets:
    codes: dict          # code object -> forbidden name (Python functions)
    callables: dict      # id(builtin / method descriptor) -> forbidden name
    attributes: set      # ".backward" style: method names


def _code_of(fn):
    """The code object that runs when `fn` is called; None for generic wrappers."""
    fn = inspect.unwrap(getattr(fn, "__func__", fn))
    code = getattr(fn, "__code__", None)
    if code is None or "/torch/" not in code.co_filename.replace("\\", "/"):
        return None   # e.g. contextlib's shared helper: flagging it would flag every context manager
    return code


def _collect(obj, name: str, targets: _Targets, top: bool = True):
    """Record what calling `obj` (a function, class, or the public functions and
    classes of a module, not its submodules) looks like at run time."""
    if isinstance(obj, types.ModuleType):
        if not top:
            return
        public = getattr(obj, "__all__", None)
        for attr, member in vars(obj).items():
            if isinstance(member, types.ModuleType) or attr.startswith("__"):
                continue
            own = getattr(member, "__module__", "") or ""
            if attr.startswith("_"):
                if own != obj.__name__:
                    continue   # private names count when the module defines them (its helpers)
            elif (attr not in public) if public is not None else not own.startswith(obj.__name__):
                continue   # something the module merely imports (torch.Tensor, a helper of torch's)
            _collect(member, f"{name}.{attr}", targets, top=False)
    elif inspect.isclass(obj):
        for member in vars(obj).values():
            code = _code_of(member)
            if code is not None:
                targets.codes[code] = name
    elif isinstance(obj, torch._ops.OpOverloadPacket):   # torch.ops.aten.X: every overload
        for overload in obj.overloads():
            op = getattr(obj, overload)
            targets.callables[id(op)] = targets.callables[id(op._op)] = name
        targets.callables[id(obj)] = name
    elif _code_of(obj) is not None:
        targets.codes[_code_of(obj)] = name
    elif callable(obj):
        targets.callables[id(obj)] = name


@lru_cache(maxsize=256)
def _targets(forbidden: tuple) -> _Targets:
    targets = _Targets({}, {}, set())
    for name in expand_names(forbidden):
        if name.startswith("."):
            targets.attributes.add(name[1:])
            continue
        obj = _resolve(name)
        if obj is not None:
            _collect(obj, name, targets)
    return targets


class EndsTheProcess(BaseException):
    """Raised in place of a call that would end the process (a BaseException: a student's
    `except Exception` does not swallow it); `name`: the call's, e.g. os._exit."""

    def __init__(self, name: str):
        super().__init__(f"{name}() would end the whole process")
        self.name = name


# Calls that end the calling process at once, by their identity (however the code reached them).
_ENDS_THE_PROCESS = {id(os._exit): "os._exit", id(os.abort): "os.abort"}


class ProcessKeeper:
    """Keeps this process alive while student code runs: told of each call into C by a profile
    hook (`c_call`), it raises EndsTheProcess in place of a call that would end the process, and
    `stopped` keeps which call it was and the stack that made it. A child process the code forks
    may end itself as it likes. As a `with` block, it is the profile hook itself (RuntimeGuard's
    hook and the public tests' tell it instead)."""

    def __init__(self):
        self.stopped: tuple[str, traceback.StackSummary] | None = None
        self.pid = os.getpid()

    def c_call(self, frame, function):
        if id(function) in _ENDS_THE_PROCESS and os.getpid() == self.pid:
            name = _ENDS_THE_PROCESS[id(function)]
            self.stopped = self.stopped or (name, traceback.extract_stack(frame))
            raise EndsTheProcess(name)   # CPython then switches the profile hook off

    def _profile(self, frame, event, arg):
        if event == "c_call":
            self.c_call(frame, arg)

    def __enter__(self):
        self._previous_profile = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous_profile)


class RuntimeGuard(TorchFunctionMode):
    """Active while student code runs: records (and raises on) forbidden calls.

    The record survives a student's `except Exception:`; the runner checks it."""

    def __init__(self, exercise_id: str, forbidden, keeper: ProcessKeeper | None = None):
        """`keeper`: in-process, what stops a call that would end the process (a sandboxed worker
        may just die: the grader sees it)."""
        super().__init__()
        self.exercise_id = exercise_id
        self.targets = _targets(tuple(forbidden))
        self.violations: list[str] = []
        self.pause = 0
        self.keeper = keeper

    @contextlib.contextmanager
    def paused(self):
        """While trusted code runs on the student's behalf (a sibling's stand-in, siblings.py)."""
        self.pause += 1
        try:
            yield
        finally:
            self.pause -= 1

    def _hit(self, name: str):
        if self.pause:
            return
        self.violations.append(name)
        raise PolicyViolation(f"{self.exercise_id} may not use {name}")

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        name = self.targets.callables.get(id(func))
        code = getattr(func, "__code__", None)
        if name is None and code is not None:
            name = self.targets.codes.get(code)
        if name is None and getattr(func, "__name__", None) in self.targets.attributes:
            name = "." + func.__name__
        if name is not None:
            self._hit(name)
        return func(*args, **(kwargs or {}))

    def _profile(self, frame, event, arg):
        if frame.f_code is _GUARD_EXIT:
            return   # our own sys.setprofile(previous) on the way out
        if event == "call":
            name = self.targets.codes.get(frame.f_code)
        elif event == "c_call":
            if id(arg) in _ENDS_THE_PROCESS and self.keeper is not None and not self.pause:
                self.keeper.c_call(frame, arg)
            name = self.targets.callables.get(id(arg))
        else:
            return
        if name is not None and not self.violations and not self.pause:
            self.violations.append(name)

    @property
    def stopped(self) -> tuple[str, traceback.StackSummary] | None:
        """A call that would have ended the process, stopped before it ran, and the stack that made it."""
        return self.keeper.stopped if self.keeper is not None else None

    def __enter__(self):
        self._previous_profile = sys.getprofile()
        sys.setprofile(self._profile)
        return super().__enter__()

    def __exit__(self, *exc):
        sys.setprofile(self._previous_profile)
        return super().__exit__(*exc)

    def check(self):
        """Raise if student code used a forbidden function, even if it caught our error."""
        if self.violations:
            raise PolicyViolation(
                f"{self.exercise_id} used the forbidden {self.violations[0]} while it ran "
                f"(a policy violation: the exercise scores 0)")


_GUARD_EXIT = RuntimeGuard.__exit__.__code__
