"""Run hidden or public suites with pytest, in this process, and collect one outcome per test.

The driver of `autograder check` and `autograder mutants` (student code in this process) and
of each grading process of `autograder grade` (student code in sandboxed workers). pytest runs
with a fixed configuration: the kit's pyproject.toml, the run's RunSettings as a plugin, and
in sandboxed runs no plugin but the kit's and pytest-timeout.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from autograder.config import chapter_modules
from autograder.layout import KIT
from autograder.outcomes import Outcome
from autograder.pytest_plugin import UseSettings
from autograder.score import TestOutcome
from autograder.settings import RunSettings
from autograder.submission import submission_modules


class _Collector:
    """A pytest plugin object: the outcome of every test, setup and teardown included."""

    def __init__(self):
        self.outcomes: dict[str, TestOutcome] = {}
        self.collection_failed = False

    def pytest_collectreport(self, report):
        """A test file that cannot even be collected (a module it imports is missing or broken): one
        failed outcome with the error's last line, never pytest's traceback."""
        if report.failed:
            lines = report.longreprtext.strip().splitlines() or ["could not be collected"]
            message = re.sub(r"^E\s+", "", lines[-1].strip())[:500]    # pytest's "E   " error prefix
            self.outcomes[report.nodeid] = TestOutcome(report.nodeid, None, Outcome.FAILED, message)
            self.collection_failed = True

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        known = self.outcomes.get(report.nodeid)
        if known is not None and known.outcome.failed:
            return  # a failure is final
        if report.when == "call" or report.outcome != "passed":
            message = props.get("message") or (
                report.longreprtext.strip().splitlines()[-1][:500] if report.failed and report.longreprtext else "")
            if report.skipped and isinstance(report.longrepr, tuple):
                message = report.longrepr[2]
            outcome = (Outcome.PASSED if report.passed else Outcome.SKIPPED if report.skipped
                       else props.get("outcome", Outcome.FAILED))
            self.outcomes[report.nodeid] = TestOutcome(report.nodeid, props.get("exercise"), outcome, message,
                                                       props.get("hint", ""), props.get("condition", False))


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


def _pytest(args: list[str], quiet: bool, plugins=(), trusted_only: bool = False) -> _Collector:
    collector = _Collector()
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


def run_hidden(chapter: str, settings: RunSettings, quiet: bool = True) -> list[TestOutcome]:
    """The hidden suite of a chapter (or of one exercise, settings.exercise) against
    settings.submission. Sandboxed runs load no plugin but the kit's and pytest-timeout."""
    modules = [settings.exercise.split(".")[1]] if settings.exercise else chapter_modules(chapter)
    args = [str(f) for f in map(lambda m: KIT.hidden_suite(chapter, m), modules) if f.exists()]
    if settings.stop_at_first_failure:
        args += ["--maxfail", "1"]
    collector = _pytest(args, quiet, plugins=[UseSettings(settings)], trusted_only=settings.sandbox)
    return list(collector.outcomes.values())


def run_public(chapter: str, submission: Path, quiet: bool = True) -> list[TestOutcome]:
    """The public tests (assignments/chN/test_*.py) against a submission's modules."""
    files = KIT.public_tests(chapter)
    if not files:
        return []
    modules = submission_modules(Path(submission).resolve(), chapter)
    with modules.active():
        args = [str(f) for f in files] + ["--import-mode=importlib"]
        return list(_pytest(args, quiet).outcomes.values())
