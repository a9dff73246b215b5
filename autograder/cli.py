"""The `autograder` command.

    autograder generate [--check]                 stubs from solutions
    autograder check [ch2 ...] [--submission DIR] [--json FILE]
    autograder mutants [ch2 ...] [--module M]     prove every known mistake is caught
    autograder new chN.module.name                scaffold a new exercise's files
    autograder grade SUBMISSIONS --out OUT [--jobs N] [--regrade] [--chapter ch2] [--shard K/N]
    autograder merge SHARD_OUT... --out OUT       join the outputs of `grade --shard K/N`
    autograder gradescope OUT.zip [--chapter ch6] [--wheelhouse DIR]   Gradescope's autograder bundle
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.config import chapters
from autograder.layout import KIT


def cmd_generate(args) -> int:
    from autograder.generate import drift, generate, kept_message, relative

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
    from autograder.check import check
    from autograder.settings import RunSettings

    settings = RunSettings(submission=args.submission.resolve(), exercise=args.exercise)
    check(args.chapters or chapters(), settings, public=not args.no_public, json_path=args.json)
    return 0


def cmd_mutants(args) -> int:
    from autograder.mutants import prove_caught

    return 1 if prove_caught(args.chapters or chapters(), args.module) else 0


def cmd_new(args) -> int:
    from autograder.new import cmd_new

    return cmd_new(args)


def cmd_grade(args) -> int:
    from autograder.grade import CannotGrade, grade

    try:
        summary = grade(args.submissions, args.out, jobs=args.jobs, regrade=args.regrade,
                        chapter_list=args.chapter, submission_seconds=args.submission_seconds,
                        shard=args.shard, backend=args.backend if args.backend == "local"
                        else f"docker:{args.image}", unsafe=args.unsafe)
    except KeyboardInterrupt:
        return 130
    except CannotGrade as exc:
        print(f"autograder grade: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines))
    print(f"wrote {args.out}/grades.csv, {args.out}/gradebook.sqlite and {args.out}/<student>/")
    return 0


def cmd_merge(args) -> int:
    from autograder.merge import CannotMerge, merge

    try:
        count = merge(args.shard_outs, args.out)
    except CannotMerge as exc:
        print(f"autograder merge: {exc}", file=sys.stderr)
        return 2
    print(f"merged {len(args.shard_outs)} shard(s), {count} student(s): wrote {args.out}/grades.csv, "
          f"{args.out}/gradebook.sqlite and {args.out}/<student>/")
    return 0


def cmd_gradescope(args) -> int:
    from autograder.gradescope import build_bundle

    path = build_bundle(args.zip, args.chapter, args.wheelhouse)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): upload it as the assignment's autograder")
    return 0


def cmd_gradescope_run(args) -> int:
    from autograder.gradescope import gradescope_run

    return gradescope_run(args.submission, args.results, args.chapter or chapters())


def shard_arg(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N."""
    try:
        k, n = map(int, text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N, e.g. 2/8, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"shard {text}: need 1 <= K <= N")
    return k, n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write assignments/ (stubs) from solutions/")
    p.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    p.add_argument("--force", action="store_true",
                   help="also overwrite files edited since generate wrote them (by default they are left alone)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check", help="score a submission against the hidden suites, in-process")
    p.add_argument("chapters", nargs="*", help="chapters to check (default: all)")
    p.add_argument("--submission", type=Path, default=KIT.assignments,
                   help="folder with the chN/<module>.py layout (default: assignments/)")
    p.add_argument("--json", type=Path, help="write Gradescope's results.json here")
    p.add_argument("--exercise", help="check one exercise id only")
    p.add_argument("--no-public", action="store_true", help="skip the public tests")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("mutants", help="run every known mistake against the hidden suites")
    p.add_argument("chapters", nargs="*")
    p.add_argument("--module", help="only the mutants of this module")
    p.set_defaults(func=cmd_mutants)

    p = sub.add_parser("new", help="scaffold every file a new exercise needs (then fill them in)")
    p.add_argument("exercise", help="the new exercise's id, chN.<module>.<name> (e.g. ch9.demo.double)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("grade", help="grade a folder of submissions in sandboxed workers")
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
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("gradescope", help="build Gradescope's autograder bundle (setup.sh, run_autograder)")
    p.add_argument("zip", type=Path, help="the bundle to write, e.g. ch6_autograder.zip")
    p.add_argument("--chapter", action="append", help="chapter(s) the assignment grades (default: all)")
    p.add_argument("--wheelhouse", type=Path, help="include these wheels so setup.sh needs no index")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("gradescope-run", help=argparse.SUPPRESS)   # what run_autograder calls
    p.add_argument("submission", type=Path)
    p.add_argument("results", type=Path)
    p.add_argument("--chapter", action="append")
    p.set_defaults(func=cmd_gradescope_run)

    p = sub.add_parser("merge", help="join the outputs of `grade --shard K/N` into one")
    p.add_argument("shard_outs", nargs="+", type=Path, help="the --out folders of the shards")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_merge)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
