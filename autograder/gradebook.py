"""The gradebook: one SQLite file per batch, one transaction per submission.

    submissions(student PRIMARY KEY, digest, total, max_total, info_json, graded_at)
    exercise_results(student, exercise, position, score, max_score, status,
                     passed, failed, message, hint, PRIMARY KEY(student, exercise))

`record` replaces a student's rows inside one `BEGIN IMMEDIATE ... COMMIT`: an
exception, Ctrl-C or SIGKILL anywhere leaves either the old rows or the new ones,
never a mix (SQLite's WAL journal rolls an unfinished transaction back when the
file is next opened). A re-run asks `is_graded(student, digest)` and skips a
submission whose content digest is unchanged, which is what makes a batch resumable;
`keep_only(students)` drops the students no longer in the batch.

Text from a submission (messages, hints, the strings in info) is stored cleaned by
`report.clean_text` (no terminal escapes, control characters or bidi overrides), so
`sqlite3 gradebook.sqlite 'select ...'` prints nothing a student chose to send to a
terminal, and whatever is rebuilt from the gradebook (merge, exports) is clean too.
"""
from __future__ import annotations

import json
import math
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from autograder.config import Exercise, default_timeout
from autograder.outcomes import EXERCISE_OUTCOMES, Outcome
from autograder.report import TRUNCATED, clean_text
from autograder.score import ExerciseResult

