# Generated from autograder/policy.py by `autograder generate`: do not edit.
"""The check that finds a forbidden name in your code, the same as at grading.

forbidden.toml, beside this file, lists what each exercise may not use; conftest.py runs this
check as one public test per exercise (`pytest chN -k forbidden`).
"""
from __future__ import annotations

import ast
from functools import lru_cache


def _alias_map(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name, from every import in the file."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


def _top_level_definitions(tree: ast.Module) -> dict[str, list[ast.AST]]:
    defs: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        defs.setdefault(node.id, []).append(stmt)
    return defs


def _reachable_nodes(tree: ast.Module, entry: str, references: dict) -> list[ast.AST]:
    """The definition of `entry` plus every top-level definition it uses, transitively,
    and module-level code that is not a definition (it runs at import)."""
    defs = _top_level_definitions(tree)
    seen, todo, nodes = set(), [entry], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in defs.get(name, []):
            nodes.append(node)
            todo.extend(n.id for n, _ in references[id(node)] if isinstance(n, ast.Name))
    defined = {id(n) for ns in defs.values() for n in ns}
    nodes += [s for s in tree.body if id(s) not in defined
              and not isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    return nodes


def _imports_binding(tree: ast.Module, name: str) -> list[tuple[ast.AST, str]]:
    """The top-level imports that bind `name`, with the dotted name each binds it to."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names if (a.asname or a.name.split(".")[0]) == name]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node, f"{node.module}.{a.name}") for a in node.names if (a.asname or a.name) == name]
    return found


def _is_forbidden(dotted: str, names: set[str]) -> bool:
    """Whether `dotted` is one of `names` or inside one (`torch.func.grad` is inside `torch.func`)."""
    parts = dotted.split(".")
    return any(".".join(parts[:k]) in names for k in range(1, len(parts) + 1))


@lru_cache(maxsize=64)
def _parsed(source: str) -> tuple[ast.Module, dict[str, str], dict[int, list]]:
    """The tree of `source`, its import aliases and, per top-level statement (by id), every name and
    attribute in it with its dotted name (None for `f(x).attr`): made once for all of a module's exercises."""
    tree = ast.parse(source)
    aliases = _alias_map(tree)
    references = {id(top): [(node, _dotted(node, aliases)) for node in ast.walk(top)
                            if isinstance(node, (ast.Attribute, ast.Name))] for top in tree.body}
    return tree, aliases, references


def forbidden_uses(source: str, entry: str, names) -> list[tuple[int, str, str]]:
    """(line, forbidden name, the code as written) for each use of `names` (already expanded)
    by `entry` (a top-level function or class) in `source`, in line order."""
    tree, aliases, references = _parsed(source)
    dotted_names = {name for name in names if not name.startswith(".")}
    attributes = {name[1:] for name in names if name.startswith(".")}
    found = [(node.lineno, dotted, dotted) for node, dotted in _imports_binding(tree, entry)   # `import X as entry`
             if _is_forbidden(dotted, dotted_names)]
    for top in _reachable_nodes(tree, entry, references):
        for node, dotted in references[id(top)]:
            if isinstance(node, ast.Attribute) and node.attr in attributes:
                found.append((node.lineno, "." + node.attr, ast.get_source_segment(source, node) or node.attr))
            elif dotted and _is_forbidden(dotted, dotted_names):
                found.append((node.lineno, dotted, ast.get_source_segment(source, node) or dotted))
    return sorted(set(found))


def violation_lines(uses) -> list[str]:
    """"line 12: torch.nn.functional.relu", once each, for the (line, name, written) of `forbidden_uses`."""
    return list(dict.fromkeys(f"line {line}: {name}" for line, name, _ in uses))


def static_violations(source: str, entry: str, names) -> list[str]:
    """"line 12: torch.nn.functional.relu" for each use of `names` (as listed in forbidden.toml) by `entry`."""
    return violation_lines(forbidden_uses(source, entry, names))
