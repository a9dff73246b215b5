"""What a class did, from the gradebook alone: the lines `grade` prints at the end and
OUT/summary.html, one page for the instructor.

Both come from one `ClassSummary` made from `Gradebook.rows()`, so after a resumed run or a
merge of shards (merge.py) they describe the whole gradebook, not only what the last run graded:

- per chapter, the distribution of the students' chapter totals (count, mean, median, min,
  max and a histogram drawn as inline SVG: the page needs no script, no network, no file);
- per exercise, the mean score, how many students lost points on it and how they ended
  (the outcomes' own words), and the known mistakes grading named for them (the `hint` of
  their results: the mutant catalogue's sentence, never read out of a failure message);
- the students whose grade needs a look (failed to import, missing files, timed out,
  policy violations), the same data as the printed line.

Everything shown that comes from the gradebook (names, hints) is HTML-escaped, and the page
forbids scripts and every external resource with a Content-Security-Policy.
"""
from __future__ import annotations

import html
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import Exercise, chapter_exercises, load_exercises
from autograder.gradebook import results_of
from autograder.layout import module_path
from autograder.outcomes import Outcome
from autograder.report import _write_atomic, points_text

SUMMARY_PAGE = "summary.html"   # in OUT, beside grades.csv
BINS = 10                       # histogram bars per chapter
MAX_LOSSES_SHOWN = 10           # exercises in "where points were lost"
MAX_MISTAKES_SHOWN = 3          # named mistakes per exercise
MAX_NAMED = 10                  # students named per kind of trouble in the printed line; the rest are counted


# ------------------------------------------------------------------- the data

@dataclass
class Distribution:
    """The chapter totals of the students graded in one chapter."""
    chapter: str
    max_points: float
    totals: list[float]     # one per student graded in the chapter, ascending

    @property
    def count(self) -> int:
        return len(self.totals)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.totals) if self.totals else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.totals) if self.totals else 0.0

    def bins(self, n: int = BINS) -> list[tuple[float, float, int]]:
        """(low, high, students) per bar: a total t with low <= t < high, the last bar taking max_points too."""
        width = self.max_points / n if self.max_points > 0 else 1.0
        counts = [0] * n
        for total in self.totals:
            counts[min(n - 1, max(0, int(total / width + 1e-9)))] += 1
        return [(round(i * width, 2), round((i + 1) * width, 2), c) for i, c in enumerate(counts)]


@dataclass
class ExerciseStats:
    """How the class did on one exercise."""
    exercise: Exercise
    graded: int = 0                  # students graded on it
    total_score: float = 0.0
    lost_by: int = 0                 # students who lost points on it
    ended: Counter = field(default_factory=Counter)      # Outcome -> students who lost points and ended so
    mistakes: Counter = field(default_factory=Counter)   # named mistake (hint) -> students

    @property
    def mean_score(self) -> float:
        return self.total_score / self.graded if self.graded else 0.0

    @property
    def mean_lost(self) -> float:
        """Points lost on average, over every student graded on it."""
        return self.exercise.points - self.mean_score if self.graded else 0.0

    def add(self, score: float, status: Outcome, hint: str) -> None:
        self.graded += 1
        self.total_score += score
        if score < self.exercise.points:
            self.lost_by += 1
            self.ended[status] += 1
            if hint:
                self.mistakes[hint] += 1


@dataclass
class ClassSummary:
    students: int
    distributions: list[Distribution]
    exercises: list[ExerciseStats]        # every exercise of the chapters, in grading order
    trouble: dict[str, list[str]]         # kind -> "student (what)", see needing_a_look

    @property
    def most_lost(self) -> list[ExerciseStats]:
        """The exercises students lost points on, most students first, then most points lost."""
        lost = [s for s in self.exercises if s.lost_by]
        return sorted(lost, key=lambda s: (-s.lost_by, -s.mean_lost))   # stable: grading order among ties


