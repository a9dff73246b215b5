"""`autograder check` whatever the student's files hold: the table with a one-line reason on the
exercises of a module that does not import, every other module scored, the public tests that could
run run; a hang costs its time once; a call that would end the process is stopped, and an abrupt end
is said; messages and paths in the student's words."""
import ast
import dataclasses
import io
import json
import re
import shutil
import time

import pytest
from conftest import run_autograder

import autograder.check as check_module
import autograder.generate as generate_module
import autograder.pytest_plugin
import autograder.suites
from autograder.check import Progress, check, public_summary
from autograder.config import load_exercises
from autograder.layout import KIT
from autograder.outcomes import Outcome
from autograder.public_conftest import shown_path
from autograder.settings import RunSettings
from autograder.suites import run_public

RELU = "def relu(x):"


def broken(tmp_path, edit) -> int:
    """solutions/ch2 in tmp_path/ch2 with activations.py changed by edit(lines, at) (`at`: the
    index of `def relu(x):`); returns the 1-based line the breakage is on."""
    shutil.copytree(KIT.solutions / "ch2", tmp_path / "ch2")
    path = tmp_path / "ch2" / "activations.py"
    lines = path.read_text().splitlines()
    at = lines.index(RELU)
    edit(lines, at)
    path.write_text("\n".join(lines) + "\n")
    return at + 1


def syntax_error(lines, at):
    lines[at] = "def relu(x)"


def import_error(lines, at):
    lines.insert(at, "import no_such_module_anywhere")


def missing(lines, at):
    lines.clear()      # broken() writes it; the case removes the file


def calls_sys_exit(lines, at):
    lines[at:at] = ["import sys", "sys.exit('bye')"]


def raises_system_exit(lines, at):
    lines.insert(at, "raise SystemExit(3)")


def hangs(lines, at):
    lines[at:at] = ["while True:", "    pass"]


