"""`grade COURSE/submitted --out OUT --nbgrader-gradebook [DB]`: the kit's scores in nbgrader's
gradebook database, written through nbgrader's own API (`nbgrader.api.Gradebook`), so that an
instructor who works in formgrader sees them there.

Which database (`nbgrader_gradebook`): the course is the folder that holds `submitted/`. Given no
value, it is that course's database: the `CourseDirectory.db_url` its nbgrader_config.py sets, else
nbgrader's default `sqlite:///COURSE/gradebook.db`. A value with `://` is a database URL, used as
it is; an existing folder is another course folder (its gradebook.db); anything else is the path of
an SQLite file (made if missing, in a folder that exists). The course id is the one the course's
nbgrader_config.py sets (`CourseDirectory.course_id`), else nbgrader's default.

What is written, for each graded chapter chN that a student handed in (`submitted/<id>/chN/`):
the assignment chN, its one notebook chN, one grade cell per exercise (named by the exercise's id,
max_score its points), the student (added when nbgrader does not know them), their submission of
chN (with the time nbgrader collected it), and one grade per exercise whose auto_score is the kit's
score, the same number as in OUT's gradebook. Running again updates those rows and adds none; a
manual score an instructor gave in formgrader is left alone (nbgrader shows it in place of the
auto_score). formgrader lists a submission as graded only when `autograded/<id>/chN/` exists with
the submission's timestamp (as nbgrader's autograde leaves it), so that folder is written too,
holding the module files as they were graded.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "gradebook.db"   # nbgrader's database file in a course folder
CONFIG = "nbgrader_config.py"
TIMESTAMP = "timestamp.txt"   # written by nbgrader's submit into the submission


class NotAnNbgraderGradebook(ValueError):
    """The option cannot be honoured; the message says why and what would be right (one line)."""


@dataclass(frozen=True)
class NbgraderGradebook:
    url: str                     # SQLAlchemy URL of nbgrader's database
    course_id: str | None        # None: nbgrader's default
    students: dict[str, Path]    # kit's student name -> submitted/<nbgrader id>/
    course: Path                 # the folder that holds submitted/ (and autograded/)


def resolve(given: str, submissions: Path) -> NbgraderGradebook:
    """The database of `--nbgrader-gradebook given` ("" when given no value) for a class in
    `submissions`, opened once to be sure it is one: NotAnNbgraderGradebook otherwise."""
    from autograder.ingest import nbgrader_students, nbgrader_submitted

    if importlib.util.find_spec("nbgrader") is None:
        raise NotAnNbgraderGradebook("--nbgrader-gradebook needs nbgrader, which is not installed here: "
                                     "`pip install nbgrader` (or the kit's [author] extra), then grade again")
    submitted = nbgrader_submitted(submissions)
    if submitted is None:
        raise NotAnNbgraderGradebook(f"--nbgrader-gradebook needs nbgrader's layout, and {submissions} is not: "
                                     "give COURSE/submitted/ (what `nbgrader collect` fills) or the course folder")
    course = submitted.resolve().parent
    book = NbgraderGradebook(_url(given, course), _setting(course, "course_id"), nbgrader_students(submitted), course)
    _open(book).close()
    return book


def _url(given: str, course: Path) -> str:
    if "://" in given:
        return given
    if not given or Path(given).is_dir():
        folder = Path(given).resolve() if given else course
        return _setting(folder, "db_url") or f"sqlite:///{folder / DEFAULT_DB}"
    path = Path(given).resolve()
    if not path.parent.is_dir():
        raise NotAnNbgraderGradebook(f"--nbgrader-gradebook {given}: there is no folder {path.parent} for the "
                                     "database; give the course folder, its gradebook.db, or a database URL")
    return f"sqlite:///{path}"


def _setting(course: Path, name: str) -> str | None:
    """CourseDirectory.<name> as the course's nbgrader_config.py sets it (None when it does not)."""
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    try:
        config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    except ConfigFileNotFound:
        return None
    except Exception as exc:   # the instructor's Python file: whatever it raises, say so in one line
        raise NotAnNbgraderGradebook(f"{course / CONFIG} cannot be read ({type(exc).__name__}: {exc}): "
                                     "fix it, or give --nbgrader-gradebook the database itself") from None
    value = config.CourseDirectory.get(name)
    return str(value) if value else None


