"""Everything that shows results: the terminal table of `autograder check`, and what a batch
hands out: per-student results.json (Gradescope's schema), feedback.md and feedback.html, and
grades.csv. All of it is made from the results model (score.py).

Everything that comes from a submission (its name, failure messages, hints, the problems
ingest found) is untrusted text:

- `clean_text` makes it valid UTF-8 without terminal escapes, control or bidi-override
  characters (the gradebook stores only cleaned text); `cap_text` also caps it: each line at
  MAX_LINE_CHARS, each message at a budget chosen so the whole file stays within
  MAX_FEEDBACK_CHARS, always with a visible "[truncated]";
- in HTML it is escaped with html.escape (and the page forbids scripts with a CSP);
- in Markdown it is HTML-escaped as in the page (so `<script>` stays text in any viewer),
  inside a <pre> block or with markup characters backslash-escaped inline; names and
  ids sit in code spans nothing inside can close;
- in the CSV no string cell can start a formula (= + - @ TAB CR LF get a leading ').

Files are written atomically (temporary file + rename), only inside
OUT/<student>/, and only for names made of [A-Za-z0-9._-]; the folder of a student
gone from the batch is removed (remove_student_outputs).
"""
from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import numbers
import os
import re
import shutil
import tempfile
import textwrap
from collections.abc import Mapping
from pathlib import Path

from autograder.layout import module_path
from autograder.outcomes import Outcome
from autograder.score import ExerciseResult

MAX_FEEDBACK_CHARS = 20_000   # per student, per file
MAX_LINE_CHARS = 500          # per line of a message
MAX_MESSAGE_CHARS = 4_000     # per message at most; less when many messages must share a file
MAX_PROBLEMS = 20             # info["problems"] entries shown
TRUNCATED = "[truncated]"        # marks every cut, here and in the gradebook
# Per-field caps tried in turn until the rendered file fits MAX_FEEDBACK_CHARS.
_FIELD_LIMITS = (MAX_MESSAGE_CHARS, 2_000, 1_000, 500, 200, 60, 0)

_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,255}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\n")   # clean_text has made CR a newline


# -- untrusted text ----------------------------------------------------------------------

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


def points_text(value: float) -> str:
    return f"{value:g}"



def cap_text(text, limit: int = MAX_MESSAGE_CHARS, line_limit: int = MAX_LINE_CHARS) -> str:
    """`text` cleaned, each line cut at `line_limit`, the whole cut at about `limit`
    characters; every cut is marked with "[truncated]". Reads only as much of a huge
    text as it keeps (plus one scan for line ends)."""
    text = "" if text is None else str(text)
    if not text:
        return ""
    lines: list[str] = []
    size, start, n = 0, 0, len(text)
    over = False
    while start <= n and not over:
        end = text.find("\n", start)
        end = n if end < 0 else end
        piece = text[start:min(end, start + 2 * line_limit + 64)]
        cut = end - start > len(piece)
        if not cut and piece.endswith("\r"):
            piece = piece[:-1]    # CRLF
        parts = clean_text(piece).split("\n")
        for i, line in enumerate(parts):
            if len(line) > line_limit or (cut and i == len(parts) - 1):
                line = line[:line_limit] + " " + TRUNCATED
            lines.append(line)
            size += len(line) + 1
            if size > limit + 1:
                over = True
                break
        start = end + 1
    out = "\n".join(lines)
    if over:
        keep = max(0, limit - len(TRUNCATED) - 1)
        out = (out[:keep] + "\n" + TRUNCATED) if keep else TRUNCATED
    return out


