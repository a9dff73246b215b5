"""student.run: plain data only, probes self-contained, submissions isolated; in-process, the
grading policy on time, and no call that would end the process."""
import os
import re
import signal
import time

import pytest
import torch

from autograder.outcomes import Outcome, StudentError, SubmissionImportError
from autograder.plaindata import NotPlainData, check_plain
from autograder.policy import ProcessKeeper, RuntimeGuard
from autograder.runner import InProcessRunner, TimeLimit
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


# ------------------------------------------------------------------ time limits in this process

ENDLESS = "def f(x):\n    while True:\n        pass\n"
STUBBORN = ("def f(x):\n    for _ in range(5):\n        try:\n            while True:\n                pass\n"
            "        except BaseException:\n            pass\n    return x\n")


@pytest.mark.parametrize("body", [ENDLESS, STUBBORN], ids=["endless loop", "catches the interruption"])
def test_a_hang_is_stopped_in_the_students_words_and_costs_its_time_once(tmp_path, body):
    """In-process as in grading: the test's time limit, the outcome "timed out", and the exercise's
    other tests not run (their time is not spent again)."""
    modules = write_module(tmp_path, body)
    hung = set()
    runner = InProcessRunner(modules, "mod", time_limit=TimeLimit("ch9.mod.f", 0.5, hung))
    start = time.monotonic()
    with pytest.raises(StudentError) as stopped:
        runner.run(call_f, 1)
    assert time.monotonic() - start < 5
    assert stopped.value.outcome is Outcome.TIMED_OUT
    line = 2 if body == ENDLESS else 4
    assert re.fullmatch(rf"f\(\) was still running after 0.5 s: an endless loop\? \(at ch9/mod.py, line "
                        rf"({line}|{line + 1})\)", str(stopped.value)), str(stopped.value)
    assert hung == {"ch9.mod.f"}
    start = time.monotonic()
    again = InProcessRunner(modules, "mod", time_limit=TimeLimit("ch9.mod.f", 0.5, hung))   # the next test
    with pytest.raises(StudentError, match="not run: an earlier test of this exercise timed out") as not_run:
        again.run(call_f, 1)
    assert not_run.value.outcome is Outcome.TIMED_OUT and time.monotonic() - start < 0.4


def test_a_time_limit_leaves_fast_code_and_the_timer_it_found_alone(tmp_path):
    outer = []
    previous = signal.signal(signal.SIGALRM, lambda *_: outer.append(True))
    signal.setitimer(signal.ITIMER_REAL, 0.6)
    try:
        runner = InProcessRunner(write_module(tmp_path, "def f(x):\n    return x + 1\n"), "mod",
                                 time_limit=TimeLimit("ch9.mod.f", 0.2, set()))
        assert runner.run(call_f, 1) == 2
        time.sleep(0.5)                       # past the runner's limit: nothing raised here
        deadline = time.monotonic() + 2
        while not outer and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outer == [True]                # the timer it found still went off
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------ calls that would end the process

def in_a_child(run) -> str:
    """`run()` (a str) computed in a forked child, so that a call that really ends the process ends
    the child, not this test run: then "" comes back."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, run().encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        said = answer.read()
    os.waitpid(pid, 0)
    return said


def guard_keeping_the_process():
    """The run-time guard as `autograder check` and pytest have it (runner.guard_for)."""
    return RuntimeGuard("ch9.mod.f", (), ProcessKeeper())


def error_of(runner) -> str:
    """What the runner raised, as `outcome: message`."""
    try:
        runner.run(call_f, 1)
    except StudentError as exc:
        return f"{exc.outcome}: {exc}"
    return "no error"


@pytest.mark.parametrize("call", ["os._exit(0)", 'getattr(os, "_" + "exit")(0)', "os.abort()",
                                  "exit_now = os._exit\n    exit_now(3)"])
def test_a_call_that_would_end_the_process_is_stopped_before_it_runs(tmp_path, call):
    """Under the run-time guard (every exercise), os._exit and os.abort raise instead, however
    they are reached; the student reads which function called it and where."""
    modules = write_module(tmp_path, f"import os\ndef f(x):\n    {call}\n    return x\n")
    runner = InProcessRunner(modules, "mod", guard_factory=guard_keeping_the_process)
    said = in_a_child(lambda: error_of(runner))
    name = "os.abort" if "abort" in call else "os._exit"
    assert said.startswith(f"failed: f() called {name}(), which would end the whole process"), said
    assert said.endswith(f"(at ch9/mod.py, line {3 + call.count(chr(10))})"), said


def test_a_stopped_call_caught_by_the_student_still_fails(tmp_path):
    body = "import os\ndef f(x):\n    try:\n        os._exit(0)\n    except BaseException:\n        pass\n" \
           "    return x\n"
    runner = InProcessRunner(write_module(tmp_path, body), "mod", guard_factory=guard_keeping_the_process)
    said = in_a_child(lambda: error_of(runner))
    assert re.fullmatch(r"failed: f\(\) called os._exit\(\).*\(at ch9/mod.py, line 4\)", said), said


def test_a_child_the_code_forks_may_still_end_itself(tmp_path):
    body = ("import os\ndef f(x):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(7)\n"
            "    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n")
    runner = InProcessRunner(write_module(tmp_path, body), "mod", guard_factory=guard_keeping_the_process)
    assert runner.run(call_f, 1) == 7
