"""Check your work before you hand it in.

    python selfcheck.py            every chapter in this folder
    python selfcheck.py ch2        only these chapters

Two checks, both by the public tests of conftest.py. First the forbidden shortcuts: an exercise may
not call its own torch counterpart (you write `relu`, so `torch.relu` is off limits); its docstring
and forbidden.toml list its forbidden names, and using one scores 0 for that exercise. They are
found by reading your code. Then the other public tests. Passing both is not yet a grade: the
hidden tests run when your work is graded (random shapes, float32 and float64, CPU and CUDA,
extreme inputs, inputs left unchanged).

(`autograder release` ships this file as a bundle's selfcheck.py: it needs Python 3.11 and pytest.)
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHAPTER = re.compile(r"ch\d+")
FORBIDDEN_TESTS = "forbidden_names"    # conftest.py's test of an exercise's names: forbidden_names[relu]
NO_TESTS = 5                           # pytest's exit code when the selection holds no test


def chapters_here() -> list[str]:
    """The chapter folders beside this file."""
    return [p.name for p in sorted(HERE.iterdir()) if p.is_dir() and CHAPTER.fullmatch(p.name)]


def pytest(chapters: list[str], selection: str) -> int:
    """`pytest -k selection` on the chapters, in this folder; its exit code."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selection, *chapters]
    return subprocess.run(command, cwd=HERE).returncode


def main(argv: list[str]) -> int:
    here = chapters_here()
    unknown = [name for name in argv if name not in here]
    if unknown or not here:
        print(f"selfcheck: no chapter {' '.join(unknown) or 'here'}; the chapters here are "
              f"{', '.join(here) or 'none'}: python selfcheck.py [chapter ...]", file=sys.stderr)
        return 2
    chosen = list(dict.fromkeys(argv)) or here
    print(f"1. Forbidden shortcuts in {', '.join(chosen)} (read from your code)", flush=True)
    forbidden = pytest(chosen, FORBIDDEN_TESTS)
    print(f"\n2. Public tests: pytest {' '.join(chosen)}", flush=True)
    tests = pytest(chosen, f"not {FORBIDDEN_TESTS}")
    shortcuts = {0: "no forbidden shortcut", NO_TESTS: "no forbidden-name test found"}.get(
        forbidden, "FORBIDDEN SHORTCUTS (above)")
    passing = "the public tests pass" if tests == 0 else "not all public tests pass yet"
    print(f"\nSelf-check: {shortcuts}, {passing}.")
    print("Your work is graded by the hidden tests: they check much more than these.")
    return 0 if forbidden == 0 and tests == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
