"""The `autograder` command.

    autograder generate [--check]                 stubs from solutions
    autograder check [ch2 ...] [--exercise ID] [--submission DIR] [--json FILE]   score your work
    autograder mutants [ch2 ...] [--module M]     prove every known mistake is caught
    autograder new chN.module.name                scaffold a new exercise's files
    autograder grade SUBMISSIONS --out OUT [--jobs N] [--regrade] [--chapter ch2] [--shard K/N]
                     [--nbgrader-gradebook [DB]]
    autograder merge SHARD_OUT... --out OUT       join the outputs of `grade --shard K/N`
    autograder gradescope OUT.zip [--chapter ch6] [--wheelhouse DIR]   Gradescope's autograder bundle
    autograder release [ch2 ...] --out DIR | --nbgrader COURSE   what students get: stubs, public tests
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from autograder.config import chapter_modules, chapters
from autograder.layout import KIT


def cmd_generate(args) -> int:
    from autograder.generate import NeedsNbgrader, clear_solutions, drift, generate, kept_message, relative

    try:
        clear_solutions()
    except NeedsNbgrader as exc:
        raise BadCommand(str(exc)) from None
    if args.check:
        found = drift()
        for path, state in found.items():
            print(f"{state}: {relative(path)}")
        return 1 if found else 0
    done = generate(force=args.force)
    for path in done.written:
        print(f"wrote {relative(path)}")
    if done.kept:
        print(kept_message(done.kept), file=sys.stderr)
        return 1
    return 0


def cmd_check(args) -> int:
    from autograder.settings import RunSettings

    exercise = known_exercise(args.exercise) if args.exercise else None
    chapter_list = known_chapters(args.chapters)
    if exercise and chapter_list and exercise.chapter not in chapter_list:
        raise BadCommand(f"--exercise {exercise.id} is not in {', '.join(chapter_list)}: "
                         f"leave the chapters out or add {exercise.chapter}")
    if exercise:
        chapter_list = [exercise.chapter]
    submission = submission_folder(args.submission, chapter_list)
    if args.json and args.json.is_dir():
        raise BadCommand(f"--json {args.json} is a folder: give a file name, e.g. {args.json / 'results.json'}")
    settings = RunSettings(submission=submission.resolve(), exercise=args.exercise)
    status = os.environ.pop(WATCHED, None)
    if status is None:
        return watched(args.argv)
    # torch and pytest only once the command line is known to be right: a bad one is told at once
    from autograder.check import check

    with telling_the_watcher(status) as doing:
        try:
            check(chapter_list or chapters_in(submission), settings, public=not args.no_public,
                  json_path=args.json, doing=doing)
        except KeyboardInterrupt:
            return 130
    return 0


# -- check in a child process, so that it never ends silently ----------------------------------

WATCHED = "AUTOGRADER_WATCHED"   # in a watched child: the file it says in what it is doing
FINISHED = "\0finished"          # what the file holds once the child's Python code has ended


def watched(argv: list[str]) -> int:
    """`autograder ARGV` run again in a child process, waited for. Student code can end its process
    in ways nothing in it can stop (os.kill, exec, a crash in C; os._exit is stopped, see
    policy.ProcessKeeper): then, instead of the command ending silently, one line says what was
    running (the child wrote that to a file, in the student's words) and how it ended, and the exit
    status is 1. Otherwise: the child's exit status."""
    fd, status = tempfile.mkstemp(prefix="autograder-check-")
    os.close(fd)
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))   # the child hears it too
    try:
        child = subprocess.Popen([sys.executable, "-m", "autograder", *argv], env={**os.environ, WATCHED: status})
        code = child.wait()
        said = Path(status).read_text(errors="replace")
    finally:
        signal.signal(signal.SIGINT, previous)
        os.unlink(status)
    if said == FINISHED or interrupted:
        return code
    if sys.stdout.isatty():
        print("\r\x1b[K", end="", flush=True)     # the progress line it left
    print(f"autograder check: your code ended the process {said or 'as check started'} ({how_it_ended(code)}; "
          "os.kill, exec or a crash?), so check stopped there, without the rest of its table", file=sys.stderr)
    return 1


def how_it_ended(code: int) -> str:
    """"exit status 3", or "killed by SIGKILL" for a process a signal ended (a negative code)."""
    if code >= 0:
        return f"exit status {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


@contextlib.contextmanager
def telling_the_watcher(status: str):
    """In the watched child: `doing(text)` writes what is about to run to the file `status` (and
    flushes what was printed so far, lest it be lost); when the block ends, however it ends in
    Python, the file says FINISHED."""
    with open(status, "w") as file:
        def doing(text: str):
            sys.stdout.flush()
            file.seek(0)
            file.write(text)
            file.truncate()
            file.flush()

        try:
            yield doing
        finally:
            doing(FINISHED)