def summarize(rows: list[dict], chapter_list: list[str]) -> ClassSummary:
    """The class summary of `Gradebook.rows()` over the chapters in `chapter_list`."""
    known = load_exercises()
    stats = {ex.id: ExerciseStats(ex) for ch in chapter_list for ex in chapter_exercises(ch)}
    totals: dict[str, list[float]] = {ch: [] for ch in chapter_list}
    for row in rows:
        results, info = results_of(row, known)
        timed_out = set(info.get("timed_out", []))
        chapter_totals: dict[str, float] = {}
        for r in results:
            if r.exercise.id in stats:
                stats[r.exercise.id].add(r.score, _ended(r, timed_out), r.hint)
                chapter_totals[r.exercise.chapter] = chapter_totals.get(r.exercise.chapter, 0.0) + r.score
        for chapter, total in chapter_totals.items():
            totals[chapter].append(round(total, 2))
    distributions = [Distribution(ch, sum(ex.points for ex in chapter_exercises(ch)), sorted(totals[ch]))
                     for ch in chapter_list]
    return ClassSummary(len(rows), distributions, list(stats.values()), needing_a_look(rows))


def _ended(result, timed_out: set[str]) -> Outcome:
    """How an exercise ended, saying "timed out" where a test of a failed one ran out of time."""
    failed = result.status in (Outcome.FAILED, Outcome.PARTIAL)
    return Outcome.TIMED_OUT if failed and result.exercise.id in timed_out else Outcome(result.status)


# ------------------------------------------------------------- who needs a look

def needing_a_look(rows: list[dict]) -> dict[str, list[str]]:
    """The students whose grade needs a look, by kind of trouble, each as `student (what)`:
    `{"failed to import": ["carol (ch2/losses.py)"], "timed out": ["dave (relu)"], ...}`."""
    kinds: dict[str, list[str]] = {"failed to import": [], "missing files": [], "timed out": [],
                                   "policy violations": []}
    for row in rows:
        for kind, what in _troubles(row).items():
            if what:
                kinds[kind].append(f"{row['student']} ({what})")
    return kinds


def who_needs_a_look(rows: list[dict]) -> str:
    """One line naming the students whose grade needs a look, from the gradebook's rows:
    `failed to import: carol (ch2/losses.py); timed out: dave (relu); policy violations: eve (3 exercises)`."""
    return _trouble_line(needing_a_look(rows))


def _trouble_line(trouble: dict[str, list[str]]) -> str:
    parts = [f"{kind}: {_named(students)}" for kind, students in trouble.items() if students]
    return "; ".join(parts) or "none failed to import, timed out or broke the policy"


def _troubles(row: dict) -> dict[str, str]:
    """What went wrong for one student, by kind (empty text: nothing of that kind)."""
    results, info = results_of(row)
    not_imported = list(dict.fromkeys(module_path(r.exercise.chapter, r.exercise.module) for r in results
                                      if r.status == Outcome.IMPORT))
    taken = set(info.get("files", not_imported))      # gradebooks written before "files": all imported
    name = {r.exercise.id: r.exercise.name for r in results}
    timed_out = [name.get(i, i) for i in info.get("timed_out", [])]
    policy = sum(r.status == Outcome.POLICY for r in results)
    return {"failed to import": _listed([m for m in not_imported if m in taken], "files"),
            "missing files": _listed([m for m in not_imported if m not in taken], "files"),
            "timed out": _listed(timed_out, "exercises") or (f"{info['timeouts']} tests"
                                                            if info.get("timeouts") else ""),
            "policy violations": f"{policy} exercise{'s' * (policy != 1)}" if policy else ""}


def _listed(items: list[str], what: str, at_most: int = 3) -> str:
    return ", ".join(items) if len(items) <= at_most else f"{len(items)} {what}"


