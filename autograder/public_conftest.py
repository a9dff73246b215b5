"""Makes `pytest assignments/chN` readable while you work.

A test that hits a function you have not written yet fails with one line that
names it, instead of a traceback.

Each exercise also gets a test of its own, `forbidden_names[<exercise>]`, run first:
it fails at once, with the line, when the exercise uses a name it may not use
(forbidden.toml beside this file lists them; at grading such a use scores 0).
It reads your code the way grading does (forbidden_names.py), without running it.
"""
import importlib.util
import os
import sys
import tomllib
import traceback

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _skip_the_compiler_import():
    """Building any torch.optim.Optimizer (your SGD too) imports torch's compiler, torch._dynamo
    (1.3 s, as long as `import torch` itself), only to mark four base-class methods as "not to be
    compiled". Nothing here is compiled, so those methods are marked as their own uncompiled
    selves up front. (A method whose mark is missing still gets it the usual way.)"""
    import torch

    for name in ("add_param_group", "zero_grad", "state_dict", "load_state_dict"):
        method = getattr(getattr(torch.optim.Optimizer, name), "__wrapped__", None)
        if method is not None and not hasattr(method, "__dynamo_disable"):
            setattr(method, "__dynamo_disable", method)


def pytest_configure(config):
    """Why a test was skipped is shown (a cache test waiting for your KVCache); and the tests stay
    quick: their tensors are tiny, so torch runs on one thread (two threads on a busy 2-core machine
    made them several times slower), skips the DTensor support that torch.testing.assert_close
    imports on first use (0.6 s of CPU, a third of `import torch`; no test here uses a DTensor)
    and the compiler an optimizer imports (below), and pytest does not collect garbage twice at
    the end looking for errors in `__del__`."""
    if "s" not in config.option.reportchars:
        config.option.reportchars += "s"
    import torch
    import torch.testing._comparison as comparison

    torch.set_num_threads(1)
    if hasattr(comparison, "_HAS_DTENSOR"):
        comparison._HAS_DTENSOR = False
    _skip_the_compiler_import()
    if config.pluginmanager.has_plugin("unraisableexception"):
        config.pluginmanager.set_blocked("unraisableexception")


def shown_path(path):
    """`path` as you would type it where you are: relative to the current folder when it is inside
    it, else in full. (`autograder check` shows every path this way too: one rule.)"""
    path = os.path.realpath(path)
    try:
        relative = os.path.relpath(path, os.path.realpath(os.getcwd()))
    except ValueError:          # on another drive
        return path
    return path if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def unfinished_line(error):
    """'SGD.__init__() is not implemented yet: fill in its body in ch3/optimizers.py (line 76)' for a
    NotImplementedError your stub raised: its innermost frame outside a test file. The milestone
    scripts (`chN/train_*.py`) print it too."""
    for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
        path = frame.f_code.co_filename
        if not os.path.basename(path).startswith("test_"):
            where = f"{shown_path(path)} (line {line})"
            return f"{frame.f_code.co_qualname}() is not implemented yet: fill in its body in {where}"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(NotImplementedError):
        line = unfinished_line(call.excinfo.value)
        if line:
            report.longrepr = line


def _unimportable_module(folder):
    """'ch2/activations.py does not import: SyntaxError: expected ':' (line 21)' for the first of
    your modules in `folder` that Python cannot read, or None."""
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name.startswith("test_"):
            continue
        path = os.path.join(folder, name)
        with open(path, "rb") as file:
            source = file.read()
        try:
            compile(source, path, "exec")
        except SyntaxError as exc:
            return f"{shown_path(path)} does not import: {type(exc).__name__}: {exc.msg} (line {exc.lineno})"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A test file that cannot load because one of your modules does not parse: one line naming
    that module, its line and the reason, instead of Python's import traceback."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and isinstance(collector, pytest.Module):
        reason = _unimportable_module(os.path.dirname(str(collector.path)))
        if reason:
            report.longrepr = reason


