"""`autograder merge SHARD_OUT... --out OUT`: join the outputs of `grade --shard K/N`.

Each shard's gradebook is copied row for row into OUT/gradebook.sqlite, then every
student's results.json and feedback and the class's grades.csv are written from the
merged gradebook, exactly as an unsharded `grade` would have written them. Students of
an earlier merge into OUT that no shard holds are dropped, as `grade` drops the students
gone from SUBMISSIONS.
"""
from __future__ import annotations

from pathlib import Path

from autograder.gradebook import Gradebook, results_of
from autograder.report import remove_student_outputs


def merge(shard_outs: list[Path], out: Path) -> int:
    """Merge the shards; returns the number of students. A student found in two shards
    with different content is an error (the shards were not made from one class)."""
    from autograder.grade import write_class_outputs

    out = Path(out)
    source_of: dict[str, tuple[str, Path]] = {}
    with Gradebook(out / "gradebook.sqlite") as book:
        for shard in map(Path, shard_outs):
            path = shard / "gradebook.sqlite"
            if not path.is_file():
                raise FileNotFoundError(f"{shard}: no gradebook.sqlite (is it the --out of a grade run?)")
            with Gradebook(path) as part:
                for row in part.rows():
                    student, digest = row["student"], row["digest"]
                    if student in source_of and source_of[student][0] != digest:
                        raise ValueError(f"{student} is in {source_of[student][1]} and {shard} "
                                         "with different content")
                    source_of[student] = (digest, shard)
                    book.record(student, digest, *results_of(row))
        remove_student_outputs(out, book.keep_only(source_of), source_of)   # an earlier merge's
        write_class_outputs(book, out)
        return len(book.students())
