"""`autograder new chN.<module>.<name>`: every file a new exercise needs, with placeholders.

    solutions/chN/<module>.py              the function, a docstring skeleton, BEGIN/END SOLUTION
    solutions/chN/test_<module>.py         a public test
    tests/chN/reference/<module>.py        the torch-backed reference
    tests/chN/test_<module>.py             the hidden suite: one probe, one test over device x dtype
    tests/chN/mutants/<module>.toml        three placeholder mutants
    kit_tests/alternatives/chN/<module>.py a differently written correct solution
    grading.toml                           the exercise's stanza (points, forbidden names)
    (solutions/chN/__init__.py for a new chapter)

A file that exists gets the exercise appended; nothing already written is ever replaced, and
nothing is written at all when the exercise (or one of the names it would add) already exists.
Every spot the author still has to write is marked `TODO(author)`; `placeholders()` lists the
ones left, and kit_tests/test_new.py fails while the kit holds any.

Placeholders cannot pass by accident: the solution, reference and alternative raise
NotImplementedError until written (solutions do not score 100, alternatives fail), and each
placeholder mutant replaces a line by itself, so `autograder mutants` reports it ESCAPED until it
is made a real mistake.

Points: every chapter sums to 100 (kit_tests/test_chapters.py). The first exercise of a new
chapter gets all 100, so a one-exercise chapter passes the kit's rules as soon as its files are
written. An exercise added to a chapter that has points gets 1 point and a TODO: the chapter then
sums to 101 and the sum check fails until the author takes the point from elsewhere (a silent 0
would ship an exercise worth nothing; silently taking a point from another exercise is a grading
decision the tool should not make).
"""
from __future__ import annotations

import ast
import json
import keyword
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from autograder.layout import KIT, Layout

MARKER = "TODO(author)"
NEW_CHAPTER_POINTS = 100
ADDED_EXERCISE_POINTS = 1
RESERVED_MODULES = {"__init__", "conftest", "reference", "mutants"}


class CannotScaffold(ValueError):
    """The exercise id is malformed, or the exercise (or a name it needs) exists already."""


@dataclass(frozen=True)
class ExerciseId:
    chapter: str     # "ch9"
    module: str      # "demo"
    name: str        # "double"

    def __str__(self) -> str:
        return f"{self.chapter}.{self.module}.{self.name}"

    @property
    def number(self) -> int:
        return int(self.chapter[2:])


def parse_id(exercise_id: str) -> ExerciseId:
    match = re.fullmatch(r"(ch[0-9]+)\.([^.]+)\.([^.]+)", exercise_id)
    if not match:
        raise CannotScaffold(f"{exercise_id!r}: an exercise id is chN.<module>.<name>, e.g. ch9.demo.double")
    chapter, module, name = match.groups()
    for what, word in (("module", module), ("name", name)):
        if not (word.isascii() and word.isidentifier()) or keyword.iskeyword(word):
            raise CannotScaffold(f"{exercise_id!r}: the {what} {word!r} is not a Python identifier")
    if module in RESERVED_MODULES or module.startswith("test"):
        raise CannotScaffold(f"{exercise_id!r}: {module!r} cannot be a module name "
                             "(test_*.py are public tests; the others are the kit's own)")
    if name.startswith("_"):
        raise CannotScaffold(f"{exercise_id!r}: an exercise is public API; its name cannot start with '_'")
    return ExerciseId(chapter, module, name)


# ------------------------------------------------------------------ templates

def _toml_str(text: str) -> str:
    return json.dumps(text)     # a JSON string is a valid TOML basic string for this text


SOLUTION_HEAD = '''\
"""$marker: what $chapter/$module.py asks the student to build, and the rules its exercises share
(shapes, float32 and float64 on any device, inputs never modified).
"""
import torch
'''

SOLUTION = '''

def $name(x):
    """$marker: one line saying what `$name` computes (like `torch.<counterpart>`, if it has one).

    $marker: the student's whole specification: the arguments and their shapes (e.g. `x[N, D]`),
    what is returned (shape, dtype, device), every convention a reasonable implementation could get
    wrong (ties, reductions, edge cases), and that new tensors follow the input's device and dtype.
    """
    ### BEGIN SOLUTION
    raise NotImplementedError("$marker: the reference solution of $exercise")
    ### END SOLUTION
'''

