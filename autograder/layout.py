"""Where everything is: the one owner of the kit's and a submission's file layout.

    grading.toml                          points, time limits, forbidden names (config.py)
    solutions/chN/<module>.py             the reference solutions, with BEGIN/END SOLUTION markers
    solutions/chN/test_<module>.py        public tests (copied into assignments/)
    solutions/chN/data/                   data files a chapter ships (copied too)
    solutions/chN/chN_notebook.md         the chapter's notebook, as Markdown (notebooks.py)
    assignments/chN/chN.ipynb             that notebook (generated; no outputs)
    assignments/notebook_tools.py         what its first cell imports (from public_notebook_tools.py)
    assignments/chN/<module>.py           the stubs students fill in (generated)
    tests/chN/test_<module>.py            the hidden suite of a module
    tests/chN/reference/<module>.py       its torch-backed reference
    tests/chN/mutants/<module>.toml       its catalogue of known mistakes
    tests/stand_ins.py                    trusted implementations that probes put in place of siblings
    kit_tests/alternatives/chN/<module>.py   a differently written correct solution
    examples/demo_class.toml, examples/submissions/   the demo class (generated)
    requirements.txt                      what grading needs, pinned (students need part of it)

What students get (`autograder release`, release.py) is laid out by `StudentBundle` (a folder
DIR and DIR.zip) and `NbgraderCourse` (source/chN/, release/chN/, and submitted/ collected back).

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


def notebook_path(chapter: str) -> str:
    """`chN/chN.ipynb`: where a chapter's notebook sits in assignments/ and in a bundle."""
    return f"{chapter}/{chapter}.ipynb"


class Layout:
    """Every path of a kit rooted at `root` (KIT: this one; a test may lay out another)."""

    def __init__(self, root: Path = KIT_ROOT):
        self.root = root = Path(root)
        self.grading_toml = root / "grading.toml"
        self.engine = root / "autograder"
        self.public_conftest = self.engine / "public_conftest.py"
        self.student_selfcheck = self.engine / "selfcheck.py"     # a bundle's selfcheck.py
        self.notebook_tools = self.engine / "public_notebook_tools.py"   # assignments/notebook_tools.py
        self.requirements = root / "requirements.txt"
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

    def handed_out(self, chapter: str) -> list[str]:
        """A chapter's files as students get them, relative to assignments/: what `generate` makes
        from solutions/chN (its modules' stubs, public tests and scripts `chN/*.py`, its data `chN/data/*`,
        its notebook `chN/chN.ipynb` when it has a source)."""
        folder = self.solutions / chapter
        sources = [*sorted(folder.glob("*.py")), *sorted(folder.glob("data/*"))]
        notebook = [notebook_path(chapter)] if self.notebook_source(chapter).is_file() else []
        return [p.relative_to(self.solutions).as_posix() for p in sources if p.is_file()] + notebook

    def notebook_source(self, chapter: str) -> Path:
        """The Markdown that `generate` turns into the chapter's notebook (notebooks.py says how)."""
        return self.solutions / chapter / f"{chapter}_notebook.md"

    def notebook(self, chapter: str) -> Path:
        return self.assignments / notebook_path(chapter)

    def notebook_chapters(self) -> list[str]:
        """The chapters that have a notebook source, in order."""
        sources = self.solutions.glob("ch*/ch*_notebook.md")
        return sorted((p.parent.name for p in sources if p.name == f"{p.parent.name}_notebook.md"),
                      key=lambda chapter: (len(chapter), chapter))

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


class StudentBundle:
    """What `autograder release --out DIR` writes: the folder DIR and DIR.zip (whose top folder
    is DIR's name); also each `release/chN/` of an nbgrader course."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.zip = self.root.with_name(self.root.name + ".zip")
        self.readme = self.root / "README.md"
        self.selfcheck = self.root / "selfcheck.py"    # release replaces only a folder that holds one


class NbgraderCourse:
    """An nbgrader course folder: the chapter a student fetches is `release/chN/` (and the same
    in `source/chN/`); `nbgrader collect` brings their work back to `submitted/<student>/chN/`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.config = self.root / "nbgrader_config.py"

    def source(self, chapter: str) -> Path:
        return self.root / "source" / chapter

    def release(self, chapter: str) -> Path:
        return self.root / "release" / chapter


KIT = Layout()
