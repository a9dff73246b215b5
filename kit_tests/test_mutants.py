"""The mutant submissions of known-mistake matching live in a temp folder of the process that made
them, gone when it exits; processes running side by side each have their own."""
import subprocess
import sys
from pathlib import Path

from autograder.layout import KIT

MAKE_ONE = """
from autograder.mutants import all_mutants, mutant_submission
print(mutant_submission(all_mutants("ch2")[0]), flush=True)
input()   # wait until told to exit
"""


def test_mutant_folders_are_private_and_removed_at_exit(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", MAKE_ONE], cwd=KIT.root, env={"TMPDIR": str(tmp_path)},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    roots = [Path(p.stdout.readline().strip()) for p in procs]       # both alive at once
    assert roots[0].parent != roots[1].parent
    assert all(root.is_dir() and any(root.rglob("*.py")) for root in roots)
    for p in procs:
        p.communicate("\n", timeout=60)
        assert p.returncode == 0
    assert list(tmp_path.iterdir()) == []
