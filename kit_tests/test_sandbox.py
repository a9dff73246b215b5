"""Sandboxed workers, in both modes: with root (namespaces, a uid of its own) and without."""
import os
import time
from pathlib import Path

import pytest
import torch

from autograder import landlock
from autograder.config import KIT_ROOT, load_exercises
from autograder.policy import PolicyViolation
from autograder.runner import StudentError
from autograder.sandbox import Isolation, SandboxRunner, WorkerPool, describe_isolation
from autograder.submission import modules_for

ROOT = os.geteuid() == 0
LANDLOCK = landlock.abi_version() > 0
MODES = ["namespaces"] * ROOT + ["landlock"] * LANDLOCK + ["plain"]


@pytest.fixture(scope="module", params=MODES)
def pool(request):
    iso = Isolation.best_available(cuda=False)
    if request.param != "namespaces":
        iso.namespaces, iso.uid, iso.landlock = False, None, request.param == "landlock"
    pool = WorkerPool(iso)
    pool.mode = request.param
    yield pool
    pool.close()


def runner_for(pool, tmp_path, body, exercise="ch2.activations.relu", timeout=10.0):
    sub = tmp_path / f"sub{time.monotonic_ns()}"
    (sub / "ch2").mkdir(parents=True)
    (sub / "ch2" / "activations.py").write_text(body)
    ex = load_exercises()[exercise]
    return SandboxRunner(pool, modules_for(sub, "ch2", "activations"), "activations", ex, sub,
                         deadline=time.monotonic() + timeout)


def call(impl, name, *args):
    return getattr(impl, name)(*args)


def test_results_come_back_as_plain_data(pool, tmp_path):
    runner = runner_for(pool, tmp_path, "import torch\ndef relu(x):\n    return torch.clamp(x, min=0)\n")
    x = torch.tensor([-1.0, 2.0])
    assert torch.equal(runner.run(call, "relu", x), torch.tensor([0.0, 2.0]))


def test_what_the_worker_can_see(pool, tmp_path):
    body = f'''import os, socket
def relu(x):
    out = {{"uid": os.getuid(), "cwd": os.getcwd(), "pids": len([p for p in os.listdir("/proc") if p.isdigit()])}}
    try:
        out["solutions"] = sorted(os.listdir({str(KIT_ROOT / "solutions")!r}))
    except OSError as exc:
        out["solutions"] = type(exc).__name__
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
        out["net"] = "open"
    except OSError as exc:
        out["net"] = exc.errno
    return out
'''
    seen = runner_for(pool, tmp_path, body).run(call, "relu", 0)
    assert seen["cwd"] != os.getcwd()
    if pool.mode == "namespaces":
        assert seen["uid"] >= 100_000 and seen["uid"] != os.getuid()   # a uid of its own
        assert seen["solutions"] == []             # hidden behind an empty tmpfs
        assert seen["pids"] <= 3                   # its own PID namespace
        assert seen["net"] == 101                  # ENETUNREACH: no network at all
    if pool.mode == "landlock":
        assert seen["solutions"] == "PermissionError"
        assert seen["net"] == 13                   # EACCES: TCP refused by Landlock


@pytest.mark.skipif(not LANDLOCK, reason="Landlock is not available in this kernel")
def test_landlock_hides_the_kit_and_other_workers(tmp_path):
    iso = Isolation.best_available(cuda=False)
    iso.namespaces, iso.uid, iso.landlock = False, None, True
    other = WorkerPool(iso)
    pool = WorkerPool(iso)
    try:
        spy = runner_for(other, tmp_path, "def relu(x):\n    return x\n")
        spy.run(call, "relu", 1)
        secret = next(iter(other.workers.values())).workdir
        body = f'''import os, signal
def relu(x):
    out = {{}}
    for name, path in [("grading", {str(KIT_ROOT / "grading.toml")!r}), ("other", {str(secret)!r}),
                       ("tmp", "/tmp/escape.txt")]:
        try:
            out[name] = os.listdir(path) if os.path.isdir(path) else open(path, "a+").read()
        except OSError as exc:
            out[name] = type(exc).__name__
    try:
        os.kill(os.getppid(), 0)
        out["signal"] = "sent"
    except OSError as exc:
        out["signal"] = type(exc).__name__
    return out
'''
        seen = runner_for(pool, tmp_path, body).run(call, "relu", 0)
        assert seen == {"grading": "PermissionError", "other": "PermissionError", "tmp": "PermissionError",
                        "signal": "PermissionError"}, seen
    finally:
        pool.close()
        other.close()


