"""Stubs from solutions: `solutions/chN/*.py` -> `assignments/chN/*.py`.

Public tests (`solutions/chN/test_*.py`) are copied as they are, and
`autograder/public_conftest.py` becomes `assignments/conftest.py`, and the
demo class's perfect student (`examples/submissions/perfect_alice/`) is a copy
of the solutions' modules.

Solution regions between `### BEGIN SOLUTION` and `### END SOLUTION` become
nbgrader's stub (`# YOUR CODE HERE` / `raise NotImplementedError()`), by
nbgrader's own ClearSolutions preprocessor; everything else (imports,
signatures, docstrings) is kept as written.
"""
from __future__ import annotations

from pathlib import Path

from autograder.config import ASSIGNMENTS, KIT_ROOT, SOLUTIONS

PERFECT_DEMO = KIT_ROOT / "examples" / "submissions" / "perfect_alice"
HEADER = "# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.\n"


def stub_source(solution_source: str) -> str:
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    cell = nbformat.v4.new_code_cell(solution_source)
    cleared, _ = ClearSolutions(enforce_metadata=False).preprocess_cell(
        cell, {"language": "python"}, 0)
    if cleared.source == solution_source:
        return solution_source
    return HEADER + cleared.source


def expected_stubs(solutions: Path = SOLUTIONS, assignments: Path = ASSIGNMENTS) -> dict[Path, str]:
    """Every generated file's path under `assignments` and the text it should hold."""
    sources = [solutions.parent / "autograder" / "public_conftest.py", *sorted(solutions.glob("ch*/*.py"))]
    targets = [assignments / "conftest.py", *(assignments / p.relative_to(solutions) for p in sources[1:])]
    return {target: stub_source(source.read_text()) for source, target in zip(sources, targets)}


def expected_demo(solutions: Path = SOLUTIONS, demo: Path = PERFECT_DEMO) -> dict[Path, str]:
    """The demo class's perfect student: the solutions' modules, verbatim."""
    return {demo / path.relative_to(solutions): path.read_text()
            for path in sorted(solutions.glob("ch*/*.py"))
            if not path.name.startswith("test_") and path.name != "__init__.py"}


def stale_stubs(solutions: Path = SOLUTIONS, assignments: Path = ASSIGNMENTS) -> list[Path]:
    """Generated files that are missing or differ from what the generator makes."""
    expected = expected_stubs(solutions, assignments) | expected_demo(solutions)
    return [path for path, text in expected.items() if not path.is_file() or path.read_text() != text]


def generate(solutions: Path = SOLUTIONS, assignments: Path = ASSIGNMENTS) -> list[Path]:
    """Write the stubs; return the files that changed."""
    changed = []
    for path, text in (expected_stubs(solutions, assignments) | expected_demo(solutions)).items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed
