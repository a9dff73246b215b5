"""`autograder check [chN ...] [--submission DIR]`: score one submission in this process.

For self-learners and the kit's own checks: the public tests, then the hidden suites, points per
exercise with the first failure and the named mistake (a hint) when one matches. Student code
runs in this process (print() and pdb work); grading others' work is `autograder grade`.

Whatever the student's files hold, check prints its table: each module is first imported once,
with a time limit, as the hidden suites import it; one that does not (a syntax error, an import
error, a missing file, sys.exit() or a hang at import) gives its exercises 0 with the reason,
its suite is not run, the public tests that need it say why they could not run, and every
other module is scored as usual. A function that hangs is stopped after its exercise's time
limit and that exercise's other tests are not run (runner.TimeLimit, as in grading); a call
that would end the process (os._exit) is stopped before it runs (policy.ProcessKeeper), at
import too. Files
are shown as from the folder the command runs in (public_conftest.shown_path).

`doing(text)` hears, before each step, what is about to run, in the student's words ("during
relu's test test_x (ch2/activations.py)"): `autograder check` runs this in a child process and
says that if the process ends abruptly (cli.watched).
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import sys
import traceback
from pathlib import Path

from autograder.config import Exercise, chapter_exercises, chapter_modules, default_timeout
from autograder.layout import KIT, module_file
from autograder.outcomes import Outcome, SubmissionImportError
from autograder.policy import EndsTheProcess, ProcessKeeper
from autograder.public_conftest import shown_path
from autograder.pytest_plugin import exercise_of
from autograder.report import table, write_json
from autograder.runner import Alarm, StillRunning
from autograder.score import ExerciseResult, TestOutcome, score_all
from autograder.settings import RunSettings
from autograder.submission import modules_for
from autograder.suites import hidden_modules, run_hidden, run_public


def check(chapter_list: list[str], settings: RunSettings, public: bool = True,
          json_path: Path | None = None, doing=None) -> list[ExerciseResult]:
    """Print a table per chapter (and how the public tests went); return every exercise's result.
    `doing(text)`: see the module's docstring."""
    progress = Progress(sys.stdout)
    doing = doing or (lambda text: None)
    starting = lambda item: doing(running_text(item, settings.submission))
    results = []
    for chapter in chapter_list:
        print(f"\n{chapter} ({shown_path(settings.submission)})", flush=True)
        exercises = [ex for ex in chapter_exercises(chapter) if not settings.exercise or ex.id == settings.exercise]
        graded = hidden_modules(chapter, settings)
        progress.show(f"{chapter}: importing your modules")
        broken = modules_that_do_not_import(settings.submission, chapter,
                                            chapter_modules(chapter) if public else graded, doing=doing)
        public_outcomes = run_public(chapter, settings.submission, unimportable=broken, starting=starting,
                                     progress=progress.counter(f"{chapter}: public tests")) if public else []
        outcomes = run_hidden(chapter, settings, modules=[m for m in graded if m not in broken],
                              progress=progress.counter(f"{chapter}: hidden tests"), starting=starting)
        outcomes += not_importable(exercises, broken)
        chapter_results = score_all(exercises, [in_your_paths(o, settings.submission, chapter) for o in outcomes])
        results += chapter_results
        progress.clear()
        print(table(said_once(chapter_results)))
        if public_outcomes:
            print(public_summary([in_your_paths(o, settings.submission, chapter) for o in public_outcomes]))
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        write_json(results, json_path)
        print(f"\nwrote {json_path}")
    return results


# -- modules that do not import ----------------------------------------------------------------

def modules_that_do_not_import(submission: Path, chapter: str, modules: list[str],
                               seconds: float | None = None, doing=None) -> dict[str, str]:
    """{module: why} for each of `modules` that does not import the way its hidden suite imports
    it (its siblings stand-ins). Each is imported once, for at most `seconds` (default: a test's
    time limit), so that a module that hangs at import costs that once. `doing(text)` hears of
    each import before it starts."""
    seconds = default_timeout() if seconds is None else seconds
    why = {}
    for module in modules:
        chapter_modules_ = modules_for(Path(submission), chapter, module)
        if doing:
            doing(f"while {shown_path(module_file(submission, chapter, module))} was being imported")
        try:
            with chapter_modules_.active(), Alarm(seconds), ProcessKeeper():
                chapter_modules_.module(module)
        except SubmissionImportError as exc:
            why[module] = import_failure(chapter, module, exc, seconds)
        except StillRunning:
            pass   # the time ran out just after the import finished
    return why


