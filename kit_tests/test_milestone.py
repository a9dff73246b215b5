"""The chapter 6 milestone: the solution's TinyGPT learns the shipped text and writes with its cache;
what the milestone says of the cache is what happened: the same text, fewer tokens fed."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.layout import KIT

PROMPT = len("The keeper")


def milestone(ch6: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(ch6 / "train_tinygpt.py"), *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def tokens_fed(stdout: str) -> list[tuple[int, int]]:
    """(with the cache, without it) of each greedy decoding the milestone compared."""
    counts = [int(n.replace(",", "")) for n in re.findall(r"^ +with(?:out it| the cache): +([\d,]+) tokens fed",
                                                          stdout, flags=re.M)]
    return list(zip(counts[::2], counts[1::2]))


def expected_fed(new_tokens: int) -> tuple[int, int]:
    """The prompt, then one token per further step; without the cache, the whole text at every step."""
    return PROMPT + new_tokens - 1, sum(range(PROMPT, PROMPT + new_tokens))


def test_tinygpt_learns_and_its_cache_gives_the_same_text_for_less_work():
    stdout = milestone(KIT.solutions / "ch6", "--steps", "80", "--new-tokens", "20", "--long-tokens", "100")
    first, last = map(float, re.search(r"loss ([\d.]+) -> ([\d.]+)", stdout).groups())
    assert first > 3.0 and last < first - 1.0, stdout       # ln(37) = 3.6 at the start
    assert "--- sample" in stdout, stdout
    assert stdout.count("the same text both ways") == 2 and "DIFFERENT" not in stdout, stdout
    assert tokens_fed(stdout) == [expected_fed(20), expected_fed(100)] == [(29, 390), (109, 5950)], stdout


def test_a_cache_that_forgets_is_caught(tmp_path):
    ch6 = shutil.copytree(KIT.solutions / "ch6", tmp_path / "ch6", ignore=shutil.ignore_patterns("test_*"))
    kv_cache = ch6 / "kv_cache.py"
    source = kv_cache.read_text()
    forgetful = source.replace("        if self.keys[layer] is not None:\n", "        if False:\n")
    assert forgetful != source
    kv_cache.write_text(forgetful)
    stdout = milestone(ch6, "--steps", "80", "--new-tokens", "20", "--long-tokens", "0")
    assert "DIFFERENT texts: check your KV cache path" in stdout, stdout
