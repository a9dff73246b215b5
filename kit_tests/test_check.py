"""`autograder check` on a file that does not even parse: one line per place, never a traceback."""
import shutil

from autograder.check import public_summary
from autograder.layout import KIT
from autograder.suites import run_public


def test_a_syntax_error_gives_one_line_not_a_traceback(tmp_path):
    shutil.copytree(KIT.assignments / "ch2", tmp_path / "ch2")
    with open(tmp_path / "ch2" / "activations.py", "a") as f:
        f.write("\ndef relu(x)\n    return x\n")
    line = public_summary(run_public("ch2", tmp_path))
    assert line == "public tests could not run: assignments/ch2/test_activations.py: SyntaxError: expected ':'", line
