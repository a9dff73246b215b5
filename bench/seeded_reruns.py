"""Are the hidden suites flaky? Rerun them on other random cases and count the failures.

Every random case of the hidden suites draws from a seed moved by `--seed-offset K`
(autograder.suite_helpers.case_seed). This runs the suites of the chosen chapters against
solutions/ and against the differently written kit_tests/alternatives/ with offsets
1..N, and prints every test that failed a correct implementation at least once. A test
with a statistical check states its false-failure bound in its file (all <= 1e-7 per
check); any failure printed here is a test to fix, not bad luck.

    python bench/seeded_reruns.py [ch2 ch6] [--reruns 20] [--jobs 2]

Exit status 1 when any test failed.
"""
import argparse
import collections
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
SUBMISSIONS = {"solutions": KIT / "solutions", "alternatives": KIT / "kit_tests" / "alternatives"}


def run_suites(chapters, submission, offset):
    """(passed count, failed test ids) of one pytest run of the hidden suites."""
    command = [sys.executable, "-m", "pytest", *[f"tests/{ch}" for ch in chapters], "-q", "-rf",
               "-p", "no:cacheprovider", "--submission", str(submission), "--seed-offset", str(offset)]
    out = subprocess.run(command, cwd=KIT, capture_output=True, text=True).stdout
    failed = re.findall(r"^FAILED (\S+)", out, flags=re.M)
    passed = re.search(r"(\d+) passed", out)
    return (int(passed.group(1)) if passed else 0), failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chapters", nargs="*", default=["ch2", "ch6"])
    parser.add_argument("--reruns", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    runs = [(name, offset) for offset in range(1, args.reruns + 1) for name in SUBMISSIONS]
    failures = collections.Counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = pool.map(lambda run: (run, run_suites(args.chapters, SUBMISSIONS[run[0]], run[1])), runs)
        for (name, offset), (passed, failed) in results:
            print(f"{name:12} seed offset {offset:2}: {passed} passed, {len(failed)} failed", flush=True)
            failures.update(f"{name}: {test_id}" for test_id in failed)
    print(f"\n{len(runs)} runs of {' '.join(args.chapters)}; tests that failed a correct implementation:")
    for test, count in failures.most_common():
        print(f"  {count:2}/{args.reruns}  {test}")
    if not failures:
        print("  none")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
