"""`autograder release`: the student bundle holds the stubs, the public tests and what they need,
runs with pytest alone (the kit not importable), and reveals no answer; nbgrader's course layout
goes through nbgrader's own release, fetch, submit and collect, and back into `autograder grade`."""
import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import run_autograder

from autograder.layout import KIT, NbgraderCourse, StudentBundle

CHAPTERS = ["ch2", "ch6"]

# Runs pytest in the bundle with the kit's packages but with `import autograder` refused: the
# editable install would otherwise make the kit importable from anywhere.
WITHOUT_THE_KIT = """
import sys

class RefuseTheKit:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "autograder":
            raise ImportError("the student bundle imported the kit's autograder package")

sys.meta_path.insert(0, RefuseTheKit())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def bundle_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", WITHOUT_THE_KIT, "-p", "no:cacheprovider", *args], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=600)


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def solution_regions() -> list[tuple[str, str]]:
    """(where, text) of each function's or method's code between BEGIN and END SOLUTION in
    solutions/, whitespace normalised: what no bundle file may contain."""
    regions = {}
    for path in sorted(KIT.solutions.glob("ch*/*.py")):
        lines = path.read_text().splitlines()
        ends = [i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION"]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for begin in range(node.lineno, node.end_lineno):   # 0-based: the lines after `def`
                    if lines[begin].strip() == "### BEGIN SOLUTION":
                        end = next(i for i in ends if i > begin)
                        regions[(path, begin)] = (f"{path.relative_to(KIT.root)} {node.name}",
                                                  " ".join(" ".join(lines[begin + 1:end]).split()))
    return list(regions.values())


def with_solutions(bundle: Path, to: Path) -> Path:
    """A copy of the bundle with the reference solutions in place of the stubs."""
    shutil.copytree(bundle, to)
    for chapter in CHAPTERS:
        for path in (KIT.solutions / chapter).glob("*.py"):
            shutil.copy(path, to / chapter / path.name)
    return to


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> StudentBundle:
    out = tmp_path_factory.mktemp("release") / "dlf_student"
    run_autograder("release", *CHAPTERS, "--out", out)
    return StudentBundle(out)


def test_the_bundle_holds_the_stubs_public_tests_and_what_they_need(bundle):
    files = files_under(bundle.root)
    handed_out = {relative for chapter in CHAPTERS for relative in KIT.handed_out(chapter)}
    support = {"README.md", "requirements.txt", "pytest.ini", "selfcheck.py", "conftest.py", "forbidden_names.py",
               "forbidden.toml", "notebook_tools.py"}
    assert set(files) == handed_out | support
    assert "ch2/ch2.ipynb" in files and b'"outputs": []' in files["ch2/ch2.ipynb"]
    assert b"jupyter lab ch2/ch2.ipynb" in files["README.md"]
    assert files["ch6/data/lighthouse.txt"] == (KIT.solutions / "ch6" / "data" / "lighthouse.txt").read_bytes()
    assert b"pytest ch2" in files["README.md"] and b"selfcheck.py" in files["README.md"]
    pins = [line for line in files["requirements.txt"].decode().splitlines() if not line.startswith("#")]
    assert pins == ["torch==2.13.0", "numpy", "pytest>=8", "matplotlib", "ipykernel", "jupyterlab"]   # ch2's notebook
    with zipfile.ZipFile(bundle.zip) as archive:
        zipped = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    assert zipped == files


def test_no_answer_and_nothing_hidden_is_in_the_bundle(bundle):
    files = files_under(bundle.root)
    regions = solution_regions()
    assert len(regions) == sum(p.read_text().count("### BEGIN SOLUTION") for p in KIT.solutions.glob("ch*/*.py"))
    shipped = {name: " ".join(content.decode().split()) for name, content in files.items()}
    leaks = [f"{name}: {where}" for where, region in regions for name, text in shipped.items() if region in text]
    assert not leaks, leaks
    hidden = [p for p in KIT.hidden_tests.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    public_names = {Path(name).name for name in files}
    only_hidden = {p.name for p in hidden} - public_names
    assert not [name for name in files if Path(name).name in only_hidden]
    hidden_digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in hidden}
    assert not [name for name, content in files.items() if hashlib.sha256(content).hexdigest() in hidden_digests]
    assert not [name for name in files if {"solutions", "tests", "reference", "mutants"} & set(name.split("/"))]
    assert not [name for name, content in files.items()
                if re.search(rb"^\s*(import|from)\s+autograder\b", content, re.M)]


def test_the_public_tests_run_in_the_bundle_with_pytest_alone(bundle, tmp_path):
    stubs = bundle_pytest(bundle.root, "ch2")
    assert stubs.returncode == 1, stubs.stdout[-3000:] + stubs.stderr[-2000:]
    assert "is not implemented yet" in stubs.stdout
    assert not re.search(r"\d+ error", stubs.stdout.splitlines()[-1]), stubs.stdout[-3000:]
    solved = with_solutions(bundle.root, tmp_path / "solved")
    for chapter in CHAPTERS:
        done = bundle_pytest(solved, chapter)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_a_module_that_does_not_parse_gets_one_line_not_a_traceback(bundle, tmp_path):
    solved = with_solutions(bundle.root, tmp_path / "broken")
    module = solved / "ch2" / "activations.py"
    lines = module.read_text().splitlines()
    line = lines.index("def relu(x):")
    lines[line] = "def relu(x)"
    module.write_text("\n".join(lines) + "\n")
    proc = bundle_pytest(solved, "ch2/test_activations.py")
    assert proc.returncode != 0
    assert f"ch2/activations.py does not import: SyntaxError: expected ':' (line {line + 1})" in proc.stdout, \
        proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout and "importlib" not in proc.stdout, proc.stdout[-3000:]


def test_the_self_check_runs_the_forbidden_name_check_and_the_public_tests(bundle, tmp_path):
    solved = with_solutions(bundle.root, tmp_path / "solved")
    activations = solved / "ch2" / "activations.py"
    shortcut = "def sigmoid(x):\n    return torch.sigmoid(x)   # right, but forbidden\n"
    activations.write_text(activations.read_text().replace("def sigmoid(x):\n", shortcut))
    run = subprocess.run([sys.executable, "selfcheck.py", "ch2"], cwd=solved, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-2000:]
    assert "torch.sigmoid" in run.stdout
    assert "FORBIDDEN SHORTCUTS (above), the public tests pass." in run.stdout and "hidden tests" in run.stdout


def test_matplotlib_is_required_with_a_milestone_that_plots_and_jupyter_with_a_notebook(monkeypatch):
    """ch1's and ch3's milestones plot with matplotlib: their bundles list it; ch6's does not, and
    grading's requirements.txt never does. A chapter with a notebook (here only ch2, whatever the kit
    has) lists what runs and opens it."""
    from autograder.release import student_requirements

    def pins(chapter_list):
        return [line for line in student_requirements(chapter_list).splitlines() if not line.startswith("#")]

    monkeypatch.setattr(KIT, "notebook_chapters", lambda: ["ch2"])
    plain = ["torch==2.13.0", "numpy", "pytest>=8"]
    assert pins(["ch6"]) == plain
    assert pins(["ch6", "ch3"]) == pins(["ch3"]) == pins(["ch1"]) == [*plain, "matplotlib"]
    assert pins(["ch2"]) == pins(["ch2", "ch3"]) == [*plain, "matplotlib", "ipykernel", "jupyterlab"]
    assert "matplotlib" not in KIT.requirements.read_text()


def test_a_stub_holding_an_answer_is_never_released():
    from autograder.release import CannotRelease, bundle_files, checked, revealed_answers

    files = bundle_files(["ch2"])
    assert not revealed_answers(files)
    files["ch2/losses.py"] = KIT.solution("ch2", "losses").read_bytes()
    assert any(leak.startswith("ch2/losses.py holds the solution of ch2/losses.py") for leak in revealed_answers(files))
    with pytest.raises(CannotRelease, match="students would get that answer"):
        checked(files, ["ch2"])


def test_bad_release_commands_get_one_line_and_touch_nothing(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for args, expected in [(["ch9", "--out", tmp_path / "x"], "there is no chapter 'ch9'"),
                           (["ch2"], "say where: --out DIR"),
                           (["ch2", "--out", mine], "holds files release did not write")]:
        proc = run_autograder("release", *args, check=False)
        assert proc.returncode == 2 and expected in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert files_under(mine) == {"notes.txt": b"mine"} and not (tmp_path / "x").exists()


def test_release_replaces_its_own_output(bundle):
    (bundle.root / "ch2" / "activations.py").write_text("stale")
    run_autograder("release", *CHAPTERS, "--out", bundle.root)
    assert (bundle.root / "ch2" / "activations.py").read_bytes() == KIT.stub("ch2", "activations").read_bytes()


def nbgrader(cwd: Path, *args) -> str:
    """`nbgrader ARGS` as a user with the venv active runs it (its gradebook calls `alembic`)."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, f"nbgrader {' '.join(map(str, args))}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc.stdout + proc.stderr


