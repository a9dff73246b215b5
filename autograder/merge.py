"""`autograder merge SHARD_OUT... --out OUT`: join the outputs of `grade --shard K/N`.

Each shard's gradebook is copied row for row into OUT/gradebook.sqlite, then every
student's results.json and feedback and the class's grades.csv and summary.html are
written from the merged gradebook, exactly as an unsharded `grade` would have written them. Students of
an earlier merge into OUT that no shard holds are dropped, as `grade` drops the students
gone from SUBMISSIONS.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from autograder.gradebook import Gradebook, results_of
from autograder.report import remove_student_outputs


class CannotMerge(Exception):
    """The shards cannot be merged; the message says why and what would be right (one line for the CLI).
    Raised before OUT is touched."""


def merge(shard_outs: list[Path], out: Path) -> int:
    """Merge the shards; returns the number of students. A student found in two shards
    with different content is an error (the shards were not made from one class)."""
    from autograder.grade import write_class_outputs

    out = Path(out)
    rows = shard_rows(list(map(Path, shard_outs)), out)
    with Gradebook(out / "gradebook.sqlite") as book:
        for row in rows.values():
            book.record(row["student"], row["digest"], *results_of(row))
        remove_student_outputs(out, book.keep_only(rows), rows)   # an earlier merge's
        write_class_outputs(book, out)
        return len(book.students())


def shard_rows(shards: list[Path], out: Path) -> dict[str, dict]:
    """Every student's gradebook row from the shards' gradebooks, by student."""
    rows: dict[str, dict] = {}
    source: dict[str, Path] = {}
    for shard in shards:
        for row in _gradebook_rows(shard, out):
            student = row["student"]
            if student in rows and rows[student]["digest"] != row["digest"]:
                raise CannotMerge(f"{student} is in {source[student]} and {shard} with different content: "
                                  "merge the shards of one class, graded from the same SUBMISSIONS")
            rows[student], source[student] = row, shard
    return rows


def _gradebook_rows(shard: Path, out: Path) -> list[dict]:
    what = "give the --out folders of `autograder grade SUBMISSIONS --shard K/N --out OUT_K`"
    if not shard.is_dir():
        raise CannotMerge(f"{shard} is not a folder: {what}")
    if shard.resolve() == out.resolve():
        raise CannotMerge(f"--out {out} is also a shard: merge into a new folder, e.g. --out grades")
    path = shard / "gradebook.sqlite"
    if not path.is_file():
        raise CannotMerge(f"{shard} holds no gradebook.sqlite, so it is not the output of a grade run: {what}")
    try:
        with Gradebook(path) as part:
            return part.rows()
    except (sqlite3.Error, ValueError) as exc:
        raise CannotMerge(f"{path} is not a gradebook this autograder can read ({exc}): {what}") from None