def cmd_mutants(args) -> int:
    from autograder.mutants import prove_caught

    chapter_list = known_chapters(args.chapters) or chapters()
    if args.module:
        known_module(args.module, chapter_list)
    return 1 if prove_caught(chapter_list, args.module, args.jobs) else 0


def cmd_new(args) -> int:
    from autograder.new import cmd_new

    return cmd_new(args)


def cmd_grade(args) -> int:
    from autograder.grade import CannotGrade, grade

    try:
        summary = grade(args.submissions, args.out, jobs=args.jobs, regrade=args.regrade,
                        chapter_list=args.chapter, submission_seconds=args.submission_seconds,
                        shard=args.shard, backend=args.backend if args.backend == "local"
                        else f"docker:{args.image}", unsafe=args.unsafe, nbgrader_gradebook=args.nbgrader_gradebook)
    except KeyboardInterrupt:
        return 130
    except CannotGrade as exc:
        print(f"autograder grade: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines))
    print(f"wrote {args.out}/grades.csv, {args.out}/summary.html, {args.out}/gradebook.sqlite "
          f"and {args.out}/<student>/")
    return 0


def cmd_merge(args) -> int:
    from autograder.merge import CannotMerge, merge

    try:
        count = merge(args.shard_outs, args.out)
    except CannotMerge as exc:
        print(f"autograder merge: {exc}", file=sys.stderr)
        return 2
    print(f"merged {len(args.shard_outs)} shard(s), {count} student(s): wrote {args.out}/grades.csv, "
          f"{args.out}/summary.html, {args.out}/gradebook.sqlite and {args.out}/<student>/")
    return 0


def cmd_gradescope(args) -> int:
    from autograder.gradescope import build_bundle

    if args.wheelhouse and not args.wheelhouse.is_dir():
        raise BadCommand(f"--wheelhouse {args.wheelhouse}: no such folder (a folder of .whl files, "
                         "e.g. from `pip download -d DIR -r requirements.txt`)")
    path = build_bundle(args.zip, known_chapters(args.chapter or []) or None, args.wheelhouse)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): upload it as the assignment's autograder")
    return 0


def cmd_release(args) -> int:
    from autograder.release import CannotRelease, release_bundle, release_course

    if not args.out and not args.nbgrader:
        raise BadCommand("say where: --out DIR (a folder and DIR.zip) or --nbgrader COURSE_DIR (nbgrader's "
                         "source/chN/ and release/chN/), or both")
    chapter_list = list(dict.fromkeys(known_chapters(args.chapters) or chapters()))
    try:
        if args.out:
            bundle = release_bundle(args.out, chapter_list)
            print(f"wrote {bundle.root}/ and {bundle.zip} ({bundle.zip.stat().st_size / 1024:.0f} KB): "
                  f"{', '.join(chapter_list)} for students; see {bundle.readme.name} there")
        if args.nbgrader:
            course = release_course(args.nbgrader, chapter_list)
            print(f"wrote {', '.join(f'source/{ch}/ and release/{ch}/' for ch in chapter_list)} in {course.root}: "
                  f"`nbgrader release_assignment {chapter_list[0]}` there hands it out")
    except CannotRelease as exc:
        raise BadCommand(str(exc)) from None
    return 0


def cmd_gradescope_run(args) -> int:
    from autograder.gradescope import gradescope_run

    return gradescope_run(args.submission, args.results, args.chapter or chapters())


INTERNAL = "gradescope-run"     # a command for Gradescope's run_autograder only: listed nowhere


class BadCommand(Exception):
    """A command line that cannot run as given; its message says what is wrong and what would be right."""


def known_chapters(names: list[str]) -> list[str]:
    """`names`, each a chapter of grading.toml."""
    for name in names:
        if name not in chapters():
            raise BadCommand(f"there is no chapter {name!r}: the chapters are {', '.join(chapters())}")
    return names


def known_exercise(exercise_id: str):
    """The Exercise of an id of grading.toml."""
    from autograder.config import load_exercises

    exercises = load_exercises()
    if exercise_id in exercises:
        return exercises[exercise_id]
    module_id, _, name = exercise_id.rpartition(".")
    in_module = [ex.id for ex in exercises.values() if f"{ex.chapter}.{ex.module}" == module_id]
    close = difflib.get_close_matches(exercise_id, in_module or exercises, n=1, cutoff=0.9 if in_module else 0.8)
    suggestion = (f"did you mean {' or '.join(close)}?" if close else
                  f"the exercises of {module_id} are {', '.join(i.rpartition('.')[2] for i in in_module)}"
                  if in_module else
                  f"an exercise id is chN.<module>.<name>, e.g. {next(iter(exercises))} (grading.toml lists them)")
    raise BadCommand(f"--exercise {exercise_id}: there is no such exercise; {suggestion}")