def test_an_nbgrader_course_hands_the_chapter_out_and_collects_it_for_grading(tmp_path):
    pytest.importorskip("nbgrader")
    from autograder.ingest import ingest

    course, exchange, alice = NbgraderCourse(tmp_path / "course"), tmp_path / "exchange", tmp_path / "alice"
    config = f"c = get_config()\nc.CourseDirectory.course_id = 'course'\nc.Exchange.root = {str(exchange)!r}\n"
    for where in (course.root, alice):
        where.mkdir()
        (where / "nbgrader_config.py").write_text(config)
    run_autograder("release", "ch2", "--nbgrader", course.root)
    assert course.config.read_text() == config                         # the course's own is kept
    assert files_under(course.source("ch2")) == files_under(course.release("ch2"))
    assert "ch2/activations.py" in files_under(course.release("ch2"))
    assert "Released as: course ch2" in nbgrader(course.root, "release_assignment", "ch2")
    nbgrader(alice, "fetch_assignment", "ch2")
    shutil.copy(KIT.solution("ch2", "activations"), alice / "ch2" / "ch2" / "activations.py")
    nbgrader(alice, "submit", "ch2")
    nbgrader(course.root, "collect", "ch2")
    (student,) = ingest(course.root, tmp_path / "workspace")
    assert "ch2/activations.py" in student.files
    assert (student.root / "ch2" / "activations.py").read_bytes() == KIT.solution("ch2", "activations").read_bytes()
