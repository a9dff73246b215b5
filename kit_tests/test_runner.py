"""student.run: plain data only, probes self-contained, submissions isolated."""
import pytest
import torch

from autograder.outcomes import StudentError, SubmissionImportError
from autograder.plaindata import NotPlainData, check_plain
from autograder.runner import InProcessRunner
from autograder.submission import ChapterModules


def write_module(root, body, name="mod", chapter="ch9"):
    (root / chapter).mkdir(parents=True, exist_ok=True)
    (root / chapter / f"{name}.py").write_text(body)
    return ChapterModules(chapter, {name: root / chapter / f"{name}.py"})


def call_f(impl, *args):
    return impl.f(*args)


class Sneaky(torch.Tensor):
    pass


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [Sneaky(torch.ones(2)), AlwaysEqual(), torch.Size([2]),
                                   {"a": [1, AlwaysEqual()]}, {(1, 2): 3}])
def test_only_plain_data_crosses_the_boundary(value):
    with pytest.raises(NotPlainData):
        check_plain(value)


def test_plain_data_passes():
    check_plain({"out": torch.ones(2), "n": [1, 2.0, "x", None, True, (torch.zeros(1),)]})


def test_results_are_checked_and_copied(tmp_path):
    runner = InProcessRunner(write_module(tmp_path, "def f(x):\n    return x\n"), "mod")
    x = torch.ones(3)
    out = runner.run(call_f, x)
    out += 1
    assert x.tolist() == [1, 1, 1]   # the runner handed over a copy, and returned one
    bad = InProcessRunner(write_module(tmp_path, "class A:\n    pass\ndef f():\n    return A()\n", "bad"), "bad")
    with pytest.raises(StudentError, match="what your code returned cannot be checked: result: .*A is none of"):
        bad.run(call_f)


def test_student_errors_say_what_and_where(tmp_path):
    runner = InProcessRunner(write_module(tmp_path, "def f():\n    raise ValueError('boom')\n"), "mod")
    with pytest.raises(StudentError, match=r"ValueError: boom \(at ch9/mod.py, line 2, in f\)"):
        runner.run(call_f)
    runner = InProcessRunner(write_module(tmp_path, "import sys\ndef f():\n    sys.exit(0)\n", "ex"), "ex")
    with pytest.raises(StudentError, match="SystemExit"):
        runner.run(call_f)


def test_not_written_yet_means_the_students_own_raise(tmp_path):
    stub = write_module(tmp_path, 'def f():\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n')
    with pytest.raises(StudentError) as info:
        InProcessRunner(stub, "mod").run(call_f)
    assert info.value.unfinished
    assert str(info.value) == "f() is not implemented yet: fill in its body in ch9/mod.py (line 4)"


@pytest.mark.parametrize("body", ["out = x.clone()\n    out[x < 0] = out[x < 0] * 0.1\n    return out",
                                  "return x.tolist()", "return x.masked_select(x > 0)", "return x.nonzero()"],
                         ids=["boolean-mask", "tolist", "masked_select", "nonzero"])
def test_torch_refusing_an_operation_is_not_an_unwritten_function(tmp_path, body):
    """On meta torch raises NotImplementedError itself: a crash at the student's line, not a stub."""
    runner = InProcessRunner(write_module(tmp_path, f"def f(x):\n    {body}\n"), "mod")
    with pytest.raises(StudentError, match=r"^NotImplementedError: .*\(at ch9/mod.py, line \d, in f\)$") as info:
        runner.run(call_f, torch.empty(3, device="meta"))
    assert not info.value.unfinished


def test_import_errors_are_reported(tmp_path):
    runner = InProcessRunner(write_module(tmp_path, "def f(:\n"), "mod")
    with pytest.raises(SubmissionImportError, match="ch9/mod.py does not import: SyntaxError"):
        runner.run(call_f)


TEST_GLOBAL = 41


def uses_a_test_global(impl):
    return TEST_GLOBAL + 1


def test_probes_cannot_use_globals_of_the_test_file(tmp_path):
    runner = InProcessRunner(write_module(tmp_path, "def f():\n    return 1\n"), "mod")
    with pytest.raises(StudentError, match="NameError"):
        runner.run(uses_a_test_global)


def test_two_submissions_live_side_by_side(tmp_path):
    a = write_module(tmp_path / "a", "from ch9.helper import K\ndef f():\n    return K\n")
    (tmp_path / "a" / "ch9" / "helper.py").write_text("K = 'a'\n")
    a.files["helper"] = tmp_path / "a" / "ch9" / "helper.py"
    b = write_module(tmp_path / "b", "from .helper import K\ndef f():\n    return K\n")
    (tmp_path / "b" / "ch9" / "helper.py").write_text("K = 'b'\n")
    b.files["helper"] = tmp_path / "b" / "ch9" / "helper.py"
    ra, rb = InProcessRunner(a, "mod"), InProcessRunner(b, "mod")
    assert [ra.run(call_f), rb.run(call_f), ra.run(call_f)] == ["a", "b", "a"]
    import sys
    assert "ch9" not in sys.modules
