"""Sandboxed workers, in both modes: with root (namespaces, a uid of its own) and without."""
import errno
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

from autograder.config import load_exercises
from autograder.layout import KIT
from autograder.outcomes import PolicyViolation, StudentError
from autograder.runner import SandboxRunner
from autograder.sandbox import Isolation, WorkerPool, describe_isolation, landlock
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


def attempt(code: str) -> str:
    """Source of lines that record `code`'s value, or the name of the error it raised."""
    return f"""
    try:
        out[{code!r}] = {code}
    except OSError as exc:
        out[{code!r}] = type(exc).__name__
"""


def probe_body(*codes, imports="os"):
    lines = "".join(attempt(code) for code in codes)
    return f"import {imports}\ndef relu(x):\n    out = {{}}\n{lines}\n    return out\n"


def walled(pool):
    if pool.mode == "plain":
        pytest.skip("plain mode has no walls (grade refuses it without --unsafe)")


UNSEEN = ("PermissionError", "FileNotFoundError")


def test_a_worker_sees_only_its_allow_list(pool, tmp_path):
    """Solutions, hidden tests, history, the demo class, other graders' outputs and leftovers
    in /tmp are simply not in a worker's world, whatever the mode (and wherever the kit is)."""
    walled(pool)
    leftover = Path(tempfile.mkdtemp(prefix="autograder-mutants-"))     # as a crashed run leaves one
    (leftover / "activations.py").write_text("# a solution with one change")
    other_out = tmp_path / "other-shard" / ".workspace" / "bob"
    other_out.mkdir(parents=True)
    (other_out / "answer.py").write_text("# another student's work")
    secrets = [KIT.root / "solutions", KIT.root / "tests", KIT.root / "grading.toml", KIT.root / ".git",
               KIT.root / "examples", KIT.root / "kit_tests", leftover, other_out]
    looks = [f"sorted(os.listdir({str(p)!r})) if os.path.isdir({str(p)!r}) else open({str(p)!r}).read()"
             for p in secrets]
    tmp = f"sorted(os.listdir({tempfile.gettempdir()!r}))"
    try:
        seen = runner_for(pool, tmp_path, probe_body(*looks, tmp, "os.getuid()")).run(call, "relu", 0)
    finally:
        shutil.rmtree(leftover)
    assert {path: seen[look] for path, look in zip(secrets, looks) if seen[look] not in UNSEEN} == {}
    # /tmp shows at most the way to the worker's own dir (and to the engine, for a kit in /tmp)
    others = [leftover.name, other_out.parts[2]]
    assert seen[tmp] in UNSEEN or not set(others) & set(seen[tmp]), seen[tmp]
    if pool.mode == "namespaces":
        assert seen["os.getuid()"] >= 100_000 and seen["os.getuid()"] != os.getuid()   # a uid of its own


def test_a_worker_reaches_nothing_but_its_own_pipe(pool, tmp_path):
    """No TCP, UDP, MPTCP or unix sockets (a Docker socket, D-Bus), no SysV IPC, no keyrings."""
    walled(pool)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "host.sock"))
    listener.listen(1)
    add_key = 'ctypes.CDLL(None, use_errno=True).syscall(248, b"user", b"k", b"v", 1, -3) == -1 and ctypes.get_errno()'
    shmget = "ctypes.CDLL(None, use_errno=True).syscall(29, 0, 4096, 0o1777) == -1 and ctypes.get_errno()"
    pair = "len(socket.socketpair())"
    body = probe_body("socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(('127.0.0.1', 9))",
                      "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))",
                      "socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)",
                      f"socket.socket(socket.AF_UNIX).connect({str(tmp_path / 'host.sock')!r})",
                      pair, add_key, shmget, imports="os, socket, ctypes")
    try:
        seen = runner_for(pool, tmp_path, body).run(call, "relu", 0)
    finally:
        listener.close()
    assert seen.pop(pair) == 2        # its own pipes still work
    assert seen.pop(add_key) == errno.EPERM and seen.pop(shmget) == errno.EPERM
    assert set(seen.values()) == {"PermissionError"}, seen


def test_a_worker_cannot_act_on_the_grader(pool, tmp_path):
    """prlimit on the zygote, kill(-1), typing into a terminal, the grader's environment:
    all refused. (The zygote is this test's own, so a hole cannot hurt anything else.)"""
    walled(pool)
    zygote = pool.zygote.proc.pid
    before = resource.prlimit(zygote, resource.RLIMIT_FSIZE)
    environ = f"open('/proc/{os.getpid()}/environ').read()"
    names = "sorted(k for k in os.environ if k not in ('HOME', 'TMPDIR', 'PATH', 'LANG'))"
    body = probe_body(f"resource.prlimit({zygote}, resource.RLIMIT_FSIZE, (0, 0))",
                      f"resource.prlimit({zygote}, resource.RLIMIT_CPU, (1, 1))",
                      "os.kill(-1, 0)", "fcntl.ioctl(0, termios.TIOCSTI, b'x')", names, environ,
                      imports="os, resource, fcntl, termios")
    seen = runner_for(pool, tmp_path, body).run(call, "relu", 0)
    assert resource.prlimit(zygote, resource.RLIMIT_FSIZE) == before
    assert seen.pop(names) == []
    assert seen.pop(environ) in UNSEEN
    assert set(seen.values()) <= {"PermissionError", "ProcessLookupError"}, seen


