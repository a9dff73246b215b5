"""`autograder grade SUBMISSIONS --out OUT`: grade a whole class.

ingest (safe copies of the graded files) -> one grading process per job, each
running the hidden suites with student code in sandboxed workers -> scores ->
gradebook (one transaction per submission) and per-student outputs -> CSV and
the class summary (class_summary.py: the printed lines and summary.html).
Re-running resumes: a submission whose files (and the kit) are unchanged is not
graded again unless --regrade.

Past one machine: `--shard K/N` grades only the students of slice K (1..N), chosen by
a hash of the student's name (the same slice on every machine, whatever order the
files come in); `autograder merge` (merge.py) joins the slices' outputs.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder.class_summary import summarize, summary_lines, write_summary_page
from autograder.config import chapter_exercises, chapters
from autograder.gradebook import Gradebook
from autograder.ingest import Submission, ingest, not_a_class
from autograder.layout import KIT
from autograder.outcomes import Outcome
from autograder.report import remove_student_outputs, write_grades_csv, write_student_outputs
from autograder.score import ExerciseResult, score_all
from autograder.settings import RunSettings


def kit_fingerprint() -> str:
    """Changes whenever grading would: grading.toml, the hidden suites, the solutions."""
    h = hashlib.sha256()
    for path in KIT.grading_inputs():
        h.update(str(path.relative_to(KIT.root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether `student` belongs to slice K of N (1-based); every student is in exactly one."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


class CannotGrade(Exception):
    """Grading cannot start; the message says why and what would be right (one line for the CLI)."""


class UnsafeSandbox(CannotGrade):
    """This machine cannot protect the grade from student code (see Isolation.weaknesses)."""


def check_request(submissions: Path, out: Path, chapter_list: list[str]) -> None:
    """Raise CannotGrade, before anything is written, for a request that cannot be right."""
    unknown = [ch for ch in chapter_list if ch not in chapters()]
    if unknown:
        raise CannotGrade(f"no chapter {', '.join(unknown)} in grading.toml: --chapter takes "
                          f"{' or '.join(chapters())} (or leave it out to grade every chapter)")
    problem = not_a_class(submissions)
    if problem:
        raise CannotGrade(problem)
    if out.exists() and not out.is_dir():
        raise CannotGrade(f"--out {out} is a file: give a folder for the grades (it is made if needed)")
    inside = submissions.resolve()
    if out == inside or inside in out.parents:
        raise CannotGrade(f"--out {out} is inside {submissions}, where it would be taken for a student: "
                          f"write the grades elsewhere, e.g. --out {inside.parent / 'grades'}")


# ------------------------------------------------------- inside a grading process

def _init_grading_process():
    import torch

    torch.set_num_threads(1)   # parallelism comes from --jobs; threads on top would oversubscribe


def grade_submission(settings: RunSettings, chapter_list: list[str]) -> tuple[list, dict]:
    """Grade one workspace folder, settings.submission (runs in a grading process)."""
    from autograder.suites import run_hidden

    start = time.monotonic()
    results: list[ExerciseResult] = []
    for chapter in chapter_list:
        results += score_all(chapter_exercises(chapter), run_hidden(chapter, settings))
    return results, {"seconds": round(time.monotonic() - start, 2), "timeouts": sum(r.timed_out for r in results)}


# ------------------------------------------------------------- the orchestrator

@dataclass
class Summary:
    graded: int = 0       # this run
    skipped: int = 0      # this run: unchanged since they were graded
    lines: list[str] = field(default_factory=list)


class Progress:
    """A bar with ETA on a terminal; plain log lines otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.start = time.monotonic()
        self.tty = stream.isatty()

    def update(self, line: str):
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 30
            filled = int(width * self.done / max(1, self.total))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                              f"ETA {int(eta) // 60}:{int(eta) % 60:02d}  {line[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {line}\n")
        self.stream.flush()


def _status(results: list[ExerciseResult], info: dict) -> str:
    if info.get("timeouts"):
        return "timed out"
    if any(r.status == Outcome.IMPORT for r in results):
        return "import error"
    if any(r.status == Outcome.POLICY for r in results):
        return "policy violation"
    return "graded"


