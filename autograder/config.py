"""grading.toml: points, time limits and forbidden names per exercise.

An exercise is a table with a `points` key, found at any depth:

    [ch2.activations.relu]
    points = 1
    forbidden = ["torch.relu", "torch.nn.functional.relu"]

Its id is the table's dotted path (`ch2.activations.relu`).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
GRADING_TOML = KIT_ROOT / "grading.toml"
SOLUTIONS = KIT_ROOT / "solutions"
ASSIGNMENTS = KIT_ROOT / "assignments"
HIDDEN_TESTS = KIT_ROOT / "tests"

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Exercise:
    id: str                      # "ch2.activations.relu"
    points: float
    timeout: float               # seconds per test
    forbidden: tuple[str, ...]   # dotted names; see policy.py

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def module(self) -> str:
        return self.id.split(".")[1]

    @property
    def name(self) -> str:
        return self.id.split(".", 2)[2]


def _walk(table: dict, prefix: str, defaults: dict):
    for key, value in table.items():
        if not isinstance(value, dict):
            continue
        path = f"{prefix}.{key}" if prefix else key
        if "points" in value:
            yield Exercise(
                id=path,
                points=float(value["points"]),
                timeout=float(value.get("timeout", defaults.get("timeout", DEFAULT_TIMEOUT))),
                forbidden=tuple(defaults.get("forbidden", ())) + tuple(value.get("forbidden", ())),
            )
        else:
            yield from _walk(value, path, defaults)


@lru_cache(maxsize=None)
def load_exercises(path: Path = GRADING_TOML) -> dict[str, Exercise]:
    """Every exercise in grading.toml, by id, in file order."""
    data = tomllib.loads(Path(path).read_text())
    defaults = data.pop("defaults", {})
    return {ex.id: ex for ex in _walk(data, "", defaults)}


def chapter_exercises(chapter: str) -> list[Exercise]:
    return [ex for ex in load_exercises().values() if ex.chapter == chapter]


def chapter_modules(chapter: str) -> list[str]:
    """Module names of a chapter, in grading.toml order."""
    return list(dict.fromkeys(ex.module for ex in chapter_exercises(chapter)))


def chapters() -> list[str]:
    return list(dict.fromkeys(ex.chapter for ex in load_exercises().values()))
