"""The chapter notebooks (`assignments/chN/chN.ipynb`, from `solutions/chN/chN_notebook.md`).

Each notebook is executed headless (nbclient) twice, in a folder laid out as a student's bundle
(the files at the top of assignments/, then chN/ with its code, data and the notebook), with the
kit not importable: on the solutions it runs top to bottom, every public-tests cell passes and the
experiments draw; on the stubs it stops at the chapter's first exercise with the one line that
names it. One execution per notebook and case, shared by the tests (module-scoped fixtures).
"""
import ast
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.config import load_exercises
from autograder.generate import NOTEBOOK_TOOLS
from autograder.layout import KIT, notebook_path
from autograder.notebooks import SETUP, BadNotebookSource, notebook_json, split_cells
from autograder.release import public_test_support

CHAPTERS = KIT.notebook_chapters()
SECONDS_ON_THE_SOLUTIONS = 240   # a runaway, not a slow machine: ~20 s of CPU, several times that on a busy one
CELL_TIMEOUT = 300
COLOURS = re.compile(r"\x1b\[[0-9;]*m")   # pytest colours its report in a kernel, as in a terminal


# ------------------------------------------------------------------ executing a notebook

@dataclass
class Run:
    chapter: str
    notebook: nbformat.NotebookNode    # with the outputs of the cells that ran
    error: CellExecutionError | None
    seconds: float

    def code_cells(self):
        return [cell for cell in self.notebook.cells if cell.cell_type == "code"]


def lay_out_bundle(folder: Path, chapter: str, code: Path) -> Path:
    """`folder` as a student bundle of `chapter` with the code files and data of `code` (solutions/chN
    or assignments/chN); the notebook's path in it."""
    for path in public_test_support():
        shutil.copy(path, folder / path.name)
    (folder / chapter).mkdir()
    for path in code.glob("*.py"):
        shutil.copy(path, folder / chapter / path.name)
    if (code / "data").is_dir():
        shutil.copytree(code / "data", folder / chapter / "data")
    notebook = folder / notebook_path(chapter)
    shutil.copy(KIT.notebook(chapter), notebook)
    return notebook


def execute(chapter: str, path: Path) -> Run:
    """Run the notebook at `path` top to bottom in its folder, as Jupyter's "Run all" does: it stops at
    the first cell that fails. As in a student's environment, the kernel cannot import the kit (no
    PYTHONPATH) and its public tests' pytest loads no plugin a bundle does not install (the kit's
    venv has hypothesis', over a second to import in every public_tests cell)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    start, error = time.perf_counter(), None
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        error = exc
    return Run(chapter, notebook, error, time.perf_counter() - start)


@pytest.fixture(scope="module", params=CHAPTERS)
def on_solutions(request, tmp_path_factory) -> Run:
    chapter = request.param
    folder = tmp_path_factory.mktemp(f"{chapter}_solutions")
    run = execute(chapter, lay_out_bundle(folder, chapter, KIT.solutions / chapter))
    print(f"\n{chapter}.ipynb on the solutions: {run.seconds:.1f} s")
    return run


@pytest.fixture(scope="module", params=CHAPTERS)
def on_stubs(request, tmp_path_factory) -> Run:
    chapter = request.param
    folder = tmp_path_factory.mktemp(f"{chapter}_stubs")
    return execute(chapter, lay_out_bundle(folder, chapter, KIT.assignments / chapter))


def text_of(cell) -> str:
    """Everything a code cell printed or returned, as text."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.extend(output.get("traceback", []))
    return COLOURS.sub("", "".join(parts))


# ------------------------------------------------------------------ on the solutions

def test_the_notebook_runs_top_to_bottom_on_the_solutions(on_solutions):
    assert on_solutions.error is None, f"{on_solutions.chapter}.ipynb failed on the solutions:\n{on_solutions.error}"
    assert on_solutions.seconds < SECONDS_ON_THE_SOLUTIONS, (
        f"{on_solutions.chapter}.ipynb took {on_solutions.seconds:.0f} s on the solutions")


