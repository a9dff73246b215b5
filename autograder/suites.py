"""Run hidden or public suites with pytest, in this process, and collect one outcome per test.

The driver of `autograder check` and `autograder mutants` (student code in this process) and
of each grading process of `autograder grade` (student code in sandboxed workers). pytest runs
with a fixed configuration: the kit's pyproject.toml, the run's RunSettings as a plugin, and
in sandboxed runs no plugin but the kit's and pytest-timeout.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.abc
import io
import os
import re
import sys
from pathlib import Path

import pytest

from autograder.compare import find_mismatch
from autograder.config import chapter_modules, default_timeout
from autograder.layout import KIT
from autograder.outcomes import Outcome
from autograder.policy import ProcessKeeper
from autograder.pytest_plugin import UseSettings
from autograder.runner import Alarm, innermost_frame, still_running_error, stopped_call_error
from autograder.score import TestOutcome
from autograder.settings import RunSettings
from autograder.submission import submission_modules


class DoesNotImport(ImportError):
    """Raised where a test file imports a module known not to import; its message says why."""


class _Collector:
    """A pytest plugin object: the outcome of every test, setup and teardown included.
    `progress(done, total)` hears of each test finished, `starting(item)` of each test about to run."""

    def __init__(self, progress=None, starting=None):
        self.outcomes: dict[str, TestOutcome] = {}
        self.collection_failed = False
        self.progress, self.starting = progress, starting
        self.total = self.done = 0
        self._why_not_collected: dict[str, str] = {}

    def pytest_exception_interact(self, node, call, report):
        """A test file that cannot be collected because a module it imports does not: why, in one
        line (pytest's CollectError wraps the import's own exception). A failed torch.testing.assert_close
        of a test without a message of its own: expected and got at the worst element."""
        known = self.outcomes.get(report.nodeid)
        if isinstance(report, pytest.TestReport) and known is not None and call.excinfo is not None \
                and not dict(report.user_properties).get("message"):
            values_line = assert_close_values(call.excinfo.tb)
            if values_line:
                self.outcomes[report.nodeid] = dataclasses.replace(known, message=values_line[:500])
        cause = call.excinfo.value.__cause__ if isinstance(report, pytest.CollectReport) and call.excinfo else None
        if isinstance(cause, DoesNotImport):
            self._why_not_collected[report.nodeid] = str(cause)
        elif isinstance(cause, SyntaxError):
            where = "/".join(Path(cause.filename or "?").parts[-2:])
            self._why_not_collected[report.nodeid] = f"{where} does not import: SyntaxError: {cause.msg} " \
                                                      f"(line {cause.lineno})"

    def pytest_collectreport(self, report):
        """A test file that cannot even be collected (a module it imports is missing or broken): one
        failed outcome with the reason, never pytest's traceback."""
        if report.failed:
            lines = report.longreprtext.strip().splitlines() or ["could not be collected"]
            message = self._why_not_collected.get(report.nodeid) or re.sub(r"^E\s+", "", lines[-1].strip())
            self.outcomes[report.nodeid] = TestOutcome(report.nodeid, None, Outcome.FAILED, message[:500])
            self.collection_failed = True

    def pytest_collection_finish(self, session):
        self.total = len(session.items)

    def pytest_runtest_setup(self, item):
        if self.starting is not None:
            self.starting(item)

    def _count(self, report):
        if report.when == "teardown" and self.progress is not None:
            self.done += 1
            self.progress(self.done, self.total)

    def pytest_runtest_logreport(self, report):
        self._count(report)
        props = dict(report.user_properties)
        known = self.outcomes.get(report.nodeid)
        if known is not None and known.outcome.failed:
            return  # a failure is final
        if report.when == "call" or report.outcome != "passed":
            message = props.get("message") or (failure_line(report) if report.failed else "")
            if report.skipped and isinstance(report.longrepr, tuple):
                message = report.longrepr[2]
            outcome = (Outcome.PASSED if report.passed else Outcome.SKIPPED if report.skipped
                       else props.get("outcome", Outcome.FAILED))
            self.outcomes[report.nodeid] = TestOutcome(report.nodeid, props.get("exercise"), outcome, message,
                                                       props.get("hint", ""), props.get("condition", False),
                                                       tuple(props.get("kit_versions", ())))


