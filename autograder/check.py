"""Run a chapter's suites in this process and collect one outcome per test.

Used by `autograder check` (self-learners, the kit's CI) and `autograder mutants`.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.config import chapter_modules

from autograder.layout import KIT
from autograder.submission import submission_modules


@dataclass
class TestOutcome:
    nodeid: str
    exercise: str | None
    outcome: str          # passed, failed, skipped
    status: str = ""      # failed, policy, import (for failures)
    message: str = ""
    hint: str = ""


class _Collector:
    """A pytest plugin object: the outcome of every test, setup and teardown included."""

    def __init__(self):
        self.outcomes: dict[str, TestOutcome] = {}

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        known = self.outcomes.get(report.nodeid)
        if known is not None and known.outcome == "failed":
            return  # a failure is final
        if report.when == "call" or report.outcome != "passed":
            message = props.get("message") or (
                report.longreprtext.strip().splitlines()[-1][:500] if report.failed and report.longreprtext else "")
            if report.skipped and isinstance(report.longrepr, tuple):
                message = report.longrepr[2]
            self.outcomes[report.nodeid] = TestOutcome(
                report.nodeid, props.get("exercise"), report.outcome,
                props.get("status", "failed" if report.failed else ""), message, props.get("hint", ""))


def _pytest(args: list[str], quiet: bool) -> _Collector:
    collector = _Collector()
    base = ["-p", "no:cacheprovider", "-p", "no:logging", "-p", "no:warnings", "-p", "no:doctest", "--rootdir", str(KIT.root), "-c", str(KIT.root / "pyproject.toml"),
            "-q", "--no-header", "--tb=native"]   # short/long re-parse sources: ~8x slower on failing submissions
    sink = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        code = pytest.main(base + args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"pytest could not run {args}: exit code {code}\n"
                           + (sink.getvalue()[-3000:] if sink else ""))
    return collector


def run_hidden(chapter: str, submission: Path, exercise: str | None = None,
               quiet: bool = True, sandbox: bool = False,
               submission_seconds: float = 900, stop_at_first_failure: bool = False) -> list[TestOutcome]:
    """The hidden suite of a chapter (or of one exercise) against a submission.

    With `sandbox`, student code runs in sandboxed workers (batch grading); the
    caller sets PYTEST_DISABLE_PLUGIN_AUTOLOAD so only the kit configures pytest."""
    files = [KIT.hidden_suite(chapter, m) for m in chapter_modules(chapter)]
    if exercise:
        files = [KIT.hidden_suite(chapter, exercise.split(".")[1])]
    args = [str(f) for f in files if f.exists()] + ["--submission", str(Path(submission).resolve())]
    if exercise:
        args += ["--exercise", exercise]
    if stop_at_first_failure:
        args += ["--maxfail", "1"]
    if sandbox:
        args += ["--sandbox", "--submission-seconds", str(submission_seconds)]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):   # grading processes load only what they name
            args += ["-p", "pytest_timeout"]
    return list(_pytest(args, quiet).outcomes.values())


def run_public(chapter: str, submission: Path, quiet: bool = True) -> list[TestOutcome]:
    """The public tests (assignments/chN/test_*.py) against a submission's modules."""
    files = KIT.public_tests(chapter)
    if not files:
        return []
    modules = submission_modules(Path(submission).resolve(), chapter)
    with modules.active():
        args = [str(f) for f in files] + ["--import-mode=importlib"]
        return list(_pytest(args, quiet).outcomes.values())
