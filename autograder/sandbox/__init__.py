"""Sandboxed workers: student code runs in processes that cannot hurt the grade.

This package knows nothing about exercises; what a worker does is its service's business
(runner.ProbeService). One module per part:

    isolation.py   which walls hold here (Isolation, Limits), what a worker may read
    walls.py       what a forked worker does to itself: namespaces, its own root, limits, uid
    landlock.py    the walls without root (Linux 5.13+)
    seccomp.py     the system-call filter
    zygote.py      the process that forks workers (here, or in a container of the kit's image)
    inside.py      a worker's loop: one request in, one reply out
    pool.py        the trusted side's handles: Worker, WorkerPool

    trusted process ──spawn──> zygote (imported torch once; never touches CUDA)
                                 └─fork─> worker: setsid, namespaces, limits, uid
                                          drop, then inside.main(): the service

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
              (seccomp.py: no sockets, SysV IPC, keyrings, ptrace, prlimit or
              kill on other processes, terminal injection, mounts, bpf, ...); results
              decoded as plain data only.
  root        a root of its own (pivot_root onto a tmpfs that holds only the allow-list,
              read-only, and a size-capped tmpfs as its dir and /dev/shm), new network,
              PID, IPC and UTS namespaces, and a uid/gid of its own (no user; whatever
              still runs under that uid from long ago is killed first).
  not root    Landlock (landlock.py, Linux 5.13+, also inside Docker's default
              seccomp profile): reads only the allow-list, writes only in its working dir,
              no TCP, no signals to (or ptrace of) processes outside the sandbox.
`describe_isolation()` says which hold; `autograder grade` prints it.

Backends (a run's settings.backend, from `autograder grade --backend`):
  local       the zygote is a child process of the grading process (above).
  docker      the zygote runs in a container of the kit's image (docker:IMAGE): no network,
              memory and pids limits, read-only root, a tmpfs /tmp, every capability dropped,
              no-new-privileges, a non-root user; its workers are forked and walled in there
              (Landlock). It talks to the grading process over a unix socket in a shared
              folder, so worker sockets are passed across exactly as with the local backend.
"""
from autograder.sandbox import landlock, seccomp  # noqa: F401  (before isolation.py needs them)
from autograder.sandbox.isolation import (
                                         SANDBOX_UID_BASE,
                                         Isolation,
                                         Limits,
                                         describe_isolation,
                                         is_sandbox_uid,
                                         isolation_for,
                                         readable_paths,
)
from autograder.sandbox.pool import Worker, WorkerDied, WorkerPool
from autograder.sandbox.walls import enter_sandbox
from autograder.sandbox.zygote import remove_tree

__all__ = ["SANDBOX_UID_BASE", "Isolation", "Limits", "Worker", "WorkerDied", "WorkerPool", "describe_isolation",
           "enter_sandbox", "is_sandbox_uid", "isolation_for", "readable_paths", "remove_tree"]