CASES = {
    "syntax error": (syntax_error, 0, "ch2/activations.py does not import: SyntaxError: expected ':' (line {line})"),
    "import error": (import_error, 0, "ch2/activations.py does not import: ModuleNotFoundError: No module named "
                                      "'no_such_module_anywhere' (line {line})"),
    "missing module": (missing, 0, "ch2/activations.py is missing from the submission"),
    "sys.exit()": (calls_sys_exit, 1, "ch2/activations.py does not import: SystemExit: bye (line {line})"),
    "raise SystemExit": (raises_system_exit, 0, "ch2/activations.py does not import: SystemExit: 3 (line {line})"),
    "hang": (hangs, 1, "ch2/activations.py does not import: it was still running after 2 s"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_module_that_does_not_import_costs_its_exercises_with_one_line_and_nothing_else(
        case, tmp_path, monkeypatch, capsys):
    edit, offset, expected = CASES[case]
    line = broken(tmp_path, edit) + offset
    if case == "missing module":
        (tmp_path / "ch2" / "activations.py").unlink()
    monkeypatch.setattr(check_module, "default_timeout", lambda: 2.0)   # the import time limit
    monkeypatch.chdir(tmp_path)     # files are shown as from here, like pytest shows them
    results = check(["ch2"], RunSettings(submission=tmp_path, exercise="ch2.activations.relu"))
    out = capsys.readouterr().out
    why = expected.format(line=line)
    [relu] = results
    assert (relu.status, relu.score) == (Outcome.IMPORT, 0) and relu.message.startswith(why), relu.message
    assert f"ch2.activations.relu        0/1  does not import\n    {why}" in out, out
    public = out[out.index("public tests:"):]
    passed = public.split("\n")[0]
    assert passed.startswith("public tests: ") and "first failure" not in passed, public   # the other modules' ran
    count, total = passed.removeprefix("public tests: ").split(" passed")[0].split(" of ")
    assert count == total and int(total) > 20, passed
    assert f"test_activations.py, {KIT.root}/assignments/ch2/test_mlp.py: {why}" in public, public
    assert "Traceback" not in out and "\r" not in out, out


def test_a_syntax_error_costs_that_module_only_through_the_command(tmp_path):
    """The acceptance of issue 13 item 1: `autograder check ch2` on a submission with a syntax error
    in activations.py: its exercises 0 with the reason and the line, every other module full marks."""
    line = broken(tmp_path, syntax_error)
    out = tmp_path / "results.json"
    proc = run_autograder("check", "ch2", "--submission", tmp_path, "--json", out, "--no-public")
    tests = {t["name"]: t for t in json.loads(out.read_text())["tests"]}
    for name, test in tests.items():
        if name.startswith("ch2.activations."):
            assert test["score"] == 0 and f"SyntaxError: expected ':' (line {line})" in test["output"], test
        else:
            assert test["score"] == test["max_score"], test
    shown = " ".join(proc.stdout.split())     # the table wraps long lines
    assert f"{tmp_path}/ch2/activations.py does not import: SyntaxError: expected ':' (line {line})" in shown
    assert shown.count("SyntaxError") == 1, proc.stdout    # said once, not once per exercise of the module
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_public_summary_says_expected_and_got_not_torch_padding():
    line = public_summary(run_public("ch2", KIT.demo_class / "partial_bob"))
    first = line.split("first failure: ", 1)[1]
    assert first.startswith("assignments/ch2/test_activations.py::test_relu_backward_is_zero_at_the_kink: "
                            "assert_close: 1 of 6 elements differ"), line
    assert "expected 0, got 3" in first, line
    assert "Greatest" not in line and "Mismatched" not in line and "AssertionError" not in line, line


def test_progress_is_redrawn_on_a_terminal_and_silent_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    plain, terminal = io.StringIO(), Terminal()
    for stream in (plain, terminal):
        progress = Progress(stream)
        progress.counter("ch2: hidden tests")(3, 10)
        progress.clear()
    assert plain.getvalue() == ""
    assert terminal.getvalue() == "\r\x1b[Kch2: hidden tests: 3 of 10\r\x1b[K"


def test_a_failing_submission_is_told_in_its_words(monkeypatch, capsys):
    """No `{}` for "no keyword arguments", no torch.float32 beside float32, nothing said twice."""
    monkeypatch.chdir(KIT.root)
    [result] = check(["ch2"], RunSettings(submission=KIT.demo_class / "partial_bob",
                                          exercise="ch2.activations.relu_backward"), public=False)
    assert result.message.startswith("relu_backward(grad_output, x(2, 3, 5)) on cpu float32: 3 of 30 elements "
                                     "differ"), result.message
    out = capsys.readouterr().out
    assert "ch2 (examples/submissions/partial_bob)" in out, out
    for word in ("{}", "torch.float32", "a tensor of shape"):
        assert word not in out, (word, out)


# -- a function that hangs, a call that ends the process ------------------------------------------

@pytest.fixture
def one_second_limits(monkeypatch):
    """Every test's time limit, hidden and public, is 1 s."""
    short = {i: dataclasses.replace(ex, timeout=1.0) for i, ex in load_exercises().items()}
    monkeypatch.setattr(autograder.pytest_plugin, "load_exercises", lambda: short)
    monkeypatch.setattr(autograder.suites, "default_timeout", lambda: 1.0)


def test_a_function_that_hangs_costs_its_time_once_and_is_told_in_the_students_words(
        one_second_limits, monkeypatch, capsys):
    """hanging_dave's relu under check as under grading: the first test that calls it is stopped at its
    time limit ("timed out", where it was still running), and the others that would call it are not
    run, hidden and public alike, so the hang costs its time once, not once per test."""
    monkeypatch.chdir(KIT.root)
    dave = KIT.demo_class / "hanging_dave"
    line = (dave / "ch2" / "activations.py").read_text().splitlines().index("    while True:  # oops: waiting "
                                                                            "for a condition that never comes") + 1
    start = time.monotonic()
    [relu] = check(["ch2"], RunSettings(submission=dave, exercise="ch2.activations.relu"))
    took = time.monotonic() - start
    out = " ".join(capsys.readouterr().out.split())
    still = rf"relu\(\) was still running after 1 s: an endless loop\? \(at examples/submissions/hanging_dave/ch2/" \
            rf"activations.py, line ({line}|{line + 1})\)"
    assert relu.timed_out and relu.score == 0 and relu.failed > 5, relu
    assert re.match(still + "; during test_", relu.message), relu.message
    assert re.search(r"public tests: \d+ of 85 passed; first failure: assignments/ch2/test_activations.py::test_relu: "
                     + still, out), out
    assert took < 20, took        # 1 s each for the first hidden and public test; before: 1 s for every one


def test_public_tests_after_a_hang_say_why_they_did_not_run(one_second_limits):
    outcomes = run_public("ch2", KIT.demo_class / "hanging_dave")
    timed_out = [o for o in outcomes if o.outcome is Outcome.TIMED_OUT]
    assert [o.nodeid for o in timed_out][:2] == ["assignments/ch2/test_activations.py::test_relu",
                                                "assignments/ch2/test_activations.py::test_float64_stays_float64"]
    assert all(o.message == "relu() was still running in an earlier test after 1 s: not run again"
               for o in timed_out[1:]) and len(timed_out) >= 4, timed_out
    assert not [o for o in outcomes if o.outcome.failed and o not in timed_out]


def ends_itself(call: str):
    """An edit for broken(): relu's first statement is `call` (which ends the process)."""
    def edit(lines, at):
        lines[at + 1:at + 1] = ["    import os, signal", f"    {call}"]
    return edit


@pytest.mark.parametrize("where", ["in relu", "at import"])
def test_a_call_that_would_end_the_process_fails_its_exercise_and_check_goes_on(tmp_path, where):
    """cheating_eve's sigmoid_backward calls os._exit(0): it was the silent end of check (exit 0, no
    table). The call is stopped, in the hidden and the public tests and at import, and the rest is
    checked."""
    if where == "at import":
        line = broken(tmp_path, lambda lines, at: lines.insert(at, 'import os; getattr(os, "_" + "exit")(0)'))
        stopped = f"{tmp_path}/ch2/activations.py does not import: it calls os._exit(), which would end the " \
                  f"whole process (line {line})"
    else:
        line = broken(tmp_path, ends_itself('getattr(os, "_" + "exit")(0)')) + 2
        stopped = (f"relu() called os._exit(), which would end the whole process: return the answer (or raise an "
                   f"exception) instead (at {tmp_path}/ch2/activations.py, line {line})")
    proc = run_autograder("check", "--exercise", "ch2.activations.relu", "--submission", tmp_path, check=False)
    unwrapped = lambda text: "".join(text.split())      # the table wraps long lines
    assert proc.returncode == 0 and proc.stderr == "", proc
    status = "does not import" if where == "at import" else "failed"
    assert unwrapped(f"ch2.activations.relu 0/1 {status} {stopped}") in unwrapped(proc.stdout), proc.stdout
    if where == "in relu":
        assert unwrapped(f"first failure: assignments/ch2/test_activations.py::test_relu: {stopped}") \
            in unwrapped(proc.stdout), proc.stdout


@pytest.mark.parametrize("where", ["hidden test", "import"])
def test_check_that_ends_abruptly_says_where_in_one_line(tmp_path, where):
    """What cannot be stopped (os.kill of its own process, a crash in C, exec) ends check's process:
    `autograder check` then says, in one line, what was running and how it ended, and exits 1, never
    0 without a table."""
    if where == "import":
        broken(tmp_path, lambda lines, at: lines.insert(at, "import os; os.kill(os.getpid(), 9)"))
    else:
        broken(tmp_path, ends_itself("os.kill(os.getpid(), signal.SIGKILL)"))
    proc = run_autograder("check", "--exercise", "ch2.activations.relu", "--submission", tmp_path, "--no-public",
                          check=False)
    during = (f"while {tmp_path}/ch2/activations.py was being imported" if where == "import" else
              f"during relu's test test_forward_matches_torch[cpu-float32-relu-(2, 3, 5)] ({tmp_path}/ch2/"
              "activations.py)")
    assert proc.returncode == 1, proc
    assert proc.stderr.startswith(f"autograder check: your code ended the process {during} (killed by SIGKILL"), \
        proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.startswith("\nch2 ("), proc.stdout


# -- paths -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("here", ["inside", "outside"])
def test_check_and_the_public_tests_show_a_path_the_same_way(tmp_path, monkeypatch, capsys, here):
    """One rule (public_conftest.shown_path, which assignments/conftest.py carries to students): from
    where you are when the file is under it, in full when it is not."""
    shutil.copytree(KIT.assignments / "ch2", tmp_path / "work" / "ch2")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / ("work" if here == "inside" else "elsewhere"))
    [relu] = check(["ch2"], RunSettings(submission=tmp_path / "work", exercise="ch2.activations.relu"))
    path = "ch2/activations.py" if here == "inside" else f"{tmp_path.resolve()}/work/ch2/activations.py"
    said = f"relu() is not implemented yet: fill in its body in {path} (line "
    assert relu.message.startswith(said), relu.message
    public = capsys.readouterr().out.split("public tests: ")[1]
    assert f"test_relu: {said}" in public, public
    assert check_module.shown_path is shown_path and generate_module.relative(tmp_path / "work") == (
        "." if here == "inside" else str(tmp_path.resolve() / "work"))


ENGINE_WORDS = ("probe", "plain data", "worker", "stand-in", "code under test")


def _message_texts(path):
    """The string literals of a hidden suite that are not docstrings (what its messages are made of)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


@pytest.mark.parametrize("suite", sorted(KIT.hidden_tests.glob("ch*/test_*.py")), ids=lambda p: p.stem)
def test_hidden_suites_word_their_messages_for_students(suite):
    """No engine words in what a suite says, and no raw dict or torch dtype in an f-string (a call
    shows its keyword arguments with call_text, a dtype with where() or dtype_text())."""
    # the curriculum's own names may hold one: seed_worker(worker_id) is a student's function
    spec_names = [ex.name for ex in load_exercises().values()] + ["worker_id"]
    spec_names = re.compile("|".join(rf"\b{re.escape(name)}\b" for name in spec_names))
    for line, text in _message_texts(suite):
        words = spec_names.sub("", text).lower()
        for word in ENGINE_WORDS:
            assert word not in words, f"{suite.name} line {line}: {text!r} says {word!r}"
    for node in ast.walk(ast.parse(suite.read_text())):
        if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name):
            assert node.value.id not in ("kwargs", "dtype", "label_dtype"), \
                f"{suite.name} line {node.lineno}: {{{node.value.id}}} in a message"