def test_nothing_a_worker_makes_outlives_it(pool, tmp_path):
    """A folder it locked (mode 000) goes with its dir; /dev/shm is never the grader's."""
    walled(pool)
    mark = f"autograder-test-{os.getpid()}-{time.monotonic_ns()}"
    body = probe_body("os.makedirs('locked/deep') or open('locked/deep/f', 'w').write('x')",
                      "os.chmod('locked/deep', 0) or os.chmod('locked', 0)",
                      f"open('/dev/shm/{mark}', 'w').write('x')")
    sub_runner = runner_for(pool, tmp_path, body)
    sub_runner.run(call, "relu", 0)
    workdir = next(w.workdir for key, w in pool.workers.items() if key[0].startswith(str(sub_runner.submission)))
    pool.release(sub_runner.submission)
    assert not workdir.exists()
    assert not Path(f"/dev/shm/{mark}").exists()


DIES_WITH_A_WORKER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import Isolation
from autograder.sandbox.zygote import Zygote
zygote = Zygote(Isolation.best_available(cuda=False))
pid, _, workdir = zygote.spawn()
print(zygote.base, flush=True)
time.sleep(600)
"""


def test_a_grading_process_killed_outright_leaves_no_sandbox_folder():
    """SIGKILL gives the grader no chance to clean up: its zygote, told by the kernel, kills the
    workers and removes their folder itself (many such folders had piled up in /tmp)."""
    grader = subprocess.Popen([sys.executable, "-c", DIES_WITH_A_WORKER, str(KIT.root)], stdout=subprocess.PIPE,
                              text=True)
    base = Path(grader.stdout.readline().strip())
    assert base.name.startswith("autograder-sandbox-") and base.is_dir()
    grader.kill()
    grader.wait(timeout=30)
    deadline = time.monotonic() + 30
    while base.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not base.exists()


def test_a_locked_folder_is_removed_without_root():
    """The grader removes a worker's dir even when it is not root and the worker locked a folder."""
    from autograder.sandbox import remove_tree

    base = Path(tempfile.mkdtemp())
    try:
        pid = os.fork()
        if pid == 0:                           # not root, as the grader in a container
            if ROOT:
                os.chown(base, 65534, 65534)
                os.setuid(65534)
            (base / "w" / "locked" / "deep").mkdir(parents=True)
            (base / "w" / "locked" / "deep" / "f").write_text("x")
            os.chmod(base / "w" / "locked" / "deep", 0)
            os.chmod(base / "w" / "locked", 0)
            remove_tree(base / "w")
            os._exit(0 if not (base / "w").exists() else 1)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", str(base)])
        shutil.rmtree(base)


@pytest.mark.skipif(not ROOT, reason="worker uids are handed out only as root")
def test_a_uid_is_free_before_it_is_reused():
    """Worker uids come from pids, and pids wrap: whatever still runs under one is killed first."""
    from autograder.sandbox.walls import _evict

    uid = 100_000 + 4_194_000
    stray = subprocess.Popen(["sleep", "60"], user=uid, group=uid)
    _evict(uid)
    assert stray.wait(timeout=10) == -signal.SIGKILL


def test_root_that_cannot_drop_its_uid_is_refused(monkeypatch):
    """As root without namespaces, a Python in a closed folder (/root) would keep workers root:
    `grade` refuses and says how to grade safely; no worker ever runs student code as root."""
    from autograder import sandbox
    from autograder.sandbox import isolation

    monkeypatch.setattr(isolation.os, "geteuid", lambda: 0)
    monkeypatch.setenv("AUTOGRADER_NO_NAMESPACES", "1")
    monkeypatch.setattr(isolation, "_closed_ancestor", lambda path: Path("/root"))
    iso = Isolation.best_available(cuda=False)
    assert iso.keeps_root and iso.uid is None
    assert any("keep root" in w for w in iso.weaknesses())
    with pytest.raises(RuntimeError, match="as root"):
        sandbox.enter_sandbox(iso, Path("/nonexistent"), keep_fd=3)


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
        with pytest.raises(StudentError, match="cannot be checked"):
            runner.run(call, name, 0)


def test_isolation_is_described():
    plain = Isolation(namespaces=False, uid=None, cuda=False)
    assert "WITHOUT walls" in describe_isolation(plain) and "neither root" in plain.weaknesses()[0]
    assert "unprivileged" in describe_isolation(Isolation(namespaces=True, uid=100_000, cuda=False))
    assert "Landlock" in describe_isolation(Isolation(namespaces=False, uid=None, cuda=False, landlock=True))
    assert Isolation(namespaces=True, uid=100_000, cuda=False).weaknesses() == []
    assert "system-call filter" in " ".join(Isolation(namespaces=True, uid=100_000, cuda=False,
                                                      seccomp=False).weaknesses())
