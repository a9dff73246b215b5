"""Stubs from solutions: `solutions/chN/*.py` -> `assignments/chN/*.py`.

Public tests (`solutions/chN/test_*.py`) are copied as they are, and
`autograder/public_conftest.py` becomes `assignments/conftest.py` (and
`autograder/public_notebook_tools.py` becomes `assignments/notebook_tools.py`, what the
notebooks import). A chapter's notebook source `solutions/chN/chN_notebook.md` becomes its
notebook `assignments/chN/chN.ipynb` (notebooks.py). The demo class (`examples/submissions/`)
is the solutions' modules with each student's changes from `examples/demo_class.toml`.

Solution regions between `### BEGIN SOLUTION` and `### END SOLUTION` become
nbgrader's stub (`# YOUR CODE HERE` / `raise NotImplementedError()`), by
nbgrader's own ClearSolutions preprocessor; everything else (imports,
signatures, docstrings) is kept as written.

What an exercise may not use is written where the student reads, from grading.toml:
the stub's docstring of each exercise ends with its forbidden names ("Not allowed
here (scores 0): ..."; the names forbidden in every exercise head the file), and
`assignments/forbidden.toml` (every exercise's names, as grading expands them) with
`assignments/forbidden_names.py` (policy.py's static check, copied) let the public
tests fail at once on a forbidden use (public_conftest.py).

Generate never destroys work: `assignments/.generated.json` (`examples/.generated.json`
for the demo class) records the SHA-256 of every file as generate last wrote it. A file
whose content is neither that nor what generate would write now was edited by someone,
and is left alone (listed in `Generated.kept`) unless `force`. A missing file is just
written. The record is committed with the files (a fresh clone knows what was generated);
release leaves it out, and it would be harmless shipped: hashes of stubs and public tests.
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import json
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import load_exercises
from autograder.layout import KIT, Layout
from autograder.notebooks import notebook_json

HEADER = "# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.\n"
CONFTEST = "conftest.py"            # in assignments/: public_conftest.py
CHECKER = "forbidden_names.py"      # in assignments/, beside conftest.py (which runs it) and FORBIDDEN
FORBIDDEN = "forbidden.toml"
NOTEBOOK_TOOLS = "notebook_tools.py"   # in assignments/: public_notebook_tools.py, what the notebooks import
# What generate writes at the top of assignments/ (for the public tests, and the notebooks)
PUBLIC_TEST_SUPPORT = (CONFTEST, CHECKER, FORBIDDEN, NOTEBOOK_TOOLS)
RECORD = ".generated.json"          # in every folder generate writes: what it wrote last
WIDTH = 92                          # docstring paragraphs are wrapped to this many columns
SHORT_PREFIXES = (("torch.nn.functional.", "F."), ("torch.nn.", "nn."))   # as the docstrings write them


# ------------------------------------------------- what an exercise may not use, in the stub

def shown(name: str) -> str:
    """A forbidden name as a student writes it: `F.relu`, `nn.ReLU`, any `.backward`."""
    if name.startswith("."):
        return f"any `{name}`"
    for prefix, short in SHORT_PREFIXES:
        if name.startswith(prefix):
            return f"`{short}{name[len(prefix):]}`"
    return f"`{name}`"


def not_allowed(names, lead: str = "Not allowed here (scores 0):") -> str:
    """`lead` and the names as a student writes them; several attribute names as one group."""
    attributes = [name for name in names if name.startswith(".")]
    listed = [shown(name) for name in names if not name.startswith(".")]
    if len(attributes) > 1:
        listed.append("the attributes " + ", ".join(f"`{name}`" for name in attributes))
    elif attributes:
        listed.append(shown(attributes[0]))
    return f"{lead} {', '.join(listed)}."


def forbidden_everywhere(grading_toml: Path) -> list[str]:
    """The names grading.toml's [defaults] forbids in every exercise."""
    return list(tomllib.loads(grading_toml.read_text())["defaults"].get("forbidden", []))


def _definition(tree: ast.Module, name: str):
    """The function or class `name` (or `Class.method`) defined in `tree`, or None."""
    node, body = None, tree.body
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node


def _docstring(definition) -> ast.Constant | None:
    first = definition.body[0] if definition is not None and definition.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.value
    return None


