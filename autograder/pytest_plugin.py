"""Fixtures and hooks of the hidden suites (loaded by tests/conftest.py).

A hidden test file `tests/chN/test_<module>.py` grades `chN/<module>.py`; each
test names its exercise with `@pytest.mark.exercise("chN.<module>.<name>")`
(`{param}` placeholders are filled from the test's parameters). Fixtures:

- `student`: `student.run(probe, *args, **kw)` runs the probe on the submission's
  module (siblings: trusted stand-ins, see siblings.py), with the forbidden-shortcut
  checks of grading.toml active;
- `reference`: the same on `tests/chN/reference/<module>.py` (torch-backed);
- `device` (cpu, cuda) and `dtype` (float32, float64).

Run a suite against any folder: `pytest tests/ch2 --submission solutions`.
"""
from __future__ import annotations

import atexit
import re
import time
from pathlib import Path

import pytest
import torch

from autograder.compare import Mismatch, is_close
from autograder.config import load_exercises
from autograder.layout import KIT
from autograder.mutants import load_mutants, mutant_submission
from autograder.outcomes import GradedError, Outcome, PolicyViolation, StudentError, SubmissionImportError, outcome_of
from autograder.plaindata import copy_plain, encode
from autograder.policy import static_violations
from autograder.runner import InProcessRunner, SandboxRunner, TimeLimit, guard_for, probe_spec
from autograder.settings import RunSettings
from autograder.submission import ChapterModules, modules_for, reference_modules
from autograder.suite_helpers import use_seed_offset

DEVICES = ["cpu", "cuda"]
DTYPES = [torch.float32, torch.float64]
SETTINGS = pytest.StashKey[RunSettings]()
HUNG = pytest.StashKey[set]()     # in-process: the exercises whose time ran out once in this run


def pytest_addoption(parser):
    group = parser.getgroup("autograder", "grading with the hidden suites")
    group.addoption("--submission", default=str(KIT.assignments),
                    help="folder with the chN/<module>.py layout to grade (default: assignments/)")
    group.addoption("--sandbox", action="store_true",
                    help="run student code in sandboxed worker processes (batch grading)")
    group.addoption("--submission-seconds", type=float, default=900,
                    help="with --sandbox: total time cap for one submission")
    group.addoption("--exercise", default=None,
                    help="run only the tests of this exercise id (e.g. ch2.activations.relu)")
    group.addoption("--seed-offset", type=int, default=0,
                    help="add this to every random case's seed (to rerun the suites on other random inputs)")


class UseSettings:
    """The plugin a run hands to pytest (`pytest.main(args, plugins=[UseSettings(settings)])`):
    its settings win over the command line's."""

    def __init__(self, settings: RunSettings):
        self.settings = settings

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.stash[SETTINGS] = self.settings


def pytest_configure(config):
    if SETTINGS not in config.stash:    # plain `pytest tests/ch2 --submission DIR`
        config.stash[SETTINGS] = RunSettings(
            submission=Path(config.getoption("--submission")).resolve(), sandbox=config.getoption("--sandbox"),
            submission_seconds=config.getoption("--submission-seconds"), exercise=config.getoption("--exercise"),
            seed_offset=config.getoption("--seed-offset"))
    use_seed_offset(settings_of(config).seed_offset)
    # The suites' tensors are tiny: a second thread only adds waiting, and on a busy machine a great
    # deal of it (a small conv took 70 ms on two threads at load 9, 0.1 ms on one). Sandboxed workers
    # and `grade` run on one thread already.
    torch.set_num_threads(1)
    if torch.cuda.is_available():   # compare true float32 on both sides
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def settings_of(config) -> RunSettings:
    return config.stash[SETTINGS]


def exercise_of(item):
    """The Exercise a test item grades, or None."""
    marker = item.get_closest_marker("exercise")
    if marker is None:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    exercise_id = marker.args[0].format(**params)
    try:
        return load_exercises()[exercise_id]
    except KeyError:
        raise pytest.UsageError(f"{item.nodeid}: exercise {exercise_id!r} is not in grading.toml")


