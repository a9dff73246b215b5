"""What a module under test gets for the other modules of its chapter that it imports.

A composite is graded with trusted stand-ins for the student's other modules (one bug
costs points once). The stand-ins must not give answers away: code under test can read
whatever it imports, and its error messages reach the feedback. So a sibling is never a
reference *solution*. It is a **stand-in**: the sibling's torch-backed reference
(tests/chN/reference/<module>.py) in which every exercise *function* is replaced by a call
to the trusted side:

    def causal_mask(*args, **kwargs):
        return trusted_call("ch6", "attention", "causal_mask", args, kwargs)

The call takes and returns plain data (tensors, numbers, strings, lists/tuples/dicts; no
autograd graph comes back); the reference computes it where the student's code cannot see
it, and outside the forbidden-shortcut checks (it stands for another exercise, which may
use torch freely: mlp's hand-written backward may call activations' relu_backward,
itself computed by autograd). Classes and other names stay the reference's own: thin
wrappers over torch such as nn.MultiheadAttention.

`trusted_call` reaches whatever `serving()` installed: the in-process runner calls the
references directly (`InProcessSiblings`); a sandboxed worker sends the call to the grading
process (runner.ProbeService asks, runner.SandboxRunner answers), which checks it and hands
it to a *reference worker*: a sandboxed process of its own that holds the chapter's references and never any student
code (runner.SandboxRunner._reference_worker), so that a call cannot hang or flood the grader.
"""
from __future__ import annotations

import ast
import atexit
import contextlib
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from autograder.config import chapter_exercises, chapter_modules
from autograder.layout import KIT


class SiblingCallError(Exception):
    """A call to a sibling's stand-in failed; `kind` is the exception type to raise for the student."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


# Exception types a stand-in re-raises as themselves (a student's code may catch them); others
# become RuntimeError.
RAISED_AS_IS = {e.__name__: e for e in (ValueError, TypeError, IndexError, KeyError, RuntimeError)}

_handler = None      # (chapter, module, name, args, kwargs) -> result, installed by serving()


@contextlib.contextmanager
def serving(handler):
    global _handler
    previous, _handler = _handler, handler
    try:
        yield
    finally:
        _handler = previous


def trusted_call(chapter: str, module: str, name: str, args: tuple, kwargs: dict):
    """What every stand-in function calls."""
    from autograder.plaindata import NotPlainData, check_plain, copy_plain

    args, kwargs = [_portable(a) for a in args], {k: _portable(v) for k, v in kwargs.items()}
    try:
        check_plain((args, kwargs))
    except NotPlainData:
        raise TypeError(f"{chapter}.{module}.{name}(), called from another module, takes tensors, numbers, "
                        "strings and lists/tuples/dicts of them here (it stands for your "
                        f"{module}.py; import it only for such calls)") from None
    if _handler is None:
        raise RuntimeError(f"{chapter}.{module}.{name}() can only be called while the grader runs a check")
    try:
        return _handler(chapter, module, name, copy_plain(args), copy_plain(kwargs))
    except SiblingCallError as exc:
        raise RAISED_AS_IS.get(exc.kind, RuntimeError)(str(exc)) from None


DTYPE_TAG = "__torch_dtype__"


def _portable(value):
    """A device or dtype argument (`device=x.device`) as plain data: a device as its name,
    a dtype as {DTYPE_TAG: name}."""
    import torch

    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, torch.dtype):
        return {DTYPE_TAG: str(value).removeprefix("torch.")}
    return value


def _restored(value):
    import torch

    dtype = getattr(torch, str(value[DTYPE_TAG]), None) if type(value) is dict and set(value) == {DTYPE_TAG} else None
    if isinstance(dtype, torch.dtype):
        return dtype
    return value


# ------------------------------------------------------------------ the stand-ins

def _top_level_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@lru_cache(maxsize=None)
def called_through(chapter: str, module: str) -> frozenset[str]:
    """The exercise functions of `module` that its stand-in computes on the trusted side."""
    names = {ex.name for ex in chapter_exercises(chapter) if ex.module == module}
    solution, reference = KIT.solution(chapter, module), KIT.reference(chapter, module)
    return frozenset(names & _top_level_functions(solution) & _top_level_functions(reference))


def stand_in_source(chapter: str, module: str) -> str:
    """The reference of `module` with its exercise functions turned into trusted calls."""
    reference = KIT.reference(chapter, module)
    tree = ast.parse(reference.read_text())
    through = called_through(chapter, module)
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    tree.body = [_call_stub(chapter, module, node.name)
                 if isinstance(node, ast.FunctionDef) and node.name in through else node for node in body]
    header = (f'"""Stand-in for your {module}.py while another module is graded: a reference whose '
              'exercise functions are computed by the grader."""\n'
              "from autograder.siblings import trusted_call\n")
    return header + ast.unparse(tree) + "\n"


