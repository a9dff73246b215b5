"""The engine's house: the README's table of autograder/ names every module there is and no
other; every command has a module of its name; the code passes the kit's ruff configuration."""
import re
import shutil
import subprocess
import sys

import pytest

from autograder.layout import KIT


def engine_modules() -> set[str]:
    found = {p.name for p in KIT.engine.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    found |= {p.name for p in (KIT.engine / "sandbox").glob("*.py") if p.name != "__init__.py"}
    return found | {"sandbox/"}


def readme_engine_table() -> str:
    text = (KIT.root / "README.md").read_text()
    start = text.index("### The engine (`autograder/`)")
    return text[start:text.index("\n\n", text.index("| step | modules |", start))]


def test_the_readme_names_every_module_of_the_engine_and_no_other():
    named = set(re.findall(r"`([a-z_]+\.py|sandbox/)`", readme_engine_table()))
    assert named == engine_modules(), (f"in autograder/ but not in the README: {sorted(engine_modules() - named)}; "
                                       f"in the README but not in autograder/: {sorted(named - engine_modules())}")


def test_every_command_lives_in_a_module_of_its_name():
    from autograder.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    commands = re.findall(r"^    autograder ([a-z]+)", sys.modules["autograder.cli"].__doc__, re.M)
    assert len(commands) >= 7
    missing = [c for c in commands if not (KIT.engine / f"{c}.py").is_file()]
    assert not missing, f"commands without a module of their name: {missing}"


@pytest.mark.skipif(shutil.which("ruff") is None and not (KIT.root / ".venv" / "bin" / "ruff").exists(),
                    reason="ruff is not installed (pip install -e '.[test]' installs it)")
def test_the_code_passes_ruff():
    ruff = shutil.which("ruff") or str(KIT.root / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "--no-cache", "autograder", "tests", "kit_tests", "bench"],
                          cwd=KIT.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_no_stand_in_that_solves_an_exercise_lives_in_the_engine():
    """Sandboxed student code can read (and import) autograder/: the trusted stand-ins that probes
    put in place of sibling exercises must stay in tests/stand_ins.py, which a worker gets only as
    source inside its probes' namespace."""
    import ast

    stand_ins = {node.name for node in ast.parse(KIT.probe_stand_ins.read_text()).body
                 if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_")}
    assert stand_ins
    for path in KIT.engine.rglob("*.py"):
        defined = {node.name for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
        assert not stand_ins & defined, f"{path.relative_to(KIT.root)} defines {sorted(stand_ins & defined)}"
