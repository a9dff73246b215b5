"""Forbidden shortcuts are caught by reading the code and while it runs."""
import pytest
import torch
import torch.nn.functional as F

from autograder.policy import PolicyViolation, RuntimeGuard, static_violations

RELU = ["torch.relu", "torch.nn.functional.relu", "torch.nn.ReLU"]
AUTOGRAD = ["torch.autograd.grad", "torch.autograd.backward", "torch.func", ".backward"]


@pytest.mark.parametrize("source", [
    "import torch\ndef relu(x):\n    return torch.relu(x)\n",
    "import torch.nn.functional as F\ndef relu(x):\n    return F.relu(x)\n",
    "from torch.nn.functional import relu as r\ndef relu(x):\n    return r(x)\n",
    "from torch import nn\ndef relu(x):\n    return nn.ReLU()(x)\n",
    "import torch\ndef relu(x):\n    return x.relu()\n".replace("x.relu()", "torch.Tensor.relu(x)"),
    "import torch\ndef _helper(x):\n    return torch.relu_(x)\ndef relu(x):\n    return _helper(x.clone())\n",
    "import torch\nrelu = torch.relu\n",
])
def test_static_check_finds_forbidden_names_through_aliases_and_helpers(source):
    assert static_violations(source, "relu", RELU)


def test_static_check_finds_method_names_and_ignores_other_exercises():
    source = ("import torch\n"
              "def relu_backward(g, x):\n    y = x.relu()\n    y.backward(g)\n    return x.grad\n"
              "def sigmoid(x):\n    return torch.relu(x)\n")
    assert static_violations(source, "relu_backward", AUTOGRAD) == ["line 4: .backward"]
    assert static_violations(source, "relu_backward", RELU) == []   # torch.relu is only in sigmoid


def test_static_check_allows_unrelated_torch():
    source = "import torch\ndef mlp(x):\n    with torch.no_grad():\n        return torch.clamp(x, min=0)\n"
    assert static_violations(source, "mlp", AUTOGRAD + RELU) == []


def _run_guarded(fn, forbidden, *args):
    guard = RuntimeGuard("ch0.test.fn", forbidden)
    with guard:
        try:
            fn(*args)
        except PolicyViolation:
            pass
    return guard


@pytest.mark.parametrize("sneaky", [
    lambda x: getattr(torch, "re" + "lu")(x),
    lambda x: getattr(F, "relu")(x),
    lambda x: torch.nn.ReLU()(x),
    lambda x: x.relu(),
    lambda x: getattr(x, "relu")(),
])
def test_runtime_guard_catches_indirect_calls(sneaky):
    guard = _run_guarded(sneaky, RELU, torch.randn(3))
    with pytest.raises(PolicyViolation, match="forbidden"):
        guard.check()


def test_runtime_guard_catches_autograd_even_when_the_error_is_swallowed():
    def sneaky(x):
        x = x.clone().requires_grad_()
        try:
            (x * x).sum().backward()
        except Exception:
            pass
        return torch.autograd.grad((x * x).sum(), x)

    with pytest.raises(PolicyViolation):
        _run_guarded(sneaky, AUTOGRAD, torch.randn(3)).check()


def test_runtime_guard_lets_other_code_through():
    def honest(x):
        with torch.no_grad():
            return torch.where(x > 0, x, torch.zeros_like(x)).clamp(max=10).sum()

    _run_guarded(honest, RELU + AUTOGRAD, torch.randn(3)).check()


def test_check_scores_a_forbidden_shortcut_zero_with_the_reason(tmp_path):
    from autograder.layout import KIT
    from autograder.settings import RunSettings
    from autograder.suites import run_hidden

    source = (KIT.solutions / "ch2" / "activations.py").read_text()
    cheat = source.replace("return torch.where(x > 0, x, torch.zeros_like(x))",
                           "return getattr(torch.nn.functional, 'relu')(x)")
    assert cheat != source
    (tmp_path / "ch2").mkdir()
    (tmp_path / "ch2" / "activations.py").write_text(cheat)
    outcomes = run_hidden("ch2", RunSettings(submission=tmp_path, exercise="ch2.activations.relu"))
    failed = [o for o in outcomes if o.outcome.failed]
    assert failed and all(o.outcome == "policy" for o in failed)
    assert "torch.nn.functional.relu" in failed[0].message


def test_runtime_guard_catches_aten_overloads():
    x = torch.randn(3)
    for call in (lambda: torch.ops.aten.relu(x), lambda: torch.ops.aten.relu.default(x)):
        with pytest.raises(PolicyViolation):
            _run_guarded(lambda _: call(), ["torch.ops.aten.relu"], x).check()


def test_switching_the_guard_off_is_itself_a_violation():
    import sys

    from autograder.config import load_exercises

    forbidden = load_exercises()["ch2.activations.relu"].forbidden

    def tamper(x):
        getattr(sys, "set" + "profile")(None)
        return F.relu(x)

    with pytest.raises(PolicyViolation, match="setprofile"):
        _run_guarded(tamper, forbidden, torch.randn(3)).check()
    _run_guarded(lambda x: x * 2, forbidden, torch.randn(3)).check()   # and the guard's own exit is fine


