"""One run's settings, as one object: made where a run starts (`autograder check`, `grade`,
`mutants`, or pytest's own command line), handed to pytest as a plugin, read by the hidden
suites' fixtures (pytest_plugin.settings_of)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.layout import KIT


@dataclass(frozen=True)
class RunSettings:
    submission: Path = KIT.assignments   # a folder with the chN/<module>.py layout
    sandbox: bool = False                # student code in sandboxed workers (batch grading)
    backend: str = "local"               # with sandbox: workers here, or "docker:IMAGE"
    submission_seconds: float = 900      # with sandbox: a submission's total time cap
    exercise: str | None = None          # run only this exercise's tests
    stop_at_first_failure: bool = False
    seed_offset: int = 0                 # moves every random case's seed (suite_helpers.case_seed)
    # grade: nbgrader's gradebook that receives the scores, as --nbgrader-gradebook gives it ("": the
    # course that holds SUBMISSIONS; a database URL, a course folder or an SQLite file: nbgrader_gradebook.py)
    nbgrader_gradebook: str | None = None
