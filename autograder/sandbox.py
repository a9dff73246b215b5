"""Sandboxed workers: student code runs in processes that cannot hurt the grade.

    trusted process ──spawn──> zygote (imported torch once; never touches CUDA)
                                 └─fork─> worker: setsid, namespaces, limits, uid
                                          drop, then autograder.worker.serve()

The zygote is exec'd fresh (`python -I`: no user site, no PYTHONPATH, no cwd on
sys.path), so forking it is cheap and CUDA still works in its children. It is a
child subreaper: daemons a worker leaves behind end up as its children and are
killed with the worker.

A worker sees an allow-list, never "everything but": the system's libraries, the
interpreter with its packages, the engine (autograder/), its own submission's files
and its own temp dir (`readable_paths`). Isolation, by what the grader may do:
  always      new session (the whole group is killed at the deadline), no terminal,
              no inherited files, a fresh minimal environment, private working dir as
              cwd, HOME and TMPDIR; resource limits (CPU time, address space without
              CUDA, processes, file size, open files, no core dumps); stdout/stderr to
              a capped file; no new privileges; a system-call filter
              (autograder/seccomp.py: no sockets, SysV IPC, keyrings, ptrace, prlimit or
              kill on other processes, terminal injection, mounts, bpf, ...); results
              decoded as plain data only.
  root        a root of its own (pivot_root onto a tmpfs that holds only the allow-list,
              read-only, and a size-capped tmpfs as its dir and /dev/shm), new network,
              PID, IPC and UTS namespaces, and a uid/gid of its own (no user; whatever
              still runs under that uid from long ago is killed first).
  not root    Landlock (autograder/landlock.py, Linux 5.13+, also inside Docker's default
              seccomp profile): reads only the allow-list, writes only in its working dir,
              no TCP, no signals to (or ptrace of) processes outside the sandbox.
`describe_isolation()` says which hold; `autograder grade` prints it.

Backends (`AUTOGRADER_BACKEND`, set by `autograder grade --backend`):
  local       the zygote is a child process of the grading process (above).
  docker      the zygote runs in a container of the kit's image (docker:IMAGE): no network,
              memory and pids limits, read-only root, a tmpfs /tmp, every capability dropped,
              no-new-privileges, a non-root user; its workers are forked and walled in there
              (Landlock). It talks to the grading process over a unix socket in a shared
              folder, so worker sockets are passed across exactly as with the local backend.
"""
from __future__ import annotations

import ctypes
import glob
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder import landlock, seccomp
from autograder.layout import KIT
from autograder.worker import recv_frame, send_frame

# As root, each worker runs as a uid of its own, SANDBOX_UID_BASE + its pid: no user on the
# machine, and per-user limits (processes, threads) then bound one worker, not the whole class.
SANDBOX_UID_BASE = 100_000


def is_sandbox_uid(uid: int) -> bool:
    return uid >= SANDBOX_UID_BASE
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# Which backend runs the zygote: "local" (default) or "docker:IMAGE".
BACKEND_ENV = "AUTOGRADER_BACKEND"
IMAGE_KIT_ROOT = "/opt/kit"            # where the Dockerfile puts the kit
IMAGE_USER = "10001:10001"             # the image's `grader` user

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Limits:
    cpu_seconds: int = 600            # CPU time of one worker (the submission cap bounds wall time)
    memory_bytes: int = 4 * 2**30     # address space; not applied when CUDA is in use
    processes: int = 64               # beyond what the user already runs
    file_bytes: int = 16 * 2**20      # largest file a worker may write (its output log too)
    tmpfs_bytes: int = 64 * 2**20     # size of the working dir (root only)
    open_files: int = 256