def known_module(module: str, chapter_list: list[str]) -> str:
    """`module`, a module of one of the chapters."""
    modules = [m for chapter in chapter_list for m in chapter_modules(chapter)]
    if module not in modules:
        raise BadCommand(f"--module {module}: {', '.join(chapter_list)} has no such module; "
                         f"the modules are {', '.join(modules)}")
    return module


def chapters_in(submission: Path) -> list[str]:
    """The chapters whose folder the submission has."""
    return [chapter for chapter in chapters() if (submission / chapter).is_dir()]


def submission_folder(path: Path, chapter_list: list[str]) -> Path:
    """`path`, a folder with a chN/ folder for each chapter of `chapter_list` (for at least one
    chapter when the list is empty)."""
    layout = "a folder with chN/<module>.py files, like assignments/ (assignments/ch2/activations.py)"
    if not path.is_dir():
        raise BadCommand(f"--submission {path}: there is no such folder; give {layout}")
    missing = [chapter for chapter in chapter_list or chapters() if not (path / chapter).is_dir()]
    if missing and (chapter_list or not chapters_in(path)):
        inside = f" ({path} looks like a chapter folder itself: give the folder above it)" \
            if path.resolve().name in chapters() else ""
        folders = " or ".join(f"{chapter}/" for chapter in missing)
        raise BadCommand(f"--submission {path}: it has no {folders} folder{inside}; give {layout}")
    return path


