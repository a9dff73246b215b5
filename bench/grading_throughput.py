"""Batch grading throughput: the engine against the naive way, side by side.

    python bench/grading_throughput.py [--n 50] [--jobs 2] [--chapter ch2]
    python bench/grading_throughput.py --compare-docker [--image dlf-autograder:cpu]

Makes N copies of the solutions as a class, then grades it
  - with the engine: `autograder grade` (sandboxed workers, torch imported once
    per grading process, each reference computed once per batch);
  - the naive way most course autograders use: one fresh `pytest` process per
    submission, student code in-process, run `--jobs` at a time;
prints submissions per minute for both, the ratio, and whether every
submission got the same score both ways. With --compare-docker the second way is
the engine with `--backend docker` (workers in containers of --image) instead.
"""
import argparse
import concurrent.futures as cf
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent


def make_class(root: Path, n: int, chapter: str) -> Path:
    subs = root / "submissions"
    for i in range(n):
        shutil.copytree(KIT / "solutions" / chapter, subs / f"student{i:03d}" / chapter,
                        ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    return subs


def engine(subs: Path, out: Path, jobs: int, chapter: str, *extra: str) -> dict[str, float]:
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                    "--jobs", str(jobs), "--chapter", chapter, *extra], check=True, capture_output=True)
    with open(out / "grades.csv") as f:
        return {row["student"]: float(row["total"]) for row in csv.DictReader(f)}


def naive_one(student_dir: Path, chapter: str, out: Path) -> float:
    report = out / f"{student_dir.name}.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "check", chapter, "--submission",
                           str(student_dir), "--no-public", "--json", str(report)],
                          check=True, capture_output=True, text=True, cwd=KIT)
    (out / f"{student_dir.name}.txt").write_text(proc.stdout)
    result = json.loads(report.read_text())
    if result["score"] != result["max_score"]:
        print(proc.stdout[-2000:])
    return result["score"]


def naive(subs: Path, out: Path, jobs: int, chapter: str) -> dict[str, float]:
    out.mkdir(parents=True)
    students = sorted(p for p in subs.iterdir())
    with cf.ThreadPoolExecutor(jobs) as pool:
        scores = pool.map(lambda s: naive_one(s, chapter, out), students)
        return {s.name: score for s, score in zip(students, scores)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chapter", default="ch2")
    parser.add_argument("--compare-docker", action="store_true",
                        help="compare with the engine's docker backend instead of the naive way")
    parser.add_argument("--image", default="dlf-autograder:cpu")
    args = parser.parse_args()
    docker = lambda subs, out, jobs, chapter: engine(subs, out, jobs, chapter, "--backend", "docker",
                                                     "--image", args.image)
    other = ("docker backend", docker) if args.compare_docker else ("naive (pytest each)", naive)
    with tempfile.TemporaryDirectory() as tmp:
        subs = make_class(Path(tmp), args.n, args.chapter)
        timings = {}
        for name, fn in (("engine", engine), ("naive", other[1])):
            start = time.perf_counter()
            scores = fn(subs, Path(tmp) / f"out-{name}", args.jobs, args.chapter)
            timings[name] = (time.perf_counter() - start, scores)
    (t_engine, s_engine), (t_naive, s_naive) = timings["engine"], timings["naive"]
    per_min = lambda t: args.n / t * 60
    print(f"{args.n} submissions of {args.chapter}, {args.jobs} jobs")
    print(f"engine (sandboxed): {t_engine:7.1f} s  {per_min(t_engine):6.1f} submissions/min")
    print(f"{other[0]}: {t_naive:7.1f} s  {per_min(t_naive):6.1f} submissions/min")
    print(f"ratio: {t_naive / t_engine:.2f}x")
    same = s_engine == s_naive
    print(f"identical scores: {same} (engine {sorted(set(s_engine.values()))}, "
          f"{other[0]} {sorted(set(s_naive.values()))}, students {len(s_engine)} / {len(s_naive)})")
    for student in sorted(set(s_engine) | set(s_naive)):
        if s_engine.get(student) != s_naive.get(student):
            print(f"  differs: {student}: engine {s_engine.get(student)}, {other[0]} {s_naive.get(student)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
