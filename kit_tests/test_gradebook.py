"""The gradebook: one transaction per submission, consistent after an exception or SIGKILL,
and resumable (a submission with unchanged content is already graded)."""
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.config import Exercise
from autograder.gradebook import MAX_STORED_CHARS, Gradebook
from autograder.score import ExerciseResult

KIT = Path(__file__).resolve().parent.parent


def exercise(i: int, points: float = 2.0) -> Exercise:
    return Exercise(f"ch9.mod.ex{i}", points, 10.0, ())


def results(n: int, tag: str = "", fraction: float = 0.5) -> list[ExerciseResult]:
    return [ExerciseResult(exercise(i), round(2.0 * fraction, 2), "partial", 1, 1,
                           message=f"{tag} message {i}", hint=f"{tag} hint {i}")
            for i in range(n)]


def snapshot(path: Path) -> tuple:
    """Both tables, read with a plain sqlite3 connection (not through Gradebook)."""
    conn = sqlite3.connect(path)
    try:
        subs = conn.execute("SELECT student, digest, total, max_total, info_json"
                            " FROM submissions ORDER BY student").fetchall()
        exs = conn.execute("SELECT * FROM exercise_results ORDER BY student, exercise").fetchall()
    finally:
        conn.close()
    return subs, exs


@pytest.fixture
def gb(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    yield book
    book.close()


def test_record_and_read_back(gb, tmp_path):
    gb.record("bob", "d1", results(3, "b"), {"status": "graded", "seconds": 1.5,
                                              "problems": ["refused conftest.py"]})
    gb.record("alice", "d2", results(2, "a", fraction=1.0), {"status": "graded"})
    assert gb.students() == ["alice", "bob"]
    assert gb.scores() == {"alice": {"ch9.mod.ex0": 2.0, "ch9.mod.ex1": 2.0},
                           "bob": {"ch9.mod.ex0": 1.0, "ch9.mod.ex1": 1.0, "ch9.mod.ex2": 1.0}}
    bob = gb.rows()[1]
    assert bob["student"] == "bob" and bob["digest"] == "d1"
    assert (bob["total"], bob["max_total"]) == (3.0, 6.0)
    assert bob["info"] == {"status": "graded", "seconds": 1.5, "problems": ["refused conftest.py"]}
    assert [e["exercise"] for e in bob["exercises"]] == ["ch9.mod.ex0", "ch9.mod.ex1", "ch9.mod.ex2"]
    assert bob["exercises"][2] == {"exercise": "ch9.mod.ex2", "score": 1.0, "max_score": 2.0,
                                   "status": "partial", "passed": 1, "failed": 1,
                                   "message": "b message 2", "hint": "b hint 2"}
    rebuilt, info = gb.results("bob", {e.id: e for e in map(exercise, range(3))})
    assert rebuilt == results(3, "b")
    rebuilt, _ = gb.results("bob")       # exercises no longer in grading.toml: made from the rows
    assert [(r.exercise.id, r.max_score, r.score) for r in rebuilt] == \
        [(r.exercise.id, r.max_score, r.score) for r in results(3, "b")]
    assert info["status"] == "graded"
    assert gb.results("nobody") is None
    assert sqlite3.connect(tmp_path / "gradebook.sqlite").execute(
        "PRAGMA journal_mode").fetchone()[0] == "wal"


def test_exercise_order_is_the_order_of_the_results(gb):
    rs = list(reversed(results(4)))
    gb.record("s", "d", rs, {})
    assert list(gb.scores()["s"]) == [r.exercise.id for r in rs]


def test_record_replaces_the_previous_rows(gb):
    gb.record("s", "old", results(4, "old"), {"status": "graded"})
    gb.record("s", "new", results(2, "new", fraction=1.0), {"status": "timed out"})
    (row,) = gb.rows()
    assert row["digest"] == "new" and row["info"] == {"status": "timed out"}
    assert [e["message"] for e in row["exercises"]] == ["new message 0", "new message 1"]
    assert gb.scores() == {"s": {"ch9.mod.ex0": 2.0, "ch9.mod.ex1": 2.0}}


def test_resume_is_graded_only_for_the_same_content(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as gb:
        assert not gb.is_graded("s", "d1")
        gb.record("s", "d1", results(2), {})
        assert gb.is_graded("s", "d1")
        assert not gb.is_graded("s", "d2")        # changed content: grade again
        assert not gb.is_graded("t", "d1")        # same content, another student
    with Gradebook(path) as gb:                   # a re-run of the batch
        assert gb.is_graded("s", "d1")
        gb.record("s", "d2", results(2), {})      # --regrade, or new content
        assert gb.is_graded("s", "d2") and not gb.is_graded("s", "d1")


class _FailingConnection:
    """Wraps the sqlite3 connection: the exercise rows' INSERT inserts one row, then raises."""

    def __init__(self, conn, error):
        self.conn, self.error, self.statements = conn, error, []

    def execute(self, sql, *args):
        self.statements.append(sql.split()[0])
        return self.conn.execute(sql, *args)

    def executemany(self, sql, rows):
        self.statements.append(sql.split()[0])
        if sql.startswith("INSERT INTO exercise_results"):
            self.conn.executemany(sql, list(rows)[:1])     # half-done...
            raise self.error                                 # ...then the crash

        return self.conn.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.conn, name)


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_an_exception_inside_record_keeps_the_previous_rows(gb, tmp_path, error):
    gb.record("s", "old", results(3, "old"), {"status": "graded"})
    gb.record("other", "o", results(2, "other"), {})
    before = snapshot(tmp_path / "gradebook.sqlite")
    real = gb._conn
    gb._conn = _FailingConnection(real, error)
    with pytest.raises(type(error)):
        gb.record("s", "new", results(5, "new"), {"status": "graded"})
    statements, gb._conn = gb._conn.statements, real
    assert snapshot(tmp_path / "gradebook.sqlite") == before
    # the deletes and one insert did run inside the transaction, then it was rolled back
    assert statements == ["BEGIN", "DELETE", "DELETE", "INSERT", "INSERT", "ROLLBACK"]
    assert gb.is_graded("s", "old") and not gb.is_graded("s", "new")
    gb.record("s", "new", results(5, "new"), {})   # the gradebook is still usable
    assert len(gb.scores()["s"]) == 5


@pytest.mark.parametrize("bad", [
    results(2) + results(1),                                           # an exercise twice
    [ExerciseResult(exercise(0), 1.0, "splendid", 1, 0)],              # unknown status
    [ExerciseResult(exercise(0), math.nan, "passed", 1, 0)],           # NaN score
])
def test_invalid_results_are_refused_before_the_gradebook_changes(gb, tmp_path, bad):
    gb.record("s", "old", results(3, "old"), {})
    before = snapshot(tmp_path / "gradebook.sqlite")
    with pytest.raises(ValueError):
        gb.record("s", "new", bad, {})
    assert snapshot(tmp_path / "gradebook.sqlite") == before


def test_hostile_text_is_stored_inert_and_bounded(gb):
    message = "x" * (3 * MAX_STORED_CHARS) + "\ud800"       # huge, and a lone surrogate
    gb.record("s", "d", [ExerciseResult(exercise(0), 0.0, "failed", 0, 1,
                                        "'); DROP TABLE submissions; --", message)], {})
    (row,) = gb.rows()[0]["exercises"]
    assert row["message"] == "'); DROP TABLE submissions; --"
    assert len(row["hint"]) <= MAX_STORED_CHARS + 20 and row["hint"].endswith("[truncated]")
    # terminal escapes, controls and bidi overrides never reach the file (sqlite3 would print them)
    escapes = "\x1b[2J\x1b]0;title\x07red\x9b31m\u202egnp.exe\x00"
    gb.record("s", "d", [ExerciseResult(exercise(0), 0.0, "failed", 0, 1, escapes, escapes)],
              {"problems": [f"skipped {escapes}"], escapes: escapes})
    row = gb.rows()[0]
    assert row["exercises"][0]["message"] == row["exercises"][0]["hint"] == "red31mgnp.exe"
    assert row["info"] == {"problems": ["skipped red31mgnp.exe"], "red31mgnp.exe": "red31mgnp.exe"}
    with pytest.raises(ValueError, match="bad student name"):
        gb.record("s\x1b[2J", "d", [], {})


_RECORDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from autograder.config import Exercise
    from autograder.gradebook import Gradebook
    from autograder.score import ExerciseResult

    def size(digest):                    # how many exercise rows a digest must have
        return 2 + int(digest.split("-")[1]) % 5

    gb = Gradebook(Path(sys.argv[1]))
    run = sys.argv[2]
    for i in range(10**9):
        for s in range(8):
            digest = f"{run}-{i}"
            rows = [ExerciseResult(Exercise(f"ch9.mod.ex{k}", 1.0, 1.0, ()), 1.0, "passed", 1, 0,
                                   digest, "x" * 2000) for k in range(size(digest))]
            gb.record(f"student{s}", digest, rows, {"status": "graded", "round": i})
        if i == 1:
            print("ready", flush=True)
""")


def _check_consistent(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        subs = conn.execute("SELECT student, digest, total FROM submissions").fetchall()
        assert len(subs) == 8
        for student, digest, total in subs:
            rows = conn.execute("SELECT message, score FROM exercise_results WHERE student = ?",
                                (student,)).fetchall()
            assert len(rows) == 2 + int(digest.split("-")[1]) % 5, (student, digest)
            assert {m for m, _ in rows} == {digest}           # all rows of one submission
            assert total == sum(score for _, score in rows)
        orphans = conn.execute("SELECT COUNT(*) FROM exercise_results WHERE student NOT IN"
                               " (SELECT student FROM submissions)").fetchone()[0]
        assert orphans == 0
        return max(int(d.split("-")[1]) for _, d, _ in subs)
    finally:
        conn.close()


def test_sigkill_while_recording_leaves_a_consistent_gradebook(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    script = tmp_path / "recorder.py"
    script.write_text(_RECORDER)
    env = {**os.environ, "PYTHONPATH": str(KIT)}
    for run, delay in enumerate((0.01, 0.05, 0.09, 0.13, 0.2, 0.31)):
        proc = subprocess.Popen([sys.executable, str(script), str(path), f"r{run}"],
                                stdout=subprocess.PIPE, env=env, cwd=tmp_path)
        try:
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        assert _check_consistent(path) >= 1
        with Gradebook(path) as gb:                # and Gradebook reopens it and resumes
            assert len(gb.students()) == 8
            assert sum(gb.is_graded(s, d) for s, d in
                       ((r["student"], r["digest"]) for r in gb.rows())) == 8