# Lines of an assertion's message that restate or pad it: pytest's `+  where ...` explanations
# and hints, and torch.testing's headline ("Tensor-likes are not close!").
_PADDING = re.compile(r"^(\+|where |and |Use -v|Full diff|Omitting|At index|\S+ are not close!$)")


def first_meaningful_line(text: str) -> str:
    """The line of a failure's message that says what came and what was expected."""
    text = re.sub(r"^(AssertionError|Failed): ", "", text.strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    meaningful = [line for line in lines if not _PADDING.match(line)]
    return (meaningful or lines or [""])[0]


def assert_close_values(tb) -> str | None:
    """What a failed torch.testing.assert_close compared, as compare.py words a mismatch (expected
    and got at the worst element), from the arguments in its frame of the traceback `tb`."""
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "assert_close" and frame.f_globals.get("__name__", "").startswith("torch.testing"):
            args = frame.f_locals
            if "actual" in args and "expected" in args:
                return find_mismatch(args["actual"], args["expected"], rtol=args.get("rtol"), atol=args.get("atol"),
                                     where="assert_close")
        tb = tb.tb_next
    return None


def failure_line(report) -> str:
    """A failed test's one line: its exception's first meaningful line (not the traceback's last)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return first_meaningful_line(crash.message)[:500]
    lines = report.longreprtext.strip().splitlines()
    return first_meaningful_line(lines[-1])[:500] if lines else ""


@contextlib.contextmanager
def _only_named_plugins(on: bool):
    """With `on`, pytest loads no plugin it finds installed (only what the arguments name)."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    if on:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if on and saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)


def _pytest(args: list[str], quiet: bool, plugins=(), trusted_only: bool = False, progress=None,
            starting=None) -> _Collector:
    collector = _Collector(progress, starting)
    base = ["-p", "no:cacheprovider", "-p", "no:logging", "-p", "no:warnings", "-p", "no:doctest",
            "--rootdir", str(KIT.root), "-c", str(KIT.root / "pyproject.toml"),
            "-q", "--no-header", "--tb=native"]   # short/long re-parse sources: ~8x slower on failing submissions
    if trusted_only:
        base += ["-p", "pytest_timeout"]
    sink = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext(), _only_named_plugins(trusted_only):
        code = pytest.main(base + args, plugins=[*plugins, collector])
    collected_what_it_could = code == pytest.ExitCode.INTERRUPTED and collector.collection_failed
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED) \
            and not collected_what_it_could:
        raise RuntimeError(f"pytest could not run {args}: exit code {code}\n"
                           + (sink.getvalue()[-3000:] if sink else ""))
    return collector


def hidden_modules(chapter: str, settings: RunSettings) -> list[str]:
    """The modules whose hidden suites a run takes: the chapter's, or settings.exercise's."""
    return [settings.exercise.split(".")[1]] if settings.exercise else chapter_modules(chapter)


def run_hidden(chapter: str, settings: RunSettings, quiet: bool = True, modules: list[str] | None = None,
               progress=None, starting=None) -> list[TestOutcome]:
    """The hidden suites of a chapter's `modules` (default: hidden_modules) against
    settings.submission. Sandboxed runs load no plugin but the kit's and pytest-timeout.
    `progress(done, total)` hears of each test finished, `starting(item)` of each test about to run."""
    modules = hidden_modules(chapter, settings) if modules is None else modules
    args = [str(f) for f in map(lambda m: KIT.hidden_suite(chapter, m), modules) if f.exists()]
    if not args:
        return []
    if settings.stop_at_first_failure:
        args += ["--maxfail", "1"]
    collector = _pytest(args, quiet, plugins=[UseSettings(settings)], trusted_only=settings.sandbox,
                        progress=progress, starting=starting)
    return list(collector.outcomes.values())


