"""Points come from working code (issue 12, item 4; autograder/score.py): code that does nothing
right earns nothing, however many argument checks, device checks or "inputs left unchanged"
checks it meets, because those tests are `@pytest.mark.condition`."""
import ast
import json
from collections import defaultdict

from conftest import run_autograder

from autograder.config import chapter_exercises, chapters
from autograder.layout import KIT
from autograder.outcomes import Outcome
from autograder.score import TestOutcome, earned

CHAPTERS = tuple(chapters())
RAISE = ast.parse('raise ValueError("no")').body


def _raising(source: str) -> str:
    """`source` with every top-level function's body and every method body of a top-level class
    replaced by `raise ValueError("no")`; signatures, decorators, class attributes and the
    module-level imports are kept, every other module-level statement is dropped."""
    tree = ast.parse(source)
    body = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            body.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = list(RAISE)
            body.append(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    item.body = list(RAISE)
            body.append(node)
    tree.body = body
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _raise_everywhere_submission(root):
    for chapter in CHAPTERS:
        (root / chapter).mkdir(parents=True)
        (root / chapter / "__init__.py").write_text("")
        for module in sorted({ex.module for ex in chapter_exercises(chapter)}):
            source = (KIT.root / "solutions" / chapter / f"{module}.py").read_text()
            (root / chapter / f"{module}.py").write_text(_raising(source))
    return root


def test_a_submission_that_raises_everywhere_scores_0(tmp_path):
    submission = _raise_everywhere_submission(tmp_path / "raising")
    out = tmp_path / "out.json"
    run_autograder("check", *CHAPTERS, "--submission", submission, "--no-public", "--json", out)
    tests = json.loads(out.read_text())["tests"]
    assert {t["name"] for t in tests} == {ex.id for ch in CHAPTERS for ex in chapter_exercises(ch)}
    totals = defaultdict(float)
    for t in tests:
        totals[t["name"].split(".")[0]] += t["score"]
    earning = [f'{t["name"]}: {t["score"]}/{t["max_score"]}' for t in tests if t["score"]]
    assert all(totals[ch] == 0 for ch in CHAPTERS), \
        f"totals {dict(totals)}; exercises that earned points (mark their tests that code doing " \
        f"nothing right passes @pytest.mark.condition):\n" + "\n".join(earning)


def _outcomes(core_passed, core_failed, conditions_passed, conditions_failed):
    def made(n, outcome, condition):
        return [TestOutcome("t", "ch0.m.x", outcome, condition=condition) for _ in range(n)]
    return (made(core_passed, Outcome.PASSED, False) + made(core_failed, Outcome.FAILED, False)
            + made(conditions_passed, Outcome.PASSED, True) + made(conditions_failed, Outcome.FAILED, True))


def test_a_failed_condition_costs_its_share_and_conditions_alone_earn_nothing():
    assert earned(4, _outcomes(6, 0, 2, 0)) == 4                  # everything passes: every point
    assert earned(4, _outcomes(6, 0, 1, 1)) == 3.5                # one condition of 8 fails: 4/8 lost
    assert earned(4, _outcomes(0, 6, 2, 0)) == 0                  # conditions alone earn nothing
    assert earned(4, _outcomes(3, 3, 2, 0)) == 2                  # half the core: half the points
    assert earned(4, _outcomes(1, 5, 0, 2)) == 0                  # never below 0
    assert earned(3, _outcomes(0, 0, 2, 1)) == 2                  # no core test: conditions count as core


def test_one_bug_costs_points_once_inside_a_module_too(tmp_path):
    """partial_bob's log_softmax overflows; his cross_entropy and cross_entropy_backward call it.
    They are graded with the kit's log_softmax (grading.toml graded_with): full marks."""
    bob = KIT.root / "examples" / "submissions" / "partial_bob"
    for exercise in ("ch2.losses.cross_entropy", "ch2.losses.cross_entropy_backward"):
        out = tmp_path / f"{exercise}.json"
        run_autograder("check", "ch2", "--submission", bob, "--no-public", "--exercise", exercise, "--json", out)
        [test] = json.loads(out.read_text())["tests"]
        assert test["score"] == test["max_score"], test


def _result(exercise_id, score, kit_versions=()):
    from autograder.config import load_exercises
    from autograder.score import ExerciseResult

    exercise = load_exercises()[exercise_id]
    return ExerciseResult(exercise, score, Outcome.PASSED, 1, 0, kit_versions=kit_versions)


def test_the_feedback_says_when_the_kits_version_stood_in_for_a_faulty_one():
    from autograder.score import note_kit_versions

    own, composite = _result("ch2.losses.log_softmax", 3.75), _result("ch2.losses.cross_entropy", 8, ("log_softmax",))
    note_kit_versions([own, composite])
    assert "kit's log_softmax()" in composite.note and own.note == ""
    from autograder.report import output_text, table
    assert composite.note in output_text(composite) and "note: cross_entropy()" in table([own, composite])
    own.score = own.max_score        # a correct log_softmax: nothing to say
    composite.note = ""
    note_kit_versions([own, composite])
    assert composite.note == ""
