"""assignments/ is exactly what the generator makes from solutions/ and grading.toml; the stubs say
what each exercise may not use; generate never overwrites a file someone edited (unless --force).

Generating into a folder is tried in a tiny kit in tmp_path (its own grading.toml, one solution),
never in this tree's assignments/.
"""
import ast
import json
import shutil

import pytest
from test_new import run, throwaway_kit

from autograder.config import load_exercises
from autograder.generate import (
    RECORD,
    drift,
    forbidden_everywhere,
    generate,
    shown,
    stale_stubs,
    stub_source,
    with_paragraphs,
)
from autograder.layout import KIT, Layout


def test_assignments_are_up_to_date():
    stale = stale_stubs()
    assert not stale, f"run `autograder generate`: out of date: {[str(p) for p in stale]}"


def test_solution_regions_become_nbgrader_stubs():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    stub = stub_source(source)
    assert '    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n' in stub
    assert "return x" not in stub and "BEGIN SOLUTION" not in stub


def test_files_without_regions_are_copied_unchanged():
    assert stub_source("import torch\n") == "import torch\n"


# ------------------------------------------------------------ what the stub says is forbidden

def docstring_of(path, name):
    tree = ast.parse(path.read_text())
    node = next(n for n in tree.body if getattr(n, "name", None) == name.split(".")[0])
    return ast.get_docstring(node)


def test_every_stub_docstring_ends_with_what_its_exercise_may_not_use():
    everywhere = set(forbidden_everywhere(KIT.grading_toml))
    said = 0
    for exercise in load_exercises().values():
        own = [name for name in exercise.forbidden if name not in everywhere]
        stub = docstring_of(KIT.stub(exercise.chapter, exercise.module), exercise.name)
        solution = docstring_of(KIT.solution(exercise.chapter, exercise.module), exercise.name)
        assert "Not allowed here" not in solution          # written in the stubs only, from grading.toml
        if not own:
            assert "Not allowed here" not in stub, exercise.id
            continue
        paragraph = stub.split("\n\n")[-1]
        assert paragraph.startswith("Not allowed here (scores 0): "), (exercise.id, stub)
        for name in own:
            assert shown(name) in " ".join(paragraph.split()), (exercise.id, name)
        said += 1
    assert said >= 20


def test_every_stub_of_exercises_says_what_no_exercise_may_use():
    header = KIT.stub("ch6", "attention").read_text().split('"""')[0]
    assert "Not allowed in any exercise (scores 0)" in header
    assert all(shown(name).strip("`") in " ".join(header.replace("#", " ").split())
               for name in forbidden_everywhere(KIT.grading_toml) if not name.startswith("."))


def test_the_paragraph_ends_one_line_multi_line_and_method_docstrings():
    source = ('class Cache:\n    """A cache."""\n\n    def update(self, k):\n        """Add `k` – once.\n\n'
              '        More.\n        """\n        return k\n\n\n'
              'def f(x):\n    """Doc ±1."""\n    return x\n')
    out = with_paragraphs(source, {"f": "Not allowed here: `a`.", "Cache.update": "Not allowed here: `b`."})
    tree = ast.parse(out)
    method = tree.body[0].body[1]
    assert ast.get_docstring(tree.body[1]) == "Doc ±1.\n\nNot allowed here: `a`."
    assert ast.get_docstring(method) == "Add `k` – once.\n\nMore.\n\nNot allowed here: `b`."
    assert ast.get_docstring(tree.body[0]) == "A cache."
    assert '        Not allowed here: `b`.\n        """\n' in out


def test_an_exercise_without_a_docstring_is_named():
    with pytest.raises(ValueError, match="f needs a docstring"):
        with_paragraphs("def f(x):\n    return x\n", {"f": "Not allowed here: `a`."})


# ------------------------------------------------------------ never destroying work

GRADING_TOML = """\
[defaults]
timeout = 30
forbidden = ["ctypes"]

[ch9.demo.double]
points = 100
forbidden = ["torch.relu"]
"""