def test_every_public_tests_cell_passes_on_the_solutions(on_solutions):
    cells = [cell for cell in on_solutions.code_cells() if "public_tests(" in cell.source]
    assert cells, f"{on_solutions.chapter}.ipynb runs no public tests"
    for cell in cells:
        report = text_of(cell)
        assert re.search(r"\b\d+ passed\b", report) and "failed" not in report, f"{cell.source}\n{report}"


def test_the_experiments_draw_their_plots(on_solutions):
    images = [output for cell in on_solutions.code_cells() for output in cell.outputs
              if "image/png" in output.get("data", {})]
    assert images, f"{on_solutions.chapter}.ipynb drew no plot"


# ------------------------------------------------------------------ on the stubs

def first_unfinished_line(chapter: str) -> str:
    """The public tests' line for the chapter's first exercise (grading.toml's order) in its stub."""
    exercise = next(ex for ex in load_exercises(KIT.grading_toml).values() if ex.chapter == chapter)
    stub = KIT.stub(chapter, exercise.module)
    tree = ast.parse(stub.read_text())
    definition = next(node for node in ast.walk(tree) if getattr(node, "name", None) == exercise.name.split(".")[0])
    for function in ast.walk(definition):
        if isinstance(function, ast.FunctionDef):
            raises = [node for node in ast.walk(function) if isinstance(node, ast.Raise)
                      and "NotImplementedError" in ast.unparse(node)]
            if raises:
                name = exercise.name if function is definition else f"{exercise.name}.{function.name}"
                where = f"{chapter}/{stub.name} (line {raises[0].lineno})"
                return f"{name}() is not implemented yet: fill in its body in {where}"
    raise AssertionError(f"{stub}: {exercise.name} raises no NotImplementedError")


def test_on_the_stubs_the_run_stops_at_the_first_exercise_with_one_line(on_stubs):
    assert on_stubs.error is not None, f"{on_stubs.chapter}.ipynb ran to the end on the stubs"
    cells = on_stubs.code_cells()
    failed = [index for index, cell in enumerate(cells) if any(o.output_type == "error" for o in cell.outputs)]
    assert len(failed) == 1 and failed[0] > 0, f"failed cells: {[cells[i].source for i in failed]}"
    errors = [output for output in cells[failed[0]].outputs if output.output_type == "error"]
    assert [error.traceback for error in errors] == [[first_unfinished_line(on_stubs.chapter)]]
    assert not any(cell.outputs for cell in cells[failed[0] + 1:]), "cells after the failure ran"


# ------------------------------------------------------------------ setup() in a kernel

SETUP_AT_WORK = f"""
```python
{SETUP}
```

```python
import torch
from ch2.activations import relu
print(torch.get_num_threads())
```

```python
relu(torch.tensor([-1.0, 2.0]))
```

```python
from pathlib import Path
Path("activations.py").write_text(Path("solution_activations.py").read_text())
```

```python
print(relu(torch.tensor([-1.0, 2.0])).tolist())
```

```python
raise NotImplementedError("not one of yours")
```

```python
setup()
```
"""


def test_setup_gives_one_line_reloads_the_students_edits_and_leaves_other_errors_alone(tmp_path):
    """A stub's NotImplementedError: the one line, the cell failed; the module edited: the next cell
    uses the edit, no restart; another NotImplementedError: Python's traceback. torch on one thread;
    setup() again changes nothing and prints nothing."""
    path = lay_out_bundle(tmp_path, "ch2", KIT.assignments / "ch2")
    shutil.copy(KIT.solution("ch2", "activations"), path.parent / "solution_activations.py")
    path.write_text(notebook_json(SETUP_AT_WORK))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    _, threads, unfinished, _, edited, elsewhere, again = [cell.outputs for cell in notebook.cells]
    assert [o.get("text") for o in threads] == ["1\n"]
    assert [(o.output_type, o.get("traceback")) for o in unfinished] == [
        ("error", [first_unfinished_line("ch2")])]
    assert [o.get("text") for o in edited] == ["[0.0, 2.0]\n"], "the edit was not picked up"
    assert elsewhere[0].output_type == "error" and len(elsewhere[0].traceback) > 1
    assert "not one of yours" in COLOURS.sub("", "\n".join(elsewhere[0].traceback))
    assert again == []                           # the setup cell run again says nothing


