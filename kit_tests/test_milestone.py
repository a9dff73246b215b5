"""The chapter 6 milestone: the solution's TinyGPT learns the shipped text and writes with its cache."""
import re
import subprocess
import sys

from autograder.layout import KIT


def test_tinygpt_learns_and_samples_with_the_cache():
    proc = subprocess.run([sys.executable, str(KIT.root / "solutions" / "ch6" / "train_tinygpt.py"),
                           "--steps", "80", "--new-tokens", "20"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    first, last = map(float, re.search(r"loss ([\d.]+) -> ([\d.]+)", proc.stdout).groups())
    assert first > 3.0 and last < first - 1.0, proc.stdout       # ln(37) = 3.6 at the start
    assert "--- sample" in proc.stdout and "the same text" in proc.stdout, proc.stdout
