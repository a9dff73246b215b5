"""Known mistakes: a catalogue of realistic buggy versions (mutants) of each solution.

`tests/chN/mutants/<module>.toml` lists them; each mutant is the solution with one
text replacement, a one-line hint, and the exercise it breaks:

    [[mutant]]
    id = "relu_backward_kink"
    exercise = "ch2.activations.relu_backward"
    hint = "At x == 0 the ReLU gradient is 0 in torch (use x > 0, not x >= 0)."
    find = "(x > 0)"
    replace = "(x >= 0)"

`find` must occur exactly once in the solution file (add `occurrence = N` to pick
the N-th of several, 1-based). `autograder mutants` (`prove_caught`) and the kit's tests
prove every mutant fails the hidden suite and is named; when a submission's wrong answer
equals a mutant's, feedback names the hint (pytest_plugin.known_mistake).
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder.config import OfAnExercise
from autograder.layout import KIT, module_file


@dataclass(frozen=True)
class Mutant(OfAnExercise):
    id: str
    exercise: str            # the exercise id it breaks
    hint: str
    find: str
    replace: str
    occurrence: int = 0      # 0: `find` must be unique

    @property
    def exercise_id(self) -> str:
        return self.exercise


class BadMutant(ValueError):
    pass


def load_mutants(chapter: str, module: str) -> list[Mutant]:
    path = KIT.mutants(chapter, module)
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("mutant", [])
    return [Mutant(**entry) for entry in entries]


def all_mutants(chapter: str) -> list[Mutant]:
    return [m for path in KIT.mutant_catalogues(chapter) for m in load_mutants(chapter, path.stem)]


def mutant_source(mutant: Mutant) -> str:
    source = KIT.solution(mutant.chapter, mutant.module).read_text()
    count = source.count(mutant.find)
    if count == 0:
        raise BadMutant(f"mutant {mutant.id}: {mutant.find!r} is not in the solution")
    if mutant.occurrence == 0:
        if count > 1:
            raise BadMutant(f"mutant {mutant.id}: {mutant.find!r} occurs {count} times; "
                            "set occurrence")
        return source.replace(mutant.find, mutant.replace)
    if mutant.occurrence > count:
        raise BadMutant(f"mutant {mutant.id}: occurrence {mutant.occurrence} > {count}")
    parts = source.split(mutant.find)
    n = mutant.occurrence
    return mutant.find.join(parts[:n]) + mutant.replace + mutant.find.join(parts[n:])


@lru_cache(maxsize=None)
def _cache_root() -> Path:
    """This process's own folder of mutant submissions (concurrent processes never share one),
    removed when the process that made it exits (a forked child's exit leaves it alone)."""
    root = Path(tempfile.mkdtemp(prefix="autograder-mutants-"))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(root, ignore_errors=True))
    return root


def mutant_submission(mutant: Mutant) -> Path:
    """A submission folder holding the mutated module (siblings come from solutions)."""
    source = mutant_source(mutant)
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    root = _cache_root() / f"{mutant.id}-{digest}"
    path = module_file(root, mutant.chapter, mutant.module)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")   # never seen half-written
        partial.write_text(source)
        os.replace(partial, path)
    return root


def prove_caught(chapter_list: list[str], module: str | None = None, jobs: int | None = None) -> int:
    """Run each mutant against its own exercise's tests (`jobs` processes at once, default: one per
    core), print a verdict per mutant in catalogue order, and return how many escaped or were caught
    without their hint."""
    mutants = [m for chapter in chapter_list for m in all_mutants(chapter) if not module or m.module == module]
    submissions = [mutant_submission(m) for m in mutants]     # made here: removed when this process exits
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(mutants) or 1))
    if jobs == 1:
        verdicts = map(verdict, mutants, submissions)
    else:
        import concurrent.futures as cf
        import multiprocessing

        pool = cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        verdicts = pool.map(verdict, mutants, submissions)
    escaped = 0
    for mutant, said in zip(mutants, verdicts):
        escaped += said != "caught, hint shown"
        print(f"{mutant.exercise:<44} {mutant.id:<40} {said}", flush=True)
    if jobs > 1:
        pool.shutdown()
    print("every mutant caught and named" if not escaped else f"{escaped} mutant(s) escaped or unnamed")
    return escaped


def verdict(mutant: Mutant, submission: Path) -> str:
    """"caught, hint shown", "caught, hint NOT shown" or "ESCAPED": the mutant's exercise's tests on it."""
    from autograder.settings import RunSettings
    from autograder.suites import run_hidden

    settings = RunSettings(submission=submission, exercise=mutant.exercise, stop_at_first_failure=True)
    failed = [o for o in run_hidden(mutant.chapter, settings) if o.outcome.failed]
    named = any(o.hint == mutant.hint for o in failed)
    return "caught, hint shown" if failed and named else "caught, hint NOT shown" if failed else "ESCAPED"
