"""An nbgrader course, end to end with nbgrader's own commands: `autograder release --nbgrader`,
nbgrader's release_assignment, fetch_assignment, submit and collect for a class of two, then
`autograder grade COURSE/submitted --nbgrader-gradebook`, and nbgrader's gradebook read back through
its API. Then what the option refuses, in one line, before grading."""
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_autograder

from autograder.config import chapter_exercises, chapter_modules
from autograder.layout import KIT, NbgraderCourse

pytest.importorskip("nbgrader")

CHAPTER = "ch3"     # the quickest chapter to grade on the solutions (~25 s on one core)
POINTS = {ex.id: ex.points for ex in chapter_exercises(CHAPTER)}
FIRST = next(iter(POINTS))


def nbgrader(cwd: Path, *args) -> str:
    """`nbgrader ARGS` as a user with the venv active runs it (its gradebook calls `alembic`)."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, f"nbgrader {' '.join(map(str, args))}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc.stdout + proc.stderr


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def nbgrader_config(exchange: Path, student: str | None = None) -> str:
    """The course's (or a student's) nbgrader_config.py: course id, the exchange in tmp, and for a
    student the id nbgrader submits under (else it is the login name)."""
    return ("c = get_config()\nc.CourseDirectory.course_id = 'course'\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            + (f"c.CourseDirectory.student_id = {student!r}\n" if student else ""))


def hand_in(home: Path, exchange: Path, student: str, solved: bool):
    """A student fetches the chapter, works in it (the solutions' modules, or the stubs as they
    came) and submits."""
    home.mkdir()
    (home / "nbgrader_config.py").write_text(nbgrader_config(exchange, student))
    nbgrader(home, "fetch_assignment", CHAPTER)
    if solved:
        for module in chapter_modules(CHAPTER):
            shutil.copy(KIT.solution(CHAPTER, module), home / CHAPTER / CHAPTER / f"{module}.py")
    nbgrader(home, "submit", CHAPTER)


def grades_in(database: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, grade cell) -> (auto_score, max_score), every grade of the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{database}", "course") as gb:
        found = {}
        for submission in gb.assignment_submissions(CHAPTER):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    assert (submission.student_id, grade.name) not in found, "a grade written twice"
                    found[submission.student_id, grade.name] = (grade.auto_score, grade.max_score)
        return found


def gradebook(course: NbgraderCourse):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", "course")


def students_in(database: Path) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{database}", "course") as gb:
        return [student.id for student in gb.students]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A class of two through nbgrader's commands, graded twice with --nbgrader-gradebook."""
    tmp = tmp_path_factory.mktemp("nbgrader")
    course, exchange = NbgraderCourse(tmp / "course"), tmp / "exchange"
    course.root.mkdir()
    course.config.write_text(nbgrader_config(exchange))
    run_autograder("release", CHAPTER, "--nbgrader", course.root)
    assert course.config.read_text() == nbgrader_config(exchange)        # the course's own is kept
    assert files_under(course.source(CHAPTER)) == files_under(course.release(CHAPTER))
    assert "Released as: course ch3" in nbgrader(course.root, "release_assignment", CHAPTER)
    hand_in(tmp / "alice", exchange, "alice", solved=True)
    hand_in(tmp / "bob", exchange, "bob", solved=False)
    nbgrader(course.root, "collect", CHAPTER)
    assert students_in(course.root / "gradebook.db") == []      # collect made the database, but adds nobody
    with gradebook(course) as gb:
        gb.add_student("alice", first_name="Alice")              # one the instructor entered; bob is new
    start = time.monotonic()
    graded = run_autograder("grade", course.root / "submitted", "--out", tmp / "grades", "--chapter", CHAPTER,
                            "--jobs", "2", "--nbgrader-gradebook")
    seconds = time.monotonic() - start
    first = grades_in(course.root / "gradebook.db")
    with gradebook(course) as gb:                                 # the instructor overrides one in formgrader
        gb.find_grade(FIRST, CHAPTER, CHAPTER, "bob").manual_score = 1
        gb.db.commit()
    again = run_autograder("grade", course.root, "--out", tmp / "grades", "--chapter", CHAPTER,   # the course: the same
                           "--jobs", "2", "--nbgrader-gradebook")
    print(f"graded the class of two in {seconds:.1f} s")
    return course, tmp / "grades", graded, again, first


