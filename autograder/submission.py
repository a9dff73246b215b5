"""Find a submission's chapter modules and import them in isolation.

A submission is any folder with the `chN/<module>.py` layout (`assignments/`,
`solutions/`, or a student's work). Its modules are imported as the package
`chN` (so `from ch2.activations import relu` and `from .activations import relu`
both work), but only while a `ChapterModules.active()` block runs: several
submissions can then live in one process without seeing each other.
"""
from __future__ import annotations

import ast
import contextlib
import importlib.abc
import importlib.util
import sys
import types
from pathlib import Path

from autograder.config import chapter_modules
from autograder.layout import KIT, module_file
from autograder.outcomes import SubmissionImportError


class _ChapterFinder(importlib.abc.MetaPathFinder):
    def __init__(self, chapter: str, files: dict[str, Path]):
        self.chapter, self.files = chapter, files

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package != self.chapter or name not in self.files:
            return None
        return importlib.util.spec_from_file_location(fullname, self.files[name])


class ChapterModules:
    """The modules of one chapter, each taken from a chosen file."""

    def __init__(self, chapter: str, files: dict[str, Path]):
        self.chapter = chapter
        self.files = {name: Path(path) for name, path in files.items()}
        self._loaded: dict[str, types.ModuleType] = {}

    @contextlib.contextmanager
    def active(self):
        """Make `chN` and its loaded modules importable; restore sys.modules afterwards."""
        ours = lambda key: key == self.chapter or key.startswith(self.chapter + ".")
        saved = {key: mod for key, mod in sys.modules.items() if ours(key)}
        for key in saved:
            del sys.modules[key]
        package = types.ModuleType(self.chapter)
        package.__path__ = []
        sys.modules[self.chapter] = package
        for name, module in self._loaded.items():
            sys.modules[f"{self.chapter}.{name}"] = module
            setattr(package, name, module)
        finder = _ChapterFinder(self.chapter, self.files)
        sys.meta_path.insert(0, finder)
        try:
            yield self
        finally:
            sys.meta_path.remove(finder)
            for key in [key for key in sys.modules if ours(key)]:
                module = sys.modules.pop(key)
                name = key.partition(".")[2]
                if name in self.files and getattr(module, "__file__", None) == str(self.files[name]):
                    self._loaded[name] = module
            sys.modules.update(saved)

    def module(self, name: str) -> types.ModuleType:
        """Import `chN.<name>` (call inside `active()`); raise SubmissionImportError on failure."""
        if name in self._loaded:
            return self._loaded[name]
        path = self.files.get(name)
        if path is None or not path.is_file():
            raise SubmissionImportError(f"{self.chapter}/{name}.py is missing from the submission")
        try:
            module = importlib.import_module(f"{self.chapter}.{name}")
        except BaseException as exc:  # SyntaxError, SystemExit, KeyboardInterrupt from student code, ...
            sys.modules.pop(f"{self.chapter}.{name}", None)
            raise SubmissionImportError(
                f"{self.chapter}/{name}.py does not import: {type(exc).__name__}: {exc}"
            ) from exc
        self._loaded[name] = module
        return module


def reference_modules(chapter: str) -> dict[str, Path]:
    """The chapter's torch-backed references (tests/chN/reference/), by module name."""
    return {name: KIT.reference(chapter, name) for name in chapter_modules(chapter)}


def modules_for(submission: Path, chapter: str, module: str) -> ChapterModules:
    """The chapter as graded for `module`: the submission's file for it, trusted stand-ins
    for its siblings (autograder/siblings.py: a composite is graded in isolation, one bug
    costs points once, and no sibling gives an answer away)."""
    from autograder.siblings import stand_in_files

    files = dict(stand_in_files(chapter))
    files[module] = module_file(submission, chapter, module)
    return ChapterModules(chapter, files)


def imported_siblings(source: str, chapter: str) -> set[str]:
    """Modules of the chapter that `source` imports (`from ch2.activations import relu`,
    `from . import activations`, ...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(chapter + ".")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 0 and base == chapter or node.level == 1 and not base:
                found |= {a.name for a in node.names}
            elif node.level == 0 and base.startswith(chapter + "."):
                found.add(base.split(".")[1])
            elif node.level == 1:
                found.add(base.split(".")[0])
    return found


def needed_sources(modules: ChapterModules, module: str) -> dict[str, str]:
    """The sources `module` needs, by name: its own and every sibling it imports, directly or
    through another sibling (only these go into its sandboxed worker)."""
    sources: dict[str, str] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = modules.files.get(name)
        if name in sources or path is None or not path.is_file():
            continue
        sources[name] = path.read_text(errors="replace")
        todo += imported_siblings(sources[name], modules.chapter)
    return sources


def submission_modules(submission: Path, chapter: str) -> ChapterModules:
    """All of a chapter's modules from the submission itself (for its public tests)."""
    files = {name: module_file(submission, chapter, name) for name in chapter_modules(chapter)}
    return ChapterModules(chapter, files)
