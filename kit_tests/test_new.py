"""`autograder new`: a scaffolded exercise goes through the kit's whole authoring loop.

The exercise is scaffolded into a throwaway kit in tmp_path (a copy of the engine, a grading.toml
of its own, no chapters), never into this tree; its commands run there (`python -m autograder`
with that folder as the working directory, so the copied engine's layout is that kit).
"""
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from autograder.layout import KIT, Layout
from autograder.new import CannotScaffold, next_steps, placeholders, scaffold

GRADING_TOML = """\
# Points, time limits and forbidden names (a throwaway kit).

[defaults]
timeout = 30
forbidden = ["sys.setprofile"]

[forbidden_sets]
# an unused set, so the file has one like the real one
autograd = ["torch.autograd.grad", ".backward"]
"""


def throwaway_kit(root):
    """The engine and what it reads at the top of a kit; no chapters."""
    shutil.copytree(KIT.engine, root / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(KIT.root / "pyproject.toml", root / "pyproject.toml")
    (root / "grading.toml").write_text(GRADING_TOML)
    (root / "tests").mkdir()
    shutil.copy(KIT.hidden_tests / "conftest.py", root / "tests" / "conftest.py")   # loads the plugin
    (root / "examples").mkdir()
    (root / "examples" / "demo_class.toml").write_text("# no demo class here\n")
    return Layout(root=root)


def run(kit, *args, check=True):
    """`python ARGS` in the throwaway kit (its own engine first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(kit.root)}
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=kit.root, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def fill_in(path, placeholder_line, code):
    """Replace the one line of `path` that holds `placeholder_line` by `code` (same indentation)."""
    lines = path.read_text().splitlines(keepends=True)
    (k,) = [i for i, line in enumerate(lines) if placeholder_line in line]
    indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
    lines[k] = f"{indent}{code}\n"
    path.write_text("".join(lines))


def score(kit, submission, tmp_path):
    out = tmp_path / f"{submission.replace('/', '_')}.json"
    proc = run(kit, "-m", "autograder", "check", "ch9", "--submission", submission, "--json", out)
    return json.loads(out.read_text()), proc.stdout


def test_a_scaffolded_exercise_runs_the_whole_authoring_loop(tmp_path):
    kit = throwaway_kit(tmp_path / "kit")
    paths = scaffold("ch9.demo.double", layout=kit)

    # every file an exercise needs, each parsing; grading.toml keeps its comments
    assert paths == [kit.solutions / "ch9" / "__init__.py", kit.solution("ch9", "demo"),
                     kit.public_test_source("ch9", "demo"), kit.reference("ch9", "demo"),
                     kit.hidden_suite("ch9", "demo"), kit.mutants("ch9", "demo"),
                     kit.alternative("ch9", "demo"), kit.grading_toml]
    for path in paths:
        ast.parse(path.read_text()) if path.suffix == ".py" else tomllib.loads(path.read_text())
    grading = kit.grading_toml.read_text()
    assert grading.startswith(GRADING_TOML)
    assert tomllib.loads(grading)["ch9"]["demo"]["double"]["points"] == 100   # a new chapter's sum
    solution = kit.solution("ch9", "demo").read_text()
    assert solution.count("### BEGIN SOLUTION") == solution.count("### END SOLUTION") == 1
    mutants = tomllib.loads(kit.mutants("ch9", "demo").read_text())["mutant"]
    assert len(mutants) == 3 and all(m["exercise"] == "ch9.demo.double" for m in mutants)
    assert "1. solutions/ch9/demo.py" in next_steps("ch9.demo.double", kit)
    left = placeholders(kit)
    assert {line.split(":")[0] for line in left} == {p.relative_to(kit.root).as_posix() for p in paths}

    # nothing is ever overwritten: the same exercise again is refused, and nothing changes
    before = {p: p.read_text() for p in paths}
    with pytest.raises(CannotScaffold, match="already"):
        scaffold("ch9.demo.double", layout=kit)
    assert before == {p: p.read_text() for p in paths}

    # the author fills in the solution, the reference and the alternative
    fill_in(kit.solution("ch9", "demo"), 'raise NotImplementedError("TODO(author)', "return 2 * x")
    fill_in(kit.reference("ch9", "demo"), 'raise NotImplementedError("TODO(author)', "return torch.mul(x, 2)")
    fill_in(kit.alternative("ch9", "demo"), 'raise NotImplementedError("TODO(author)', "return x + x")

    # stubs from the scaffolded solution, by the kit's own generator
    run(kit, "-m", "autograder", "generate")
    stub = kit.stub("ch9", "demo").read_text()
    assert "raise NotImplementedError()" in stub and "2 * x" not in stub
    assert (kit.assignments / "ch9" / "test_demo.py").is_file()

    # the hidden suite collects and passes on the solution: cpu x {float32, float64} x 2 shapes
    proc = run(kit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/ch9", "--submission", "solutions")
    assert "4 passed" in proc.stdout, proc.stdout[-2000:]

    results, stdout = score(kit, "solutions", tmp_path)
    assert results["score"] == 100 == results["max_score"], stdout
    assert re.search(r"public tests: (\d+) of \1 passed", stdout), stdout   # its test and its forbidden-name check
    results, _ = score(kit, "assignments", tmp_path)
    assert results["score"] == 0
    assert "is not implemented yet" in results["tests"][0]["output"]
    alternative, _ = score(kit, "kit_tests/alternatives", tmp_path)
    assert alternative["score"] == 100

    # placeholder mutants cannot pass: each is reported ESCAPED; one made real is caught and named
    catalogue = kit.mutants("ch9", "demo")
    text = catalogue.read_text()
    placeholder = 'replace = "def double(x):"'
    first = text.index(placeholder)
    real_mistake = 'replace = "def double(x):\\n    return x * x"'
    catalogue.write_text(text[:first] + real_mistake + text[first + len(placeholder):])
    proc = run(kit, "-m", "autograder", "mutants", "ch9", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    verdicts = {i: [line for line in proc.stdout.splitlines() if i in line] for i in
                ("double_mistake_1", "double_mistake_2", "double_mistake_3")}
    assert all(len(lines) == 1 for lines in verdicts.values()), proc.stdout
    assert "caught, hint shown" in verdicts["double_mistake_1"][0], proc.stdout
    assert all("ESCAPED" in verdicts[i][0] for i in ("double_mistake_2", "double_mistake_3")), proc.stdout


def test_a_second_exercise_is_appended_and_the_chapter_sum_is_flagged(tmp_path):
    kit = throwaway_kit(tmp_path / "kit")
    scaffold("ch9.demo.double", layout=kit)
    first = {p: p.read_text() for p in kit.root.rglob("*") if p.is_file() and "autograder" not in p.parts}
    paths = scaffold("ch9.demo.triple", layout=kit)
    assert kit.solutions / "ch9" / "__init__.py" not in paths
    for path, text in first.items():    # appended to, never rewritten
        assert path.read_text().startswith(text) or path == kit.grading_toml, path
    exercises = tomllib.loads(kit.grading_toml.read_text())["ch9"]["demo"]
    assert exercises == {"double": {"points": 100}, "triple": {"points": 1}}
    assert "ch9 now sums to 101" in kit.grading_toml.read_text()
    assert len(tomllib.loads(kit.mutants("ch9", "demo").read_text())["mutant"]) == 6
    source = kit.solution("ch9", "demo").read_text()
    assert source.index("def double(x):") < source.index("def triple(x):")
    with pytest.raises(CannotScaffold):
        scaffold("ch9.demo.not-a-name", layout=kit)


def test_a_module_named_data_is_refused_only_where_the_chapter_ships_a_data_folder(tmp_path):
    kit = throwaway_kit(tmp_path / "kit")
    assert kit.solution("ch9", "data") in scaffold("ch9.data.load", layout=kit)
    (kit.solutions / "ch8" / "data").mkdir(parents=True)
    with pytest.raises(CannotScaffold, match="ships data files"):
        scaffold("ch8.data.load", layout=kit)
    assert not kit.solution("ch8", "data").exists()


def test_an_existing_file_gets_the_imports_its_new_exercise_needs(tmp_path):
    kit = throwaway_kit(tmp_path / "kit")
    suite = kit.hidden_suite("ch9", "other")
    suite.parent.mkdir(parents=True)
    suite.write_text('"""A suite written by hand."""\nimport torch\n\nSHAPES = [(2, 3)]\n')
    public = kit.public_test_source("ch9", "other")
    public.parent.mkdir(parents=True)
    public.write_text("from ch9 import other as o\n\n\ndef test_nothing():\n    assert o\n")
    scaffold("ch9.other.f", layout=kit)
    text = suite.read_text()
    ast.parse(text)
    head = text[: text.index("SHAPES = [(2, 3)]")]
    assert head == ('"""A suite written by hand."""\nimport torch\nimport pytest\n'
                    "from autograder.compare import expect_close\nfrom autograder.compare import expect_equal\n\n")
    assert "def test_f_matches_the_reference(" in text
    text = public.read_text()
    assert text.startswith("from ch9 import other as o\nimport torch\n") and "o.f(x)" in text


def test_no_scaffold_placeholder_is_left_in_the_kit():
    """Every TODO(author) that `autograder new` writes must be replaced before the kit ships."""
    left = placeholders(KIT)
    assert not left, "placeholders from `autograder new` still to fill in:\n" + "\n".join(left)
