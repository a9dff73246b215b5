"""`autograder grade` end to end: the demo class, resuming after a kill, shards, student
names across runs, and what the grader writes being safe to open."""
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_autograder

from autograder.config import chapter_exercises, chapters
from autograder.layout import KIT

DEMO = KIT.root / "examples" / "submissions"
POINTS = {ex.id: ex.points for ex in chapter_exercises("ch2")}


def grade(subs, out, *extra, **kwargs):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--chapter", "ch2", *extra], cwd=KIT.root, capture_output=True, text=True,
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
    assert "graded 5, skipped (unchanged) 0" in proc.stdout


def test_the_summary_names_names(demo):
    """Issue 13, item 10: who failed to import what, who timed out where, who broke the policy."""
    _, proc, _ = demo
    assert ("5 student(s) in the gradebook; failed to import: broken_carol (ch2/losses.py); "
            "timed out: hanging_dave (relu); policy violations: cheating_eve (3 exercises)") in proc.stdout


def test_the_summary_page_shows_the_class(demo):
    """Issue 18, item 4: summary.html holds ch2's distribution with the right counts, ranks first the
    exercise most students lost points on, names the known mistakes and the students to look at."""
    from test_summary import bins_of, histogram, losses, read_page, stats

    out, _, _ = demo
    tree = read_page((out / "summary.html").read_text())
    with open(out / "grades.csv") as f:
        totals = sorted(float(row["ch2 total"]) for row in csv.DictReader(f))
    assert histogram(tree, "ch2") == bins_of(totals)
    assert stats(tree, "ch2") == {"students": "5", "mean": f"{statistics.fmean(totals):.1f}",
                                  "median": f"{statistics.median(totals):g}", "min": f"{totals[0]:g}",
                                  "max": f"{totals[-1]:g}"}
    lost = {ex: [POINTS[ex] - per_exercise(out, s)[ex] for s in (p.name for p in DEMO.iterdir())] for ex in POINTS}
    most = max(POINTS, key=lambda ex: (sum(x > 0 for x in lost[ex]), sum(lost[ex])))
    rows = {row[0]: row for row in losses(tree)}
    assert losses(tree)[0][0] == most and rows[most][1].startswith(f"{sum(x > 0 for x in lost[most])} of 5")
    assert "torch's derivative there is 0" in rows["ch2.activations.relu_backward"][3]     # partial_bob's
    assert "(1 student)" in rows["ch2.activations.relu_backward"][3]
    look = " ".join(tree.root.by_id("needs-a-look").text().split())
    assert all(name in look for name in ("broken_carol (ch2/losses.py)", "hanging_dave (relu)", "cheating_eve"))


def test_grades_csv_has_a_total_per_chapter(demo):
    out, _, _ = demo
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert all(float(row["ch2 total"]) == float(row["total"]) for row in rows)   # --chapter ch2
    assert "ch6 total" not in rows[0]


def test_feedback_opens_with_what_to_fix_first(demo):
    """Issue 13, item 10: partial_bob reads first what cost him the most, with reason and hint."""
    out, _, _ = demo
    page = (out / "partial_bob" / "feedback.html").read_text()
    top = page[:page.index("<h2>Exercises")]
    assert top.index("What to fix first") < top.index("ch2.mlp.mlp_backward")   # 10 points, nearly all lost
    assert "it is the sum over the N rows" in top                                 # its hint, up there too


def test_demo_feedback_names_mistakes_and_reasons(demo):
    out, _, _ = demo
    bob = (out / "partial_bob" / "feedback.md").read_text()
    assert "torch's derivative there is 0" in bob                    # the named mistake
    carol = (out / "broken_carol" / "feedback.md").read_text()
    line = (DEMO / "broken_carol" / "ch2" / "losses.py").read_text().splitlines().index("def log_softmax(x, dim)")
    assert f"ch2/losses.py does not import: SyntaxError: expected ':' (line {line + 1})" in carol
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
        shutil.copytree(KIT.root / source / "ch2", subs / f"s{i}" / "ch2",
                        ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    straight = tmp_path / "straight"
    assert grade(subs, straight, "--jobs", "1").returncode == 0

    resumed = tmp_path / "resumed"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(resumed),
                             "--chapter", "ch2", "--jobs", "1"], cwd=KIT.root, start_new_session=True,
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
    from test_summary import histogram, read_page, stats

    pages = [read_page((out / "summary.html").read_text()) for out in (straight, resumed)]
    assert [histogram(page, "ch2") for page in pages] == [histogram(pages[0], "ch2")] * 2
    assert stats(pages[1], "ch2")["students"] == "4"       # the page of the whole gradebook, not of the last run


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
                          cwd=KIT.root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    sizes = []
    for shard in shards:
        with Gradebook(shard / "gradebook.sqlite") as book:
            sizes.append(len(book.students()))
    assert sum(sizes) == 5 and max(sizes) < 5, sizes               # every student in exactly one shard
    assert (merged / "grades.csv").read_text() == (out / "grades.csv").read_text()
    assert (merged / "summary.html").read_text() == (out / "summary.html").read_text()   # the whole class
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


