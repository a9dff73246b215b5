"""Reports of exercise results: a terminal table and Gradescope's results.json."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from autograder.score import STATUS_TEXT, ExerciseResult


def _points(value: float) -> str:
    return f"{value:g}"


def table(results: list[ExerciseResult]) -> str:
    width = max(100, shutil.get_terminal_size((120, 20)).columns)
    id_width = max(len(r.exercise.id) for r in results)
    lines = [f"{'exercise':<{id_width}}  {'points':>9}  status", "-" * min(width, id_width + 40)]
    for r in results:
        points = f"{_points(r.score)}/{_points(r.max_score)}"
        lines.append(f"{r.exercise.id:<{id_width}}  {points:>9}  {STATUS_TEXT[r.status]}")
        for label, text in (("", r.message), ("hint: ", r.hint)):
            if text and r.status != "passed":
                lines += textwrap.wrap(label + text, width=width, initial_indent="    ",
                                       subsequent_indent="      ")
    total = sum(r.score for r in results)
    maximum = sum(r.max_score for r in results)
    lines.append("-" * min(width, id_width + 40))
    lines.append(f"{'total':<{id_width}}  {_points(round(total, 2)) + '/' + _points(maximum):>9}")
    return "\n".join(lines)


def output_text(r: ExerciseResult) -> str:
    text = f"{STATUS_TEXT[r.status]}: {r.passed} of {r.passed + r.failed} tests passed."
    if r.message:
        text += f"\nFirst failure: {r.message}"
    if r.hint:
        text += f"\nKnown mistake: {r.hint}"
    return text


def results_json(results: list[ExerciseResult]) -> dict:
    """Gradescope's results.json: one test entry per exercise, its name starting with the id."""
    tests = [{
        "name": f"{r.exercise.id}",
        "score": r.score,
        "max_score": r.max_score,
        "status": "passed" if r.status == "passed" else "failed",
        "output": output_text(r),
    } for r in results]
    return {
        "score": round(sum(r.score for r in results), 2),
        "max_score": sum(r.max_score for r in results),
        "output": f"{sum(r.status == 'passed' for r in results)} of {len(results)} exercises passed.",
        "tests": tests,
    }


def write_json(results: list[ExerciseResult], path: Path):
    Path(path).write_text(json.dumps(results_json(results), indent=2) + "\n")