PUBLIC_HEAD = '''\
"""Public tests for $chapter/$module.py: run `pytest assignments/$chapter`.

Quick checks of values you can work out by hand. The hidden tests go further.
"""
import torch

from $chapter import $module
'''

PUBLIC = '''

def test_$name():
    x = torch.tensor([[-2.0, 0.0, 0.5], [1.0, 3.0, -1.5]])
    out = $alias.$name(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    # $marker: values a student can work out by hand, e.g.
    # torch.testing.assert_close(out, torch.tensor([[...], [...]]))
'''

REFERENCE_HEAD = '''\
"""Torch-backed reference for $chapter/$module.py: $marker name the source (torch's functions,
autograd, a closed form in float64)."""
import torch
'''

REFERENCE = '''

def $name(x):
    # $marker: torch's counterpart (or replace this def by `$name = torch.<counterpart>`), else an
    # independent implementation cross-checked against a second source.
    raise NotImplementedError("$marker: the torch-backed reference of $exercise")
'''

SUITE_HEAD = '''\
"""Hidden suite for $chapter/$module.py: $marker what it checks, against what, and why its inputs
catch the likely mistakes (docs/authoring.md)."""
import pytest
import torch

from autograder.compare import expect_close, expect_equal
'''

SUITE = '''

# ------------------------------------------------------------------ $name

def call_$name(impl, x):
    """Probe: runs beside the code under test, so it uses only its arguments, torch, F and math, and
    returns plain data: the result, and `x` after the call (an exercise must not modify its input)."""
    out = impl.$name(x)
    return {"out": out, "x_after": x}


@pytest.mark.exercise("$exercise")
# $marker: shapes and values that catch the likely mistakes (not square, extremes, kinks)
@pytest.mark.parametrize("shape", [(2, 3, 5), (7,)], ids=str)
def test_${name}_matches_the_reference(student, reference, shape, device, dtype):
    g = torch.Generator().manual_seed(0)   # seeded: the same inputs on every machine and every run
    x = torch.randn(shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    got = student.run(call_$name, x)
    want = reference.run(call_$name, x)
    what = f"$name(x{shape}) on {device} {dtype}"
    expect_close(got["out"], want["out"], what=what)
    expect_equal(got["x_after"], x, what=f"{what}: x after the call (must not change)")
'''

MUTANTS_HEAD = '''\
# Known mistakes in $chapter/$module.py (docs/authoring.md: how to write a mutant and its hint).
'''

MUTANTS_INTRO = '''
# $marker: three realistic mistakes in $exercise, each with a hint a student can act on.
# The placeholders below replace a line by itself, so `autograder mutants` reports them ESCAPED
# until each `find`/`replace` is a real mistake. Then delete this comment.
'''

MUTANT = '''
[[mutant]]
id = $id
exercise = $exercise_str
hint = $hint
find = $find
replace = $find
'''

ALTERNATIVE_HEAD = '''\
"""A differently written correct $chapter/$module.py (kit_tests/test_chapters.py gives it full marks)."""
import torch
'''

ALTERNATIVE = '''

def $name(x):
    # $marker: correct, but written otherwise than the solution (loops, float64 inside, another
    # exact formula), so the hidden suite is shown not to demand one particular way.
    raise NotImplementedError("$marker: an alternative solution of $exercise")
'''

INIT = '''\
"""Chapter $number: $marker its title."""
'''


# ------------------------------------------------------------------ grading.toml

def _exercise_points(data: dict, prefix: str = "") -> dict[str, float]:
    """{exercise id: points} of a parsed grading.toml (a table with `points` is an exercise)."""
    found = {}
    for key, value in data.items():
        if isinstance(value, dict) and key not in ("defaults", "forbidden_sets"):
            path = f"{prefix}.{key}" if prefix else key
            if "points" in value:
                found[path] = float(value["points"])
            else:
                found.update(_exercise_points(value, path))
    return found


_HEADER = re.compile(r"^\[([A-Za-z0-9_.]+)\]")


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _block_end(lines: list[str], start: int, stop: int) -> int:
    """Where a table's own lines (lines[start:stop], up to the next header or the end) end: before
    the blank lines that follow it and the comment lines heading the next table (`# losses: 26`)."""
    end = stop
    if stop < len(lines):
        while end > start and _is_comment(lines[end - 1]):
            end -= 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def _comment_start(lines: list[str], header: int) -> int:
    """Index of the first of the comment lines right above line `header` (its heading)."""
    start = header
    while start > 0 and _is_comment(lines[start - 1]):
        start -= 1
    return start


