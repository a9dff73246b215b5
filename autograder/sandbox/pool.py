"""The trusted side's handles on workers: `Worker` (one sandboxed process, spoken to in
frames) and `WorkerPool` (the live workers of one grading process, and the zygote)."""
from __future__ import annotations

import socket
import time

from autograder.plaindata import recv_frame, send_frame
from autograder.sandbox.isolation import Isolation
from autograder.sandbox.zygote import DEFAULT_SERVICE, Zygote


class WorkerDied(Exception):
    """The worker crashed, exited or ran out of time (`timed_out`); it is gone, the next request
    gets a new one."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class Worker:
    """One sandboxed process, set up by its first request (`setup`), then answering requests."""

    def __init__(self, zygote: Zygote, setup: dict, group: str | None = None, timeout: float = 60):
        self.zygote, self.group = zygote, group
        self.pid, self.sock, self.workdir = zygote.spawn()
        self.alive = True
        self.request(setup, timeout=timeout)

    def request(self, header: dict, payload: bytes = b"", timeout: float = 60, on_question=None) -> tuple[dict, bytes]:
        """Send a request and return the reply. While it works, the worker may ask questions
        (a header with "op": "ask"): `on_question(header, payload, deadline) -> (header, payload)`
        answers them."""
        if not self.alive:
            raise WorkerDied("is gone (its process ended earlier)")
        if timeout <= 0:
            self.kill()
            raise WorkerDied("timed out", timed_out=True)
        deadline = time.monotonic() + timeout
        try:
            self.sock.settimeout(timeout)
            send_frame(self.sock, header, payload)
            while True:
                reply, data = recv_frame(self.sock)
                if reply.get("op") != "ask" or on_question is None:
                    return reply, data
                answer = on_question(reply, data, deadline)
                self.sock.settimeout(max(deadline - time.monotonic(), 1e-3))
                send_frame(self.sock, *answer)
        except (socket.timeout, TimeoutError):
            self.kill()
            raise WorkerDied(f"timed out (limit {timeout:.3g} s)", timed_out=True) from None
        except (EOFError, OSError, ValueError):
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
    """The live workers of one trusted grading process, by key; each key's first element names
    the files it serves (a submission's module), and `group`s (a submission's folder) keep one
    live worker each. A worker serves request after request; one that crashed or timed out is
    dropped, so the next request gets a fresh one.

    Each group also has a wall-time budget (`seconds_left`: `group_seconds` from its first
    request on), on top of each worker's own limits."""

    def __init__(self, isolation: Isolation, group_seconds: float = 900, image: str | None = None,
                 service: str = DEFAULT_SERVICE):
        self.zygote = Zygote(isolation, image, service)
        self.group_seconds = group_seconds
        self.workers: dict[tuple, Worker] = {}
        self.started: dict[str, float] = {}

    def seconds_left(self, group: str) -> float:
        start = self.started.setdefault(str(group), time.monotonic())
        return self.group_seconds - (time.monotonic() - start)

    def get(self, key: tuple, setup, group: str | None = None) -> Worker:
        """The live worker of `key`, or a new one set up by `setup()` (its first request); a new
        worker of a `group` first frees the group's other workers."""
        worker = self.workers.get(key)
        if worker is None or not worker.alive:
            if group is not None:
                for other in [k for k, w in self.workers.items() if w.group == group and k != key]:
                    self.workers.pop(other).kill()
            worker = self.workers[key] = Worker(self.zygote, setup(), group)
        return worker

    def release(self, prefix: str):
        """Kill every worker whose key starts with `prefix` (a finished submission's folder)."""
        prefix = str(prefix)
        for key in [k for k in self.workers if str(k[0]).startswith(prefix)]:
            self.workers.pop(key).kill()
        self.started.pop(prefix, None)

    def close(self):
        for worker in self.workers.values():
            worker.kill()
        self.workers.clear()
        self.zygote.close()
