"""Device checks without a GPU (autograder/devices.py): a tensor made without device= is caught,
also in code that cannot run on the meta device; correct code passes; raising on meta gains nothing."""
import pytest
import torch
from conftest import check_results

from autograder.devices import run_on_meta
from autograder.outcomes import StudentError
from autograder.runner import InProcessRunner
from autograder.submission import ChapterModules


def call_f(impl, x):
    return {"out": impl.f(x)}


def inputs(device):
    return (torch.randn(4, 3, generator=torch.Generator().manual_seed(0)).to(device),)


def student(tmp_path, body):
    (tmp_path / "ch9").mkdir(exist_ok=True)
    (tmp_path / "ch9" / "mod.py").write_text("import torch\n\n" + body)
    return InProcessRunner(ChapterModules("ch9", {"mod": tmp_path / "ch9" / "mod.py"}), "mod")


CORRECT = {   # each needs values somewhere (torch refuses it on meta) and makes its tensors right
    "boolean mask": "def f(x):\n    out = x.clone()\n    out[x < 0] = out[x < 0] * 0.1\n    return out\n",
    "tolist, then device=": "def f(x):\n    return torch.tensor(x.tolist(), device=x.device)\n",
    "tolist, then .to(x.device)": "def f(x):\n    return torch.tensor(x.tolist()).to(x.device)\n",
    "a CPU scalar": "def f(x):\n    return x[x > 0].sum() * torch.tensor(2.0) + torch.zeros_like(x)\n",
    "a module's buffer": (
        "class M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.register_buffer('w', torch.ones(3))\n    def forward(self, x):\n        return x * self.w\n"
        "def f(x):\n    if (x > 0).any():\n        return M().to(x.device)(x)\n    return x\n"),
    "indices on the CPU": "def f(x):\n    return x[:, torch.arange(2)] if x.sum() != 0 else x\n",
}

DEVICE_BUGS = {   # the same, with a tensor made without device= (on a GPU: on the CPU)
    "output made without device=": "def f(x):\n    return torch.tensor(x.tolist())\n",
    "meets the input": "def f(x):\n    out = x.clone()\n    out[x < 0] = 0\n    return out + torch.ones(x.shape)\n",
    "device='cpu' written out": "def f(x):\n    return torch.tensor(x.tolist(), device='cpu')\n",
    "moved to the CPU": "def f(x):\n    return x.clone().cpu() if x.sum() != 0 else x\n",
    # seen only on meta (x.device is the CPU in the second run): what the meta run found stands
    "torch.device('cpu') written out": "def f(x):\n    return x + torch.ones(x.shape, device=torch.device('cpu'))\n",
    "raises on meta on purpose": ("def f(x):\n    if x.is_meta:\n        raise RuntimeError('not on meta')\n"
                                  "    return torch.maximum(x, torch.zeros(x.shape))\n"),
}


@pytest.mark.parametrize("body", CORRECT.values(), ids=CORRECT.keys())
def test_correct_code_that_needs_values_passes(tmp_path, body):
    runner = student(tmp_path, body)
    with pytest.raises(StudentError):
        runner.run(call_f, *inputs("meta"))   # torch refuses it on meta
    out = run_on_meta(runner, call_f, inputs)["out"]
    assert out.device.type == "meta"   # as a meta run shows the inputs' device


@pytest.mark.parametrize("body", DEVICE_BUGS.values(), ids=DEVICE_BUGS.keys())
def test_a_device_bug_is_caught_on_meta_or_after(tmp_path, body):
    runner = student(tmp_path, body)
    try:
        out = run_on_meta(runner, call_f, inputs)["out"]
    except StudentError as exc:
        assert "device" in str(exc) and "(at ch9/mod.py, line" in str(exc)
    else:
        assert out.device.type == "cpu"   # where a meta run shows a tensor made on the CPU


def test_a_stub_still_says_it_is_not_written_yet(tmp_path):
    runner = student(tmp_path, "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")
    with pytest.raises(StudentError, match=r"^f\(\) is not implemented yet") as info:
        run_on_meta(runner, call_f, inputs)
    assert info.value.unfinished


# ------------------------------------------------- whole exercises, as `autograder check` scores them

def score(tmp_path, chapter, module, source, exercise):
    (tmp_path / chapter).mkdir()
    (tmp_path / chapter / f"{module}.py").write_text(source)
    results, _ = check_results(tmp_path, chapter, tmp_path, "--no-public", "--exercise", exercise)
    (test,) = results["tests"]
    return test


@pytest.mark.parametrize("device_bug", [False, True], ids=["correct", "device-bug"])
def test_raising_on_meta_on_purpose_gains_nothing(tmp_path, device_bug):
    """A failing device check cannot be turned into a skip (which would count neither way)."""
    zeros = "torch.zeros(x.shape)" if device_bug else "torch.zeros_like(x)"
    source = ("import torch\n\ndef relu(x):\n    if x.device.type == 'meta':\n"
              "        raise RuntimeError('I do not run on meta')\n"
              f"    return torch.where(x > 0, x, {zeros})\n")
    test = score(tmp_path, "ch2", "activations", source, "ch2.activations.relu")
    if device_bug:
        assert test["score"] < test["max_score"], test
        assert "device" in test["output"], test
    else:
        assert test["score"] == test["max_score"], test


def test_leaky_relu_with_a_boolean_mask_gets_full_marks(tmp_path):
    source = ("import torch\n\ndef leaky_relu(x, negative_slope=0.01):\n    out = x.clone()\n"
              "    out[x < 0] = out[x < 0] * negative_slope\n    return out\n")
    test = score(tmp_path, "ch2", "activations", source, "ch2.activations.leaky_relu")
    assert test["score"] == test["max_score"], test
    assert "not implemented yet" not in test["output"], test


def test_lm_examples_through_tolist_gets_full_marks(tmp_path):
    source = '''import torch


def lm_examples(tokens, context_len, stride=None):
    stride = context_len if stride is None else stride
    if context_len < 1 or stride < 1:
        raise ValueError("context_len and stride must be >= 1")
    ids = tokens.tolist() if torch.is_tensor(tokens) else list(tokens)
    rows = [ids[s:s + context_len + 1] for s in range(0, len(ids) - context_len, stride)]
    data = torch.tensor(rows, dtype=torch.long).reshape(-1, context_len + 1)
    if torch.is_tensor(tokens):
        data = data.to(tokens.device)
    return data[:, :-1].clone(), data[:, 1:].clone()
'''
    test = score(tmp_path, "ch6", "tokenizer", source, "ch6.tokenizer.lm_examples")
    assert test["score"] == test["max_score"], test
    assert "not implemented yet" not in test["output"], test
