"""Reports of exercise results: a terminal table and Gradescope's results.json, and
`clean_text`, the one function that makes a submission's text safe to store or show."""
from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

from autograder.score import STATUS_TEXT, ExerciseResult

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
                      "\u202a-\u202e\u2066-\u2069]")


def clean_text(text) -> str:
    """Valid UTF-8 text without terminal escapes, control characters (but newline and tab)
    or bidi overrides; CR and CRLF become newlines. Everything a submission says (its
    messages, hints, file names) goes through this before it is stored or shown."""
    text = "" if text is None else str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")   # lone surrogates -> '?'
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


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
                lines += textwrap.wrap(label + clean_text(text), width=width, initial_indent="    ",
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
