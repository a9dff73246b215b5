"""Inside a worker: answer the trusted side's requests, one frame in, one frame out.

The zygote forks a worker, walls it in (walls.py), then runs `main` with a *service*, named
"module:factory" (zygote.DEFAULT_SERVICE: runner.ProbeService). `factory(workdir, ask)` makes
an object whose `handle(header, payload) -> (header, payload)` answers one request; while it
works it may call `ask(header, payload) -> (header, payload)`, which sends a question to the
trusted side (a header with "op": "ask") and waits for the answer. The sandbox does not know
what the requests mean; the service does. Nothing a worker says is trusted: the trusted side
decodes every reply as plain data (plaindata.py).
"""
from __future__ import annotations

import importlib
import os
import socket
from pathlib import Path

from autograder.plaindata import recv_frame, send_frame


def load_service(name: str):
    """The factory named "module:attribute"."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def serve(sock, service):
    """Answer requests until the trusted side hangs up."""
    while True:
        try:
            header, payload = recv_frame(sock)
        except EOFError:
            return
        try:
            reply = service.handle(header, payload)
        except Exception as exc:  # a broken request: say so rather than die
            reply = {"ok": False, "message": f"{type(exc).__name__}: {exc}"}, b""
        send_frame(sock, *reply)


def main(fd: int, workdir: str, make_service):
    sock = socket.socket(fileno=fd)

    def ask(header: dict, payload: bytes) -> tuple[dict, bytes]:
        send_frame(sock, {**header, "op": "ask"}, payload)
        return recv_frame(sock)

    serve(sock, make_service(Path(workdir), ask))
    os._exit(0)
