"""The results model: a test's outcome, an exercise's result, and the points (grading.toml).

Points come from working code. An exercise's tests are of two kinds: its core behaviour (the
answers), and conditions (`@pytest.mark.condition`: argument checks, devices, inputs left
unchanged) that code doing nothing right would pass as well. Of the N tests that ran, the core
tests earn `points * core passed / core run`; each failed condition then costs `points / N`,
down to 0. So a correct solution earns every point, one failure of N costs about 1/N of them
wherever it is, and a function that only raises (or returns its input) earns nothing however
many conditions it meets. Skipped tests (no GPU here, say) count neither way; an exercise with
no test that ran earns 0; a policy violation or a module that does not import gives 0.
Everything that shows results (report.py) and stores them (gradebook.py) takes these objects.
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
    condition: bool = False   # a condition on the points, not a source of them (see above)
    kit_versions: tuple[str, ...] = ()   # exercises of its module the code called the kit's versions of


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
    kit_versions: tuple[str, ...] = ()   # exercises of its module it was graded with the kit's versions of
    note: str = ""       # for the student: which of those versions stood in for their own faulty one

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
                            hint, timed_out=any(o.outcome is Outcome.TIMED_OUT for o in failures),
                            kit_versions=tuple(sorted({name for o in mine for name in o.kit_versions})))
    for severe in (Outcome.POLICY, Outcome.IMPORT):
        hit = next((o for o in failures if o.outcome is severe), None)
        if hit:
            result.status, result.message = severe, hit.message
            return result
    if passed + len(failures) == 0:
        result.status = Outcome.NOT_RUN
        return result
    result.score = earned(exercise.points, [o for o in mine if o.outcome is not Outcome.SKIPPED])
    result.status = Outcome.PASSED if not failures else (Outcome.PARTIAL if passed else Outcome.FAILED)
    return result


def earned(points: float, ran: list[TestOutcome]) -> float:
    """Points for the tests that ran (see the module's docstring). A suite with no core test
    (conditions only) counts every test as core."""
    core = [o for o in ran if not o.condition]
    conditions = [o for o in ran if o.condition]
    if not core:
        core, conditions = conditions, []
    core_passed = sum(o.outcome is Outcome.PASSED for o in core)
    conditions_failed = sum(o.outcome.failed for o in conditions)
    return round(max(0.0, points * core_passed / len(core) - points * conditions_failed / len(ran)), 2)


def score_all(exercises: list[Exercise], outcomes: list[TestOutcome]) -> list[ExerciseResult]:
    results = [score_exercise(ex, outcomes) for ex in exercises]
    note_kit_versions(results)
    return results


def note_kit_versions(results: list[ExerciseResult]):
    """An exercise graded with the kit's version of another exercise of its module (grading.toml
    `graded_with`) says so when the student's own version loses points: one bug, one place."""
    by_id = {r.exercise.id: r for r in results}
    for result in results:
        prefix = result.exercise.id.rsplit(".", 1)[0]
        faulty = [name for name in result.kit_versions
                  if (own := by_id.get(f"{prefix}.{name}")) is not None and own.score < own.max_score]
        if faulty:
            names = ", ".join(f"{name}()" for name in faulty)
            result.note = (f"{result.exercise.name}() was graded with the kit's {names} in place of yours, "
                           f"so the mistake in your {names} costs points there only")
