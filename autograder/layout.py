"""Where everything is: the one owner of the kit's and a submission's file layout.

    grading.toml                          points, time limits, forbidden names (config.py)
    solutions/chN/<module>.py             the reference solutions, with BEGIN/END SOLUTION markers
    solutions/chN/test_<module>.py        public tests (copied into assignments/)
    solutions/chN/data/                   data files a chapter ships (copied too)
    assignments/chN/<module>.py           the stubs students fill in (generated)
    tests/chN/test_<module>.py            the hidden suite of a module
    tests/chN/reference/<module>.py       its torch-backed reference
    tests/chN/mutants/<module>.toml       its catalogue of known mistakes
    tests/stand_ins.py                    trusted implementations that probes put in place of siblings
    kit_tests/alternatives/chN/<module>.py   a differently written correct solution
    examples/demo_class.toml, examples/submissions/   the demo class (generated)

A submission (a student's folder, `assignments/`, `solutions/`, a mutant) is any folder
with the `chN/<module>.py` layout: `Layout.module_file(folder, chapter, module)`.
"""
from __future__ import annotations

from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent


def module_path(chapter: str, module: str) -> str:
    """`chN/<module>.py`: where a module sits in any submission."""
    return f"{chapter}/{module}.py"


def module_file(submission: Path, chapter: str, module: str) -> Path:
    return Path(submission) / module_path(chapter, module)


class Layout:
    """Every path of a kit rooted at `root` (KIT: this one; a test may lay out another)."""

    def __init__(self, root: Path = KIT_ROOT):
        self.root = root = Path(root)
        self.grading_toml = root / "grading.toml"
        self.engine = root / "autograder"
        self.public_conftest = self.engine / "public_conftest.py"
        self.solutions = root / "solutions"
        self.assignments = root / "assignments"
        self.hidden_tests = root / "tests"
        self.probe_stand_ins = self.hidden_tests / "stand_ins.py"   # hidden: never in a worker's view
        self.alternatives = root / "kit_tests" / "alternatives"
        self.demo_class = root / "examples" / "submissions"
        self.demo_class_toml = root / "examples" / "demo_class.toml"

    def solution(self, chapter: str, module: str) -> Path:
        return module_file(self.solutions, chapter, module)

    def stub(self, chapter: str, module: str) -> Path:
        return module_file(self.assignments, chapter, module)

    def public_tests(self, chapter: str) -> list[Path]:
        """The public tests students run (`assignments/chN/test_*.py`)."""
        return sorted((self.assignments / chapter).glob("test_*.py"))

    def public_test_source(self, chapter: str, module: str) -> Path:
        return self.solutions / chapter / f"test_{module}.py"

    def hidden_suite(self, chapter: str, module: str) -> Path:
        return self.hidden_tests / chapter / f"test_{module}.py"

    def reference(self, chapter: str, module: str) -> Path:
        return self.hidden_tests / chapter / "reference" / f"{module}.py"

    def mutants(self, chapter: str, module: str) -> Path:
        return self.hidden_tests / chapter / "mutants" / f"{module}.toml"

    def mutant_catalogues(self, chapter: str) -> list[Path]:
        return sorted((self.hidden_tests / chapter / "mutants").glob("*.toml"))

    def alternative(self, chapter: str, module: str) -> Path:
        return module_file(self.alternatives, chapter, module)

    def grading_inputs(self) -> list[Path]:
        """Every file whose change changes a grade: grading.toml, the hidden suites, the solutions."""
        tests = self.hidden_tests
        return [self.grading_toml, *sorted(tests.rglob("*.py")), *sorted(tests.rglob("*.toml")),
                *sorted(self.solutions.rglob("*.py"))]


KIT = Layout()