def with_paragraphs(source: str, paragraphs: dict[str, str], where: str = "the solution") -> str:
    """`source` with each paragraph ending the docstring of the definition it is keyed by
    (`name` or `Class.method`), wrapped and indented like that docstring."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    ends = []
    for name, text in paragraphs.items():
        doc = _docstring(_definition(tree, name))
        if doc is None:
            raise ValueError(f"{where}: {name} needs a docstring (its stub's docstring says what it may not use)")
        ends.append((doc.end_lineno, doc.end_col_offset, doc.col_offset, text))
    for line_number, end, indent, text in sorted(ends, reverse=True):
        line = lines[line_number - 1].encode()           # ast's columns count bytes
        before, closing = line[:end - 3].decode(), line[end - 3:].decode()
        if not closing.startswith(('"""', "'''")):
            raise ValueError(f"{where}: the docstring ending on line {line_number} needs triple quotes")
        pad = " " * indent
        paragraph = textwrap.fill(text, WIDTH, initial_indent=pad, subsequent_indent=pad,
                                  break_long_words=False, break_on_hyphens=False)
        if before.strip():      # """One line."""  ->  """One line.\n\n    paragraph\n    """
            lines[line_number - 1] = f"{before}\n\n{paragraph}\n{pad}{closing}"
        else:                   # closing quotes on a line of their own
            lines[line_number - 1] = f"\n{paragraph}\n{pad}{closing}"
    return "".join(lines)


def forbidden_paragraphs(layout: Layout, chapter: str, module: str) -> dict[str, str]:
    """The "Not allowed here" paragraph of each exercise of a module that forbids more than
    every exercise does, by the exercise's name."""
    everywhere = set(forbidden_everywhere(layout.grading_toml))
    paragraphs = {}
    for exercise in load_exercises(layout.grading_toml).values():
        own = [name for name in exercise.forbidden if name not in everywhere]
        if (exercise.chapter, exercise.module) == (chapter, module) and own:
            paragraphs[exercise.name] = not_allowed(own)
    return paragraphs


def module_header(layout: Layout, chapter: str, module: str) -> str:
    """The stub's first lines: how it was made and, in a module of exercises, what none may use."""
    everywhere = forbidden_everywhere(layout.grading_toml)
    exercises = load_exercises(layout.grading_toml).values()
    if not everywhere or not any((ex.chapter, ex.module) == (chapter, module) for ex in exercises):
        return HEADER
    rule = not_allowed(everywhere, "Not allowed in any exercise (scores 0), besides what each docstring says:")
    return HEADER + textwrap.fill(rule.replace("`", ""), WIDTH, initial_indent="# ", subsequent_indent="#   ",
                                  break_long_words=False, break_on_hyphens=False) + "\n"


class NeedsNbgrader(Exception):
    """nbgrader (and its nbformat) cannot be imported here; the message says how to install it."""


def clear_solutions():
    """nbformat and nbgrader's ClearSolutions, which only course authors install."""
    try:
        import nbformat
        from nbgrader.preprocessors import ClearSolutions
    except ImportError as exc:
        raise NeedsNbgrader('needs nbgrader, which only course authors install: pip install -e ".[author]" '
                            f"({exc})") from None
    return nbformat, ClearSolutions


def stub_source(solution_source: str, paragraphs: dict[str, str] | None = None, header: str = HEADER,
                where: str = "the solution") -> str:
    """The stub of a solution module: its solution regions cleared (when it has any), the
    paragraphs ending their exercises' docstrings, `header` on top. NeedsNbgrader without nbgrader."""
    nbformat, ClearSolutions = clear_solutions()
    source = with_paragraphs(solution_source, paragraphs or {}, where)
    cell = nbformat.v4.new_code_cell(source)
    cleared, _ = ClearSolutions(enforce_metadata=False).preprocess_cell(
        cell, {"language": "python"}, 0)
    if cleared.source == source:
        return source
    return header + cleared.source


# ------------------------------------------------- the public tests' forbidden-name check

