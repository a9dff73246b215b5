"""Walls and limits: what a freshly forked worker does to itself before any student code
exists in it (`enter_sandbox`)."""
from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import tempfile
from dataclasses import replace
from pathlib import Path

from autograder.sandbox import landlock
from autograder.sandbox.isolation import Isolation, device_paths, readable_paths

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

_libc = ctypes.CDLL(None, use_errno=True)


def namespaces_allowed() -> bool:
    """Root may still be refused namespaces (a container without CAP_SYS_ADMIN, e.g. Docker's
    defaults or Gradescope): try in a throwaway child."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _check(result: int, what: str):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


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
    _mount("tmpfs", str(root / "dev" / "shm"), "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={iso.limits.tmpfs_bytes},mode=1777")
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