@dataclass
class Isolation:
    namespaces: bool                  # network, PID, mount, IPC, UTS namespaces (root)
    uid: int | None                   # base of the worker uids (root), else None: run as the grader
    cuda: bool
    limits: Limits = field(default_factory=Limits)
    landlock: bool = False            # without namespaces: wall the worker in with Landlock
    seccomp: bool = True              # the system-call filter (autograder/seccomp.py)
    keeps_root: bool = False          # root without namespaces, Python in a closed folder: cannot drop root

    @classmethod
    def best_available(cls, cuda: bool) -> "Isolation":
        root = os.geteuid() == 0
        # AUTOGRADER_NO_NAMESPACES=1: behave as in a container that refuses them (tests of that mode)
        namespaces = root and not os.environ.get("AUTOGRADER_NO_NAMESPACES") and _namespaces_allowed()
        # Without namespaces nothing can open a closed folder (like /root) for another uid: when
        # Python or the engine lives in one, a worker could not drop root.
        reachable = namespaces or not any(_closed_ancestor(Path(p)) for p in (sys.base_prefix, sys.prefix, KIT.root))
        return cls(namespaces=namespaces, uid=SANDBOX_UID_BASE if root and reachable else None, cuda=cuda,
                   landlock=not namespaces and landlock.abi_version() > 0, seccomp=_seccomp_available(),
                   keeps_root=root and not reachable)

    @classmethod
    def in_image(cls, cuda: bool) -> "Isolation":
        """Workers inside a container of the kit's image (the docker backend): a non-root user
        walled in by Landlock, the image's own libseccomp."""
        return cls(namespaces=False, uid=None, cuda=cuda, landlock=landlock.abi_version() > 0)

    def weaknesses(self) -> list[str]:
        """What this mode cannot enforce, each with how to grade safely instead (empty: safe)."""
        found = []
        if self.keeps_root:
            found.append(f"as root without namespaces, workers would keep root: Python ({sys.base_prefix}) or the "
                         "kit lies in a folder other users cannot enter. Grade where namespaces are allowed, "
                         "install Python and the kit in world-readable folders, or use the Docker image")
        elif not self.namespaces and not self.landlock:
            found.append("neither root (namespaces) nor Landlock (Linux 5.13+): workers could read the hidden tests "
                         "and open sockets. Grade as root, in the Docker image, or on a newer kernel")
        if not self.seccomp:
            found.append("no system-call filter (libseccomp and the pyseccomp package are needed): workers could "
                         "act on the grader's processes. Install them (`pip install pyseccomp`, Debian's libseccomp2)")
        return found


def isolation_for(backend: str, cuda: bool) -> tuple[Isolation, str | None]:
    """(isolation, image) of a backend: "local" (image None) or "docker:IMAGE"."""
    if backend.startswith("docker:"):
        return Isolation.in_image(cuda), backend.split(":", 1)[1]
    return Isolation.best_available(cuda), None


def _namespaces_allowed() -> bool:
    """Root may still be refused namespaces (a container without CAP_SYS_ADMIN, e.g. Docker's
    defaults or Gradescope): try in a throwaway child."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _seccomp_available() -> bool:
    try:
        seccomp.build()
    except seccomp.Unavailable:
        return False
    return True


def describe_isolation(iso: Isolation) -> str:
    walls = ("their own root holding only Python, its packages and the engine (no kit, outputs or other "
             "students' work), no network, their own PID, mount and IPC namespaces, a size-capped private tmpfs")
    if iso.namespaces:
        text = f"sandbox: workers run as unprivileged users of their own, with {walls}"
    elif iso.landlock:
        who = ("as unprivileged users of their own" if iso.uid is not None else
               "as root (refused)" if iso.keeps_root else "as you")
        text = (f"sandbox without namespaces, walled in by Landlock: workers run {who}, read only Python, its "
                "packages and the engine, write only in a private temp dir, cannot signal or trace other processes")
    else:
        text = "sandbox WITHOUT walls: workers run as you and can read everything you can"
    if iso.landlock and iso.uid is None and landlock.abi_version() < 6:
        text += (" (but Landlock before ABI 6, Linux 6.12, cannot stop a worker that runs as you from "
                 "signalling the grader: a student could stop the run, not change a grade)")
    text += "; resource limits, a fresh environment, no terminal"
    text += ", a system-call filter (no sockets, IPC, keyrings, ptrace, prlimit on others)" if iso.seccomp else ""
    return text


# ------------------------------------------------------------------ the worker side

def _check(result: int, what: str):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _closed_ancestor(path: Path) -> Path | None:
    """The highest ancestor of `path` that others cannot enter (like /root), if any."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return parent
    return None