def test_the_kit_scores_land_in_nbgraders_gradebook_one_grade_per_exercise(course):
    course, _, graded, _, first = course
    assert first == {**{("alice", ex): (points, points) for ex, points in POINTS.items()},
                     **{("bob", ex): (0, points) for ex, points in POINTS.items()}}
    with gradebook(course) as gb:
        assert sorted((student.id, student.first_name) for student in gb.students) == [("alice", "Alice"),
                                                                                      ("bob", None)]
    assert f"nbgrader's gradebook sqlite:///{course.root / 'gradebook.db'}: {2 * len(POINTS)} grade(s) " \
           f"of 2 student(s) in {CHAPTER}" in graded.stdout


def test_they_are_the_kit_gradebook_s_numbers(course):
    course, out, _, _, first = course
    with open(out / "grades.csv") as f:
        kit = {row["student"]: row for row in csv.DictReader(f)}
    assert {(student, ex): float(kit[student][ex]) for student, ex in first} == \
           {key: auto for key, (auto, _) in first.items()}


def test_grading_again_updates_and_adds_nothing(course):
    course, _, _, again, first = course
    assert "2 submission(s) already graded" in again.stderr
    assert grades_in(course.root / "gradebook.db") == first
    with gradebook(course) as gb:
        assert gb.find_grade(FIRST, CHAPTER, CHAPTER, "bob").manual_score == 1   # the instructor's stays


def test_formgrader_shows_them_as_autograded_submissions(course):
    """What formgrader's submission list and student pages get (nbgrader's NbGraderAPI): the
    submissions count as autograded (autograded/<id>/ch3/ with the timestamp nbgrader collected)."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course, *_ = course
    full = sum(POINTS.values())
    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course.root), course_id="course"))
    shown = {sub["student"]: (sub["autograded"], sub["score"], sub["max_score"], sub["needs_manual_grade"])
             for sub in api.get_submissions(CHAPTER)}
    assert shown == {"alice": (True, full, full, False), "bob": (True, 1, full, False)}   # 1: his manual score
    assert api.get_submission(CHAPTER, "alice")["timestamp"] is not None
    assert {student["id"]: (student["score"], student["max_score"]) for student in api.get_students()} == \
        {"alice": (full, full), "bob": (1, full)}                       # Manage Students
    assert sorted(p.name for p in (course.root / "autograded" / "alice" / CHAPTER / CHAPTER).iterdir()) == \
        sorted(f"{module}.py" for module in chapter_modules(CHAPTER))


# ------------------------------------------------------------------ refusals

def a_class(root: Path, *students: str) -> Path:
    for student in students:
        (root / student / CHAPTER).mkdir(parents=True)
        shutil.copy(KIT.stub(CHAPTER, chapter_modules(CHAPTER)[0]), root / student / CHAPTER)
    return root


REFUSED = {
    "a class not in nbgrader's layout": (lambda tmp: [a_class(tmp / "class", "alice"), "--nbgrader-gradebook"],
                                         "--nbgrader-gradebook needs nbgrader's layout"),
    "a database in no folder": (lambda tmp: [a_class(tmp / "course" / "submitted", "alice"),
                                             "--nbgrader-gradebook", tmp / "nowhere" / "gradebook.db"],
                                f"there is no folder {{tmp}}{os.sep}nowhere for the database"),
    "a file that is no database": (lambda tmp: [a_class(tmp / "course" / "submitted", "alice"),
                                                "--nbgrader-gradebook", KIT.grading_toml],
                                   "cannot be opened as nbgrader's gradebook"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_gradebook_that_cannot_be_written_is_refused_in_one_line_before_grading(case, tmp_path, capsys):
    from autograder.cli import main

    arguments, said = REFUSED[case]
    arguments = list(map(str, arguments(tmp_path)))
    code = main(["grade", arguments[0], "--out", str(tmp_path / "grades"), *arguments[1:]])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert said.format(tmp=tmp_path) in err
    assert not (tmp_path / "grades").exists()


def test_without_nbgrader_the_option_says_how_to_get_it(tmp_path, monkeypatch):
    import importlib.util

    from autograder.nbgrader_gradebook import NotAnNbgraderGradebook, resolve

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "nbgrader" else find_spec(name, *a))
    with pytest.raises(NotAnNbgraderGradebook, match=r"needs nbgrader, which is not installed here: `pip install"):
        resolve("", a_class(tmp_path / "course" / "submitted", "alice"))


def test_a_course_without_a_gradebook_gets_one_even_where_alembic_is_not_on_path(tmp_path, monkeypatch):
    """nbgrader makes a new database with its `alembic` command: the venv's, unactivated, serves."""
    from autograder.nbgrader_gradebook import resolve

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    book = resolve("", a_class(tmp_path / "course" / "submitted", "alice"))
    assert book.url == f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}"
    assert students_in(tmp_path / "course" / "gradebook.db") == []
