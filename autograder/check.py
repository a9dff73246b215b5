"""`autograder check [chN ...] [--submission DIR]`: score one submission in this process.

For self-learners and the kit's own checks: the public tests, then the hidden suites, points per
exercise with the first failure and the named mistake (a hint) when one matches. Student code
runs in this process (print() and pdb work); grading others' work is `autograder grade`.
"""
from __future__ import annotations

from pathlib import Path

from autograder.config import chapter_exercises
from autograder.report import table, write_json
from autograder.score import ExerciseResult, score_all
from autograder.settings import RunSettings
from autograder.suites import run_hidden, run_public


def check(chapter_list: list[str], settings: RunSettings, public: bool = True,
          json_path: Path | None = None) -> list[ExerciseResult]:
    """Print a table per chapter (and how the public tests went); return every exercise's result."""
    results = []
    for chapter in chapter_list:
        outcomes = run_public(chapter, settings.submission) if public else []
        chapter_results = score_all(
            [ex for ex in chapter_exercises(chapter) if not settings.exercise or ex.id == settings.exercise],
            run_hidden(chapter, settings))
        results += chapter_results
        print(f"\n{chapter} ({settings.submission})")
        print(table(chapter_results))
        if outcomes:
            print(public_summary(outcomes))
    if json_path:
        write_json(results, json_path)
        print(f"\nwrote {json_path}")
    return results


def public_summary(outcomes) -> str:
    """One line on the public tests: how many passed and the first failure, or the file that
    could not even be loaded (a module with a syntax error stops pytest before any test runs)."""
    failed = [o for o in outcomes if o.outcome.failed]
    unloadable = [o for o in failed if "::" not in o.nodeid]
    if unloadable:
        return f"public tests could not run: {unloadable[0].nodeid}: {unloadable[0].message}"
    return (f"public tests: {len(outcomes) - len(failed)} of {len(outcomes)} passed"
            + (f"; first failure: {failed[0].nodeid}: {failed[0].message}" if failed else ""))