# What a worker may read, whatever the mode: the system's programs and libraries, the
# interpreter with its packages, and the engine's own package. Never the rest of the kit.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/ld.so.conf",
                "/etc/ld.so.conf.d", "/etc/localtime", "/sys/devices/system/cpu")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _contains(outer: Path, inner: Path) -> bool:
    return outer == inner or outer in inner.parents


def readable_paths(cuda: bool) -> list[str]:
    """The allow-list of a worker's view (besides its own dir and devices), outermost paths only."""
    import sysconfig

    kit = KIT.root.resolve()
    wanted = [*SYSTEM_PATHS, sys.base_prefix, sys.prefix, *sysconfig.get_paths().values(),
              *(p for p in sys.path if p and os.path.isdir(p)), str(KIT.engine)]
    if cuda:
        wanted += ["/sys", "/proc/driver/nvidia"]
    paths: list[Path] = []
    for path in map(Path, wanted):
        if not path.is_absolute() or not os.path.lexists(path) or _contains(path.resolve(), kit):
            continue            # the kit's root (or an ancestor) would show solutions/ and tests/
        if not any(_contains(p, path) for p in paths):
            paths = [p for p in paths if not _contains(path, p)] + [path]
    return [str(p) for p in paths]


def device_paths(cuda: bool) -> list[str]:
    return [*DEVICES, *(sorted(glob.glob("/dev/nvidia*")) if cuda else [])]