def _module(folder: Path, source: str) -> Path:
    """A submission of one module, folder/ch2/activations.py, holding `source`."""
    (folder / "ch2").mkdir(parents=True)
    (folder / "ch2" / "activations.py").write_text(source)
    return folder


def _students(out: Path) -> dict[str, list[str]]:
    """Who OUT holds, according to grades.csv, the gradebook and the per-student folders."""
    with open(out / "grades.csv") as f:
        rows = [row["student"] for row in csv.DictReader(f)]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        book = sorted(s for (s,) in db.execute("select student from submissions"))
        book += sorted({s for (s,) in db.execute("select student from exercise_results")} - set(book))
    folders = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    return {"csv": rows, "gradebook": book, "folders": folders}


def test_a_newcomer_takes_no_ones_name_and_no_row_goes_stale(tmp_path):
    """Issue 10, item 6: a new `Alice` next to `alice` must not take her name (she became
    `alice-2` and was graded again), and a student gone from SUBMISSIONS leaves no row."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    _module(subs / "alice", "raise ImportError('the real alice')\n")   # fails fast: a short test
    _module(subs / "bob", "raise ImportError('bob has not started')\n")
    if (subs / "ALICE").exists():
        pytest.skip("a case-insensitive file system cannot hold both alice/ and Alice/")
    first = grade(subs, out, "--jobs", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    alice = (out / "alice" / "results.json").read_text()
    assert _students(out) == {key: ["alice", "bob"] for key in ("csv", "gradebook", "folders")}

    shutil.rmtree(subs / "bob")                                      # bob withdraws
    _module(subs / "Alice", "raise ImportError('an impostor')\n")    # someone else joins
    again = grade(subs, out, "--jobs", "1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "1 submission(s) already graded" in again.stderr         # alice is not graded again
    assert _students(out) == {key: ["Alice-2", "alice"] for key in ("csv", "gradebook", "folders")}
    assert (out / "alice" / "results.json").read_text() == alice   # and keeps her results
    assert "the real alice" in alice and "an impostor" in (out / "Alice-2" / "results.json").read_text()


HOSTILE = ("\x1b[2J\x1b]0;owned\x07\x1b[31m<script>alert(1)</script> <img src=x onerror=alert(2)>"
           " \u202egnp.exe\u2066 \x9b1m\x7f\x00\r")
# What must never reach a file or the terminal: C0 but newline and tab, DEL, C1, bidi overrides.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _strings(value):
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_what_the_grader_writes_is_safe_to_open(tmp_path):
    """Issue 10, item 12: terminal escapes, bidi overrides and HTML in a submission's name,
    file names and error message reach no file and no terminal, and no Markdown viewer
    finds a tag in feedback.md; the text itself stays readable."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    folder = _module(subs / f"mallory{HOSTILE[:20]}", f"raise RuntimeError({HOSTILE!r})\n")
    name = re.sub("[/\x00\r]", "", HOSTILE)
    (folder / "ch2" / f"{name}.py").write_text("")      # a file name, in ingest's notes
    (subs / f"notes{name}.txt").write_text("")          # a loose file, in ingest's log
    proc = grade(subs, out, "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (student,) = [p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        dump = "\n".join(db.iterdump())
    files = {name: (out / student / name).read_text() for name in ("feedback.md", "feedback.html")}
    texts = {"terminal": proc.stdout + proc.stderr, "gradebook": dump,
             "summary.html": (out / "summary.html").read_text(),
             "grades.csv": (out / "grades.csv").read_bytes().decode().replace("\r\n", "\n"),
             "results.json": "\n".join(_strings(json.loads((out / student / "results.json").read_text()))),
             **files}
    for where, text in texts.items():
        assert not UNSAFE.search(text), (where, UNSAFE.findall(text))
    for where in ("gradebook", "results.json", "feedback.md", "feedback.html"):
        assert "alert(1)" in texts[where] and "gnp.exe" in texts[where], where   # still readable
    for where, text in files.items():
        assert not re.search(r"<(script|img)", text, re.I), where     # text, not tags
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, where


def test_a_syntax_error_costs_its_module_only(tmp_path):
    """Issue 13, item 1 (grade): a missing `:` in activations.py gives its exercises 0 with the
    one-line reason and line number, and every other module is scored as usual; students who
    hand in bare files (item 9) are graded like the others, and the summary names both."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    source = (KIT.solution("ch2", "activations")).read_text()
    line = source.splitlines().index("def relu(x):") + 1
    _module(subs / "slip", source.replace("def relu(x):", "def relu(x)"))
    shutil.copy(KIT.solution("ch2", "losses"), subs / "slip" / "ch2" / "losses.py")
    (subs / "bare").mkdir()
    shutil.copy(KIT.solution("ch2", "losses"), subs / "bare" / "losses.py")     # no ch2/ folder
    proc = grade(subs, out, "--jobs", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    slip, bare = per_exercise(out, "slip"), per_exercise(out, "bare")
    tests = {t["name"]: t["output"] for t in json.loads((out / "slip" / "results.json").read_text())["tests"]}
    for ex in (e for e in POINTS if e.startswith("ch2.activations.")):
        assert slip[ex] == 0
        assert f"ch2/activations.py does not import: SyntaxError: expected ':' (line {line})" in tests[ex]
    for ex in (e for e in POINTS if e.startswith("ch2.losses.")):
        assert slip[ex] == bare[ex] == POINTS[ex]
    assert ("failed to import: slip (ch2/activations.py); missing files: bare (5 files), slip (4 files)"
            in proc.stdout)


BAD_REQUESTS = {       # what is wrong -> (arguments after `grade`, what the line must say)
    "missing": (["{tmp}/subs"], "one folder or .zip per student"),
    "empty": (["{tmp}/empty"], "no submission in"),
    "no such chapter": (["{tmp}/subs", "--chapter", "ch9"], f"--chapter takes {' or '.join(chapters())}"),
    "one student's work": (["{tmp}/alice"], "put this work in a folder of its own"),
    "out inside": (["{tmp}/class", "--out", "{tmp}/class/grades"], "write the grades elsewhere"),
}


@pytest.mark.parametrize("what", BAD_REQUESTS)
def test_a_bad_grade_command_gets_one_line(tmp_path, what):
    """Issue 13, item 2: a missing or empty SUBMISSIONS folder, a chapter that does not exist,
    one student's folder instead of a class, OUT inside SUBMISSIONS: one line saying what is
    wrong and what would be right, exit 2, nothing left behind."""
    (tmp_path / "empty").mkdir()
    _module(tmp_path / "alice", "")
    _module(tmp_path / "class" / "bob", "")
    args, says = BAD_REQUESTS[what]
    args = [a.format(tmp=tmp_path) for a in args]
    before = sorted(tmp_path.rglob("*"))
    out = [] if "--out" in args else ["--out", tmp_path / "out"]
    proc = run_autograder("grade", *args, *out, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]            # one line
    assert proc.stderr.startswith("autograder grade: ") and says in proc.stderr
    assert sorted(tmp_path.rglob("*")) == before                                 # no OUT, no .workspace


def _gradebook(folder: Path, student: str, digest: str) -> Path:
    from autograder.gradebook import Gradebook

    with Gradebook(folder / "gradebook.sqlite") as book:
        book.record(student, digest, [], {})
    return folder


MERGES = {
    "missing shard": (lambda t: [t / "nowhere"], "is not a folder"),
    "not a grade run": (lambda t: [_gradebook(t / "s1", "alice", "a"), t], "holds no gradebook.sqlite"),
    "not a gradebook": (lambda t: [_fake_gradebook(t / "s2")], "is not a gradebook"),
    "two classes": (lambda t: [_gradebook(t / "s1", "alice", "a"), _gradebook(t / "s2", "alice", "b")],
                    "alice is in"),
}


def _fake_gradebook(folder: Path) -> Path:
    folder.mkdir()
    (folder / "gradebook.sqlite").write_text("not a database")
    return folder


@pytest.mark.parametrize("what", MERGES)
def test_a_bad_merge_gets_one_line(tmp_path, what):
    """Issue 13, item 2: merge of a missing folder, of one that no grade run wrote, of a broken
    gradebook or of shards of two different classes: one line, exit 2, no OUT."""
    make, says = MERGES[what]
    proc = run_autograder("merge", *make(tmp_path), "--out", tmp_path / "merged", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("autograder merge: ") and says in proc.stderr
    assert not (tmp_path / "merged").exists()
