"""One vocabulary of outcomes: what happened to a test, and to an exercise.

An outcome is decided once, where it happens, and carried from there: the exceptions
below carry theirs (`outcome_of`), a test's outcome travels in its pytest report
(pytest_plugin.py), and an exercise's follows from its tests' (score.py). Nothing
downstream reads a message to find out what happened.
"""
from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed out"     # a test: its time limit, or the submission's, ran out
    POLICY = "policy"           # a forbidden shortcut: the exercise scores 0
    IMPORT = "import"           # the module is missing or does not import: the exercise scores 0
    SKIPPED = "skipped"         # a test that could not run here (no GPU): counts neither way
    PARTIAL = "partial"         # an exercise: some of its tests failed
    NOT_RUN = "not run"         # an exercise: none of its tests ran

    @property
    def text(self) -> str:
        """How feedback says it."""
        return _TEXT[self]

    @property
    def failed(self) -> bool:
        """A test that counts against its exercise."""
        return self not in (Outcome.PASSED, Outcome.SKIPPED)


_TEXT = {
    Outcome.PASSED: "passed",
    Outcome.FAILED: "failed",
    Outcome.TIMED_OUT: "timed out",
    Outcome.POLICY: "policy violation",
    Outcome.IMPORT: "does not import",
    Outcome.SKIPPED: "skipped",
    Outcome.PARTIAL: "some tests failed",
    Outcome.NOT_RUN: "no test ran",
}

# What an exercise can end as (score.py), and so what the gradebook stores.
EXERCISE_OUTCOMES = (Outcome.PASSED, Outcome.PARTIAL, Outcome.FAILED, Outcome.POLICY, Outcome.IMPORT,
                     Outcome.NOT_RUN)


class GradedError(Exception):
    """An exception that ends a test with a known outcome (its class says which)."""
    outcome = Outcome.FAILED


class StudentError(GradedError):
    """The code under test raised, crashed, returned something uncheckable or ran out of time;
    the message says what and where.

    `unfinished`: it was the student's own `raise NotImplementedError()` (a stub not written
    yet), not torch refusing an operation (torch raises NotImplementedError too, e.g. for
    boolean-mask indexing or `.tolist()` on the meta device). `timed_out`: a time limit ran out."""

    def __init__(self, message: str = "", unfinished: bool = False, timed_out: bool = False):
        super().__init__(message)
        self.unfinished = unfinished
        self.outcome = Outcome.TIMED_OUT if timed_out else Outcome.FAILED


class PolicyViolation(GradedError):
    """The code uses a forbidden shortcut (see policy.py)."""
    outcome = Outcome.POLICY


class SubmissionImportError(GradedError):
    """The code under test could not be imported (missing file, syntax error, crash at import)."""
    outcome = Outcome.IMPORT


def outcome_of(exc: BaseException) -> Outcome:
    """The outcome of a test that raised `exc` (any other exception: it failed)."""
    return exc.outcome if isinstance(exc, GradedError) else Outcome.FAILED


def out_of_time() -> StudentError:
    return StudentError("out of time: the test's (or the submission's) time limit was reached", timed_out=True)
