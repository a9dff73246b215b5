"""How long does `pytest assignments/chN` take on finished work, next to a bare `import torch`?

Target (foundation issue): at most about twice a bare `python -c "import torch"`.
Finished work is assignments/ as a student has it when done (its conftest.py, with the
forbidden-name check of each exercise, and the public tests) with the solutions' modules in
place of the stubs, copied to a temporary folder. Runs each command N times and prints the
medians and their ratio.

    python bench/public_tests_speed.py [ch2 ...] [--repeat 5]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
OPTIONS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest"]   # the kit's pyproject.toml addopts


def median_seconds(command, repeat, cwd=KIT):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def finished_work(folder: Path, chapters) -> Path:
    """assignments/ (top-level files and the chapters) with every stub replaced by its solution."""
    for path in (KIT / "assignments").iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    for chapter in chapters:
        shutil.copytree(KIT / "assignments" / chapter, folder / chapter,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for solution in (KIT / "solutions" / chapter).glob("*.py"):
            shutil.copy(solution, folder / chapter / solution.name)
    return folder


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chapters", nargs="*", default=["ch2"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "import torch"], args.repeat)
    print(f"bare import torch: {bare:.2f} s (median of {args.repeat})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = finished_work(Path(tmp), args.chapters)
        for chapter in args.chapters:
            tests = median_seconds([sys.executable, "-m", "pytest", "-q", *OPTIONS, chapter], args.repeat, folder)
            print(f"pytest {chapter} public tests on finished work: {tests:.2f} s = {tests / bare:.2f}x import torch")


if __name__ == "__main__":
    main()
