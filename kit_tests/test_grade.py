"""`autograder grade` end to end: the demo class, and resuming after a kill."""
import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.config import KIT_ROOT, chapter_exercises

DEMO = KIT_ROOT / "examples" / "submissions"
POINTS = {ex.id: ex.points for ex in chapter_exercises("ch2")}


def grade(subs, out, *extra, **kwargs):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--chapter", "ch2", *extra], cwd=KIT_ROOT, capture_output=True, text=True,
                          timeout=1200, **kwargs)


def per_exercise(out, student):
    tests = json.loads((out / student / "results.json").read_text())["tests"]
    return {t["name"]: t["score"] for t in tests}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "grades"
    start = time.monotonic()
    proc = grade(DEMO, out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc, time.monotonic() - start


def test_demo_class_gets_what_it_deserves(demo):
    out, proc, _ = demo
    with open(out / "grades.csv") as f:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(f)}
    assert totals["perfect_alice"] == 100
    losses = sum(p for e, p in POINTS.items() if e.startswith("ch2.losses."))
    assert totals["broken_carol"] == 100 - losses                   # only the module that does not import
    assert totals["hanging_dave"] == 100 - POINTS["ch2.activations.relu"]
    honest = POINTS["ch2.activations.silu"] + POINTS["ch2.activations.silu_backward"]
    assert totals["cheating_eve"] == 100 - 20 + honest              # cheating gains nothing
    bob = per_exercise(out, "partial_bob")
    wrong = {"ch2.activations.relu_backward", "ch2.losses.log_softmax", "ch2.mlp.mlp_backward"}
    assert all(bob[e] < POINTS[e] for e in wrong)
    # his unstable log_softmax also feeds cross_entropy in the same module; other modules are right
    affected = wrong | {"ch2.losses.cross_entropy", "ch2.losses.cross_entropy_backward"}
    assert all(bob[e] == POINTS[e] for e in POINTS if e not in affected)
    assert "graded 5" in proc.stdout and "failed to import 1" in proc.stdout


def test_demo_feedback_names_mistakes_and_reasons(demo):
    out, _, _ = demo
    bob = (out / "partial_bob" / "feedback.md").read_text()
    assert "torch's derivative there is 0" in bob                    # the named mistake
    carol = (out / "broken_carol" / "feedback.md").read_text()
    assert "does not import" in carol and "SyntaxError" in carol
    eve = json.loads((out / "cheating_eve" / "results.json").read_text())
    relu = next(t for t in eve["tests"] if t["name"] == "ch2.activations.relu")
    assert "policy violation" in relu["output"] and "torch.nn.functional.relu" in relu["output"]


def test_a_hang_costs_its_time_limit_once(demo):
    out, _, _ = demo
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (info,) = db.execute("select info_json from submissions where student='hanging_dave'").fetchone()
    assert json.loads(info)["seconds"] < 3 * 30 + 60


def _scores(out):
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return sorted(db.execute("select student, exercise, score, status from exercise_results"))


def test_killed_batch_resumes_to_the_same_gradebook(tmp_path):
    subs = tmp_path / "subs"
    for i, source in enumerate(["solutions", "examples/submissions/partial_bob"] * 2):
        shutil.copytree(KIT_ROOT / source / "ch2", subs / f"s{i}" / "ch2",
                        ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    straight = tmp_path / "straight"
    assert grade(subs, straight, "--jobs", "1").returncode == 0

    resumed = tmp_path / "resumed"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(resumed),
                             "--chapter", "ch2", "--jobs", "1"], cwd=KIT_ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:       # kill it once the first submission is recorded
        try:
            with sqlite3.connect(resumed / "gradebook.sqlite") as db:
                if db.execute("select count(*) from submissions").fetchone()[0] >= 1:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    again = grade(subs, resumed, "--jobs", "1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already graded" in again.stderr
    assert _scores(resumed) == _scores(straight)


def _without_timing(row):
    return {**row, "graded_at": None, "info": {k: v for k, v in row["info"].items() if k != "seconds"}}


def test_shards_merged_equal_one_run(demo, tmp_path):
    from autograder.gradebook import Gradebook

    out, _, _ = demo
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, shard in enumerate(shards, 1):
        proc = grade(DEMO, shard, "--shard", f"{k}/3", "--jobs", "1")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    merged = tmp_path / "merged"
    proc = subprocess.run([sys.executable, "-m", "autograder", "merge", *map(str, shards), "--out", str(merged)],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    sizes = []
    for shard in shards:
        with Gradebook(shard / "gradebook.sqlite") as book:
            sizes.append(len(book.students()))
    assert sum(sizes) == 5 and max(sizes) < 5, sizes               # every student in exactly one shard
    assert (merged / "grades.csv").read_text() == (out / "grades.csv").read_text()
    with Gradebook(out / "gradebook.sqlite") as one, Gradebook(merged / "gradebook.sqlite") as joined:
        assert [_without_timing(r) for r in joined.rows()] == [_without_timing(r) for r in one.rows()]
    for student in (p.name for p in DEMO.iterdir()):
        assert per_exercise(merged, student) == per_exercise(out, student)
        assert (merged / student / "feedback.md").is_file()


def test_a_shard_is_the_same_slice_everywhere():
    from autograder.grade import in_shard

    names = [f"student{i:03d}" for i in range(300)]
    slices = [[s for s in names if in_shard(s, (k, 4))] for k in range(1, 5)]
    assert sorted(sum(slices, [])) == names                         # a partition
    assert all(50 <= len(s) <= 100 for s in slices), [len(s) for s in slices]
    assert [s for s in reversed(names) if in_shard(s, (2, 4))] == slices[1][::-1]   # order does not matter
