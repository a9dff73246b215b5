"""Every chapter end to end: solutions score 100, stubs 0, alternatives 100, mutants caught."""
import re
import subprocess
import sys

import pytest
from conftest import check_results, run_autograder

from autograder.config import chapter_exercises, chapters, load_exercises
from autograder.layout import KIT

CHAPTERS = chapters()


def test_every_chapter_sums_to_100():
    for chapter in CHAPTERS:
        assert sum(ex.points for ex in chapter_exercises(chapter)) == 100, chapter


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_score_100(chapter, tmp_path):
    results, stdout = check_results(tmp_path, chapter, KIT.root / "solutions")
    failing = [t["name"] + ": " + t["output"] for t in results["tests"] if t["score"] != t["max_score"]]
    assert results["score"] == 100 == results["max_score"], "\n".join(failing)
    assert "public tests: " in stdout and "of" in stdout
    names = [t["name"] for t in results["tests"]]
    assert names == [ex.id for ex in chapter_exercises(chapter)]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_stubs_score_0_with_a_one_line_reason_each(chapter, tmp_path):
    results, _ = check_results(tmp_path, chapter, KIT.root / "assignments", "--no-public")
    assert results["score"] == 0
    for test in results["tests"]:
        reason = test["output"].splitlines()[1]
        assert "is not implemented yet" in reason, test


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_differently_written_solutions_get_full_marks(chapter, tmp_path):
    folder = KIT.root / "kit_tests" / "alternatives"
    modules = {p.stem for p in (folder / chapter).glob("*.py")}
    results, _ = check_results(tmp_path, chapter, folder, "--no-public")
    graded = [t for t in results["tests"] if t["name"].split(".")[1] in modules]
    assert graded, f"no alternative implementations for {chapter}"
    assert all(t["score"] == t["max_score"] for t in graded), \
        "\n".join(t["name"] + ": " + t["output"] for t in graded if t["score"] != t["max_score"])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_module_has_an_alternative_and_mutants(chapter):
    modules = {ex.module for ex in chapter_exercises(chapter)}
    alternatives = {p.stem for p in (KIT.root / "kit_tests" / "alternatives" / chapter).glob("*.py")}
    mutant_files = {p.stem for p in (KIT.root / "tests" / chapter / "mutants").glob("*.toml")}
    assert modules <= alternatives, f"missing alternatives: {modules - alternatives}"
    assert modules <= mutant_files, f"missing mutant catalogues: {modules - mutant_files}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_mutant_is_caught_and_named(chapter):
    proc = run_autograder("mutants", chapter, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "every mutant caught and named" in proc.stdout


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_at_least_three_mutants_per_module(chapter):
    from autograder.mutants import all_mutants

    counts = {}
    for mutant in all_mutants(chapter):
        counts[mutant.module] = counts.get(mutant.module, 0) + 1
        assert mutant.exercise in load_exercises(), mutant
        assert mutant.hint.strip() and "\n" not in mutant.hint.strip(), mutant
    modules = {ex.module for ex in chapter_exercises(chapter)}
    assert all(counts.get(m, 0) >= 3 for m in modules), counts


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_public_tests_pass_on_solutions_and_fail_in_one_line_on_stubs(chapter):
    def pytest_run(folder):
        return subprocess.run([sys.executable, "-m", "pytest", f"{folder}/{chapter}", "-q"],
                              cwd=KIT.root, capture_output=True, text=True, timeout=600)

    solved = pytest_run("solutions")
    assert solved.returncode == 0, solved.stdout[-3000:]
    stubs = pytest_run("assignments")
    assert stubs.returncode == 1, stubs.stdout[-3000:]
    failures = stubs.stdout.split("= FAILURES =")[1].split("short test summary")[0]
    # a failure's header is "____ test_name ____"; its body follows (e.g. "__init__() is not ...")
    bodies = re.split(r"^_{3,} \S+ _{3,}$", failures, flags=re.M)[1:]
    assert len(bodies) == stubs.stdout.count("FAILED ")
    for body in bodies:
        lines = [line for line in body.splitlines() if line.strip() and not line.startswith("=")]
        assert len(lines) == 1 and "is not implemented yet" in lines[0], body


def test_a_crash_like_a_known_mistake_is_named_wherever_it_happens(tmp_path):
    """The student's crash is on another line than the mutant's: the hint still comes."""
    source = (KIT.root / "solutions" / "ch6" / "positional.py").read_text()
    crashing = source.replace("    pe[:, 1::2] = torch.cos(angles[:, : dim // 2])",
                              "\n\n    pe[:, 1::2] = torch.cos(angles)")
    assert crashing != source
    (tmp_path / "ch6").mkdir()
    (tmp_path / "ch6" / "positional.py").write_text(crashing)
    results, _ = check_results(tmp_path, "ch6", tmp_path, "--no-public",
                               "--exercise", "ch6.positional.sinusoidal_positions")
    (test,) = results["tests"]
    assert test["score"] < test["max_score"] and "crashes for an odd dim" in test["output"], test