def checker_source() -> str:
    """assignments/forbidden_names.py: policy.py's static check, copied (it needs only the standard
    library), and `static_violations` for the names of forbidden.toml (as selfcheck.py calls it)."""
    from autograder import policy

    functions = "\n\n".join(inspect.getsource(function) for function in policy.SHIPPED_STATIC_CHECK)
    return (
        "# Generated from autograder/policy.py by `autograder generate`: do not edit.\n"
        '"""The check that finds a forbidden name in your code, the same as at grading.\n\n'
        f"{FORBIDDEN}, beside this file, lists what each exercise may not use; conftest.py runs this\n"
        "check as one public test per exercise (`pytest chN -k forbidden`).\n"
        '"""\n'
        "from __future__ import annotations\n\nimport ast\nfrom functools import lru_cache\n\n\n"
        f"{functions}\n\n"
        "def static_violations(source: str, entry: str, names) -> list[str]:\n"
        '    """"line 12: torch.nn.functional.relu" for each use of `names` (as listed in '
        f'{FORBIDDEN}) by `entry`."""\n'
        "    return violation_lines(forbidden_uses(source, entry, names))\n")


def forbidden_table(layout: Layout) -> str:
    """assignments/forbidden.toml: every exercise's forbidden names, expanded as grading expands them."""
    from autograder.policy import expand_names

    def array(names):
        items = textwrap.wrap(", ".join(json.dumps(name) for name in names), WIDTH, break_long_words=False,
                              break_on_hyphens=False, initial_indent="    ", subsequent_indent="    ")
        return "[\n" + "\n".join(items) + ",\n]" if items else "[]"

    rows = [f"{json.dumps(exercise.id)} = {array(expand_names(exercise.forbidden))}"
            for exercise in load_exercises(layout.grading_toml).values()]
    return ("# Generated from grading.toml by `autograder generate`: do not edit.\n"
            "# What each exercise may not use: using one scores 0 for that exercise. `torch.X` is also the\n"
            "# tensor method `x.X()`; a name starting with a dot is any attribute of that name.\n"
            "[forbidden]\n" + "\n".join(rows) + "\n")


# ------------------------------------------------- every generated file

def expected_stubs(layout: Layout = KIT) -> dict[Path, str]:
    """Every file generated under `layout.assignments` and the text it should hold."""
    assignments, solutions = layout.assignments, layout.solutions
    files = {assignments / CONFTEST: layout.public_conftest.read_text(),
             assignments / CHECKER: checker_source(),
             assignments / FORBIDDEN: forbidden_table(layout),
             assignments / NOTEBOOK_TOOLS: layout.notebook_tools.read_text()}
    for source in sorted(solutions.glob("ch*/*.py")):
        chapter, module = source.parent.name, source.stem
        files[assignments / chapter / source.name] = stub_source(
            source.read_text(), forbidden_paragraphs(layout, chapter, module),
            module_header(layout, chapter, module), where=str(source.relative_to(layout.root)))
    for data in sorted(solutions.glob("ch*/data/*")):
        files[assignments / data.relative_to(solutions)] = data.read_text()
    for chapter in layout.notebook_chapters():
        source = layout.notebook_source(chapter)
        files[layout.notebook(chapter)] = notebook_json(source.read_text(), str(source.relative_to(layout.root)))
    return files


def _edited(source: str, find: str, replace: str, what: str) -> str:
    if source.count(find) != 1:
        raise ValueError(f"{what}: {find!r} must occur exactly once in the solution")
    return source.replace(find, replace)


def expected_demo(layout: Layout = KIT) -> dict[Path, str]:
    """The demo class: per student (examples/demo_class.toml), every solution module with
    that student's mutants and edits applied; modules the student owns are left alone."""
    from autograder.mutants import all_mutants, mutant_source

    class_spec = tomllib.loads(layout.demo_class_toml.read_text())
    if not class_spec:
        return {}
    solutions, demo = layout.solutions, layout.demo_class
    graded = {f"{ex.chapter}/{ex.module}" for ex in load_exercises(layout.grading_toml).values()}
    modules = {str(p.relative_to(solutions).with_suffix("")): p.read_text()
               for p in sorted(solutions.glob("ch*/*.py"))
               if str(p.relative_to(solutions).with_suffix("")) in graded}
    mutants = {m.id: m for chapter in {m.split("/")[0] for m in modules} for m in all_mutants(chapter)}
    files = {}
    for student, spec in class_spec.items():
        sources = dict(modules)
        for mutant in map(mutants.__getitem__, spec.get("mutants", [])):
            sources[f"{mutant.chapter}/{mutant.module}"] = mutant_source(mutant)
        for edit in spec.get("edit", []):
            sources[edit["module"]] = _edited(sources[edit["module"]], edit["find"], edit["replace"],
                                              f"{student} {edit['module']}")
        for name, text in sources.items():
            if name not in spec.get("own", []):
                files[demo / student / f"{name}.py"] = text   # name: "chN/<module>"
    return files


