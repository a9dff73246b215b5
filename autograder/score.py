"""The results model: a test's outcome, an exercise's result, and the points (grading.toml).

An exercise earns `points * passed / (passed + failed)` of its tests; skipped tests (no GPU
here, say) count neither way, and an exercise with no test that ran earns 0. A policy
violation or a module that does not import gives 0. Everything that shows results (report.py)
and stores them (gradebook.py) takes these objects.
"""
from __future__ import annotations

from dataclasses import dataclass

from autograder.config import Exercise
from autograder.outcomes import Outcome


@dataclass
class TestOutcome:
    __test__ = False      # not a pytest test class
    nodeid: str
    exercise: str | None  # its exercise id
    outcome: Outcome      # PASSED, FAILED, TIMED_OUT, POLICY, IMPORT or SKIPPED
    message: str = ""     # a failure's one line
    hint: str = ""        # the known mistake it matches, if any


@dataclass
class ExerciseResult:
    exercise: Exercise
    score: float
    status: Outcome      # one of outcomes.EXERCISE_OUTCOMES
    passed: int
    failed: int
    message: str = ""    # the first failure's message
    hint: str = ""       # the named known mistake, if any
    timed_out: bool = False   # a test ran out of time (not stored: it only decides a fresh run's summary)

    @property
    def max_score(self) -> float:
        return self.exercise.points


def score_exercise(exercise: Exercise, outcomes: list[TestOutcome]) -> ExerciseResult:
    mine = [o for o in outcomes if o.exercise == exercise.id]
    passed = sum(o.outcome is Outcome.PASSED for o in mine)
    failures = [o for o in mine if o.outcome.failed]
    first = failures[0] if failures else None
    hint = next((o.hint for o in failures if o.hint), "")
    result = ExerciseResult(exercise, 0.0, Outcome.FAILED, passed, len(failures), first.message if first else "",
                            hint, timed_out=any(o.outcome is Outcome.TIMED_OUT for o in failures))
    for severe in (Outcome.POLICY, Outcome.IMPORT):
        hit = next((o for o in failures if o.outcome is severe), None)
        if hit:
            result.status, result.message = severe, hit.message
            return result
    if passed + len(failures) == 0:
        result.status = Outcome.NOT_RUN
        return result
    result.score = round(exercise.points * passed / (passed + len(failures)), 2)
    result.status = Outcome.PASSED if not failures else (Outcome.PARTIAL if passed else Outcome.FAILED)
    return result


def score_all(exercises: list[Exercise], outcomes: list[TestOutcome]) -> list[ExerciseResult]:
    return [score_exercise(ex, outcomes) for ex in exercises]
