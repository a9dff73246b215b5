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