def _capped(results: list[ExerciseResult], info: dict, limit: int):
    """Copies of the results and a view of info with every untrusted field capped."""
    capped = [dataclasses.replace(r, message=cap_text(r.message, limit),
                                  hint=cap_text(r.hint, limit)) for r in results]
    info = info or {}
    problems = info.get("problems") or []
    if isinstance(problems, (str, bytes)):
        problems = [problems]
    problems = list(problems)
    shown = [cap_text(p, min(limit, MAX_LINE_CHARS) or 60) for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more {TRUNCATED}")
    seconds = info.get("seconds")
    try:
        seconds = float(seconds) if seconds is not None else None
    except (TypeError, ValueError):
        seconds = None
    view = {"status": cap_text(info.get("status") or "", 200),
            "seconds": seconds, "problems": shown}
    return capped, view


def _fitted(render, results, info, drop_rows: bool = True) -> str:
    """render(capped results, capped info, shown) with the largest per-field cap that makes
    the file fit MAX_FEEDBACK_CHARS. Should even the smallest cap not do (only with a
    grading.toml of well over 50 exercises), the feedback pages show the first `shown`
    exercises and say how many more there are; results.json keeps every test (its
    score is the sum of them), so it alone may then exceed the cap."""
    for limit in _FIELD_LIMITS:
        capped, view = _capped(results, info, limit)
        text = render(capped, view, len(capped))
        if len(text) <= MAX_FEEDBACK_CHARS:
            return text
    shown = len(capped)
    while drop_rows and shown > 0 and len(text) > MAX_FEEDBACK_CHARS:
        shown = int(shown * 0.8)
        text = render(capped, view, shown)
    if drop_rows and len(text) > MAX_FEEDBACK_CHARS:   # cannot happen with capped fields
        text = text[:MAX_FEEDBACK_CHARS - len(TRUNCATED) - 2] + "\n" + TRUNCATED + "\n"
    return text


def _more(results, shown: int) -> str:
    return (f"{len(results) - shown} more exercises not shown here {TRUNCATED}; "
            "results.json lists them all.")


def _total(results) -> tuple[float, float]:
    return round(sum(r.score for r in results), 2), round(sum(r.max_score for r in results), 2)


def _summary_lines(info: dict) -> list[str]:
    lines = []
    if info["status"]:
        lines.append(f"Submission status: {info['status']}")
    if info["seconds"] is not None:
        lines.append(f"Grading time: {info['seconds']:.1f} s")
    return lines


# -- what to fix first ----------------------------------------------------------------------

MAX_FIX_FIRST = 3       # entries at the top of the feedback pages
MAX_REASON_CHARS = 300  # each entry's reason: its first line, cut here


@dataclasses.dataclass
class ToFix:
    what: str       # an exercise id, or a module file (`ch2/losses.py`) when the module does not import
    score: float
    max_score: float
    reason: str     # one line
    hint: str

    @property
    def lost(self) -> float:
        return self.max_score - self.score


def fix_first(results: list[ExerciseResult], at_most: int = MAX_FIX_FIRST) -> list[ToFix]:
    """The exercises that lost the most points, most first (ties in grading order), each with
    its reason and hint. The exercises of a module that does not import are one entry, the
    module: one fix gives them all a chance."""
    entries: dict[str, ToFix] = {}
    for r in results:
        if r.score >= r.max_score:
            continue
        what = module_path(r.exercise.chapter, r.exercise.module) if r.status == Outcome.IMPORT else r.exercise.id
        entry = entries.setdefault(what, ToFix(what, 0.0, 0.0, _first_line(r.message), r.hint))
        entry.score += r.score
        entry.max_score += r.max_score
    ranked = sorted(entries.values(), key=lambda e: -e.lost)   # stable: grading order among ties
    return ranked[:at_most]


def _first_line(message: str) -> str:
    line = next((line.strip() for line in (message or "").split("\n") if line.strip()), "")
    return line if len(line) <= MAX_REASON_CHARS else line[:MAX_REASON_CHARS] + " " + TRUNCATED


def _lost_text(entry: ToFix) -> str:
    return f"{points_text(round(entry.score, 2))} / {points_text(round(entry.max_score, 2))} points"


# -- the terminal table (autograder check) ---------------------------------------------------

def table(results: list[ExerciseResult]) -> str:
    width = max(100, shutil.get_terminal_size((120, 20)).columns)
    id_width = max(len(r.exercise.id) for r in results)
    lines = [f"{'exercise':<{id_width}}  {'points':>9}  status", "-" * min(width, id_width + 40)]
    for r in results:
        points = f"{points_text(r.score)}/{points_text(r.max_score)}"
        lines.append(f"{r.exercise.id:<{id_width}}  {points:>9}  {Outcome(r.status).text}")
        for label, text in (("", r.message), ("hint: ", r.hint)):
            if text and r.status != "passed":
                lines += textwrap.wrap(label + clean_text(text), width=width, initial_indent="    ",
                                       subsequent_indent="      ")
        if r.note:
            lines += textwrap.wrap("note: " + r.note, width=width, initial_indent="    ", subsequent_indent="      ")
    total = sum(r.score for r in results)
    maximum = sum(r.max_score for r in results)
    lines.append("-" * min(width, id_width + 40))
    lines.append(f"{'total':<{id_width}}  {points_text(round(total, 2)) + '/' + points_text(maximum):>9}")
    return "\n".join(lines)


# -- results.json --------------------------------------------------------------------------

def output_text(r: ExerciseResult) -> str:
    text = f"{Outcome(r.status).text}: {r.passed} of {r.passed + r.failed} tests passed."
    if r.message:
        text += f"\nFirst failure: {r.message}"
    if r.hint:
        text += f"\nKnown mistake: {r.hint}"
    if r.note:
        text += f"\nNote: {r.note}"
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



def _render_json(results, info, shown=None) -> str:
    data = results_json(results)
    top = _summary_lines(info)
    if info["problems"]:
        top += ["Problems with the submission:"] + [f"- {p}" for p in info["problems"]]
    if top:
        data["output"] = "\n".join(top) + "\n\n" + data["output"]
    # Plain text everywhere: Gradescope must not render anything as HTML or Markdown.
    data.setdefault("output_format", "text")
    data.setdefault("test_output_format", "text")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- feedback.md ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_MD_LEADING = re.compile(r"^(\s*)([-+=])|^(\s*\d+)([.)])")


def _md_inline(text: str) -> str:
    """Untrusted text as inert inline Markdown, on one line: HTML-escaped as in the page
    (so `<script>` is text in any viewer, even one that allows HTML), the characters that
    open markup (emphasis, code, links, tables) backslash-escaped, and so is a leading
    character that would start a list or a heading."""
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split("\n")), quote=False))
    return _MD_LEADING.sub(lambda m: m[1] + "\\" + m[2] if m[2] is not None
                          else m[3] + "\\" + m[4], text, count=1)


