"""`autograder release [ch2 ...] --out DIR | --nbgrader COURSE`: what students get, and nothing more.

The student bundle, a folder DIR and DIR.zip (whose top folder is DIR's name):

    README.md          set-up, the public tests, the self-check, what grading adds (written here)
    requirements.txt   torch (as the kit pins it), numpy, pytest: those lines of the kit's requirements.txt;
                       matplotlib too when a chapter's script imports it (ch3's milestone plots with it);
                       with a chapter's notebook, what runs and opens it (NOTEBOOK_PACKAGES)
    pytest.ini         makes DIR pytest's rootdir: `pytest` alone runs every chapter
    selfcheck.py       autograder/selfcheck.py: the forbidden-name check, then the public tests
    conftest.py, ...   the code files `generate` writes at the top of assignments/ for the public tests
                       and the notebooks (notebook_tools.py)
    chN/               assignments/chN: stubs, public tests, scripts, data, the notebook chN.ipynb

From assignments/chN only the files `generate` makes are taken (layout.handed_out), with the
`assignments/chN` they mention said as `chN`. Nothing else: no solutions, hidden suites,
references, mutants, alternatives or demo class. Before anything is written, every file is searched
for the body of every solution region (`revealed_answers`: release refuses, e.g. when someone solved
the exercises in assignments/) and, when nbgrader is installed, the stubs are compared with what
`autograder generate` makes from solutions/.

nbgrader's course layout (`--nbgrader COURSE`): `release/chN/` is the bundle of that one chapter
(so a student who fetches `chN` works in `chN/chN/` and runs `pytest chN` in `chN/`), `source/chN/`
the same, and `nbgrader_config.py` is written when the course has none. nbgrader copies files that
are not notebooks verbatim from source/ to release/ (`generate_assignment`, which refuses a folder
without a notebook anyway), so source/ never holds a solution. `nbgrader release_assignment chN`
hands release/chN/ out; `nbgrader collect chN` brings `submitted/<student>/chN/` back for
`autograder grade COURSE` (ingest finds `chN/<module>.py` under the wrapper folder).

A folder release writes must be new, empty, or one it wrote before (it holds selfcheck.py): release
replaces its own output and refuses to touch anything else.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import zipfile
from pathlib import Path

from autograder.config import chapter_modules
from autograder.layout import KIT, NbgraderCourse, StudentBundle, notebook_path

STUDENT_PACKAGES = ("torch", "numpy", "pytest")   # what the public tests need; versions from requirements.txt
# What a chapter's milestone script may import beyond those (grading never needs it): listed in the
# bundle's requirements when a bundled chapter's script imports it.
MILESTONE_PACKAGES = ("matplotlib",)
# What a chapter's notebook needs: its plots, the kernel that runs it, and Jupyter to open it in
# (a student who has their own Jupyter, or VS Code, needs only the first two).
NOTEBOOK_PACKAGES = ("matplotlib", "ipykernel", "jupyterlab")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


class CannotRelease(ValueError):
    """A release that would be wrong: the message says what is wrong and what would be right."""


# ------------------------------------------------------------------ what is shipped

def student_requirements(chapter_list: list[str]) -> str:
    """The lines of the kit's requirements.txt that name a package students need, then NOTEBOOK_PACKAGES
    when a chapter has a notebook, else the packages of MILESTONE_PACKAGES that the chapters' scripts import."""
    lines = [line.strip() for line in KIT.requirements.read_text().splitlines()]
    pins = "".join(f"{line}\n" for line in lines if line and not line.startswith("#")
                   and re.split(r"[\s<>=!~\[;]", line)[0] in STUDENT_PACKAGES)
    extra = sorted(set(MILESTONE_PACKAGES) & set().union(*map(imported_packages, chapter_list)))
    milestones = ("# The milestone scripts' plots (they train and print without it).\n"
                  + "".join(f"{name}\n" for name in extra)) if extra else ""
    if with_notebooks(chapter_list):
        milestones = ("# The notebooks: matplotlib draws their plots (and the milestone scripts'), ipykernel "
                      "runs them, jupyterlab opens them.\n" + "".join(f"{name}\n" for name in NOTEBOOK_PACKAGES))
    return "# What the exercises and their public tests need; torch as at grading.\n" + pins + milestones