def generated_folders(layout: Layout = KIT) -> dict[Path, dict[Path, str]]:
    """Each folder generate writes in (the one its record lies in), with its files and their texts.
    The demo class's record is beside the class (examples/), where no one takes it for a student."""
    return {layout.assignments: expected_stubs(layout), layout.demo_class.parent: expected_demo(layout)}


# ------------------------------------------------- what generate wrote last

def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Record:
    """`.generated.json` of a folder: the SHA-256 of each file as generate last wrote it."""

    NOTE = ("What `autograder generate` last wrote here (SHA-256 per file). It overwrites a file only "
            "while the file still holds that; `autograder generate --force` overwrites edits too.")

    def __init__(self, folder: Path, digests: dict[str, str] | None = None):
        self.folder, self.path = folder, folder / RECORD
        self.digests = dict(digests or {})

    @classmethod
    def load(cls, folder: Path) -> Record:
        """The folder's record; an empty one when there is none or it cannot be read (then
        every file that differs from what generate makes counts as edited)."""
        try:
            return cls(folder, json.loads((folder / RECORD).read_text())["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return cls(folder)

    @classmethod
    def of(cls, folder: Path, files: dict[Path, str]) -> Record:
        """The record of `files` as generate makes them."""
        record = cls(folder)
        for path, text in files.items():
            record.note(path, text)
        return record

    def key(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def holds(self, path: Path) -> bool:
        """Whether `path` is as generate last wrote it."""
        return self.digests.get(self.key(path)) == digest(path.read_bytes())

    def note(self, path: Path, text: str):
        self.digests[self.key(path)] = digest(text.encode())

    def text(self) -> str:
        return json.dumps({"note": self.NOTE, "files": dict(sorted(self.digests.items()))}, indent=1) + "\n"

    def save(self):
        if not _holds(self.path, self.text()):
            self.path.write_text(self.text())


# ------------------------------------------------- the command

def _holds(path: Path, text: str) -> bool:
    return path.is_file() and path.read_bytes() == text.encode()


@dataclass
class Generated:
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)     # edited since generated: left alone


def generate(layout: Layout = KIT, force: bool = False) -> Generated:
    """Write every generated file that is missing or out of date, except a file someone edited
    since generate last wrote it (unless `force`): those are kept as they are and listed."""
    done = Generated()
    for folder, files in generated_folders(layout).items():
        if not files:
            continue
        record = Record.load(folder)
        for path, text in files.items():
            if _holds(path, text):
                record.note(path, text)
            elif path.exists() and not force and not record.holds(path):
                done.kept.append(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                record.note(path, text)
                done.written.append(path)
        record.save()
    return done


def drift(layout: Layout = KIT) -> dict[Path, str]:
    """Each generated file (or record of them) that is missing or differs from what generate makes:
    "out of date", or "edited since generated" when it is not what generate last wrote either
    (generate leaves those alone)."""
    found = {}
    for folder, files in generated_folders(layout).items():
        if not files:
            continue
        record, expected_record = Record.load(folder), Record.of(folder, files)
        for path, text in (files | {expected_record.path: expected_record.text()}).items():
            if not _holds(path, text):
                edited = path.exists() and path != record.path and not record.holds(path)
                found[path] = "edited since generated" if edited else "out of date"
    return found


def stale_stubs(layout: Layout = KIT) -> list[Path]:
    """Generated files (and records of them) that are missing or differ from what the generator makes."""
    return list(drift(layout))


def relative(path: Path) -> str:
    """`path` as the user would type it: relative to the working directory when it is inside it."""
    from autograder.public_conftest import shown_path

    return shown_path(path)


def kept_message(kept: list[Path]) -> str:
    """What `autograder generate` says of the files it left alone, and how to keep or discard the edits."""
    files = "\n".join(f"    {relative(path)}" for path in kept)
    first = relative(kept[0])
    return (f"autograder generate: left {len(kept)} file(s) as they are: edited since generate wrote them, "
            f"and writing them again would overwrite the edits:\n{files}\n"
            f"To keep your edits and get the new file too: move yours aside (e.g. `mv {first} {first}.mine`), "
            "run `autograder generate` again, then copy your code back into it.\n"
            "To discard your edits: `autograder generate --force`.")