def _md_code(text: str) -> str:
    """Short untrusted text (an id, a name) as an inline code span nothing inside can close."""
    text = " ".join(text.split("\n")).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _md_block(text: str) -> list[str]:
    """Untrusted multi-line text as a preformatted block, HTML-escaped as in the page: a
    Markdown viewer shows it as text (a code fence would not do: viewers without fences
    read a `<script>` line in it as HTML), and nothing inside can close it."""
    return ["<pre>", html.escape(text, quote=False), "</pre>"]


def _render_md(student: str, results, info, shown: int) -> str:
    total, maximum = _total(results)
    out = [f"# Feedback for {_md_code(student)}", "",
           f"**Total: {points_text(total)} / {points_text(maximum)} points**", ""]
    out += _md_fix_first(results)
    out += [f"- {_md_inline(line)}" for line in _summary_lines(info)]
    if info["problems"]:
        out += ["", "## Problems with the submission", ""]
        out += [f"- {_md_inline(p)}" for p in info["problems"]]
    out += ["", "## Exercises", "", "| exercise | points | status |", "|---|---:|---|"]
    for r in results[:shown]:
        out.append(f"| {_md_code(r.exercise.id)} | {points_text(r.score)}/{points_text(r.max_score)} "
                   f"| {_md_inline(Outcome(r.status).text)} |")
    if shown < len(results):
        out += ["", _md_inline(_more(results, shown))]
    for r in results[:shown]:
        if r.status == "passed" and not r.message and not r.hint and not r.note:
            continue   # the table says it all
        out += ["", f"### {_md_code(r.exercise.id)}: {points_text(r.score)}/{points_text(r.max_score)}"
                f" ({_md_inline(Outcome(r.status).text)})", "",
                f"{r.passed} of {r.passed + r.failed} tests passed."]
        if r.message:
            out += ["", "What failed:", ""] + _md_block(r.message)
        if r.hint:
            out += ["", f"**Known mistake:** {_md_inline(r.hint)}"]
        if r.note:
            out += ["", f"**Note:** {_md_inline(r.note)}"]
    return "\n".join(out) + "\n"


