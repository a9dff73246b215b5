"""Stubs from solutions: `solutions/chN/*.py` -> `assignments/chN/*.py`.

Public tests (`solutions/chN/test_*.py`) are copied as they are, and
`autograder/public_conftest.py` becomes `assignments/conftest.py`, and the
demo class (`examples/submissions/`) is the solutions' modules with each
student's changes from `examples/demo_class.toml`.

Solution regions between `### BEGIN SOLUTION` and `### END SOLUTION` become
nbgrader's stub (`# YOUR CODE HERE` / `raise NotImplementedError()`), by
nbgrader's own ClearSolutions preprocessor; everything else (imports,
signatures, docstrings) is kept as written.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from autograder.config import load_exercises
from autograder.layout import KIT

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


def expected_stubs(solutions: Path = KIT.solutions, assignments: Path = KIT.assignments) -> dict[Path, str]:
    """Every generated file's path under `assignments` and the text it should hold."""
    sources = [KIT.public_conftest, *sorted(solutions.glob("ch*/*.py"))]
    targets = [assignments / "conftest.py", *(assignments / p.relative_to(solutions) for p in sources[1:])]
    stubs = {target: stub_source(source.read_text()) for source, target in zip(sources, targets)}
    data = {assignments / p.relative_to(solutions): p.read_text() for p in sorted(solutions.glob("ch*/data/*"))}
    return stubs | data


def _edited(source: str, find: str, replace: str, what: str) -> str:
    if source.count(find) != 1:
        raise ValueError(f"{what}: {find!r} must occur exactly once in the solution")
    return source.replace(find, replace)


def expected_demo(solutions: Path = KIT.solutions, demo: Path = KIT.demo_class) -> dict[Path, str]:
    """The demo class: per student (examples/demo_class.toml), every solution module with
    that student's mutants and edits applied; modules the student owns are left alone."""
    from autograder.mutants import all_mutants, mutant_source

    graded = {f"{ex.chapter}/{ex.module}" for ex in load_exercises().values()}
    modules = {str(p.relative_to(solutions).with_suffix("")): p.read_text()
               for p in sorted(solutions.glob("ch*/*.py"))
               if str(p.relative_to(solutions).with_suffix("")) in graded}
    mutants = {m.id: m for chapter in {m.split("/")[0] for m in modules} for m in all_mutants(chapter)}
    files = {}
    for student, spec in tomllib.loads(KIT.demo_class_toml.read_text()).items():
        sources = dict(modules)
        for mutant in map(mutants.__getitem__, spec.get("mutants", [])):
            sources[f"{mutant.chapter}/{mutant.module}"] = mutant_source(mutant)
        for edit in spec.get("edit", []):
            sources[edit["module"]] = _edited(sources[edit["module"]], edit["find"], edit["replace"],
                                              f"{student} {edit['module']}")
        for name, text in sources.items():
            if name not in spec.get("own", []):
                files[demo / student / f"{name}.py"] = text   # name: "chN/<module>"
    return files


def stale_stubs(solutions: Path = KIT.solutions, assignments: Path = KIT.assignments) -> list[Path]:
    """Generated files that are missing or differ from what the generator makes."""
    expected = expected_stubs(solutions, assignments) | expected_demo(solutions)
    return [path for path, text in expected.items() if not path.is_file() or path.read_text() != text]


def generate(solutions: Path = KIT.solutions, assignments: Path = KIT.assignments) -> list[Path]:
    """Write the stubs; return the files that changed."""
    changed = []
    for path, text in (expected_stubs(solutions, assignments) | expected_demo(solutions)).items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed
