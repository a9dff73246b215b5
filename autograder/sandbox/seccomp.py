"""A system-call filter for sandboxed workers (libseccomp, through its ctypes binding pyseccomp).

Walls (namespaces or Landlock) decide what a worker may *see*; this filter decides what it
may *do* to anything but itself, in every mode. A worker computes, reads and writes what its
walls allow, forks, and talks over the one socket it was handed. Everything below fails with
EPERM (the process lives on; a student's code gets an ordinary PermissionError):

- acting on other processes: ptrace, process_vm_readv/writev, kcmp, pidfd_getfd,
  pidfd_send_signal, prlimit64 on another process, kill/tkill to every process (pid -1);
- terminals: the ioctls that type into a terminal or take it over (TIOCSTI, TIOCLINUX,
  TIOCSCTTY);
- talking to anything else: socket() (socketpair stays, for its own pipes), SysV IPC,
  kernel keyrings;
- the kernel's levers: mount, namespaces, bpf, perf_event_open, io_uring, userfaultfd,
  modules, kexec, syslog, reboot, swap, clocks, ...

The filter is built once in the zygote (`build()`) and loaded by each worker as its very
last step before student code exists in it (its `.load()`); no_new_privs must already be set.
"""
from __future__ import annotations

import errno

TIOCSCTTY, TIOCSTI, TIOCLINUX = 0x540E, 0x5412, 0x541C
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                   0x00000080)   # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
LOW32 = 0xFFFFFFFF

DENIED = [
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "pidfd_send_signal",
    "process_madvise",
    # talking to anything but its own pipe
    "socket", "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "add_key", "request_key", "keyctl",
    # the kernel's levers
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "syslog", "reboot", "swapon", "swapoff", "acct",
    "quotactl", "open_by_handle_at", "name_to_handle_at", "fanotify_init", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
    "personality", "lookup_dcookie", "vhangup",
]


class Unavailable(Exception):
    """libseccomp or its binding is missing: workers cannot be filtered here."""


def build():
    """The filter, ready to load (raises Unavailable)."""
    try:
        import pyseccomp as sc
    except Exception as exc:     # the binding is missing, or libseccomp.so.2 is
        raise Unavailable(f"libseccomp is not available ({type(exc).__name__}: {exc})") from None
    deny = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except (RuntimeError, ValueError, OSError):
            pass                 # not a system call on this architecture
    for name in ("kill", "tkill"):
        f.add_rule(deny, name, sc.Arg(0, sc.MASKED_EQ, LOW32, LOW32))           # pid -1: everyone
    f.add_rule(deny, "prlimit64", sc.Arg(0, sc.NE, 0))                           # another process
    for request in (TIOCSTI, TIOCLINUX, TIOCSCTTY):
        f.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, LOW32, request))
    for flag in NAMESPACE_FLAGS:
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")   # its flags are out of a filter's reach: libc falls back to clone
    return f