def _md_fix_first(results) -> list[str]:
    entries = fix_first(results)
    if not entries:
        return []
    out = ["## What to fix first", ""]
    for e in entries:
        out.append(f"1. {_md_code(e.what)}: {_lost_text(e)}. {_md_inline(e.reason)}")
        if e.hint:
            out.append(f"   **Known mistake:** {_md_inline(e.hint)}")
    return out + [""]


# -- feedback.html -------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.25rem}.total{font-size:1.2rem;margin:.25rem 0 1rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.pts{white-space:nowrap;text-align:right}
.passed{color:#176b2c;font-weight:600}.partial{color:#8a5a00;font-weight:600}
.failed,.policy,.import,.notrun{color:#a4161a;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:.5rem;margin:.3rem 0;
font-size:.85rem;max-height:30rem;overflow:auto}.hint{background:#fff6d6;padding:.3rem .5rem}
.problems{background:#fdecea;border:1px solid #f5c2c0;padding:.5rem 1rem}
.fix{background:#eef4fb;border:1px solid #c5d8ee;padding:.4rem 1rem;margin:0 0 1rem}
.fix h2{font-size:1.15rem;margin:.3rem 0}.fix ol{margin:.2rem 0;padding-left:1.4rem}
.fix li{margin:.35rem 0}.fix .why{font-size:.9rem}
""".strip()


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _render_html(student: str, results, info, shown: int | None = None) -> str:
    shown = len(results) if shown is None else shown
    total, maximum = _total(results)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Feedback for {_e(student)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>Feedback for {_e(student)}</h1>",
           f'<p class="total">Total: <strong>{_e(points_text(total))} / {_e(points_text(maximum))}'
           "</strong> points</p>"]
    out += _html_fix_first(results)
    summary = _summary_lines(info)
    if summary:
        out.append("<p>" + "<br>".join(_e(line) for line in summary) + "</p>")
    if info["problems"]:
        out.append('<div class="problems"><strong>Problems with the submission</strong><ul>')
        out += [f"<li>{_e(p)}</li>" for p in info["problems"]]
        out.append("</ul></div>")
    out.append("<h2>Exercises</h2><table><thead><tr><th>exercise</th><th>points</th>"
               "<th>status</th><th>details</th></tr></thead><tbody>")
    for r in results[:shown]:
        details = [f"{r.passed} of {r.passed + r.failed} tests passed."]
        if r.message:
            details.append(f"<div>What failed:</div><pre>{_e(r.message)}</pre>")
        if r.hint:
            details.append(f'<div class="hint"><strong>Known mistake:</strong> {_e(r.hint)}</div>')
        if r.note:
            details.append(f"<div><strong>Note:</strong> {_e(r.note)}</div>")
        css = Outcome(r.status).value.replace(" ", "")   # the CSS classes above
        out.append(f"<tr><td><code>{_e(r.exercise.id)}</code></td>"
                   f'<td class="pts">{_e(points_text(r.score))} / {_e(points_text(r.max_score))}</td>'
                   f'<td class="{css}">{_e(Outcome(r.status).text)}</td>'
                   f"<td>{''.join(details)}</td></tr>")
    out.append("</tbody></table>")
    if shown < len(results):
        out.append(f"<p>{_e(_more(results, shown))}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_fix_first(results) -> list[str]:
    entries = fix_first(results)
    if not entries:
        return []
    out = ['<div class="fix"><h2>What to fix first</h2><ol>']
    for e in entries:
        hint = f'<div class="hint"><strong>Known mistake:</strong> {_e(e.hint)}</div>' if e.hint else ""
        out.append(f"<li><code>{_e(e.what)}</code>: <strong>{_e(_lost_text(e))}</strong>"
                   f'<div class="why">{_e(e.reason)}</div>{hint}</li>')
    out.append("</ol></div>")
    return out


# -- writing -------------------------------------------------------------------------------

def _check_student(student) -> str:
    if (not isinstance(student, str) or not _SAFE_NAME.fullmatch(student)
            or student in (".", "..")):
        raise ValueError(f"unsafe student name for a path: {student!r}")
    return student


def _write_atomic(path: Path, text: str, newline: str | None = None) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            f.write(text)
        os.replace(tmp, path)   # replaces a symlink itself, never writes through it
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def student_dir(out_dir: Path, student: str) -> Path:
    """OUT/<student>, created; ValueError for a name or a folder that would lead outside OUT."""
    _check_student(student)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / student
    if target.is_symlink():
        raise ValueError(f"{target} is a symbolic link; refusing to write through it")
    target.mkdir(exist_ok=True)
    if target.resolve().parent != out_dir.resolve():
        raise ValueError(f"{target} lies outside {out_dir}")
    return target


def remove_student_outputs(out_dir: Path, gone, students) -> None:
    """Delete OUT/<name> of each student `gone` from the batch, unless one of the current
    `students` has that folder on a case-insensitive disk (`Alice` gone, `alice` kept)."""
    keep = {s.lower() for s in students}
    for name in gone:
        target = Path(out_dir) / _check_student(name)
        if name.lower() not in keep and target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)


def write_student_outputs(out_dir: Path, student: str, results: list[ExerciseResult],
                          info: dict) -> None:
    """OUT/<student>/results.json (Gradescope's schema), feedback.md and feedback.html,
    each at most MAX_FEEDBACK_CHARS characters (see _fitted for the one exception)."""
    target = student_dir(out_dir, student)
    info = info or {}
    _write_atomic(target / "results.json", _fitted(_render_json, results, info, drop_rows=False))
    _write_atomic(target / "feedback.md",
                  _fitted(lambda *args: _render_md(student, *args), results, info))
    _write_atomic(target / "feedback.html",
                  _fitted(lambda *args: _render_html(student, *args), results, info))


# -- grades.csv ----------------------------------------------------------------------------

def csv_cell(value):
    """A CSV cell that no spreadsheet turns into a formula: numbers stay numbers; a string
    is cleaned (clean_text) and, starting with = + - @ TAB CR or LF, gets a leading single quote."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = round(float(value), 4)
        return int(value) if value.is_integer() else value
    text = "" if value is None else clean_text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_grades_csv(path: Path, exercises: list[str], scores: dict[str, dict[str, float]],
                     totals: Mapping[str, float] | None = None) -> None:
    """A row per student (sorted), a column per exercise id, a total per chapter (`ch2 total`),
    then the total.

    `totals` (student -> total) defaults to the sum of the row; an exercise missing from a
    student's scores leaves an empty cell, and so does a chapter none of whose exercises is there."""
    by_chapter: dict[str, list[str]] = {}
    for ex in exercises:
        by_chapter.setdefault(ex.split(".")[0], []).append(ex)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in ["student", *exercises, *(f"{ch} total" for ch in by_chapter),
                                           "total"]])
    for student in sorted(scores):
        row = scores[student]
        total = totals[student] if totals is not None and student in totals else \
            round(sum(row.get(ex, 0.0) for ex in exercises), 2)
        writer.writerow([csv_cell(student)]
                        + [csv_cell(row[ex]) if ex in row else "" for ex in exercises]
                        + [_chapter_total(row, ids) for ids in by_chapter.values()]
                        + [csv_cell(total)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, buffer.getvalue(), newline="")


def _chapter_total(row: dict[str, float], exercises: list[str]):
    if not any(ex in row for ex in exercises):
        return ""
    return csv_cell(round(sum(row.get(ex, 0.0) for ex in exercises), 2))