def test_deadline_kills_and_next_call_gets_a_fresh_worker(pool, tmp_path):
    body = "import torch, time\ndef relu(x):\n    if x.sum() > 0:\n        while True: pass\n    return x\n"
    runner = runner_for(pool, tmp_path, body, timeout=2)
    start = time.monotonic()
    with pytest.raises(StudentError, match="timed out"):
        runner.run(call, "relu", torch.ones(2))
    assert time.monotonic() - start < 5
    with pytest.raises(StudentError, match="earlier test of this exercise timed out"):
        runner.run(call, "relu", torch.ones(2))    # a hang costs its limit once
    other = runner_for(pool, tmp_path, body, exercise="ch2.activations.silu", timeout=5)
    other.run(call, "relu", -torch.ones(2))        # a new worker serves the next test


def test_exit_and_crash_fail_only_that_call(pool, tmp_path):
    body = "import os, sys\ndef relu(x):\n    os._exit(0)\ndef silu(x):\n    return x\n"
    runner = runner_for(pool, tmp_path, body)
    with pytest.raises(StudentError, match="ended its process"):
        runner.run(call, "relu", 1)
    assert runner.run(call, "silu", 3) == 3


def test_daemons_die_with_their_worker(pool, tmp_path):
    body = '''import os, time
def relu(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    while True:
        pass
'''
    runner = runner_for(pool, tmp_path, body, timeout=2)
    with pytest.raises(StudentError):
        runner.run(call, "relu", 1)
    zygote = pool.zygote.proc.pid
    live = {w.pid for w in pool.workers.values() if w.alive}
    deadline = time.monotonic() + 10        # a PID namespace's teardown is asynchronous: give a loaded machine time
    while True:
        strays = [p for p in os.listdir("/proc") if p.isdigit() and _ppid(p) == zygote and int(p) not in live
                  and _state(p) != "Z"]
        if not strays or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert strays == []


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _ppid(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def test_forbidden_calls_are_caught_inside_the_worker(pool, tmp_path):
    body = "import torch.nn.functional as F\ndef relu(x):\n    return getattr(F, 're' + 'lu')(x)\n"
    with pytest.raises(PolicyViolation, match="torch.nn.functional.relu"):
        runner_for(pool, tmp_path, body).run(call, "relu", torch.ones(2))


def test_clever_objects_do_not_come_back(pool, tmp_path):
    body = ("import torch\nclass Eq:\n    def __eq__(self, o):\n        return True\n"
            "class Sub(torch.Tensor):\n    pass\n"
            "def relu(x):\n    return Eq()\ndef silu(x):\n    return torch.ones(2).as_subclass(Sub)\n")
    runner = runner_for(pool, tmp_path, body)
    for name in ("relu", "silu"):
        with pytest.raises(StudentError, match="not plain data"):
            runner.run(call, name, 0)


def test_isolation_is_described():
    assert "WITHOUT root" in describe_isolation(Isolation(namespaces=False, uid=None, cuda=False))
    assert "unprivileged" in describe_isolation(Isolation(namespaces=True, uid=100_000, cuda=False))
    assert "Landlock" in describe_isolation(Isolation(namespaces=False, uid=None, cuda=False, landlock=True))
