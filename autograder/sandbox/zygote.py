"""The zygote: a process that imported torch once and forks walled-in workers on request,
here (a child of the grading process) or in a container of the kit's image."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.layout import KIT
from autograder.sandbox import inside, seccomp
from autograder.sandbox.isolation import Isolation, Limits
from autograder.sandbox.walls import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, _libc, enter_sandbox

BASE_PREFIX = "autograder-sandbox-"     # the folder of one zygote's workers, in the temp folder

# What a worker runs unless told otherwise: the probes of the hidden suites (inside.py says how).
DEFAULT_SERVICE = "autograder.runner:ProbeService"
IMAGE_KIT_ROOT = "/opt/kit"            # where the Dockerfile puts the kit
IMAGE_USER = "10001:10001"             # the image's `grader` user



def remove_tree(path: Path):
    """Remove a worker's dir, folders it locked (mode 000) included: unlock top-down, then remove."""
    folders = [str(path)] if os.path.isdir(path) and not os.path.islink(path) else []
    while folders:
        folder = folders.pop()
        try:
            os.chmod(folder, 0o700)
            folders += [e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_tree(pid: int, live: set[int]):
    """Kill a worker's process group, then every orphan that landed here (we are the subreaper)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    live.discard(pid)
    for _ in range(3):
        _reap()
        strays = [p for p in _children_of(os.getpid()) if p not in live]
        for stray in strays:
            try:
                os.kill(stray, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not strays:
            break
        time.sleep(0.01)
    _reap()


def _warm_up():
    """Pay torch's lazy first-use costs (CPU kernels, meta-device registrations) once, here,
    instead of in every worker. Never touches CUDA."""
    import torch
    import torch.nn.functional as F

    # One thread: a worker shares the machine with the other jobs, and an OpenMP pool
    # started here would not survive the fork (workers would hang in parallel kernels).
    torch.set_num_threads(1)
    for device in ("cpu", "meta"):
        x = torch.ones(3, 4, device=device, dtype=torch.float64)
        y = torch.where(x > 0, x, torch.zeros_like(x)).exp().log1p() @ x.T
        F.log_softmax(F.gelu(x), dim=1).sum() + y.sum() + torch.erf(x).mean()


def zygote_connect(path: str, service: str):
    """The zygote inside a container: reach the grading process through the shared folder."""
    control = socket.socket(socket.AF_UNIX)
    control.connect(path)
    zygote_main(control.detach(), service)


def zygote_main(control_fd: int, service: str):
    """Fork a walled-in worker per "spawn" request, running `service` (inside.py); kill one's
    whole tree per "kill" request."""
    make_service = inside.load_service(service)   # imported here, once, before any fork
    _warm_up()
    try:
        syscall_filter = seccomp.build()
    except seccomp.Unavailable:
        syscall_filter = None       # Isolation.seccomp says so; `grade` refused unless --unsafe

    # The grading process may die without closing us (killed, out of memory): the kernel tells us
    # with SIGTERM, which only ends the serving loop, as the end of the control connection does; we
    # then leave as on a normal close: no worker left, no sandbox folder in /tmp. (A handler that
    # raised could interrupt that clean-up, were the two ends to come one after the other.)
    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGTERM, lambda signum, frame: _hang_up(control))
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    live: set[int] = set()
    try:
        _serve(control, live, make_service, syscall_filter)
    except OSError:     # the connection ended while we answered
        pass
    for pid in list(live):
        _kill_tree(pid, live)
    _wait_until_no_child_is_left()
    _remove_our_base_folder()


def _hang_up(control: socket.socket):
    try:
        control.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _wait_until_no_child_is_left(seconds: float = 10):
    """A worker killed a moment after its fork may still be making its folder: only once every child
    is gone can the base folder be removed for good."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _reap()
        children = _children_of(os.getpid())
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def _remove_our_base_folder():
    """The grading process removes the base folder after a normal close; when it died, nobody else will.
    We run in it (Zygote.__init__); a working folder not named like one is never touched."""
    base = Path.cwd()
    if base.name.startswith(BASE_PREFIX):
        remove_tree(base)


def _serve(control: socket.socket, live: set[int], make_service, syscall_filter):
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            iso = Isolation(**{**request["isolation"], "limits": Limits(**request["isolation"]["limits"])})
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                control.close()
                try:
                    enter_sandbox(iso, Path(request["workdir"]), fds[0], syscall_filter)
                    inside.main(fds[0], request["workdir"], make_service)
                finally:
                    os._exit(70)
            os.close(fds[0])
            live.add(pid)
            control.sendall(json.dumps({"pid": pid}).encode())
        elif request["op"] == "kill":
            _kill_tree(request["pid"], live)
            control.sendall(b'{"ok": true}')
        _reap()


class Zygote:
    """Handle on the zygote process (one per trusted grading process)."""

    def __init__(self, isolation: Isolation, image: str | None = None, service: str = DEFAULT_SERVICE):
        self.isolation, self.service = isolation, service
        self.base = Path(tempfile.mkdtemp(prefix=BASE_PREFIX))
        os.chmod(self.base, 0o711)
        self.container = None
        if image:
            self.proc, self.control = self._start_in_docker(image)
        else:
            self.proc, self.control = self._start_local()
        self.count = 0

    def _start_local(self):
        ours, theirs = socket.socketpair()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")}
        env["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(KIT.root)!r}); "
             f"from autograder.sandbox.zygote import zygote_main; zygote_main({theirs.fileno()}, {self.service!r})"],
            pass_fds=[theirs.fileno()], env=env, cwd=self.base, stdin=subprocess.DEVNULL)
        theirs.close()
        return proc, ours

    def _start_in_docker(self, image: str, start_seconds: float = 120):
        """`docker run` the zygote with the base folder shared at the same path (see the package's docstring)."""
        import uuid

        if os.geteuid() == 0:   # the image's user must write the workers' dirs
            os.chown(self.base, *map(int, IMAGE_USER.split(":")))
        user = IMAGE_USER if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
        path = self.base / "control.sock"
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))
        os.chmod(path, 0o777)
        listener.listen(1)
        self.container = f"autograder-zygote-{uuid.uuid4().hex[:12]}"
        limits = self.isolation.limits
        cmd = ["docker", "run", "--rm", "--name", self.container, "--network", "none",
               "--memory", str(limits.memory_bytes), "--memory-swap", str(limits.memory_bytes),
               "--pids-limit", str(4 * limits.processes), "--read-only",
               "--tmpfs", f"/tmp:size={limits.tmpfs_bytes},mode=1777", "--cap-drop", "ALL",
               "--security-opt", "no-new-privileges", "--user", user,
               "-v", f"{self.base}:{self.base}", "--workdir", str(self.base), "--entrypoint", "python",
               *(["--gpus", "all"] if self.isolation.cuda else []),
               image, "-I", "-c", f"import sys; sys.path.insert(0, {IMAGE_KIT_ROOT!r}); "
               f"from autograder.sandbox.zygote import zygote_connect; zygote_connect({str(path)!r}, {self.service!r})"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(self.base / "docker.log", "wb"))
        listener.settimeout(start_seconds)
        try:
            control, _ = listener.accept()
        except (socket.timeout, TimeoutError):
            proc.kill()
            raise RuntimeError(f"the zygote container did not start within {start_seconds} s: "
                               f"{(self.base / 'docker.log').read_text()[-2000:]}") from None
        finally:
            listener.close()
        control.settimeout(None)
        return proc, control

    def spawn(self) -> tuple[int, socket.socket, Path]:
        ours, theirs = socket.socketpair()
        self.count += 1
        workdir = self.base / f"w{self.count}"
        iso = self.isolation.__dict__ | {"limits": self.isolation.limits.__dict__}
        socket.send_fds(self.control, [json.dumps({"op": "spawn", "workdir": str(workdir),
                                                   "isolation": iso}).encode()], [theirs.fileno()])
        theirs.close()
        pid = json.loads(self.control.recv(1 << 16))["pid"]
        return pid, ours, workdir

    def kill(self, pid: int, workdir: Path):
        self.control.sendall(json.dumps({"op": "kill", "pid": pid}).encode())
        self.control.recv(1 << 16)
        remove_tree(workdir)

    def close(self):
        self.control.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            if self.container:
                subprocess.run(["docker", "kill", self.container], capture_output=True)
        remove_tree(self.base)