def shard_arg(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N."""
    try:
        k, n = map(int, text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N, e.g. 2/8, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"shard {text}: need 1 <= K <= N")
    return k, n


def about(summary: str, *examples: str) -> dict:
    """A subcommand's help in the list of commands (`summary`) and its own --help: what it does,
    then examples."""
    return {"help": summary, "formatter_class": argparse.RawDescriptionHelpFormatter,
            "description": textwrap.fill(summary[0].upper() + summary[1:] + ".", 88) + "\n\nexamples:\n"
            + "\n".join(f"  autograder {example}" for example in examples)}


class OneLineParser(argparse.ArgumentParser):
    """A command line argparse cannot read gets one line (not the usage block): what is wrong, and
    where the right arguments are listed."""

    def error(self, message):
        print(f"{self.prog}: {message}; `{self.prog} --help` lists its arguments", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    parser = OneLineParser(prog="autograder", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", **about(
        "write assignments/ (stubs and public tests) from solutions/",
        "generate            # after editing solutions/ch2/activations.py",
        "generate --check    # only list the stubs that are out of date",
        "generate --force    # overwrite stubs edited since they were generated too (their edits are lost)"))
    p.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    p.add_argument("--force", action="store_true",
                   help="also overwrite files edited since generate wrote them (by default they are left alone)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check", **about(
        "score your work against the hidden suites: points per exercise, the first failure and a hint "
        "when the mistake is a known one (your code runs in this process: print() and pdb work)",
        "check ch2                                  # your work in assignments/",
        "check --exercise ch2.activations.relu      # one exercise: seconds instead of a minute",
        "check ch2 ch6 --submission my_work/        # any folder with chN/<module>.py files"))
    p.add_argument("chapters", nargs="*", help="chapters to check (default: every chapter the submission has)")
    p.add_argument("--submission", type=Path, default=KIT.assignments, metavar="DIR",
                   help="folder with the chN/<module>.py layout (default: assignments/)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write Gradescope's results.json here")
    p.add_argument("--exercise", metavar="ID", help="check only this exercise, e.g. ch2.activations.relu")
    p.add_argument("--no-public", action="store_true", help="skip the public tests")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("mutants", **about(
        "prove that the hidden suites catch every known mistake (tests/chN/mutants/) and name it",
        "mutants ch2",
        "mutants ch6 --module attention"))
    p.add_argument("chapters", nargs="*", help="chapters (default: all)")
    p.add_argument("--module", help="only the mutants of this module")
    p.add_argument("--jobs", type=int, default=None, help="mutants tried at once (default: cores)")
    p.set_defaults(func=cmd_mutants)

    p = sub.add_parser("new", **about(
        "scaffold every file a new exercise needs (then fill them in; docs/authoring.md is the checklist)",
        "new ch2.activations.softplus"))
    p.add_argument("exercise", help="the new exercise's id, chN.<module>.<name> (e.g. ch9.demo.double)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("grade", **about(
        "grade a class: every student's code runs walled in; writes grades.csv, a gradebook and feedback",
        "grade examples/submissions --out grades/",
        "grade SUBMISSIONS/ --out grades/ --chapter ch2 --jobs 8",
        "grade ~/course/submitted --out grades/ --chapter ch2 --nbgrader-gradebook   # formgrader shows them"))
    p.add_argument("submissions", type=Path, help="one folder or .zip per student, or nbgrader's submitted/")
    p.add_argument("--out", type=Path, required=True, help="where results, feedback, CSV and gradebook go")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    p.add_argument("--regrade", action="store_true", help="grade again even when nothing changed")
    p.add_argument("--chapter", action="append", help="grade only this chapter (repeatable)")
    p.add_argument("--submission-seconds", type=float, default=900,
                   help="total time cap for one submission (default 900)")
    p.add_argument("--shard", type=shard_arg, help="grade only slice K of N (1-based), e.g. 3/8; "
                   "join the slices with `autograder merge`")
    p.add_argument("--backend", choices=["local", "docker"], default="local",
                   help="where sandboxed workers run: here (default) or in containers of --image")
    p.add_argument("--image", default="dlf-autograder:cpu",
                   help="the kit's Docker image for --backend docker (default dlf-autograder:cpu)")
    p.add_argument("--unsafe", action="store_true",
                   help="grade even where student code cannot be walled in (no root, no Landlock, no "
                        "system-call filter): only for a class you trust")
    p.add_argument("--nbgrader-gradebook", nargs="?", const="", metavar="DB",
                   help="also write the scores into nbgrader's gradebook, one grade per exercise, for formgrader "
                        "(SUBMISSIONS: COURSE/submitted/). DB: a course folder (its gradebook.db), an SQLite "
                        "file or a database URL; without DB: the course that holds submitted/ (the db_url of "
                        "its nbgrader_config.py, else COURSE/gradebook.db)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("gradescope", **about(
        "build Gradescope's autograder bundle (setup.sh, run_autograder) to upload as an assignment's autograder",
        "gradescope ch6_autograder.zip --chapter ch6"))
    p.add_argument("zip", type=Path, help="the bundle to write, e.g. ch6_autograder.zip")
    p.add_argument("--chapter", action="append", help="chapter(s) the assignment grades (default: all)")
    p.add_argument("--wheelhouse", type=Path, help="include these wheels so setup.sh needs no index")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("release", **about(
        "build what students get for the chosen chapters (stubs, public tests, their data, a README and "
        "a self-check; nothing that reveals an answer): a folder and a zip, or nbgrader's course layout",
        "release ch2 ch6 --out student_bundle      # student_bundle/ and student_bundle.zip",
        "release ch2 --nbgrader ~/course           # source/ch2/, release/ch2/ of an nbgrader course"))
    p.add_argument("chapters", nargs="*", help="chapters to release (default: all)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write the bundle to DIR and DIR.zip")
    p.add_argument("--nbgrader", type=Path, metavar="COURSE_DIR",
                   help="write source/chN/ and release/chN/ of this nbgrader course (and nbgrader_config.py if none)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser(INTERNAL)   # what run_autograder calls; no help: not listed
    p.add_argument("submission", type=Path)
    p.add_argument("results", type=Path)
    p.add_argument("--chapter", action="append")
    p.set_defaults(func=cmd_gradescope_run)

    p = sub.add_parser("merge", **about(
        "join the outputs of `grade --shard K/N` into one gradebook, grades.csv and feedback",
        "merge out_1 out_2 out_3 --out grades/"))
    p.add_argument("shard_outs", nargs="+", type=Path, help="the --out folders of the shards")
    p.add_argument("--out", type=Path, required=True, help="where the joined outputs go")
    p.set_defaults(func=cmd_merge)

    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-") and argv[0] not in sub.choices:
        commands = [name for name in sub.choices if name != INTERNAL]
        close = difflib.get_close_matches(argv[0], commands, n=1)
        print(f"autograder {argv[0]}: there is no such command{f' (did you mean {close[0]}?)' if close else ''}; "
              f"the commands are {', '.join(commands)}", file=sys.stderr)
        return 2
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:       # the one line of OneLineParser.error (--help exits as usual)
        if exc.code == 0:
            raise
        return exc.code
    args.argv = argv
    try:
        return args.func(args)
    except BadCommand as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
