"""Siblings: a composite imports trusted stand-ins that compute the other modules' exercises
without giving their answers away (autograder/siblings.py)."""
import ast
import re
import time

import pytest
import torch

from autograder.config import chapter_modules, chapters, load_exercises
from autograder.layout import KIT
from autograder.outcomes import StudentError
from autograder.runner import SandboxRunner
from autograder.sandbox import Isolation, WorkerPool
from autograder.siblings import called_through, stand_in_source
from autograder.submission import modules_for


def answer_lines(chapter, module):
    """The substantial lines of the solution's exercise functions that a stand-in computes elsewhere."""
    source = (KIT.solutions / chapter / f"{module}.py").read_text()
    functions = [node for node in ast.parse(source).body
                 if isinstance(node, ast.FunctionDef) and node.name in called_through(chapter, module)]
    lines = {line.strip() for f in functions for line in ast.get_source_segment(source, f).splitlines()[1:]}
    return {line for line in lines if len(line) > 25 and not line.startswith(("#", "return", "raise", '"""'))}


@pytest.mark.parametrize("chapter,module", [(ch, m) for ch in chapters() for m in chapter_modules(ch)])
def test_a_stand_in_holds_no_answer(chapter, module):
    stand_in = stand_in_source(chapter, module)
    exercise_functions = called_through(chapter, module)
    for name in exercise_functions:
        assert re.search(rf"def {name}\(\*args, \*\*kwargs\):\n    return trusted_call\(", stand_in), name
    assert [line for line in answer_lines(chapter, module) if line in stand_in] == []


LEAKER = '''import inspect
import ch2.activations as act

def mlp_forward(x, params, activation="relu"):
    raise ValueError((inspect.getsource(act) + open(act.__file__).read()).replace("\\n", " | "))

def mlp_backward(grad_out, cache):
    return act.relu_backward(grad_out, cache)
'''


def call(impl, name, *args):
    return getattr(impl, name)(*args)


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(Isolation.best_available(cuda=False))
    yield pool
    pool.close()


def runner(pool, tmp_path, body, exercise):
    (tmp_path / "ch2").mkdir(exist_ok=True)
    (tmp_path / "ch2" / "mlp.py").write_text(body)
    return SandboxRunner(pool, modules_for(tmp_path, "ch2", "mlp"), "mlp", load_exercises()[exercise], tmp_path,
                         deadline=time.monotonic() + 30)


def test_what_a_composite_reads_of_its_siblings_gives_nothing_away(pool, tmp_path):
    """The source a student's mlp.py can read of activations (and send out in an error message)
    is the stand-in: no derivative of the solution, no solution marker."""
    with pytest.raises(StudentError) as caught:
        runner(pool, tmp_path, LEAKER, "ch2.mlp.mlp_forward").run(call, "mlp_forward", torch.ones(2), {})
    leaked = str(caught.value)
    assert "trusted_call" in leaked and "BEGIN SOLUTION" not in leaked
    assert [line for line in answer_lines("ch2", "activations") if line in leaked] == []


def test_a_stand_in_computes_its_exercise_on_the_trusted_side(pool, tmp_path):
    x = torch.tensor([-1.0, 0.0, 2.0])
    got = runner(pool, tmp_path, LEAKER, "ch2.mlp.mlp_backward").run(call, "mlp_backward", torch.ones(3), x)
    assert torch.equal(got, torch.tensor([0.0, 0.0, 1.0]))


def test_a_stand_in_cannot_answer_for_the_module_under_test(pool, tmp_path):
    """Calling the trusted side by hand for one's own exercise is refused."""
    body = ('from autograder.siblings import trusted_call\n'
            'def mlp_forward(x, params, activation="relu"):\n'
            '    return trusted_call("ch2", "mlp", "mlp_forward", (x, params), {})\n')
    with pytest.raises(StudentError, match="cannot be called from here"):
        runner(pool, tmp_path, body, "ch2.mlp.mlp_forward").run(call, "mlp_forward", torch.ones(2, 3), {})


# ------------------------------------------------ the kit's versions inside the module under test

NO_MAX_SHIFT = '''import torch

def log_softmax(x, dim=-1):
    return x - torch.log(torch.exp(x).sum(dim=dim, keepdim=True))      # overflows for large logits

def cross_entropy(logits, target, reduction="mean", **kwargs):
    picked = -log_softmax(logits, dim=1).gather(1, target[:, None])[:, 0]
    return picked.mean() if reduction == "mean" else picked.sum() if reduction == "sum" else picked
'''


def losses_runner(pool, tmp_path, body, exercise):
    (tmp_path / "ch2").mkdir(exist_ok=True)
    (tmp_path / "ch2" / "losses.py").write_text(body)
    return SandboxRunner(pool, modules_for(tmp_path, "ch2", "losses"), "losses", load_exercises()[exercise],
                         tmp_path, deadline=time.monotonic() + 30)


def test_an_exercise_is_graded_with_the_kits_version_of_another_of_its_module(pool, tmp_path):
    """cross_entropy calls the student's log_softmax, which overflows: graded, it gets the kit's
    log_softmax instead (grading.toml graded_with), and the grader knows it was called."""
    logits, target = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1.0, 2.0]]), torch.tensor([0, 2])
    runner = losses_runner(pool, tmp_path, NO_MAX_SHIFT, "ch2.losses.cross_entropy")
    got = runner.run(call, "cross_entropy", logits, target)
    assert torch.allclose(got, torch.nn.functional.cross_entropy(logits, target))
    assert runner.kit_versions_called == {"log_softmax"}


STASHER = '''import builtins
import torch

def log_softmax(x, dim=-1):
    return builtins.kept(x, dim=dim)        # the kit's version, kept while cross_entropy was graded

def cross_entropy(logits, target, reduction="mean", **kwargs):
    builtins.kept = log_softmax              # while cross_entropy is graded: the kit's version
    return torch.zeros(())
'''


def test_the_kits_version_cannot_stand_in_for_the_exercise_itself(pool, tmp_path):
    """A kit version kept from an earlier test (the module's worker lives on) cannot answer for
    the exercise under test."""
    logits, target = torch.randn(2, 3), torch.tensor([0, 2])
    losses_runner(pool, tmp_path, STASHER, "ch2.losses.cross_entropy").run(call, "cross_entropy", logits, target)
    with pytest.raises(StudentError, match="cannot be called from here"):
        losses_runner(pool, tmp_path, STASHER, "ch2.losses.log_softmax").run(call, "log_softmax", logits)