def _open(book: NbgraderGradebook):
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with _alembic_on_path():
            return Gradebook(book.url, **({"course_id": book.course_id} if book.course_id else {}))
    except (SQLAlchemyError, OSError, ValueError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise NotAnNbgraderGradebook(f"--nbgrader-gradebook: {book.url} cannot be opened as nbgrader's gradebook "
                                     f"({reason}); give the course folder, its gradebook.db, or a database URL"
                                     ) from None


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader runs the `alembic` command when it makes a new database: when PATH has none (the
    kit's venv used without activating it), the one installed beside this Python."""
    beside = Path(sys.executable).parent
    if shutil.which("alembic") or not (beside / "alembic").is_file():
        yield
        return
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{beside}{os.pathsep}{path}"
    try:
        yield
    finally:
        os.environ["PATH"] = path


# ------------------------------------------------------------------ writing

@dataclass
class Written:
    grades: int = 0
    students: int = 0
    chapters: tuple[str, ...] = ()

    def line(self, url: str) -> str:
        return (f"nbgrader's gradebook {url}: {self.grades} grade(s) of {self.students} student(s) "
                f"in {', '.join(self.chapters) or 'no assignment (nobody handed in a graded chapter)'}")


def write_scores(book: NbgraderGradebook, rows: list[dict], chapter_list: list[str], workspace: Path) -> Written:
    """Write the kit's scores (`rows`: the kit gradebook's `rows()`) of the chapters in
    `chapter_list` that each student handed in, and mark them autograded as nbgrader does
    (`autograded/<id>/chN/`: what was graded, from `workspace`, and the submission's timestamp)."""
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import SQLAlchemyError

    handed_in = {row["student"]: [ch for ch in chapter_list if _handed_in(book, row["student"], ch)]
                 for row in rows}
    written = Written(chapters=tuple(ch for ch in chapter_list if any(ch in chs for chs in handed_in.values())))
    gb = _open(book)
    try:
        for chapter in written.chapters:
            _assignment(gb, chapter, _exercises_of(rows, chapter))
        for row in rows:
            for chapter in handed_in[row["student"]]:
                handed = book.students[row["student"]] / chapter
                written.grades += _submission(gb, chapter, handed, _exercises_of([row], chapter))
                _autograded(book.course, handed, workspace / row["student"] / chapter)
            written.students += bool(handed_in[row["student"]])
    except (InvalidEntry, SQLAlchemyError, OSError) as exc:   # e.g. the database locked, a disk full
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise NotAnNbgraderGradebook(f"nbgrader's gradebook {book.url} could not be written ({reason}): "
                                     "run the same command again (nothing is graded twice)") from None
    finally:
        gb.close()
    return written


def _handed_in(book: NbgraderGradebook, student: str, chapter: str) -> bool:
    folder = book.students.get(student)
    return folder is not None and (folder / chapter).is_dir()


def _exercises_of(rows: list[dict], chapter: str) -> dict[str, dict]:
    """exercise id -> its row (score, max_score), for the exercises of `chapter` in `rows`."""
    return {e["exercise"]: e for row in rows for e in row["exercises"] if e["exercise"].split(".")[0] == chapter}


def _assignment(gb, chapter: str, exercises: dict[str, dict]):
    """Assignment chN, its notebook, a grade cell per exercise (max_score: its points)."""
    notebook = chapter   # its one notebook: named as the chapter's, chN.ipynb
    gb.update_or_create_assignment(chapter)
    gb.update_or_create_notebook(notebook, chapter)
    for exercise, e in exercises.items():
        gb.update_or_create_grade_cell(exercise, notebook, chapter, max_score=e["max_score"], cell_type="code")


def _submission(gb, chapter: str, handed: Path, exercises: dict[str, dict]) -> int:
    """The student's submission of chN (`handed`: submitted/<id>/chN/), with its timestamp and an
    auto_score per exercise; returns how many grades."""
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

    notebook = chapter   # its one notebook: named as the chapter's, chN.ipynb
    student_id = handed.parent.name
    gb.update_or_create_student(student_id)
    submission = gb.update_or_create_submission(chapter, student_id, timestamp=_timestamp(handed))
    try:
        graded = gb.find_submission_notebook(notebook, chapter, student_id)
    except MissingEntry:    # the submission was made before the notebook was (not by this module)
        graded = SubmittedNotebook(notebook=gb.find_notebook(notebook, chapter), assignment=submission)
        gb.db.add(graded)
    for exercise, e in exercises.items():
        try:
            grade = gb.find_grade(exercise, notebook, chapter, student_id)
        except MissingEntry:   # an exercise added since the submission was first written
            grade = Grade(cell_id=gb.find_grade_cell(exercise, notebook, chapter).id, notebook=graded)
            gb.db.add(grade)
        grade.auto_score = e["score"]
        grade.needs_manual_grade = False
    gb.db.commit()
    return len(exercises)


def _timestamp(handed: Path):
    """When the submission was made, as nbgrader's collect left it (timestamp.txt; None if none).
    formgrader takes a submission for autograded when the database has this same time."""
    from nbgrader.utils import parse_utc

    path = handed / TIMESTAMP
    try:
        return parse_utc(path.read_text().strip()) if path.is_file() else None
    except (ValueError, OverflowError):
        return None


def _autograded(course: Path, handed: Path, graded: Path):
    """`autograded/<id>/chN/`, what formgrader looks for to show a submission as graded (nbgrader's
    autograde writes it): the module files as they were graded (`chN/<module>.py`, the kit's safe
    copies) and the submission's timestamp.txt. Rewritten whole at every run."""
    folder = course / "autograded" / handed.parent.name / handed.name
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    (folder / handed.name).mkdir(parents=True)
    for module in sorted(graded.glob("*.py")):
        shutil.copyfile(module, folder / handed.name / module.name)
    if (handed / TIMESTAMP).is_file() and not (handed / TIMESTAMP).is_symlink():
        shutil.copyfile(handed / TIMESTAMP, folder / TIMESTAMP)
