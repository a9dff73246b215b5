import json
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent


def run_autograder(*args, check=True):
    """`autograder ARGS` in a fresh process (as a user runs it); returns the CompletedProcess."""
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=KIT,
                          capture_output=True, text=True, timeout=1800)
    if check and proc.returncode != 0:
        pytest.fail(f"autograder {' '.join(map(str, args))} exited {proc.returncode}:\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def check_results(tmp_path, chapter, submission, *extra):
    """Run `autograder check` and return (results.json as a dict, stdout)."""
    out = tmp_path / f"{Path(submission).name}.json"
    proc = run_autograder("check", chapter, "--submission", submission, "--json", out, *extra)
    return json.loads(out.read_text()), proc.stdout