SCHEMA_VERSION = 1
# The gradebook keeps a message whole up to this size; exports cap much lower.
MAX_STORED_CHARS = 65_536

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student    TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    total      REAL NOT NULL,
    max_total  REAL NOT NULL,
    info_json  TEXT NOT NULL,
    graded_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exercise_results (
    student    TEXT NOT NULL,
    exercise   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    status     TEXT NOT NULL,
    passed     INTEGER NOT NULL,
    failed     INTEGER NOT NULL,
    message    TEXT NOT NULL,
    hint       TEXT NOT NULL,
    PRIMARY KEY (student, exercise)
);
"""


def _stored(text: str) -> str:
    """Text as the gradebook keeps it: cleaned (valid UTF-8, no escapes or controls), capped."""
    text = clean_text(text)
    if len(text) > MAX_STORED_CHARS:
        text = text[:MAX_STORED_CHARS] + "\n" + TRUNCATED
    return text


def _cleaned(value):
    """A JSON-like value (info) with every string in it cleaned."""
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v) for v in value]
    return clean_text(value) if isinstance(value, str) else value


def _number(value, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number: {value!r}")
    return value


class Gradebook:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode (isolation_level=None): transactions are exactly the
        # BEGIN/COMMIT this class issues, nothing implicit.
        self._conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.Lock()   # one connection, usable from worker threads
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")   # WAL: atomic on crash either way
            with self._transaction():
                version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise ValueError(f"{self.path}: gradebook schema version {version}, "
                                     f"this autograder writes version {SCHEMA_VERSION}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._conn.close()
            raise

    # -- transactions ---------------------------------------------------------------

    def _transaction(self, begin: str = "BEGIN IMMEDIATE"):
        """BEGIN IMMEDIATE (write: takes the write lock first, so no deadlock between
        writers) or BEGIN (read: one consistent snapshot) ... COMMIT, ROLLBACK on any
        exception, KeyboardInterrupt included."""
        gradebook = self

        class _Tx:
            def __enter__(self):
                if gradebook._conn.in_transaction:   # left open by an interrupted ROLLBACK
                    gradebook._conn.execute("ROLLBACK")
                gradebook._conn.execute(begin)

            def __exit__(self, kind, exc, tb):
                if kind is None:
                    gradebook._conn.execute("COMMIT")
                    return False
                try:
                    gradebook._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass   # SQLite already rolled back (or the connection is gone): keep the first error
                return False

        return _Tx()

    # -- writing --------------------------------------------------------------------

    def record(self, student: str, digest: str, results: list[ExerciseResult], info: dict) -> None:
        """Replace `student`'s rows with these results, in one transaction."""
        if not isinstance(student, str) or not student or clean_text(student) != student:
            raise ValueError(f"bad student name: {student!r}")
        rows = []
        seen = set()
        for position, r in enumerate(results):
            if r.exercise.id in seen:
                raise ValueError(f"exercise {r.exercise.id} twice in the results of {student}")
            seen.add(r.exercise.id)
            if r.status not in EXERCISE_OUTCOMES:
                raise ValueError(f"unknown status {r.status!r} for {r.exercise.id}")
            rows.append((student, r.exercise.id, position,
                         _number(r.score, "score"), _number(r.max_score, "max_score"),
                         Outcome(r.status).value, int(r.passed), int(r.failed),
                         _stored(r.message or ""), _stored(r.hint or "")))
        total = round(sum(row[3] for row in rows), 2)
        max_total = round(sum(row[4] for row in rows), 2)
        info_json = _stored(json.dumps(_cleaned(info or {}), sort_keys=True, default=clean_text))
        graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock, self._transaction():
            self._conn.execute("DELETE FROM exercise_results WHERE student = ?", (student,))
            self._conn.execute("DELETE FROM submissions WHERE student = ?", (student,))
            self._conn.execute(
                "INSERT INTO submissions (student, digest, total, max_total, info_json, graded_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (student, str(digest), total, max_total, info_json, graded_at))
            self._conn.executemany(
                "INSERT INTO exercise_results (student, exercise, position, score, max_score,"
                " status, passed, failed, message, hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows)

    # -- reading --------------------------------------------------------------------

    def _query(self, sql: str, args=()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def is_graded(self, student: str, digest: str) -> bool:
        """True when this exact content (same digest) is already in the gradebook."""
        return bool(self._query("SELECT 1 FROM submissions WHERE student = ? AND digest = ?",
                                (student, str(digest))))

    def keep_only(self, students) -> list[str]:
        """Drop every student not in `students` (those no longer in the batch), in one
        transaction; returns the names dropped."""
        keep = set(students)
        with self._lock, self._transaction():
            gone = [s for (s,) in self._conn.execute("SELECT student FROM submissions") if s not in keep]
            for student in gone:
                self._conn.execute("DELETE FROM exercise_results WHERE student = ?", (student,))
                self._conn.execute("DELETE FROM submissions WHERE student = ?", (student,))
        return sorted(gone)

    def students(self) -> list[str]:
        return [s for (s,) in self._query("SELECT student FROM submissions ORDER BY student")]

    def scores(self) -> dict[str, dict[str, float]]:
        """student -> {exercise id: score}, students sorted, exercises in grading order."""
        out: dict[str, dict[str, float]] = {s: {} for s in self.students()}
        for student, exercise, score in self._query(
                "SELECT student, exercise, score FROM exercise_results"
                " ORDER BY student, position"):
            out.setdefault(student, {})[exercise] = score
        return out

    def rows(self) -> list[dict]:
        """Every submission with its exercise rows, students sorted:

            {"student", "digest", "total", "max_total", "info": dict, "graded_at",
             "exercises": [{"exercise", "score", "max_score", "status", "passed",
                            "failed", "message", "hint"}, ...]}   # in grading order
        """
        with self._lock, self._transaction("BEGIN"):   # one consistent snapshot of both tables
            subs = self._conn.execute(
                "SELECT student, digest, total, max_total, info_json, graded_at"
                " FROM submissions ORDER BY student").fetchall()
            exercises = self._conn.execute(
                "SELECT student, exercise, score, max_score, status, passed, failed, message, hint"
                " FROM exercise_results ORDER BY student, position").fetchall()
        by_student: dict[str, list[dict]] = {}
        for student, exercise, score, max_score, status, passed, failed, message, hint in exercises:
            by_student.setdefault(student, []).append({
                "exercise": exercise, "score": score, "max_score": max_score, "status": status,
                "passed": passed, "failed": failed, "message": message, "hint": hint})
        out = []
        for student, digest, total, max_total, info_json, graded_at in subs:
            try:
                info = json.loads(info_json)
            except ValueError:
                info = {"raw": info_json}
            out.append({"student": student, "digest": digest, "total": total,
                        "max_total": max_total, "info": info, "graded_at": graded_at,
                        "exercises": by_student.get(student, [])})
        return out

    def results(self, student: str, exercises: dict[str, Exercise] | None = None
                ) -> tuple[list[ExerciseResult], dict] | None:
        """A student's ExerciseResults and info as recorded (None if not graded), so the
        exports can be rebuilt from the gradebook alone (see `results_of`)."""
        row = next((r for r in self.rows() if r["student"] == student), None)
        return None if row is None else results_of(row, exercises)

    def close(self):
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def results_of(row: dict, exercises: dict[str, Exercise] | None = None) -> tuple[list[ExerciseResult], dict]:
    """The ExerciseResults and info of one `Gradebook.rows()` entry. `exercises` (id -> Exercise,
    e.g. config.load_exercises()) supplies the Exercise objects; unknown ids get one made from
    the stored max_score."""
    exercises = exercises or {}
    results = []
    for e in row["exercises"]:
        exercise = exercises.get(e["exercise"]) or Exercise(e["exercise"], e["max_score"], default_timeout(), ())
        results.append(ExerciseResult(exercise, e["score"], Outcome(e["status"]), e["passed"], e["failed"],
                                      e["message"], e["hint"]))
    return results, row["info"]