# ------------------------------------------- the public tests' check agrees with grading's

def shipped_checker():
    """assignments/forbidden_names.py and the table of assignments/forbidden.toml, as a student has them."""
    import importlib.util
    import tomllib

    from autograder.layout import KIT

    spec = importlib.util.spec_from_file_location("shipped_forbidden_names", KIT.assignments / "forbidden_names.py")
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return checker, tomllib.loads((KIT.assignments / "forbidden.toml").read_text())["forbidden"]


def uses_of(name: str, entry: str) -> list[str]:
    """Tiny modules in which `entry` uses the forbidden `name`: spelled out, and imported under an alias."""
    if name.startswith("."):
        return [f"def {entry}(x):\n    return x{name}\n"]
    top, _, rest = name.partition(".")
    sources = [f"import {top}\n\n\ndef {entry}(x):\n    return {name}(x)\n"]
    if rest:
        parent, last = name.rsplit(".", 1)
        sources.append(f"from {parent} import {last} as shortcut\n\n\ndef {entry}(x):\n    return shortcut(x)\n")
    return sources


def test_the_public_tests_flag_every_forbidden_name_as_grading_does():
    """For every exercise and every name it forbids (as grading expands them), a tiny module using
    it is flagged by grading's static check and by the copy the students' public tests run, alike."""
    from autograder.config import load_exercises
    from autograder.policy import expand_names

    checker, table = shipped_checker()
    exercises = load_exercises()
    assert set(table) == set(exercises)
    for exercise in exercises.values():
        names = table[exercise.id]
        assert names == expand_names(exercise.forbidden), exercise.id
        entry = exercise.name.split(".")[0]
        for name in names:
            for source in uses_of(name, entry):
                graded = static_violations(source, entry, exercise.forbidden)
                assert graded, (exercise.id, source)
                assert checker.static_violations(source, entry, names) == graded, (exercise.id, source)


def test_the_shipped_check_needs_only_the_standard_library():
    """The students' copy runs without the kit: it imports nothing but the standard library (and the
    conftest that runs it, pytest and torch: both are in the students' requirements)."""
    import ast
    import sys

    from autograder.layout import KIT

    for path, allowed in ((KIT.assignments / "forbidden_names.py", set()),
                          (KIT.assignments / "conftest.py", {"pytest", "torch"})):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
        assert imported - set(sys.stdlib_module_names) <= allowed | {"__future__"}, (path, imported)


def test_public_tests_fail_at_once_on_a_forbidden_name_with_its_line(tmp_path):
    """Finished work in which sigmoid calls torch.sigmoid and silu F.silu: `pytest ch2` (the students'
    folder, the kit not importable) fails those two exercises' forbidden-name tests, with the line,
    and every other test passes."""
    import shutil
    import subprocess
    import sys

    from autograder.layout import KIT

    for name in ("conftest.py", "forbidden_names.py", "forbidden.toml"):
        shutil.copy(KIT.assignments / name, tmp_path / name)
    shutil.copytree(KIT.solutions / "ch2", tmp_path / "ch2")
    module = tmp_path / "ch2" / "activations.py"
    lines = module.read_text().replace("import torch\n", "import torch\nimport torch.nn.functional as F\n", 1)
    lines = lines.splitlines(keepends=True)
    for k, line in enumerate(lines):
        if line.startswith("def sigmoid(x):"):
            lines.insert(k + 1, "    return torch.sigmoid(x)\n")
            sigmoid_line = k + 2
            break
    source = "".join(lines).replace("def silu(x):", "def silu(x):\n    return F.silu(x)", 1)
    silu_line = source.splitlines().index("    return F.silu(x)") + 1
    module.write_text(source)

    without_the_kit = "import sys, pytest; sys.modules['autograder'] = None; sys.exit(pytest.main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", without_the_kit, "ch2/test_activations.py", "-q",
                           "-p", "no:cacheprovider", "-p", "no:hypothesispytest"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (f"ch2/activations.py line {sigmoid_line}: sigmoid uses torch.sigmoid, which this exercise "
            "forbids (it scores 0 at grading)\n") in proc.stdout, proc.stdout[-3000:]
    assert (f"ch2/activations.py line {silu_line}: silu uses F.silu (torch.nn.functional.silu), which this "
            "exercise forbids (it scores 0 at grading)\n") in proc.stdout, proc.stdout[-3000:]
    failed = sorted(line.split(" - ")[0] for line in proc.stdout.splitlines() if line.startswith("FAILED"))
    assert failed == ["FAILED ch2/test_activations.py::forbidden_names[sigmoid]",
                      "FAILED ch2/test_activations.py::forbidden_names[silu]"], proc.stdout[-3000:]