def import_failure(chapter: str, module: str, exc: SubmissionImportError, seconds: float) -> str:
    """Why a module does not import, in one line that points into the student's file."""
    cause, path = exc.__cause__, f"{chapter}/{module}.py"
    if isinstance(cause, StillRunning):
        return (f"{path} does not import: it was still running after {seconds:g} s (an endless loop, or "
                "work that belongs inside a function or under `if __name__ == \"__main__\":`?)")
    if isinstance(cause, SyntaxError):
        return f"{path} does not import: {type(cause).__name__}: {cause.msg} (line {cause.lineno})"
    if isinstance(cause, EndsTheProcess):
        return (f"{path} does not import: it calls {cause.name}(), which would end the whole process"
                f"{_line_in(cause, module)}")
    if cause is None:
        return str(exc)     # the file is missing
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{path} does not import: {type(cause).__name__}{': ' + text if text else ''}{_line_in(cause, module)}"


def _line_in(exc: BaseException, module: str) -> str:
    """' (line N)': the last line of the student's module that the exception passed through."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if Path(frame.filename).name == f"{module}.py"]
    return f" (line {lines[-1]})" if lines else ""


def not_importable(exercises: list[Exercise], why: dict[str, str]) -> list[TestOutcome]:
    """An outcome for each exercise of a module that does not import: the exercise scores 0, with the why."""
    return [TestOutcome(f"{ex.chapter}/{ex.module}.py", ex.id, Outcome.IMPORT, why[ex.module])
            for ex in exercises if ex.module in why]


# -- paths as the student sees them ---------------------------------------------------------------

def running_text(item, submission: Path) -> str:
    """What a test about to run is, in the student's words: "during relu's test test_x
    (ch2/activations.py)", or "during the public test assignments/ch2/test_activations.py::test_relu"."""
    exercise = exercise_of(item)
    if exercise is None:
        file, _, test = item.nodeid.partition("::")
        return f"during the public test {shown_path(KIT.root / file)}::{test}"
    path = shown_path(module_file(submission, exercise.chapter, exercise.module))
    return f"during {exercise.name}'s test {item.name} ({path})"


def in_your_paths(outcome: TestOutcome, submission: Path, chapter: str) -> TestOutcome:
    """`outcome` with the paths in its message shown as from here: a module's `chN/<module>.py`
    (how graded feedback names a file of the submission) and the test file of a nodeid."""
    names = "|".join(map(re.escape, chapter_modules(chapter)))
    pattern = re.compile(rf"(?<![\w./-]){re.escape(chapter)}/({names})\.py\b")
    message = pattern.sub(lambda m: shown_path(module_file(submission, chapter, m[1])), outcome.message)
    file, sep, test = outcome.nodeid.partition("::")
    nodeid = shown_path(KIT.root / file) + sep + test if file.endswith(".py") else outcome.nodeid
    return dataclasses.replace(outcome, nodeid=nodeid, message=message)


def said_once(results: list[ExerciseResult]) -> list[ExerciseResult]:
    """The results as the table shows them: a reason the exercise just above already gave (a
    module that does not import costs each of its exercises) is not printed again: its status says it."""
    shown = []
    for before, result in zip([None, *results], results):
        repeated = before is not None and result.message and result.message == before.message
        shown.append(dataclasses.replace(result, message="") if repeated else result)
    return shown


# -- the public tests ---------------------------------------------------------------------------

def public_summary(outcomes: list[TestOutcome]) -> str:
    """How the public tests went: how many passed and the first failure, then each test file that
    could not run (a module it imports does not), with why."""
    ran = [o for o in outcomes if "::" in o.nodeid]
    failed = [o for o in ran if o.outcome.failed]
    line = (f"public tests: {len(ran) - len(failed)} of {len(ran)} passed" if ran else "public tests: none ran")
    if failed:
        line += f"; first failure: {failed[0].nodeid}: {failed[0].message}"
    not_run: dict[str, list[str]] = {}
    for o in outcomes:
        if "::" not in o.nodeid and o.outcome.failed:
            not_run.setdefault(o.message, []).append(o.nodeid)
    return "\n".join([line] + [f"    not run: {', '.join(files)}: {why}" for why, files in not_run.items()])


# -- progress on a terminal ---------------------------------------------------------------------

class Progress:
    """What check is doing, on one line redrawn in place, on a terminal only (elsewhere the plain
    line printed per chapter says enough)."""

    def __init__(self, stream):
        self.stream = stream
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def show(self, text: str):
        if self.live:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r\x1b[K" + text[:width - 1])
            self.stream.flush()

    def counter(self, label: str):
        """progress(done, total) for a run of tests."""
        return lambda done, total: self.show(f"{label}: {done} of {total}")

    def clear(self):
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
