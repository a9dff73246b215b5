"""Which walls a worker gets here (`Isolation`), what it may see (`readable_paths`), and
how to say so (`describe_isolation`)."""
from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.layout import KIT
from autograder.sandbox import landlock, seccomp

# As root, each worker runs as a uid of its own, SANDBOX_UID_BASE + its pid: no user on the
# machine, and per-user limits (processes, threads) then bound one worker, not the whole class.
SANDBOX_UID_BASE = 100_000


def is_sandbox_uid(uid: int) -> bool:
    return uid >= SANDBOX_UID_BASE


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
    seccomp: bool = True              # the system-call filter (seccomp.py)
    keeps_root: bool = False          # root without namespaces, Python in a closed folder: cannot drop root

    @classmethod
    def best_available(cls, cuda: bool) -> "Isolation":
        from autograder.sandbox.walls import namespaces_allowed

        root = os.geteuid() == 0
        # AUTOGRADER_NO_NAMESPACES=1: behave as in a container that refuses them (tests of that mode)
        namespaces = root and not os.environ.get("AUTOGRADER_NO_NAMESPACES") and namespaces_allowed()
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