def with_notebooks(chapter_list: list[str]) -> list[str]:
    """The chapters among `chapter_list` that have a notebook."""
    return [chapter for chapter in chapter_list if chapter in KIT.notebook_chapters()]


def imported_packages(chapter: str) -> set[str]:
    """The top-level packages that a chapter's code files import, anywhere in them."""
    names = set()
    for path in sorted((KIT.solutions / chapter).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


PYTEST_INI = """# The bundle's root: `pytest` here runs every chapter, `pytest ch2` one of them.
[pytest]
testpaths = {chapters}
"""

README = """# Deep Learning Fundamentals 2026: exercises of {chapter_names}

Each chapter is a folder of modules to fill in. Open a module, read its docstrings (they are the
whole specification: shapes, conventions, what to return), and replace every

    # YOUR CODE HERE
    raise NotImplementedError()

with your code. Within a chapter a module may use another: `from {chapter}.{module} import ...`.

## Set up, once

Python 3.11 and requirements.txt ({requirements}). On Linux, PyPI's torch is the CUDA
build (several GB): on a machine without an NVIDIA GPU take the CPU build from PyTorch's index
first, as below (on macOS and Windows, skip that line):

    python3 -m venv .venv
    .venv/bin/pip install {torch} --index-url {cpu_index}
    .venv/bin/pip install -r requirements.txt
    . .venv/bin/activate          # on Windows: .venv\\Scripts\\activate

## While you work, in this folder

    {pytest_commands}

runs a chapter's public tests in a few seconds; a function you have not written yet fails with one
line that names it.
{notebooks}
## Before you hand in

    python selfcheck.py

looks for forbidden shortcuts in your code, then runs the public tests (`python selfcheck.py
{chapter}`: one chapter). Some exercises may not use their torch counterpart (writing `relu`,
you may not call `torch.relu`): each exercise's docstring lists its forbidden names (forbidden.toml
lists them all), and using one scores 0 for that exercise.

Hand in your `chN/<module>.py` files as your course asks. Passing the public tests is not yet a
grade: the hidden tests run when your work is graded. They check much more (random shapes, float32
and float64, CPU and CUDA, extreme inputs, random upstream gradients, inputs left unchanged), give
points per exercise and name the mistakes they recognise.
"""


NOTEBOOKS = """
## The notebooks: see your code work

    jupyter lab {notebook}

opens a chapter's notebook (here: {notebooks}). For each module it says in a few lines what
the functions are for, tries yours on a small example and runs their public tests; experiments
plot what your code does. Run it top to bottom (Run > Run All Cells): it stops at the first
function you have not written yet with the same one line as the tests, and picks up your edits to
the modules without a restart. Your grade comes from the modules only, never the notebook.
"""


def student_readme(chapter_list: list[str]) -> str:
    pins = [line for line in student_requirements(chapter_list).splitlines() if not line.startswith("#")]
    chapters = with_notebooks(chapter_list)
    notebooks = NOTEBOOKS.format(notebook=notebook_path(chapters[0]),
                                 notebooks=", ".join(map(notebook_path, chapters))) if chapters else ""
    return README.format(notebooks=notebooks, chapter_names=", ".join(chapter_list), chapter=chapter_list[0],
                         cpu_index=CPU_INDEX,
                         module=chapter_modules(chapter_list[0])[0], requirements=", ".join(pins),
                         torch=next(pin for pin in pins if pin.startswith("torch")),
                         pytest_commands="\n    ".join(f"pytest {chapter}" for chapter in chapter_list))


def support_files(chapter_list: list[str]) -> dict[str, bytes]:
    """The files beside the chapters: README, requirements, pytest.ini, the self-check, and what
    `generate` writes at the top of assignments/ for the public tests (conftest.py, ...)."""
    files = {path.name: path.read_bytes() for path in public_test_support()}
    return files | {
        "README.md": student_readme(chapter_list).encode(),
        "requirements.txt": student_requirements(chapter_list).encode(),
        "pytest.ini": PYTEST_INI.format(chapters=" ".join(chapter_list)).encode(),
        "selfcheck.py": KIT.student_selfcheck.read_bytes(),
    }


def public_test_support() -> list[Path]:
    """What the public tests need at the top of assignments/ (conftest.py, the forbidden-name check
    and its table), not generate's record of what it wrote (a dot file)."""
    return sorted(p for p in KIT.assignments.iterdir() if p.is_file() and not p.name.startswith("."))


def sources_in_assignments(chapter_list: list[str]) -> list[Path]:
    """Every file of assignments/ that the bundle of these chapters takes."""
    return [*public_test_support(), *(KIT.assignments / relative for chapter in chapter_list
                                      for relative in KIT.handed_out(chapter))]


def chapter_files(chapter: str) -> dict[str, bytes]:
    """`chN/...` -> content: what `generate` made in assignments/chN, its paths said as `chN/...`."""
    files = {}
    for relative in KIT.handed_out(chapter):
        path = KIT.assignments / relative
        if not path.is_file():
            raise CannotRelease(f"{path.relative_to(KIT.root)} is missing: run `autograder generate`, then release")
        files[relative] = _as_shipped(path.read_bytes())
    return files


def _as_shipped(content: bytes) -> bytes:
    """`assignments/ch2/...` in a docstring or message becomes `ch2/...`: the bundle has no assignments/."""
    return re.sub(rb"\bassignments/(ch\d+)", rb"\1", content)


def bundle_files(chapter_list: list[str]) -> dict[str, bytes]:
    """Every file of the bundle, by its path in DIR."""
    files = support_files(chapter_list)
    for chapter in chapter_list:
        files |= chapter_files(chapter)
    return files


# ------------------------------------------------------------------ nothing that reveals an answer

def solution_bodies(solutions: Path = KIT.solutions) -> list[tuple[str, str]]:
    """(where, text) of every solution region of every function and method in solutions/chN/*.py,
    whitespace normalised to single spaces: what a stub must never contain."""
    bodies = {}
    for path in sorted(solutions.glob("ch*/*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for begin, text in _regions(lines, node.lineno, node.end_lineno):   # innermost wins: walked last
                    bodies[(path, begin)] = (f"{path.relative_to(solutions)}:{node.name}", text)
    return [body for body in bodies.values() if body[1]]


def _regions(lines: list[str], first: int, last: int) -> list[tuple[int, str]]:
    """(line index, normalised text) of each region that begins between lines `first` and `last`
    (1-based, a definition's span; its END marker may follow the last statement)."""
    regions = []
    for begin in range(first, last):
        if lines[begin].strip() == BEGIN:
            end = next((i for i in range(begin + 1, len(lines)) if lines[i].strip() == END), len(lines))
            regions.append((begin, " ".join(" ".join(lines[begin + 1:end]).split())))
    return regions


def revealed_answers(files: dict[str, bytes]) -> list[str]:
    """'<file> holds the solution of <where>' for every solution region found in a file."""
    shipped = {name: " ".join(content.decode(errors="replace").split()) for name, content in files.items()}
    return [f"{name} holds the solution of {where}" for where, body in solution_bodies()
            for name, text in shipped.items() if body in text]


def not_as_generated(paths: list[Path]) -> list[str]:
    """The files among `paths` that are not what `autograder generate` wrote last (its record in
    assignments/), or, when nbgrader (the [author] extra) is installed, not what it makes now."""
    from autograder.generate import Record, expected_stubs

    record = Record.load(KIT.assignments)
    edited = [path for path in paths if not record.holds(path)]
    if not edited and importlib.util.find_spec("nbgrader") is not None:
        expected = expected_stubs()
        edited = [path for path in paths if path.read_text() != expected.get(path)]
    return [str(path.relative_to(KIT.root)) for path in edited]


def checked(files: dict[str, bytes], chapter_list: list[str]) -> dict[str, bytes]:
    """`files`, or CannotRelease when one of them reveals an answer or assignments/ is not as generated."""
    leaks = revealed_answers(files)
    if leaks:
        raise CannotRelease(f"{leaks[0]}{f' (and {len(leaks) - 1} more)' if len(leaks) > 1 else ''}: students "
                            "would get that answer; take it out of the file's source in solutions/ (a public test "
                            "may not hold a solution), or, if someone worked in assignments/, run `autograder "
                            "generate --force`; then release")
    edited = not_as_generated(sources_in_assignments(chapter_list))
    if edited:
        raise CannotRelease(f"{', '.join(edited[:3])}{f' and {len(edited) - 3} more' if len(edited) > 3 else ''} "
                            "differ from what `autograder generate` writes from solutions/: run it (`--force` "
                            "if the stubs were edited), then release")
    return files


# ------------------------------------------------------------------ writing

def _ours_or_free(folder: Path) -> bool:
    """A folder release may write: absent, empty, or one it wrote before."""
    return not folder.exists() or folder.is_dir() and (not any(folder.iterdir())
                                                       or StudentBundle(folder).selfcheck.is_file())


def _write_folder(folder: Path, files: dict[str, bytes]):
    if folder.exists():
        shutil.rmtree(folder)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _write_zip(zip_path: Path, top: str, files: dict[str, bytes]):
    """A zip that is the same for the same files: sorted, fixed times."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name], zipfile.ZIP_DEFLATED)


def _zip_is_ours(zip_path: Path, top: str) -> bool:
    if not zip_path.exists():
        return True
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return f"{top}/selfcheck.py" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def release_bundle(out: Path, chapter_list: list[str]) -> StudentBundle:
    """Write DIR and DIR.zip; return their layout."""
    bundle = StudentBundle(Path(out).resolve())
    if not _ours_or_free(bundle.root) or not _zip_is_ours(bundle.zip, bundle.root.name):
        raise CannotRelease(f"{out} (or {bundle.zip.name}) holds files release did not write: "
                            "choose a new or empty folder for --out")
    files = checked(bundle_files(chapter_list), chapter_list)
    _write_folder(bundle.root, files)
    _write_zip(bundle.zip, bundle.root.name, files)
    return bundle


NBGRADER_CONFIG = """# Written by `autograder release --nbgrader`: the course's id and its exchange (edit both to suit).
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = {course_id!r}
# c.Exchange.root = "/srv/nbgrader/exchange"
"""


def release_course(course: Path, chapter_list: list[str]) -> NbgraderCourse:
    """Write source/chN/ and release/chN/, the bundle of chapter N, for each chapter (and
    nbgrader_config.py when the course has none)."""
    layout = NbgraderCourse(Path(course).resolve())
    folders = [f for chapter in chapter_list for f in (layout.source(chapter), layout.release(chapter))]
    taken = [f for f in folders if not _ours_or_free(f)]
    if taken:
        raise CannotRelease(f"{taken[0]} holds files release did not write: move them away, or release "
                            "into another course folder")
    bundles = {chapter: checked(bundle_files([chapter]), [chapter]) for chapter in chapter_list}
    for chapter, files in bundles.items():
        _write_folder(layout.source(chapter), files)
        _write_folder(layout.release(chapter), files)
    if not layout.config.exists():
        layout.config.parent.mkdir(parents=True, exist_ok=True)
        layout.config.write_text(NBGRADER_CONFIG.format(course_id=layout.root.name))
    return layout