# ------------------------------------------------------------------ the converter

SOURCE = f"""# Title

Some text.

```python
{SETUP}
```

## Exercise
<!-- cell -->
Second markdown cell.

```python
x = 1

print(x)
```
"""


def test_markdown_text_code_blocks_and_cell_breaks_become_cells():
    assert split_cells(SOURCE) == [("markdown", "# Title\n\nSome text."), ("code", SETUP),
                                   ("markdown", "## Exercise"), ("markdown", "Second markdown cell."),
                                   ("code", "x = 1\n\nprint(x)")]


def test_the_notebook_has_no_outputs_and_ids_by_position():
    text = notebook_json(SOURCE)
    assert text == notebook_json(SOURCE)
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert [cell.id for cell in notebook.cells] == [f"cell-{i}" for i in range(5)]
    assert [cell.cell_type for cell in notebook.cells] == ["markdown", "code", "markdown", "markdown", "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in notebook.cells
               if cell.cell_type == "code")
    assert notebook.cells[4].source == "x = 1\n\nprint(x)"
    assert notebook.metadata.kernelspec.name == "python3"
    assert text == nbformat.writes(notebook) + "\n"      # byte for byte as nbformat writes it


def test_a_source_without_the_setup_cell_first_or_with_an_open_block_is_refused():
    with pytest.raises(BadNotebookSource, match="first code cell must be exactly"):
        notebook_json("# Title\n\n```python\nimport torch\n```\n", "ch9/ch9_notebook.md")
    with pytest.raises(BadNotebookSource, match="opened on line 3 is never closed"):
        notebook_json(f"# Title\n\n```python\n{SETUP}\n", "ch9/ch9_notebook.md")


def test_every_chapter_with_a_source_has_its_notebook_and_only_those():
    notebooks = sorted(KIT.assignments.glob("ch*/*.ipynb"))
    assert notebooks == [KIT.notebook(chapter) for chapter in CHAPTERS]
    for chapter in CHAPTERS:
        assert json.loads(KIT.notebook(chapter).read_text())["cells"][1]["source"] == SETUP.splitlines(True)
        assert f"{chapter}/{chapter}.ipynb" in KIT.handed_out(chapter)


# ------------------------------------------------------------------ notebook_tools, without a kernel

@pytest.fixture(scope="module")
def notebook_tools():
    """assignments/notebook_tools.py, as the notebooks import it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebook_tools_under_test", KIT.assignments / NOTEBOOK_TOOLS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_unfinished_function_of_the_student_gets_the_public_tests_line(notebook_tools):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ch2_activations_stub", KIT.stub("ch2", "activations"))
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    with pytest.raises(NotImplementedError) as raised:
        stub.relu(None)
    line = notebook_tools.unfinished_line(raised.value)
    assert re.fullmatch(r"relu\(\) is not implemented yet: fill in its body in ch2/activations\.py \(line \d+\)",
                        line)


def test_a_not_implemented_error_from_elsewhere_keeps_its_traceback(notebook_tools, tmp_path):
    elsewhere = tmp_path / "library.py"
    elsewhere.write_text("def abstract():\n    raise NotImplementedError('subclasses do this')\n")
    namespace = {}
    exec(compile(elsewhere.read_text(), str(elsewhere), "exec"), namespace)
    with pytest.raises(NotImplementedError) as raised:
        namespace["abstract"]()
    assert notebook_tools.unfinished_line(raised.value) is None


def test_public_tests_prints_one_line_per_failure_and_says_false(notebook_tools, capsys, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")     # as in a bundle (see `execute`)
    assert notebook_tools.public_tests("ch2/test_activations.py", "relu and not leaky and not backward") is False
    report = capsys.readouterr().out
    assert re.search(r"^relu\(\) is not implemented yet: fill in its body in ch2/activations\.py \(line \d+\)$",
                     report, re.MULTILINE)
    assert re.search(r"^1 failed, 1 passed, \d+ deselected in", report, re.MULTILINE), report
    assert "Traceback" not in report