def grade(submissions: Path, out: Path, jobs: int | None = None, regrade: bool = False,
          chapter_list: list[str] | None = None, submission_seconds: float = 900,
          shard: tuple[int, int] | None = None, backend: str = "local", unsafe: bool = False,
          nbgrader_gradebook: str | None = None) -> Summary:
    out = Path(out).resolve()
    chapter_list = chapter_list or chapters()
    check_request(Path(submissions), out, chapter_list)
    run = RunSettings(sandbox=True, backend=backend, submission_seconds=submission_seconds,
                      nbgrader_gradebook=nbgrader_gradebook)
    nbgrader_book = nbgrader_target(run, Path(submissions))

    import torch

    from autograder.sandbox import describe_isolation, isolation_for

    isolation, image = isolation_for(backend, torch.cuda.is_available())
    weaknesses = isolation.weaknesses()
    if isolation.keeps_root or (weaknesses and not unsafe):
        raise UnsafeSandbox("refusing to grade: " + weaknesses[0] + ("" if isolation.keeps_root else
                            " (or pass --unsafe to grade anyway, trusting every student)"))
    out.mkdir(parents=True, exist_ok=True)
    if image:
        print(f"backend: each grading process runs its workers in a container of {image} "
              "(no network, memory and pids limits, read-only root, no capabilities)", file=sys.stderr)
    print(describe_isolation(isolation), file=sys.stderr)
    for weakness in weaknesses:
        print(f"  NOT SAFE (--unsafe): {weakness}", file=sys.stderr)
    everyone = ingest(Path(submissions), out / ".workspace")
    subs = [s for s in everyone if in_shard(s.student, shard)]
    if shard:
        print(f"shard {shard[0]}/{shard[1]}: {len(subs)} submission(s)", file=sys.stderr)
    fingerprint = kit_fingerprint()
    digest = lambda sub: hashlib.sha256(f"{sub.digest}:{fingerprint}:{','.join(chapter_list)}".encode()).hexdigest()
    summary = Summary()
    with Gradebook(out / "gradebook.sqlite") as book:
        students = [s.student for s in subs]      # OUT holds exactly these: drop the ones gone
        remove_student_outputs(out, book.keep_only(students), students)
        todo = [s for s in subs if regrade or not book.is_graded(s.student, digest(s))]
        summary.skipped = len(subs) - len(todo)
        if summary.skipped:
            print(f"{summary.skipped} submission(s) already graded with unchanged content: skipped "
                  "(--regrade to grade again)", file=sys.stderr)
        progress = Progress(len(todo))
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_grading_process) as pool:
            futures = {pool.submit(grade_submission, replace(run, submission=s.root), chapter_list): s
                       for s in todo}
            try:
                for future in cf.as_completed(futures):
                    sub = futures[future]
                    results, info = future.result()
                    _record(book, out, sub, digest(sub), results, info, summary)
                    progress.update(f"{sub.student}: {sum(r.score for r in results):g}/"
                                    f"{sum(r.max_score for r in results):g} ({info['seconds']:.1f} s)")
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                print("\ninterrupted: the gradebook holds every submission finished so far; "
                      "run the same command again to resume", file=sys.stderr)
                raise
        _write_csv(book, out, chapter_list)
        whole_class = summarize(book.rows(), chapter_list)
        write_summary_page(out, whole_class)
        summary.lines = summary_lines(whole_class, summary.graded, summary.skipped)
        if nbgrader_book:
            summary.lines.append(_into_nbgrader(nbgrader_book, book, chapter_list, out))
    return summary


def _into_nbgrader(nbgrader_book, book: Gradebook, chapter_list: list[str], out: Path) -> str:
    from autograder.nbgrader_gradebook import NotAnNbgraderGradebook, write_scores

    try:
        return write_scores(nbgrader_book, book.rows(), chapter_list, out / ".workspace").line(nbgrader_book.url)
    except NotAnNbgraderGradebook as exc:
        raise CannotGrade(f"graded ({out} holds the grades), but {exc}") from None


def nbgrader_target(run: RunSettings, submissions: Path):
    """nbgrader's gradebook of --nbgrader-gradebook, checked before anything is graded (None without it)."""
    if run.nbgrader_gradebook is None:
        return None
    from autograder.nbgrader_gradebook import NotAnNbgraderGradebook, resolve

    try:
        return resolve(run.nbgrader_gradebook, submissions)
    except NotAnNbgraderGradebook as exc:
        raise CannotGrade(str(exc)) from None


def _record(book, out, sub: Submission, digest, results, info, summary: Summary):
    info = {**info, "status": _status(results, info), "problems": sub.problems, "files": sub.files,
            "timed_out": [r.exercise.id for r in results if r.timed_out]}
    book.record(sub.student, digest, results, info)
    write_student_outputs(out, sub.student, results, info)
    summary.graded += 1


def _write_csv(book, out: Path, chapter_list):
    exercise_ids = [ex.id for ch in chapter_list for ex in chapter_exercises(ch)]
    write_grades_csv(out / "grades.csv", exercise_ids, book.scores())


def write_class_outputs(book: Gradebook, out: Path) -> None:
    """Every student's results.json and feedback, grades.csv and summary.html, from the gradebook alone."""
    from autograder.config import load_exercises
    from autograder.gradebook import results_of

    exercises = load_exercises()
    graded = set()
    for row in book.rows():
        results, info = results_of(row, exercises)
        write_student_outputs(out, row["student"], results, info)
        graded |= {r.exercise.id for r in results}
    chapter_list = [ch for ch in chapters() if any(ex.id in graded for ex in chapter_exercises(ch))]
    _write_csv(book, out, chapter_list)
    write_summary_page(out, summarize(book.rows(), chapter_list))
