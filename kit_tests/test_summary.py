"""OUT/summary.html, the class summary page: made from the gradebook alone, well-formed,
self-contained, and nothing from a submission becomes markup. The demo class's page is
checked in test_grade.py, on the class graded there once."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from autograder.class_summary import Distribution, render_page, summarize, write_summary_page
from autograder.config import chapter_exercises
from autograder.gradebook import Gradebook
from autograder.outcomes import Outcome
from autograder.score import ExerciseResult

CH2 = chapter_exercises("ch2")
VOID = {"meta", "br", "wbr", "img", "input", "link", "hr"}


# ------------------------------------------------------------ reading the page

@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str | None = None, cls: str | None = None):
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.attrs.get("class", "").split()):
                    yield child
                yield from child.find_all(tag, cls)

    def by_id(self, ident: str) -> Node | None:
        return next((n for n in self.find_all() if n.attrs.get("id") == ident), None)


class _Tree(HTMLParser):
    """A page as a tree; `errors` lists every end tag that does not close the open element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.attr_names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attr_names.update(name for name, _ in attrs)
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        if self.stack[-1].tag == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def read_page(text: str) -> _Tree:
    """summary.html parsed; fails the test unless every element is closed, in order."""
    tree = _Tree()
    tree.feed(text)
    tree.close()
    assert not tree.errors, tree.errors[:5]
    assert [n.tag for n in tree.stack] == ["#document"], "unclosed: " + ", ".join(n.tag for n in tree.stack[1:])
    return tree


def histogram(tree: _Tree, chapter: str) -> list[int]:
    """The students per bar of a chapter's histogram, read from each bar's tooltip."""
    section = tree.root.by_id(f"chapter-{chapter}")
    assert section is not None, f"no section for {chapter}"
    titles = [g.find_all("title").__next__().text() for g in section.find_all("g", "bin")]
    return [int(t.split(": ")[1].split()[0]) for t in titles]


def stats(tree: _Tree, chapter: str) -> dict[str, str]:
    """A chapter's numbers: {"students": "5", "mean": "88.4", ...}."""
    (box,) = tree.root.by_id(f"chapter-{chapter}").find_all("div", "stats")
    return dict(span.text().split() for span in box.find_all("span"))


def losses(tree: _Tree) -> list[list[str]]:
    """The rows of "where points were lost": [exercise, students who lost points, points, mistakes]."""
    table = tree.root.by_id("losses")
    return [[" ".join(td.text().split()) for td in tr.find_all("td")] for tr in table.find_all("tr", "exercise")]


def bins_of(totals: list[float], top: float = 100, n: int = 10) -> list[int]:
    """The histogram the page should draw, counted here independently."""
    counts = [0] * n
    for t in totals:
        counts[n - 1 if t >= top else int(t // (top / n))] += 1
    return counts


# ------------------------------------------------------------ a small gradebook

def result(ex, score=None, status=Outcome.PASSED, hint=""):
    score = ex.points if score is None else score
    return ExerciseResult(ex, score, status, 1, 0 if score == ex.points else 1, "", hint)


def record(book, student, lose: dict[int, tuple] | None = None, info=None):
    """A ch2 submission with every point but those of `lose` (exercise index -> (score, status, hint))."""
    lose = lose or {}
    book.record(student, student, [result(ex, *lose[i]) if i in lose else result(ex) for i, ex in enumerate(CH2)],
                info or {})


HINT = "relu_backward lets the gradient through at x == 0"


@pytest.fixture
def small_class(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, "ann")
        record(book, "ben", {1: (0.5, Outcome.PARTIAL, HINT), 2: (0.0, Outcome.FAILED, "")})
        record(book, "cat", {1: (0.0, Outcome.FAILED, HINT)})
        record(book, "dan", {1: (0.0, Outcome.POLICY, "")}, {"files": []})
        yield book


def test_the_page_counts_the_class(small_class):
    tree = read_page(render_page(summarize(small_class.rows(), ["ch2"])))
    totals = [sum(row.values()) for row in small_class.scores().values()]
    assert histogram(tree, "ch2") == bins_of(totals)
    assert stats(tree, "ch2")["students"] == "4" and stats(tree, "ch2")["max"] == "100"
    first, second = losses(tree)
    assert first[0] == CH2[1].id and first[1].startswith("3 of 4")       # the most students
    assert f"{HINT} (2 students)" in first[3]                              # named twice
    assert "policy violation: 1" in first[1]                               # and how the third ended
    assert second[0] == CH2[2].id and "none named" in second[3]


def test_a_class_that_lost_nothing_says_so(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, "ann")
        summary = summarize(book.rows(), ["ch2", "ch3"])
    tree = read_page(render_page(summary))
    assert tree.root.by_id("losses") is None
    text = " ".join(tree.root.text().split())
    assert "Every student earned every point" in text and "none failed to import" in text
    assert "No student was graded in this chapter" in tree.root.by_id("chapter-ch3").text()


def test_bars_hold_every_total_once_the_last_one_full_marks():
    d = Distribution("ch2", 100.0, [0.0, 9.99, 10.0, 55.5, 89.99, 90.0, 100.0])
    assert [c for _, _, c in d.bins()] == [2, 1, 0, 0, 0, 1, 0, 0, 1, 2]
    assert (d.count, d.median, round(d.mean, 2)) == (7, 55.5, 50.78)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "strong", "small", "b",
            "div", "ul", "li", "section", "svg", "g", "rect", "text", "line", "table", "thead", "tbody", "tr",
            "th", "td", "code", "span", "wbr", "footer"}
HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'&'


def test_nothing_from_the_gradebook_becomes_markup(tmp_path):
    """A student's name and a hint with HTML in them are shown as text, and the page loads nothing."""
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, HOSTILE, {0: (0.0, Outcome.IMPORT, ""), 1: (0.0, Outcome.FAILED, HOSTILE)}, {"files": ["x"]})
        page = write_summary_page(tmp_path, summarize(book.rows(), ["ch2"])).read_text()
    tags = _Tags()
    tags.feed(page)
    assert tags.tags <= OUR_TAGS and "onerror" not in tags.attrs and "src" not in tags.attrs
    escaped = "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&quot;&#x27;&amp;"
    assert page.count(escaped) >= 2                                  # the name, and the hint
    assert HOSTILE in read_page(page).root.text()                   # read back as the very text
    assert "default-src 'none'" in page and "http" not in page.replace('http-equiv="', "")
