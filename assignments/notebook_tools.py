"""What the chapter notebooks (chN/chN.ipynb) use. Each notebook's first cell is

    import sys; sys.path.insert(0, "..")
    from notebook_tools import setup, public_tests
    setup()

setup(): a function you have not written yet stops the run with one line that names it, its file and
its line (the same line as the public tests print), not a traceback; your modules are reloaded
before each cell, so an edit shows without restarting the kernel; torch uses one thread; plots are
drawn in the notebook.

public_tests("ch2/test_activations.py", "relu"): runs those public tests as `pytest -q` does in
this folder (`-k relu` when a name is given) and prints what pytest prints: one line per failure,
then the count. Returns True when they all passed.
"""
import contextlib
import importlib.util
import os
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))     # the folder that holds ch1/, ch2/, ... and conftest.py
FIGURE_SIZE = (6.4, 3.6)                              # inches: two plots side by side stay readable


def setup():
    """Get the notebook ready (see above). Outside IPython only the import path and torch's threads."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import torch

    torch.set_num_threads(1)     # the examples are tiny: more threads only wait on each other
    shell = _ipython()
    if shell is None:
        return
    shell.set_custom_exc((NotImplementedError,), _show_unfinished)
    shell.extension_manager.load_extension("autoreload")   # as %load_ext, but silent when run again
    shell.run_line_magic("autoreload", "2")
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed: the cells that plot need it (pip install matplotlib)")
        return
    shell.run_line_magic("matplotlib", "inline")
    import matplotlib.pyplot as plt

    plt.rcParams["figure.figsize"] = FIGURE_SIZE


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def public_tests(path, name=None):
    """Run the public tests of `path` (relative to this folder; `-k name` when given) in a fresh
    pytest, print its report, return True when every selected test passed. Never raises."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path]
    if name:
        command += ["-k", name]
    try:
        done = subprocess.run(command, cwd=HERE, capture_output=True, text=True)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"could not run pytest: {exc}")
        return False
    print((done.stdout + done.stderr).rstrip())
    return done.returncode == 0


# ------------------------------------------------------------------ an unfinished function: one line

def unfinished_line(error):
    """The public tests' line for a NotImplementedError raised in one of your modules (paths as
    from this folder: ch2/activations.py), or None when it was raised elsewhere (by torch, say)."""
    frames = list(traceback.walk_tb(error.__traceback__))
    if not frames or not _yours(frames[-1][0].f_code.co_filename):
        return None
    with contextlib.chdir(HERE):      # the public tests name your files from here
        return _public_conftest().unfinished_line(error)


def _yours(path):
    path = os.path.realpath(path)
    return path.startswith(os.path.realpath(HERE) + os.sep) and path != os.path.realpath(__file__)


_conftest = []


def _public_conftest():
    """conftest.py beside this file (the public tests'), loaded once."""
    if not _conftest:
        spec = importlib.util.spec_from_file_location("_public_conftest", os.path.join(HERE, "conftest.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _conftest.append(module)
    return _conftest[0]


def _show_unfinished(shell, etype, value, tb, tb_offset=None):
    """IPython's handler of NotImplementedError: the one line for an unfinished function of yours,
    the usual traceback for any other. The cell fails either way, so "Run all" stops there."""
    line = unfinished_line(value)
    if line is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        shell._showtraceback(etype, value, [line])
