"""grading.toml: points, time limits and forbidden names per exercise.

An exercise is a table with a `points` key, found at any depth:

    [ch2.activations.relu]
    points = 1
    forbidden = ["torch.relu", "torch.nn.functional.relu", "@autograd"]

Its id is the table's dotted path (`ch2.activations.relu`). `[defaults]` gives the
time limit of a test and the names forbidden everywhere; `[forbidden_sets]` names
lists that a `forbidden` list includes as `"@name"`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder.layout import KIT


class OfAnExercise:
    """`chapter`, `module` and `name` of the exercise id `chN.<module>.<name>` in `exercise_id`."""
    exercise_id: str

    @property
    def chapter(self) -> str:
        return self.exercise_id.split(".")[0]

    @property
    def module(self) -> str:
        return self.exercise_id.split(".")[1]

    @property
    def name(self) -> str:
        return self.exercise_id.split(".", 2)[2]


@dataclass(frozen=True)
class Exercise(OfAnExercise):
    id: str                      # "ch2.activations.relu"
    points: float
    timeout: float               # seconds per test
    forbidden: tuple[str, ...]   # dotted names; see policy.py
    graded_with: tuple[str, ...] = ()   # exercises of its own module it is graded with the kit's versions of

    @property
    def exercise_id(self) -> str:
        return self.id


class BadGradingToml(ValueError):
    pass


def _expanded(names, sets: dict, where: str) -> tuple[str, ...]:
    out = []
    for name in names:
        if name.startswith("@"):
            if name[1:] not in sets:
                raise BadGradingToml(f"{where}: no [forbidden_sets] entry {name[1:]!r}")
            out += sets[name[1:]]
        else:
            out.append(name)
    return tuple(out)


def _walk(table: dict, prefix: str, defaults: dict, sets: dict):
    for key, value in table.items():
        if not isinstance(value, dict):
            continue
        path = f"{prefix}.{key}" if prefix else key
        if "points" in value:
            yield Exercise(
                id=path,
                points=float(value["points"]),
                timeout=float(value.get("timeout", defaults["timeout"])),
                forbidden=_expanded([*defaults.get("forbidden", ()), *value.get("forbidden", ())], sets, path),
                graded_with=tuple(value.get("graded_with", ())),
            )
        else:
            yield from _walk(value, path, defaults, sets)


@lru_cache(maxsize=None)
def _grading(path: Path) -> tuple[dict, dict[str, Exercise]]:
    data = tomllib.loads(Path(path).read_text())
    defaults = data.pop("defaults")
    sets = data.pop("forbidden_sets", {})
    return defaults, {ex.id: ex for ex in _walk(data, "", defaults, sets)}


def load_exercises(path: Path = KIT.grading_toml) -> dict[str, Exercise]:
    """Every exercise in grading.toml, by id, in file order."""
    return _grading(path)[1]


def default_timeout() -> float:
    """[defaults] timeout: the time limit of a test whose exercise does not set one."""
    return float(_grading(KIT.grading_toml)[0]["timeout"])


def chapter_exercises(chapter: str) -> list[Exercise]:
    return [ex for ex in load_exercises().values() if ex.chapter == chapter]


def chapter_modules(chapter: str) -> list[str]:
    """Module names of a chapter, in grading.toml order."""
    return list(dict.fromkeys(ex.module for ex in chapter_exercises(chapter)))


def chapters() -> list[str]:
    return list(dict.fromkeys(ex.chapter for ex in load_exercises().values()))