class _Unimportable(importlib.abc.MetaPathFinder):
    """Makes `import chN.<module>` raise DoesNotImport(why) for the modules of `why`, without
    running them again (one that hangs at import would hang the tests)."""

    def __init__(self, chapter: str, why: dict[str, str]):
        self.chapter, self.why = chapter, why

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package == self.chapter and name in self.why:
            raise DoesNotImport(self.why[name])
        return None


class NotRunAgain(Exception):
    """Raised where a public test calls a function of the student's that an earlier one found
    still running; the message says so."""


class _PublicTestsHere:
    """A pytest plugin for the public tests run in this process (`autograder check`): the hidden
    suites' policy in a public test's terms. A test has `seconds` (runner.Alarm) and fails as timed
    out in the student's words; the function of theirs found still running then fails at once in
    every later test (NotRunAgain), so that a hang costs its time once; a call that would end the
    process (os._exit) raises instead (policy.ProcessKeeper). `code_files`: the student's files."""

    def __init__(self, seconds: float, code_files: set[str]):
        self.seconds, self.code_files = seconds, code_files
        self.hung: dict = {}          # code object of a function found still running -> its name
        self.said: dict[str, tuple[str, Outcome]] = {}   # nodeid -> its failure's message and outcome
        self.keeper = ProcessKeeper()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self.keeper = ProcessKeeper()
        previous = sys.getprofile()
        sys.setprofile(self._watch)
        try:
            with Alarm(self.seconds) as alarm:
                yield
        finally:
            sys.setprofile(previous)
        if alarm.went_off:
            self.said[item.nodeid] = (str(still_running_error(alarm, self.code_files, self.seconds)),
                                     Outcome.TIMED_OUT)
            frame = innermost_frame(alarm.frame, self.code_files)
            if frame is not None:
                self.hung[frame.f_code] = frame.f_code.co_name
        elif self.keeper.stopped:
            self.said[item.nodeid] = (str(stopped_call_error(self.keeper, self.code_files)), Outcome.FAILED)

    def _watch(self, frame, event, arg):
        """The profile hook of a public test."""
        if event == "c_call":
            self.keeper.c_call(frame, arg)
        elif event == "call" and frame.f_code in self.hung:
            raise NotRunAgain(f"{self.hung[frame.f_code]}() was still running in an earlier test after "
                              f"{self.seconds:g} s: not run again")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        said = self.said.get(item.nodeid) if call.when == "call" else None
        if said is None and call.excinfo is not None and call.excinfo.errisinstance(NotRunAgain):
            said = (str(call.excinfo.value), Outcome.TIMED_OUT)
        if said is not None and report.failed:
            report.longrepr = said[0]
            report.user_properties += [("message", said[0]), ("outcome", said[1])]


def run_public(chapter: str, submission: Path, quiet: bool = True, unimportable: dict[str, str] | None = None,
               progress=None, starting=None) -> list[TestOutcome]:
    """The public tests (assignments/chN/test_*.py) against a submission's modules. A test file
    that cannot be loaded is one failed outcome (its nodeid is the file), and the others run;
    `unimportable` ({module: why}) names modules already known not to import: they are not
    imported again, and a test file that needs one fails with the why. Time limits and calls that
    would end the process: _PublicTestsHere. `progress` and `starting`: as for run_hidden."""
    files = KIT.public_tests(chapter)
    if not files:
        return []
    modules = submission_modules(Path(submission).resolve(), chapter)
    finder = _Unimportable(chapter, unimportable or {})
    with modules.active():
        sys.meta_path.insert(0, finder)
        try:
            args = [str(f) for f in files] + ["--import-mode=importlib", "--continue-on-collection-errors",
                                              "-o", f"timeout={default_timeout() + 15}"]   # a backstop
            here = _PublicTestsHere(default_timeout(), {str(path) for path in modules.files.values()})
            return list(_pytest(args, quiet, plugins=[here], progress=progress, starting=starting).outcomes.values())
        finally:
            sys.meta_path.remove(finder)
