"""How long does `pytest assignments/chN` take on finished work, next to a bare `import torch`?

Target (foundation issue): at most about twice a bare `python -c "import torch"`.
Runs the public tests against solutions/ (finished work), each command N times,
and prints the medians and their ratio.

    python bench/public_tests_speed.py [ch2 ...] [--repeat 5]
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent


def median_seconds(command, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=KIT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chapters", nargs="*", default=["ch2"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "import torch"], args.repeat)
    print(f"bare import torch: {bare:.2f} s (median of {args.repeat})")
    for chapter in args.chapters:
        tests = median_seconds([sys.executable, "-m", "pytest", "-q", f"solutions/{chapter}"], args.repeat)
        print(f"pytest {chapter} public tests on finished work: {tests:.2f} s = {tests / bare:.2f}x import torch")


if __name__ == "__main__":
    main()
