"""A chapter's notebook from its Markdown source: `solutions/chN/chN_notebook.md` -> `assignments/chN/chN.ipynb`.

The source is plain Markdown. Its text becomes markdown cells; each fenced block opened by a line
```` ```python ```` and closed by a line ```` ``` ```` becomes one code cell; a line `<!-- cell -->`
in the text starts a new markdown cell. Nothing else is special.

The notebook is nbformat 4.5 with no outputs, every execution count None and cell ids `cell-0`,
`cell-1`, ... by position, written as nbformat writes (one-space indent, sorted keys): the same
source always gives the same bytes, so the generated notebook is checked for drift like the stubs.

Its first code cell must be SETUP: it makes the student's modules importable and calls
`notebook_tools.setup()` (autograder/public_notebook_tools.py).
"""
from __future__ import annotations

import json

CODE_OPEN, CODE_CLOSE = "```python", "```"
CELL_BREAK = "<!-- cell -->"
SETUP = ('import sys; sys.path.insert(0, "..")   # the folder that holds ch1/, ch2/, ... and notebook_tools.py\n'
         "from notebook_tools import setup, public_tests\n"
         "setup()")
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


class BadNotebookSource(ValueError):
    """The Markdown source cannot become the notebook: the message names the file and what is wrong."""


def split_cells(markdown: str, where: str = "the notebook source") -> list[tuple[str, str]]:
    """(cell type, source) of each cell of `markdown`, in order. Blank lines around a cell's text
    are dropped; a markdown cell with no text is no cell, a code block always is one."""
    cells, kind, lines = [], "markdown", []

    def close():
        text = "\n".join(lines).strip("\n")
        if kind == "code" or text.strip():
            cells.append((kind, text))
        lines.clear()

    for number, line in enumerate(markdown.splitlines(), 1):
        if kind == "markdown" and line.rstrip() == CODE_OPEN:
            close()
            kind, opened = "code", number
        elif kind == "code" and line.rstrip() == CODE_CLOSE:
            close()
            kind = "markdown"
        elif kind == "markdown" and line.strip() == CELL_BREAK:
            close()
        else:
            lines.append(line)
    if kind == "code":
        raise BadNotebookSource(f"{where}: the code block opened on line {opened} is never closed by a line ```")
    close()
    return cells


def _lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: its lines, each but the last with its newline."""
    return text.splitlines(keepends=True)


def _cell(index: int, kind: str, text: str) -> dict:
    cell = {"cell_type": kind, "id": f"cell-{index}", "metadata": {}, "source": _lines(text)}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


def notebook_json(markdown: str, where: str = "the notebook source") -> str:
    """The notebook's file content for the Markdown source `markdown`; BadNotebookSource when its
    first code cell is not SETUP (or a code block is not closed)."""
    cells = split_cells(markdown, where)
    first_code = next((text for kind, text in cells if kind == "code"), None)
    if first_code != SETUP:
        raise BadNotebookSource(f"{where}: the first code cell must be exactly\n{SETUP}")
    notebook = {"cells": [_cell(index, kind, text) for index, (kind, text) in enumerate(cells)],
                "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