def _bind(source: str, target: Path, read_only: bool):
    if os.path.isdir(source):
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(source, str(target), None, MS_BIND | MS_REC)
    if read_only:
        _mount(None, str(target), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _copy_path(source: str, root: Path):
    """Show `source` at the same path under `root`: a symlink stays a symlink (/bin -> usr/bin)."""
    target = root / source.lstrip("/")
    if os.path.islink(source) and Path(source).parent == Path("/"):
        target.symlink_to(os.readlink(source))
    else:
        _bind(source, target, read_only=True)


def _build_root(iso: Isolation, workdir: Path) -> Path:
    """A fresh root holding only the allow-list, on a tmpfs over the worker's dir."""
    root = workdir
    _mount("tmpfs", str(root), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in readable_paths(iso.cuda):
        _copy_path(path, root)
    (root / "dev").mkdir()
    _mount("tmpfs", str(root / "dev"), "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for device in device_paths(iso.cuda):
        if os.path.exists(device):
            _bind(device, root / device.lstrip("/"), read_only=False)
    (root / "dev" / "shm").mkdir()          # its own, never the grader's
    _mount("tmpfs", str(root / "dev" / "shm"), "tmpfs", MS_NOSUID | MS_NODEV, f"size={iso.limits.tmpfs_bytes},mode=1777")
    (root / "proc").mkdir()
    own = root / str(workdir).lstrip("/")
    own.mkdir(parents=True)
    _mount("tmpfs", str(own), "tmpfs", MS_NOSUID | MS_NODEV, f"size={iso.limits.tmpfs_bytes},mode=0700")
    return root


def _pivot_into(root: Path):
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the old root")   # the old root sat on top of ours
    os.chdir("/")
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _enter_namespaces(iso: Isolation, workdir: Path):
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _pivot_into(_build_root(iso, workdir))
    # A new PID namespace applies to children: the worker proper is our child, PID 1 there.
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _processes_of(uid: int) -> list[int]:
    """The pids of every process running as `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                found.append(int(entry))
        except OSError:
            pass
    return found


def _set_limits(iso: Isolation):
    lim = iso.limits
    resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_seconds, lim.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim.open_files, lim.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not iso.cuda:   # CUDA reserves far more address space than it uses
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_bytes, lim.memory_bytes))
    base = 0 if iso.uid is not None else len(_processes_of(os.getuid()))
    resource.setrlimit(resource.RLIMIT_NPROC, (base + lim.processes, base + lim.processes))


def _evict(uid: int):
    """Kill whatever still runs as `uid` (a worker of long ago whose pid we now have): nothing of
    a uid's previous owner may meet its next one. Files, IPC and keys cannot outlive a worker."""
    for pid in _processes_of(uid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def enter_sandbox(iso: Isolation, workdir: Path, keep_fd: int, syscall_filter=None):
    """Called in a freshly forked worker, before any student code exists in it."""
    if iso.keeps_root:
        raise RuntimeError("refusing to run student code as root")
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if iso.uid is not None:   # the host pid, before a PID namespace renames us
        iso = replace(iso, uid=iso.uid + os.getpid())
        _evict(iso.uid)
    workdir.mkdir(mode=0o700, exist_ok=True)
    if iso.namespaces:
        _enter_namespaces(iso, workdir)
    if iso.uid is not None:
        os.chown(workdir, iso.uid, iso.uid)
    os.chdir(workdir)
    log = os.open(workdir / "output.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if iso.uid is not None:
        os.fchown(log, iso.uid, iso.uid)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, keep_fd)                       # nothing of the grader's (a terminal, a file) stays open
    os.closerange(keep_fd + 1, iso.limits.open_files + 64)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # writing past the cap fails instead of killing
    os.environ.clear()
    os.environ.update({"HOME": str(workdir), "TMPDIR": str(workdir), "PATH": "/usr/bin:/bin",
                       "LANG": "C.UTF-8"})
    tempfile.tempdir = str(workdir)
    _set_limits(iso)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if iso.landlock:
        landlock.restrict(readable_paths(iso.cuda), writable=[str(workdir)], devices=device_paths(iso.cuda))
    if iso.uid is not None:
        os.setgroups([])
        os.setgid(iso.uid)
        os.setuid(iso.uid)
    if iso.seccomp:
        if syscall_filter is None:
            raise RuntimeError("the system-call filter is not available in the zygote")
        syscall_filter.load()


# ------------------------------------------------------------------ the zygote

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


def zygote_connect(path: str):
    """The zygote inside a container: reach the grading process through the shared folder."""
    control = socket.socket(socket.AF_UNIX)
    control.connect(path)
    zygote_main(control.detach())


def zygote_main(control_fd: int):
    import autograder.worker as worker

    _warm_up()
    try:
        syscall_filter = seccomp.build()
    except seccomp.Unavailable:
        syscall_filter = None       # Isolation.seccomp says so; `grade` refused unless --unsafe

    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    control = socket.socket(fileno=control_fd)
    live: set[int] = set()
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
                control.close()
                try:
                    enter_sandbox(iso, Path(request["workdir"]), fds[0], syscall_filter)
                    worker.main(fds[0], request["workdir"])
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

    def __init__(self, isolation: Isolation, image: str | None = None):
        self.isolation = isolation
        self.base = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
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
             f"from autograder.sandbox import zygote_main; zygote_main({theirs.fileno()})"],
            pass_fds=[theirs.fileno()], env=env, cwd=self.base, stdin=subprocess.DEVNULL)
        theirs.close()
        return proc, ours

    def _start_in_docker(self, image: str, start_seconds: float = 120):
        """`docker run` the zygote with the base folder shared at the same path (see BACKEND_ENV)."""
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
               f"from autograder.sandbox import zygote_connect; zygote_connect({str(path)!r})"]
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


# ------------------------------------------------------------------ the trusted handle

class WorkerDied(Exception):
    """The worker crashed, exited or ran out of time; its test fails, the next gets a new one."""


class Worker:
    """One sandboxed process holding one student's module (and reference siblings)."""

    def __init__(self, zygote: Zygote, chapter: str, module: str, files: dict[str, str], timeout: float = 60):
        self.zygote = zygote
        self.pid, self.sock, self.workdir = zygote.spawn()
        self.alive = True
        self.request({"op": "setup", "chapter": chapter, "module": module, "files": files}, timeout=timeout)

    def request(self, header: dict, payload: bytes = b"", timeout: float = 60, on_sibling=None) -> tuple[dict, bytes]:
        """Send a request, answer the worker's sibling calls (`on_sibling(call, data, deadline) ->
        reply`) while it works, and return its reply."""
        if not self.alive:
            raise WorkerDied("is gone (its process ended earlier)")
        if timeout <= 0:
            self.kill()
            raise WorkerDied("timed out")
        deadline = time.monotonic() + timeout
        try:
            self.sock.settimeout(timeout)
            send_frame(self.sock, header, payload)
            while True:
                reply, data = recv_frame(self.sock)
                if reply.get("op") != "sibling" or on_sibling is None:
                    return reply, data
                answer = on_sibling(reply, data, deadline)
                self.sock.settimeout(max(deadline - time.monotonic(), 1e-3))
                send_frame(self.sock, *answer)
        except (socket.timeout, TimeoutError):
            self.kill()
            raise WorkerDied(f"timed out (limit {timeout:.3g} s)") from None
        except (EOFError, OSError, ValueError) as exc:
            self.kill()
            raise WorkerDied("ended its process unexpectedly (an exit, a crash or out of memory)") from None
        except BaseException:   # interrupted (Ctrl-C, pytest-timeout): a late reply must not reach the next test
            self.kill()
            raise

    def kill(self):
        if self.alive:
            self.alive = False
            self.sock.close()
            self.zygote.kill(self.pid, self.workdir)


class WorkerPool:
    """The live workers of one trusted grading process, one per (submission, module).

    A worker serves test after test; one that crashed or timed out is dropped, so
    the next test gets a fresh one. Each submission also has a total time cap."""

    def __init__(self, isolation: Isolation, submission_seconds: float = 900, image: str | None = None):
        self.zygote = Zygote(isolation, image)
        self.submission_seconds = submission_seconds
        self.workers: dict[tuple, Worker] = {}
        self.started: dict[str, float] = {}
        self.hung: set[tuple[str, str]] = set()   # (submission, exercise) that timed out once

    @classmethod
    def for_backend(cls, cuda: bool) -> "WorkerPool":
        """The pool BACKEND_ENV asks for: local workers, or workers in a container of an image."""
        isolation, image = isolation_for(os.environ.get(BACKEND_ENV, "local"), cuda)
        return cls(isolation, image=image)

    def seconds_left(self, submission: Path) -> float:
        start = self.started.setdefault(str(submission), time.monotonic())
        return self.submission_seconds - (time.monotonic() - start)

    def worker(self, modules, module: str) -> Worker:
        key = (str(modules.files[module]), modules.chapter, module)
        worker = self.workers.get(key)
        if worker is None or not worker.alive:
            folder = modules.files[module].parent   # one live worker per submission: free the last module's
            for other in [k for k in self.workers if Path(k[0]).parent == folder and k != key]:
                self.workers.pop(other).kill()
            from autograder.submission import needed_sources

            worker = self.workers[key] = Worker(self.zygote, modules.chapter, module, needed_sources(modules, module))
        return worker

    def reference_worker(self, chapter: str) -> Worker:
        """The chapter's reference worker: its references answer the siblings' stand-ins
        (autograder/siblings.py). Only trusted code runs in it; it serves every submission."""
        from autograder.submission import reference_modules

        key = ("reference", chapter, "")
        worker = self.workers.get(key)
        if worker is None or not worker.alive:
            files = {name: path.read_text() for name, path in reference_modules(chapter).items()}
            worker = self.workers[key] = Worker(self.zygote, chapter, "", files)
        return worker

    def release(self, submission: Path):
        """Kill every worker of a finished submission."""
        prefix = str(submission)
        for key in [k for k in self.workers if k[0].startswith(prefix)]:
            self.workers.pop(key).kill()
        self.started.pop(prefix, None)

    def close(self):
        for worker in self.workers.values():
            worker.kill()
        self.workers.clear()
        self.zygote.close()



class SandboxRunner:
    """Mode 2 of `student.run`: the probe's source and inputs go to a worker; plain data comes back."""

    def __init__(self, pool: WorkerPool, modules, module: str, exercise, submission: Path, deadline: float):
        self.pool, self.modules, self.module = pool, modules, module
        self.exercise, self.submission, self.deadline = exercise, submission, deadline

    def run(self, probe, *args, **kwargs):
        from dataclasses import asdict

        from autograder.plaindata import decode_reply, encode
        from autograder.policy import PolicyViolation
        from autograder.runner import StudentError, check_plain, probe_spec
        from autograder.submission import SubmissionImportError

        check_plain((args, kwargs), "probe arguments")
        path = self.modules.files[self.module]
        if not path.is_file():
            raise SubmissionImportError(f"{self.modules.chapter}/{path.name} is missing from the submission")
        hung = (str(self.submission), self.exercise.id)
        if hung in self.pool.hung:   # a hang costs its time limit once, not once per test
            raise StudentError("not run: an earlier test of this exercise timed out")
        left = min(self.deadline - time.monotonic(), self.pool.seconds_left(self.submission))
        if left <= 0:
            raise StudentError("out of time: the test's (or the submission's) time limit was reached")
        header = {"op": "run", "exercise": self.exercise.id, "forbidden": list(self.exercise.forbidden),
                  "probe": asdict(probe_spec(probe))}
        try:
            worker = self.pool.worker(self.modules, self.module)
            reply, payload = worker.request(header, encode((args, kwargs)), timeout=left, on_sibling=self._sibling)
        except WorkerDied as exc:
            if "timed out" in str(exc):
                self.pool.hung.add(hung)
            raise StudentError(f"the code under test {exc}") from None
        if reply.get("ok") is True:
            return decode_reply(payload, self.exercise.name,   # decoding counts against the time limits
                                deadline=min(self.deadline, time.monotonic() + self.pool.seconds_left(self.submission)))
        message = str(reply.get("message", ""))[:2000]
        kind = reply.get("kind")
        if kind == "policy":
            raise PolicyViolation(message)
        if kind == "import":
            raise SubmissionImportError(message)
        if kind == "plain":
            raise StudentError(f"{self.exercise.name} returned something that cannot be checked: {message}")
        raise StudentError(message, unfinished=reply.get("unfinished") is True)

    def _sibling(self, call: dict, data: bytes, deadline: float) -> tuple[dict, bytes]:
        """A stand-in in the student's worker asks for a reference function: checked here,
        computed in the chapter's reference worker, its answer passed back."""
        from autograder.siblings import SiblingCallError, check_call

        module, name = str(call.get("module")), str(call.get("name"))
        try:
            check_call(self.modules.chapter, self.module, module, name)
            worker = self.pool.reference_worker(self.modules.chapter)
            reply, answer = worker.request({"op": "sibling", "module": module, "name": name}, data,
                                           timeout=deadline - time.monotonic())
        except SiblingCallError as exc:
            return {"ok": False, "kind": exc.kind, "message": str(exc)}, b""
        except WorkerDied as exc:
            return {"ok": False, "kind": "RuntimeError", "message": f"{module}.{name}() {exc}"}, b""
        if reply.get("ok") is True:
            return {"ok": True}, answer
        return {"ok": False, "kind": str(reply.get("kind")), "message": str(reply.get("message"))[:2000]}, b""
