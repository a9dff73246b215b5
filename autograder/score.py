"""From test outcomes to points, per exercise (grading.toml).

An exercise earns `points * passed / (passed + failed)` of its tests; skipped
tests (no GPU here, say) count neither way, and an exercise with no test that
ran earns 0. A policy violation or a module that does not import gives 0.
"""
from __future__ import annotations

from dataclasses import dataclass

from autograder.check import TestOutcome
from autograder.config import Exercise

STATUS_TEXT = {
    "passed": "passed",
    "partial": "some tests failed",
    "failed": "failed",
    "policy": "policy violation",
    "import": "does not import",
    "not run": "no test ran",
}


@dataclass
class ExerciseResult:
    exercise: Exercise
    score: float
    status: str          # a key of STATUS_TEXT
    passed: int
    failed: int
    message: str = ""    # the first failure's message
    hint: str = ""       # the named known mistake, if any

    @property
    def max_score(self) -> float:
        return self.exercise.points


def score_exercise(exercise: Exercise, outcomes: list[TestOutcome]) -> ExerciseResult:
    mine = [o for o in outcomes if o.exercise == exercise.id]
    passed = sum(o.outcome == "passed" for o in mine)
    failures = [o for o in mine if o.outcome == "failed"]
    first = failures[0] if failures else None
    hint = next((o.hint for o in failures if o.hint), "")
    result = ExerciseResult(exercise, 0.0, "failed", passed, len(failures),
                            first.message if first else "", hint)
    for severe in ("policy", "import"):
        hit = next((o for o in failures if o.status == severe), None)
        if hit:
            result.status, result.message = severe, hit.message
            return result
    if passed + len(failures) == 0:
        result.status = "not run"
        return result
    result.score = round(exercise.points * passed / (passed + len(failures)), 2)
    result.status = "passed" if not failures else ("partial" if passed else "failed")
    return result


def score_all(exercises: list[Exercise], outcomes: list[TestOutcome]) -> list[ExerciseResult]:
    return [score_exercise(ex, outcomes) for ex in exercises]