def grading_stanza(text: str, ex: ExerciseId) -> tuple[str, float, str]:
    """grading.toml's text with the exercise's stanza inserted (comments kept): after the last
    stanza of its module, else of its chapter, else as a new chapter in chapter order. Returns
    (new text, the exercise's points, a note about the chapter's sum)."""
    points = _exercise_points(tomllib.loads(text))
    if str(ex) in points:
        raise CannotScaffold(f"{ex} is in grading.toml already")
    chapter_sum = sum(p for i, p in points.items() if i.split(".")[0] == ex.chapter)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    headers = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _HEADER.match(line))]

    def block_end(k: int) -> int:       # the end of the k-th table's own lines
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(lines)
        return _block_end(lines, headers[k][0] + 1, stop)

    in_module = [k for k, (_, t) in enumerate(headers) if t.startswith(f"{ex.chapter}.{ex.module}.")]
    in_chapter = [k for k, (_, t) in enumerate(headers) if t.startswith(f"{ex.chapter}.")]
    if chapter_sum:
        exercise_points = ADDED_EXERCISE_POINTS
        new_sum = chapter_sum + exercise_points
        note = (f"{ex.chapter} now sums to {new_sum:g}: take {new_sum - 100:g} point(s) from its other "
                f"exercises so that it sums to 100 again")
        points_line = f"points = {exercise_points}   # {MARKER}: {note} (and update the '# <module>: N' comments)\n"
    else:
        exercise_points = NEW_CHAPTER_POINTS
        note = f"{ex.chapter} is a new chapter: its one exercise has all {exercise_points} points"
        points_line = f"points = {exercise_points}   # a chapter sums to 100; rebalance when you add an exercise\n"
    stanza = [f"[{ex}]\n", points_line,
              f"# {MARKER}: forbid its torch counterpart(s) (see the top of this file), or delete these two lines:\n",
              '# forbidden = ["torch.<counterpart>", "torch.nn.functional.<counterpart>"]\n']
    if in_module:
        at, block = block_end(in_module[-1]), ["\n", *stanza]
    elif in_chapter:
        at, block = block_end(in_chapter[-1]), ["\n", f"# {ex.module}: {exercise_points}\n", *stanza]
    else:
        later = [i for i, t in headers if re.match(r"ch(\d+)\.", t) and int(t[2:].split(".")[0]) > ex.number]
        heading = [f"# {'-' * 66} Chapter {ex.number}\n", f"# {ex.module}: {exercise_points}\n", *stanza]
        if later:
            at, block = _comment_start(lines, later[0]), [*heading, "\n"]
        else:
            at, block = len(lines), ["\n", *heading]
    new_text = "".join(lines[:at] + block + lines[at:])
    if _exercise_points(tomllib.loads(new_text)).get(str(ex)) != exercise_points:
        raise CannotScaffold(f"could not add {ex} to grading.toml")   # never write a broken file
    return new_text, exercise_points, note


# ------------------------------------------------------------------ scaffolding