def _named(students: list[str]) -> str:
    more = len(students) - MAX_NAMED
    return ", ".join(students[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


# ------------------------------------------------------------- the printed lines

def summary_lines(summary: ClassSummary, graded: int, skipped: int) -> list[str]:
    """What `grade` prints at the end: this run's counts, then the whole gradebook."""
    lines = [f"graded {graded}, skipped (unchanged) {skipped}",
             f"{summary.students} student(s) in the gradebook; " + _trouble_line(summary.trouble),
             "mean score per exercise:"]
    for s in summary.exercises:
        lines.append(f"  {s.exercise.id:<48} {s.mean_score:6.2f} / {s.exercise.points:g}")
    return lines


# ------------------------------------------------------------------- the page

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:64rem;margin:1.5rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
.lead{color:#444;margin:0 0 1rem}.look{background:#fdecea;border:1px solid #f5c2c0;padding:.4rem 1rem}
.look.ok{background:#eaf6ec;border-color:#b9dfc0}.look ul{margin:.3rem 0;padding-left:1.2rem}
.chapters{display:grid;grid-template-columns:repeat(auto-fill,minmax(26rem,1fr));gap:1rem}
.chapter{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:0}
.chapter h3{margin:.1rem 0 .3rem;font-size:1.1rem}
.stats{display:flex;flex-wrap:wrap;gap:.2rem .75rem;margin:0 0 .3rem;font-size:.9rem}
.stats b{font-variant-numeric:tabular-nums}
svg{display:block;width:100%;max-width:440px;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#333}
svg .count{font-weight:600;stroke:#fff;stroke-width:3px;paint-order:stroke}
svg .bar{fill:#4a7fc1}svg .axis{stroke:#888}svg .mean{stroke:#c0392b;stroke-dasharray:4 3}
svg .meanlabel{fill:#c0392b}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap;
font-variant-numeric:tabular-nums}td.ex{font-size:.9rem}td.ex b{font-weight:600}
.track{display:inline-block;width:5rem;height:.65rem;background:#eee;vertical-align:middle;margin-right:.4rem}
.fill{display:block;height:100%;background:#d9822b}td.who{width:12rem}th.mistakes{width:45%}
.how{color:#555;font-size:.85rem}.chapter h3 small{font-weight:normal;color:#555;font-size:.85rem}
ul.mistakes{margin:0;padding-left:1.1rem}ul.mistakes li{margin:.15rem 0}
.n{color:#555;white-space:nowrap}.none{color:#555;font-style:italic}
footer{margin-top:1.5rem;color:#666;font-size:.85rem}
""".strip()


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _students(n: int) -> str:
    return f"{n} student{'s' * (n != 1)}"


def render_page(summary: ClassSummary) -> str:
    """summary.html: the whole page, self-contained."""
    chapters = ", ".join(d.chapter for d in summary.distributions)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>Class summary</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Class summary</h1>",
           f'<p class="lead">{_e(_students(summary.students))} in the gradebook; '
           f"chapter{'s' * (len(summary.distributions) != 1)} {_e(chapters)}</p>"]
    out += _html_trouble(summary.trouble)
    out.append('<h2>Scores per chapter</h2><div class="chapters">')
    for d in summary.distributions:
        out += _html_distribution(d)
    out.append("</div>")
    out += _html_losses(summary)
    out.append("<footer>Made by <code>autograder grade</code> (or <code>merge</code>) from gradebook.sqlite: "
               "every student in it, whichever run graded them. Each student's details: "
               "<code>&lt;student&gt;/feedback.html</code>.</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_trouble(trouble: dict[str, list[str]]) -> list[str]:
    kinds = {kind: students for kind, students in trouble.items() if students}
    if not kinds:
        return ['<div class="look ok" id="needs-a-look"><p>Every student was graded: '
                "none failed to import, timed out or broke the policy.</p></div>"]
    out = ['<div class="look" id="needs-a-look"><strong>Grades that need a look</strong><ul>']
    for kind, students in kinds.items():
        out.append(f"<li><strong>{_e(kind)}</strong> ({_e(_students(len(students)))}): "
                   f"{_e(', '.join(students))}</li>")
    return out + ["</ul></div>"]


def _html_distribution(d: Distribution) -> list[str]:
    out = [f'<section class="chapter" id="chapter-{_e(d.chapter)}"><h3>{_e(d.chapter)} '
           f"<small>(out of {_e(points_text(d.max_points))} points)</small></h3>"]
    if not d.count:
        return out + ['<p class="none">No student was graded in this chapter.</p></section>']
    stats = [("students", str(d.count)), ("mean", f"{d.mean:.1f}"), ("median", points_text(round(d.median, 2))),
             ("min", points_text(d.totals[0])), ("max", points_text(d.totals[-1]))]
    out.append('<div class="stats">' + "".join(f"<span>{name} <b>{_e(value)}</b></span>" for name, value in stats)
               + "</div>")
    return out + [_histogram_svg(d), "</section>"]


def _histogram_svg(d: Distribution) -> str:
    """Bars of the chapter totals, each labelled with its count; the mean as a dashed line behind them."""
    width, height, left, right, top, bottom = 440, 200, 10, 10, 30, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    bins = d.bins()
    tallest = max(c for _, _, c in bins) or 1
    step = plot_w / len(bins)
    base = top + plot_h
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{_e(d.chapter)}: chapter totals of {_e(_students(d.count))}">']
    if d.max_points > 0:     # drawn first: the bars hide it where they stand
        parts.append(_mean_marker(d, left + plot_w * min(1.0, d.mean / d.max_points), top, base,
                                  near_the_end=d.mean > 0.8 * d.max_points))
    for i, (low, high, count) in enumerate(bins):
        x = left + i * step
        h = plot_h * count / tallest
        last = i == len(bins) - 1
        span = f"{points_text(low)} to {points_text(high)}" + (" (included)" if last else "")
        parts.append(f'<g class="bin"><title>{_e(span)} points: {_e(_students(count))}</title>'
                     f'<rect class="bar" x="{x + 2:.1f}" y="{base - h:.1f}" width="{step - 4:.1f}" '
                     f'height="{h:.1f}"></rect>')
        if count:
            parts.append(f'<text class="count" x="{x + step / 2:.1f}" y="{base - h - 4:.1f}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append("</g>")
        parts.append(f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{_e(points_text(low))}</text>')
    parts.append(f'<text x="{left + plot_w:.1f}" y="{base + 14}" text-anchor="end">'
                 f"{_e(points_text(d.max_points))}</text>")
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"></line>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
                 "chapter total (points)</text>")
    parts.append("</svg>")
    return "".join(parts)


def _mean_marker(d: Distribution, x: float, top: float, base: float, near_the_end: bool) -> str:
    """A dashed line at the mean, labelled above the bars (to its left near the right edge)."""
    anchor, dx = ("end", -4) if near_the_end else ("start", 4)
    return (f'<line class="mean" x1="{x:.1f}" y1="{top - 13}" x2="{x:.1f}" y2="{base}"></line>'
            f'<text class="meanlabel" x="{x + dx:.1f}" y="{top - 16}" text-anchor="{anchor}">mean {d.mean:.1f}</text>')


def _html_losses(summary: ClassSummary) -> list[str]:
    out = ["<h2>Where points were lost</h2>"]
    ranked = summary.most_lost
    if not ranked:
        return out + ['<p class="none">Every student earned every point of every exercise.</p>']
    shown = ranked[:MAX_LOSSES_SHOWN]
    out.append(f'<p class="lead">The {len(shown)} exercise{"s" * (len(shown) != 1)} most students lost points on'
               + (f" (of {len(ranked)})" if len(ranked) > len(shown) else "")
               + ", with the known mistakes grading recognised in their code; "
               "points lost: the mean over every student graded on the exercise.</p>")
    out.append('<table id="losses"><thead><tr><th>exercise</th><th>students who lost points</th>'
               "<th>mean points lost</th>"
               '<th class="mistakes">known mistakes named</th></tr></thead><tbody>')
    for s in shown:
        share = s.lost_by / s.graded if s.graded else 0.0
        how = " · ".join(f"{_e(Outcome(o).text)}: {n}" for o, n in s.ended.most_common())
        out.append(f'<tr class="exercise"><td class="ex">{_html_exercise_id(s.exercise)}</td>'
                   f'<td class="who"><span class="track"><span class="fill" style="width:{100 * share:.0f}%">'
                   f'</span></span>{s.lost_by} of {s.graded}<div class="how">{how}</div></td>'
                   f'<td class="num">{s.mean_lost:.2f} of {_e(points_text(s.exercise.points))}</td>'
                   f"<td>{_html_mistakes(s)}</td></tr>")
    return out + ["</tbody></table>"]


def _html_exercise_id(exercise: Exercise) -> str:
    """`ch2.losses.` then the name in bold, breakable only after a dot."""
    prefix = exercise.id[:len(exercise.id) - len(exercise.name)]
    return f"<code>{_e(prefix)}<wbr><b>{_e(exercise.name)}</b></code>"


def _html_mistakes(s: ExerciseStats) -> str:
    if not s.mistakes:
        return '<span class="none">none named</span>'
    items = [f'<li>{_e(hint)} <span class="n">({_e(_students(n))})</span></li>'
             for hint, n in s.mistakes.most_common(MAX_MISTAKES_SHOWN)]
    more = len(s.mistakes) - MAX_MISTAKES_SHOWN
    if more > 0:
        items.append(f'<li class="none">and {more} more known mistake{"s" * (more != 1)}</li>')
    return '<ul class="mistakes">' + "".join(items) + "</ul>"


def write_summary_page(out: Path, summary: ClassSummary) -> Path:
    """OUT/summary.html, written atomically; returns its path."""
    path = Path(out) / SUMMARY_PAGE
    _write_atomic(path, render_page(summary))
    return path