# ------------------------------------------------------------ forbidden names

_loaded = {}


def _forbidden():
    """(every exercise's forbidden names by exercise id, the checker module), read once."""
    if not _loaded:
        with open(os.path.join(HERE, "forbidden.toml"), "rb") as file:
            _loaded["names"] = tomllib.load(file)["forbidden"]
        spec = importlib.util.spec_from_file_location("_forbidden_names", os.path.join(HERE, "forbidden_names.py"))
        _loaded["checker"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_loaded["checker"])
    return _loaded["names"], _loaded["checker"]


def _exercises_tested_by(test_file):
    """{exercise name: forbidden names} of the module that `chN/test_<module>.py` tests."""
    chapter, stem = os.path.basename(os.path.dirname(test_file)), os.path.basename(test_file)[:-3]
    if not stem.startswith("test_"):
        return {}
    prefix = f"{chapter}.{stem[len('test_'):]}."
    return {exercise[len(prefix):]: names for exercise, names in _forbidden()[0].items()
            if exercise.startswith(prefix)}


class UsesForbiddenName(Exception):
    """The exercise's code uses a name the exercise forbids (the message says where)."""


def _findings(uses):
    """(line, forbidden name, as written) of each use, leaving out a name that is part of another
    used on the same line (`torch.func` of `torch.func.grad`)."""
    return [(line, name, written) for line, name, written in uses
            if not any(other_line == line and other.startswith(name + ".") for other_line, other, _ in uses)]


def _message(path, exercise, line, name, written):
    """The line a student reads, in their words: `F.relu (torch.nn.functional.relu)`, `.backward`."""
    written = " ".join(written.split())
    what = name if name.startswith(".") or name in written else f"{written} ({name})"
    return (f"{shown_path(path)} line {line}: {exercise} uses {what}, "
            "which this exercise forbids (it scores 0 at grading)")


class ForbiddenNames(pytest.Item):
    """Fails when the exercise's code uses a name it may not use (the static check of grading)."""

    def __init__(self, *, exercise, names, module_name, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.names, self.module_name = exercise, names, module_name

    def code_file(self):
        """The file the tests import as chN.<module> (yours; under `autograder check`, the submission's)."""
        module = sys.modules.get(self.module_name)
        if getattr(module, "__file__", None):
            return module.__file__
        spec = importlib.util.find_spec(self.module_name)
        return spec.origin if spec else None

    def runtest(self):
        path = self.code_file()
        if path is None:
            raise UsesForbiddenName(f"{self.module_name.replace('.', '/')}.py not found: cannot check it")
        with open(path, encoding="utf-8") as file:
            source = file.read()
        entry = self.exercise.split(".")[0]
        uses = _forbidden()[1].forbidden_uses(source, entry, self.names)
        if uses:
            raise UsesForbiddenName("\n".join(_message(path, entry, *use) for use in _findings(uses)))

    def repr_failure(self, excinfo):
        if excinfo.errisinstance(UsesForbiddenName):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


class FileWithForbiddenNameChecks(pytest.Module):
    """A test file `chN/test_<module>.py` with, first, a ForbiddenNames test per exercise of the module."""

    def collect(self):
        tests = list(super().collect())       # imports the test file, and with it chN.<module>
        chapter, module = os.path.basename(os.path.dirname(self.path)), self.path.stem[len("test_"):]
        checks = [ForbiddenNames.from_parent(self, name=f"forbidden_names[{exercise}]", exercise=exercise,
                                             names=names, module_name=f"{chapter}.{module}")
                  for exercise, names in _exercises_tested_by(str(self.path)).items()]
        return [*checks, *tests]


def pytest_pycollect_makemodule(module_path, parent):
    if _exercises_tested_by(str(module_path)):
        return FileWithForbiddenNameChecks.from_parent(parent, path=module_path)
    return None