def _top_level_names(source: str, path: Path) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CannotScaffold(f"{path} does not parse (line {exc.lineno}): fix it first") from None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _module_alias(source: str, ex: ExerciseId) -> str | None:
    """The name an existing public test binds `chN.<module>` to (`from ch2 import activations as act`)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None      # reported by _top_level_names
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module == ex.chapter and node.level == 0:
            for a in node.names:
                if a.name == ex.module:
                    return a.asname or a.name
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == f"{ex.chapter}.{ex.module}" and a.asname:
                    return a.asname
    return None


# Imports an appended block needs, by the name it uses.
_IMPORTS = {"torch": "import torch", "pytest": "import pytest",
            "expect_close": "from autograder.compare import expect_close",
            "expect_equal": "from autograder.compare import expect_equal"}


def _with_imports(source: str, imports: list[str]) -> str:
    """`source` with `imports` (lines) inserted after its leading imports (after the docstring
    when it has none): everything already there is kept as it is."""
    if not imports:
        return source
    body = ast.parse(source).body
    at = 0
    for k, node in enumerate(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                k == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            at = node.end_lineno
        else:
            break
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:at] + [f"{line}\n" for line in imports] + lines[at:])


def _planned(layout: Layout, ex: ExerciseId) -> list[tuple[Path, str, str | None]]:
    """(path, its new text, its text now or None for a new file) for every file; nothing written."""
    values = {"marker": MARKER, "chapter": ex.chapter, "module": ex.module, "name": ex.name,
              "exercise": str(ex), "number": str(ex.number), "alias": ex.module}
    fill = lambda template, **more: Template(template).substitute(values, **more)
    plan = []

    def add(path: Path, head: str, body: str, clashes: list[str], needed: list[str] = (), extra: str = ""):
        """Plan `path`'s new text: head + body, or (when it exists) the file as it is, with the
        imports `body` needs and lacks added to its imports, and `body` at the end."""
        if path.exists():
            source = path.read_text()
            names = _top_level_names(source, path)
            clash = [n for n in clashes if n in names]
            if clash:
                raise CannotScaffold(f"{path.relative_to(layout.root)} defines {', '.join(clash)} already")
            imports = [_IMPORTS[n] for n in needed if n not in names] + ([extra] if extra else [])
            plan.append((path, _with_imports(source, imports) + body, source))
        else:   # one blank line between the imports and a comment (isort's rule), two before a def
            plan.append((path, head + (body[1:] if body.startswith("\n\n#") else body), None))

    init = layout.solutions / ex.chapter / "__init__.py"
    if not init.exists():
        plan.append((init, fill(INIT), None))
    add(layout.solution(ex.chapter, ex.module), fill(SOLUTION_HEAD), fill(SOLUTION), [ex.name])

    public = layout.public_test_source(ex.chapter, ex.module)
    alias = _module_alias(public.read_text(), ex) if public.exists() else ex.module
    add(public, fill(PUBLIC_HEAD), fill(PUBLIC, alias=alias or ex.module), [f"test_{ex.name}"], ["torch"],
        extra="" if alias else f"from {ex.chapter} import {ex.module}")
    add(layout.reference(ex.chapter, ex.module), fill(REFERENCE_HEAD), fill(REFERENCE), [ex.name])
    add(layout.hidden_suite(ex.chapter, ex.module), fill(SUITE_HEAD), fill(SUITE),
        [f"call_{ex.name}", f"test_{ex.name}_matches_the_reference"],
        ["pytest", "torch", "expect_close", "expect_equal"])

    mutants_path = layout.mutants(ex.chapter, ex.module)
    ids = [f"{ex.name}_mistake_{k}" for k in (1, 2, 3)]
    taken = {entry.get("id") for path in layout.mutant_catalogues(ex.chapter)
             for entry in tomllib.loads(path.read_text()).get("mutant", [])}
    if set(ids) & taken:
        raise CannotScaffold(f"mutant ids {sorted(set(ids) & taken)} exist in {ex.chapter} already")
    mutants = fill(MUTANTS_INTRO) + "".join(
        fill(MUTANT, id=_toml_str(i), exercise_str=_toml_str(str(ex)), find=_toml_str(f"def {ex.name}(x):"),
             hint=_toml_str(f"{MARKER}: one line a student can act on: what the code does wrong and how to fix it."))
        for i in ids)
    if mutants_path.exists():
        source = mutants_path.read_text()
        plan.append((mutants_path, source + ("\n" if source and not source.endswith("\n") else "") + mutants,
                     source))
    else:
        plan.append((mutants_path, fill(MUTANTS_HEAD) + mutants, None))
    add(layout.alternative(ex.chapter, ex.module), fill(ALTERNATIVE_HEAD), fill(ALTERNATIVE), [ex.name])
    return plan


def _refuse_a_module_named_like_the_data_folder(ex: ExerciseId, layout: Layout) -> None:
    """`chN/data.py` is a fine module (ch1 has one) unless the chapter ships data files in `chN/data/`:
    the two would share one import name."""
    if ex.module == "data" and (layout.solutions / ex.chapter / "data").is_dir():
        raise CannotScaffold(f"{ex}: {ex.chapter} ships data files in solutions/{ex.chapter}/data/, "
                             "so its modules cannot be named 'data'")


def scaffold(exercise_id: str, layout: Layout = KIT) -> list[Path]:
    """Create (or append to) every file the exercise needs; return them in the order an author
    fills them in, grading.toml last. Raises CannotScaffold, having written nothing, when the
    id is malformed or the exercise or one of the names it adds exists already."""
    paths, _ = _scaffold(exercise_id, layout)
    return paths


def _scaffold(exercise_id: str, layout: Layout) -> tuple[list[Path], dict]:
    ex = parse_id(exercise_id)
    _refuse_a_module_named_like_the_data_folder(ex, layout)
    grading_text, points, note = grading_stanza(layout.grading_toml.read_text(), ex)
    plan = _planned(layout, ex)
    for path, text, before in plan:
        if before is not None and not _kept(before, text):    # cannot happen: a last safeguard
            raise CannotScaffold(f"{path}: would change what is there")
    for path, text, before in plan:       # everything checked: now write
        if before is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x") as f:      # never replaces a file
                f.write(text)
        else:
            path.write_text(text)
    layout.grading_toml.write_text(grading_text)
    info = {"ex": ex, "points": points, "note": note,
            "how": {path: "created" if before is None else "appended to" for path, _, before in plan}
            | {layout.grading_toml: "appended to"}}
    return [path for path, _, _ in plan] + [layout.grading_toml], info


def _kept(before: str, after: str) -> bool:
    """Is every line of `before` in `after`, in order (lines were only inserted)?"""
    remaining = iter(after.splitlines())
    return all(any(line == other for other in remaining) for line in before.splitlines())


def next_steps(exercise_id: str, layout: Layout = KIT, note: str = "") -> str:
    """The numbered checklist of what the author writes next."""
    ex = parse_id(exercise_id)
    rel = lambda p: p.relative_to(layout.root).as_posix()
    c, m = ex.chapter, ex.module
    steps = [
        f"{rel(layout.solution(c, m))}: the docstring (the student's whole specification) and the "
        "solution between ### BEGIN SOLUTION and ### END SOLUTION; change the signature if `(x)` is not it.",
        f"{rel(layout.reference(c, m))}: the torch-backed reference (torch's own function, or an "
        "independent implementation checked against a second source).",
        f"{rel(layout.hidden_suite(c, m))}: the probe and inputs that catch the likely mistakes "
        "(shapes that are not square, extreme values, random upstream gradients); a probe is "
        "self-contained and returns plain data.",
        f"{rel(layout.public_test_source(c, m))}: values a student can work out by hand.",
        f"{rel(layout.alternative(c, m))}: a differently written correct solution (it must get full marks).",
        f"{rel(layout.mutants(c, m))}: three realistic mistakes, each a `find`/`replace` of the "
        "solution and a one-line hint (the placeholders report ESCAPED until then).",
        f"grading.toml: the forbidden names; points: {note or 'each chapter sums to 100'}.",
        "autograder generate   (writes assignments/ and the demo class from solutions/)",
        f"autograder check {c} --submission solutions   (100)   and   --submission assignments   (0)",
        f"autograder mutants {c} --module {m}   (every mutant caught and named)",
        f'pytest kit_tests/test_chapters.py -k "{c} or sums_to_100"   and   pytest kit_tests/test_new.py   '
        f"(no {MARKER} left anywhere)",
    ]
    width = len(str(len(steps)))
    body = "\n".join(f"{k:>{width}}. {step}" for k, step in enumerate(steps, 1))
    return (f"Next, for {ex} (every spot to write is marked {MARKER}; docs/authoring.md has the "
            f"details):\n{body}")


def placeholders(layout: Layout = KIT) -> list[str]:
    """`path:line: text` of every scaffold placeholder (TODO(author)) left in the kit's sources."""
    files = [layout.grading_toml]
    for folder in (layout.solutions, layout.hidden_tests, layout.alternatives):
        files += sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".toml") and p.is_file())
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if MARKER in line:
                found.append(f"{path.relative_to(layout.root).as_posix()}:{number}: {line.strip()}")
    return found


# ------------------------------------------------------------------ the command

def cmd_new(args, layout: Layout = KIT) -> int:
    try:
        paths, info = _scaffold(args.exercise, layout)
    except CannotScaffold as exc:
        print(f"autograder new: {exc}; nothing written", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{info['how'][path]:<12} {path.relative_to(layout.root).as_posix()}")
    print()
    print(next_steps(args.exercise, layout, info["note"]))
    return 0