def pytest_collection_modifyitems(config, items):
    only = settings_of(config).exercise
    batch = settings_of(config).sandbox
    no_cuda = batch and not torch.cuda.is_available()   # grading: drop, rather than skip one by one
    keep, drop = [], []
    for item in items:
        exercise = exercise_of(item)
        if exercise is not None:   # the runner's own time limit comes first; this is a backstop
            item.add_marker(pytest.mark.timeout(exercise.timeout + 15))
        params = getattr(getattr(item, "callspec", None), "params", {})
        unwanted = (only and (exercise is None or exercise.id != only)) or (no_cuda and params.get("device") == "cuda")
        (drop if unwanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _chapter_and_module(path: Path) -> tuple[str, str]:
    return path.parent.name, path.stem.removeprefix("test_")


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    return request.param


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


class Student:
    """The code under test, reached only through probes."""

    def __init__(self, submission: Path, exercise, pool=None, hung: set | None = None):
        """`hung`: in-process, the exercises whose time ran out once in this run (their other
        tests are not run); sandboxed, the pool keeps that record."""
        self.exercise = exercise
        self.submission = submission
        self.modules = modules_for(submission, exercise.chapter, exercise.module)
        if pool is None:
            self.runner = InProcessRunner(self.modules, exercise.module, guard_for(exercise),
                                          graded_with=exercise.graded_with,
                                          time_limit=TimeLimit(exercise.id, exercise.timeout,
                                                               set() if hung is None else hung))
        else:
            self.runner = SandboxRunner(pool, self.modules, exercise.module, exercise, submission,
                                        deadline=time.monotonic() + exercise.timeout)
        self.calls = []          # (probe, args, kwargs, (True, result) or (False, error message))
        self._policy_checked = False

    def check_policy(self):
        path = self.modules.files[self.exercise.module]
        if not path.is_file():
            raise SubmissionImportError(f"{self.exercise.chapter}/{path.name} is missing from the submission")
        try:
            found = static_violations(path.read_text(), self.exercise.name.split(".")[0],
                                      self.exercise.forbidden)
        except SyntaxError as exc:
            raise SubmissionImportError(f"{self.exercise.chapter}/{path.name} does not import: "
                                        f"SyntaxError: {exc.msg} (line {exc.lineno})")
        if found:
            raise PolicyViolation(f"{self.exercise.id} uses a forbidden shortcut ({'; '.join(found)}): "
                                  "policy violation, the exercise scores 0")

    def run(self, probe, *args, **kwargs):
        if not self._policy_checked:
            self.check_policy()
            self._policy_checked = True
        try:
            result = self.runner.run(probe, *args, **kwargs)
        except StudentError as exc:
            self.calls.append((probe, args, kwargs, (False, str(exc))))
            raise
        self.calls.append((probe, args, kwargs, (True, result)))
        return result


class Reference:
    """The torch-backed reference of a module, run the same way (no policy checks)."""

    def __init__(self, chapter: str, module: str):
        self.runner = InProcessRunner(ChapterModules(chapter, reference_modules(chapter)), module)
        self.memo: dict = {}

    def run(self, probe, *args, **kwargs):
        """Memoized: the same probe on the same inputs is computed once per process, so a
        batch computes each reference once, not once per submission."""
        key = (probe_spec(probe), encode((args, kwargs)))
        if key not in self.memo:
            if len(self.memo) > 50_000:
                self.memo.clear()
            self.memo[key] = self.runner.run(probe, *args, **kwargs)
        return copy_plain(self.memo[key])


@pytest.fixture
def student(request):
    exercise = exercise_of(request.node)
    if exercise is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses `student` without an exercise marker")
    settings = settings_of(request.config)
    pool = worker_pool(settings) if settings.sandbox else None
    return Student(Path(settings.submission).resolve(), exercise, pool,
                   hung=request.config.stash.setdefault(HUNG, set()))


_pool = None


def worker_pool(settings: RunSettings):
    """One pool of sandboxed workers per process, shared by every pytest run in it (a grading
    process grades submission after submission with one zygote)."""
    global _pool
    if _pool is None:
        from autograder.sandbox import WorkerPool, isolation_for

        isolation, image = isolation_for(settings.backend, torch.cuda.is_available())
        _pool = WorkerPool(isolation, image=image)
        atexit.register(_pool.close)
    _pool.group_seconds = settings.submission_seconds
    return _pool


def pytest_sessionfinish(session):
    if _pool is not None:
        _pool.release(Path(settings_of(session.config).submission).resolve())


_references: dict = {}


@pytest.fixture
def reference(request):
    key = _chapter_and_module(Path(request.node.fspath))
    if key not in _references:
        _references[key] = Reference(*key)
    return _references[key]


# ------------------------------------------------------------ failure reports

def short_message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, (Mismatch, GradedError)):
        text = f"{type(exc).__name__}: {text}"
    return text.splitlines()[0][:500]