def _call_stub(chapter: str, module: str, name: str) -> ast.FunctionDef:
    source = (f"def {name}(*args, **kwargs):\n"
              f"    return trusted_call({chapter!r}, {module!r}, {name!r}, args, kwargs)\n")
    return ast.parse(source).body[0]


@lru_cache(maxsize=1)
def _stand_in_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="autograder-siblings-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@lru_cache(maxsize=None)
def stand_in_files(chapter: str) -> dict[str, Path]:
    """Every module of the chapter as a stand-in file (written once per process)."""
    folder = _stand_in_folder() / chapter
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for module in chapter_modules(chapter):
        files[module] = folder / f"{module}.py"
        files[module].write_text(stand_in_source(chapter, module))
    return files


# ------------------------------------------------------------------ the trusted side

def check_call(chapter: str, module_under_test: str, module: str, name: str, graded_with=()):
    """Only the stand-ins' own calls are answered: never one into the module under test, but
    for the exercises of it that the exercise under test is graded with (`graded_with`)."""
    allowed = name in graded_with if module == module_under_test else name in called_through(chapter, module)
    if not allowed:
        raise SiblingCallError("RuntimeError", f"{chapter}.{module}.{name} cannot be called from here")


def kit_version(chapter: str, module: str, name: str):
    """A function that stands for exercise `name` of the module under test while another exercise
    of that module is graded (grading.toml `graded_with`): computed on the trusted side, like a
    sibling's stand-in, so that one bug costs points once."""
    def stand_in(*args, **kwargs):
        return trusted_call(chapter, module, name, args, kwargs)
    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


def call_reference(modules, module: str, name: str, args, kwargs):
    """Run a reference function (inside `modules.active()`); its answer as plain data, or
    SiblingCallError. Runs in the grading process (in-process mode) or in a reference worker
    (sandboxed mode, so that no call a student makes can hang or flood the grader)."""
    from autograder.plaindata import NotPlainData, check_plain, copy_plain

    try:
        args, kwargs = [_restored(a) for a in args], {k: _restored(v) for k, v in kwargs.items()}
        result = getattr(modules.module(module), name)(*args, **kwargs)
        check_plain(result)
    except NotPlainData:
        raise SiblingCallError("TypeError", f"{module}.{name}() returned something else than tensors, "
                               "numbers and strings here") from None
    except Exception as exc:
        raise SiblingCallError(type(exc).__name__, str(exc)[:2000]) from None
    return copy_plain(result)


class InProcessSiblings:
    """Answers stand-in calls here, from the references (in-process mode)."""

    def __init__(self, chapter: str, module_under_test: str, graded_with=()):
        from autograder.submission import ChapterModules, reference_modules

        self.chapter, self.module_under_test, self.graded_with = chapter, module_under_test, graded_with
        self.modules = ChapterModules(chapter, reference_modules(chapter))

    def call(self, chapter: str, module: str, name: str, args, kwargs):
        if chapter != self.chapter:
            raise SiblingCallError("RuntimeError", f"{chapter}.{module}.{name} cannot be called from here")
        check_call(chapter, self.module_under_test, module, name, self.graded_with)
        with self.modules.active():
            return call_reference(self.modules, module, name, args, kwargs)