SOLUTION = '''\
"""A demo module."""


def double(x):
    """Twice `x`."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''


def tiny_kit(root):
    """A kit with one exercise (ch9.demo.double), its solution, and nothing generated yet."""
    (root / "autograder").mkdir(parents=True)
    shutil.copy(KIT.public_conftest, root / "autograder" / "public_conftest.py")
    shutil.copy(KIT.notebook_tools, root / "autograder" / "public_notebook_tools.py")
    (root / "grading.toml").write_text(GRADING_TOML)
    (root / "solutions" / "ch9").mkdir(parents=True)
    (root / "solutions" / "ch9" / "__init__.py").write_text("")
    (root / "solutions" / "ch9" / "demo.py").write_text(SOLUTION)
    (root / "examples").mkdir()
    (root / "examples" / "demo_class.toml").write_text("")
    return Layout(root)


def change_the_solution(kit):
    path = kit.solution("ch9", "demo")
    path.write_text(path.read_text().replace('"""Twice `x`."""', '"""Twice `x`: `x + x`."""'))


def test_generate_writes_what_is_missing_and_records_it(tmp_path):
    kit = tiny_kit(tmp_path)
    done = generate(kit)
    stub = kit.stub("ch9", "demo")
    assert stub in done.written and not done.kept
    assert "Not allowed here (scores 0): `torch.relu`." in stub.read_text()
    record = json.loads((kit.assignments / RECORD).read_text())["files"]
    assert set(record) == {"conftest.py", "forbidden_names.py", "forbidden.toml", "notebook_tools.py",
                           "ch9/__init__.py", "ch9/demo.py"}
    assert not stale_stubs(kit)
    assert generate(kit).written == []                       # nothing to do the second time

    stub.unlink()                                            # a missing file is just written
    assert generate(kit).written == [stub] and not stale_stubs(kit)


def test_generate_follows_the_solution_in_files_nobody_edited(tmp_path):
    kit = tiny_kit(tmp_path)
    generate(kit)
    change_the_solution(kit)
    done = generate(kit)
    assert done.written == [kit.stub("ch9", "demo")] and not done.kept
    assert "`x + x`" in kit.stub("ch9", "demo").read_text()


def test_generate_leaves_an_edited_file_alone_unless_forced(tmp_path):
    kit = tiny_kit(tmp_path)
    generate(kit)
    stub = kit.stub("ch9", "demo")
    mine = stub.read_text().replace("raise NotImplementedError()", "return x + x")
    stub.write_text(mine)
    change_the_solution(kit)
    (kit.assignments / "conftest.py").unlink()

    done = generate(kit)
    assert done.kept == [stub] and stub.read_text() == mine            # the student's work survives
    assert done.written == [kit.assignments / "conftest.py"]            # and everything else is written
    assert drift(kit) == {stub: "edited since generated", kit.assignments / RECORD: "out of date"}
    assert generate(kit).kept == [stub]                                  # still, on the next run

    done = generate(kit, force=True)
    assert done.written == [stub] and not done.kept
    assert "`x + x`" in stub.read_text() and "return x + x" not in stub.read_text()
    assert not stale_stubs(kit)


def test_a_file_generate_has_no_record_of_counts_as_edited(tmp_path):
    """A stub written before there was a record (or by hand) is not overwritten unless it is what
    generate would write anyway."""
    kit = tiny_kit(tmp_path)
    generate(kit)
    (kit.assignments / RECORD).unlink()
    assert generate(kit).kept == []                          # every file is as generate makes it
    (kit.assignments / RECORD).unlink()
    change_the_solution(kit)
    assert generate(kit).kept == [kit.stub("ch9", "demo")]


def test_the_command_lists_the_edited_files_and_how_to_keep_or_discard_them(tmp_path):
    kit = throwaway_kit(tmp_path / "kit")
    kit.grading_toml.write_text(GRADING_TOML)
    (kit.solutions / "ch9").mkdir(parents=True)
    (kit.solutions / "ch9" / "__init__.py").write_text("")
    kit.solution("ch9", "demo").write_text(SOLUTION)
    generate(kit)
    stub = kit.stub("ch9", "demo")
    stub.write_text(stub.read_text().replace("raise NotImplementedError()", "return x + x"))
    change_the_solution(kit)

    refused = run(kit, "-m", "autograder", "generate", check=False)
    assert refused.returncode == 1
    assert "    assignments/ch9/demo.py\n" in refused.stderr
    assert "mv assignments/ch9/demo.py assignments/ch9/demo.py.mine" in refused.stderr
    assert "autograder generate --force" in refused.stderr
    assert "return x + x" in stub.read_text()

    forced = run(kit, "-m", "autograder", "generate", "--force")
    assert "wrote assignments/ch9/demo.py" in forced.stdout
    assert "return x + x" not in stub.read_text() and not stale_stubs(kit)


@pytest.mark.parametrize("flag", [[], ["--check"]])
def test_generate_without_nbgrader_says_in_one_line_who_installs_it(tmp_path, flag):
    """nbgrader is the course authors' extra: without it, `autograder generate` says so in one line
    and how to get it, exits non-zero and writes nothing (no ModuleNotFoundError traceback)."""
    kit = throwaway_kit(tmp_path / "kit")
    kit.grading_toml.write_text(GRADING_TOML)
    (kit.solutions / "ch9").mkdir(parents=True)
    kit.solution("ch9", "demo").write_text(SOLUTION)
    without_nbgrader = ("import sys\nsys.modules['nbformat'] = sys.modules['nbgrader'] = None\n"
                        "from autograder.cli import main\nsys.exit(main(sys.argv[1:]))")
    proc = run(kit, "-c", without_nbgrader, "generate", *flag, check=False)
    assert proc.returncode == 2 and proc.stdout == "", proc
    assert proc.stderr.startswith('autograder generate: needs nbgrader, which only course authors install: '
                                  'pip install -e ".[author]"') and proc.stderr.count("\n") == 1, proc.stderr
    assert not kit.assignments.exists()