def _without_location(error: str) -> str:
    """An error without its "(at ch6/m.py, line 12, in f)": a student's crash matches a
    mutant's crash at another line."""
    return re.sub(r" \(at [^()]*, line \d+, in [^()]*\)$", "", error)


def _same_behaviour(runner, call) -> bool:
    """Does `runner` reproduce a recorded call: the same result, or the same error? (Never raises:
    a recorded result came from the student's code.)"""
    probe, args, kwargs, (ok, got) = call
    try:
        result = runner.run(probe, *args, **kwargs)
    except StudentError as exc:
        return not ok and _without_location(str(exc)) == _without_location(got)
    except Exception:
        return False
    return ok and is_close(result, got)


def known_mistake(student: Student) -> str | None:
    """The hint of the first mutant that behaves like the student's code on every call."""
    if not student.calls:
        return None
    for mutant in load_mutants(student.exercise.chapter, student.exercise.module):
        if mutant.exercise != student.exercise.id:
            continue
        modules = modules_for(mutant_submission(mutant), student.exercise.chapter, student.exercise.module)
        runner = InProcessRunner(modules, student.exercise.module, graded_with=student.exercise.graded_with)
        if all(_same_behaviour(runner, call) for call in student.calls):
            return mutant.hint
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    exercise = exercise_of(item)
    if exercise is None:
        return
    try:
        _add_outcome(report, item, call, exercise)
    except Exception as exc:   # never a pytest internal error: this test fails, the others still run
        _fail_unchecked(report, item, exercise, exc)


def _add_outcome(report, item, call, exercise):
    """The exercise, and for a failure its one-line message, status and known-mistake hint."""
    if call.when == "call" or report.failed:
        report.user_properties.append(("exercise", exercise.id))
        if item.get_closest_marker("condition") is not None:
            report.user_properties.append(("condition", True))
        student = item.funcargs.get("student") if hasattr(item, "funcargs") else None
        if isinstance(student, Student) and student.runner.kit_versions_called:
            report.user_properties.append(("kit_versions", sorted(student.runner.kit_versions_called)))
    if not report.failed or call.excinfo is None:
        return
    exc = call.excinfo.value
    unfinished = isinstance(exc, StudentError) and exc.unfinished   # the stub's own raise
    message = short_message(exc)
    if isinstance(exc, StudentError) and not unfinished:   # a crash: say which check it was in
        message = f"{message}; during {item.name}"
    report.user_properties.append(("message", message))
    report.user_properties.append(("outcome", outcome_of(exc)))
    student = item.funcargs.get("student") if hasattr(item, "funcargs") else None
    if isinstance(exc, (Mismatch, StudentError)) and isinstance(student, Student) and not unfinished:
        try:
            hint = known_mistake(student)
        except Exception:      # matching is a courtesy: without it the failure stands, hintless
            hint = None
        if hint:
            report.user_properties.append(("hint", hint))
            report.sections.append(("Known mistake", hint))


def _fail_unchecked(report, item, exercise, exc: BaseException):
    """`report` as a failure saying the result could not be checked (of repeated properties, the last wins)."""
    message = f"what your code returned could not be checked ({type(exc).__name__}); during {item.name}"
    report.outcome = "failed"
    report.longrepr = report.longrepr or message
    report.user_properties += [("exercise", exercise.id), ("message", message), ("outcome", Outcome.FAILED)]
