"""Inside the sandbox: load a student's module and answer probe requests.

The trusted side talks to a worker over one stream socket, in frames (an
8-byte length, a JSON header, an 8-byte length, a payload):

    {"op": "setup", "chapter", "module", "files": {name: source}}   -> {"ok": true}
    {"op": "run", "exercise", "forbidden", "probe": {...}} + encoded (args, kwargs)
        -> {"ok": true} + encoded result
        |  {"ok": false, "kind": "student"|"policy"|"import"|"plain", "message": ...}
      while it runs, the worker may ask (a sibling's stand-in, autograder/siblings.py):
        <- {"op": "sibling", "chapter", "module", "name"} + encoded (args, kwargs)
        -> {"ok": true} + encoded result | {"ok": false, "kind": exception type, "message"}

A reference worker (setup with module "") holds a chapter's references and answers only
"sibling" requests; no student code ever runs in it.

Nothing the worker says is trusted: results are decoded as plain data only
(autograder.plaindata) and compared on the trusted side.
"""
from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

from autograder.plaindata import decode, encode
from autograder.policy import PolicyViolation, RuntimeGuard
from autograder.runner import InProcessRunner, NotPlainData, ProbeSpec, StudentError
from autograder.siblings import SiblingCallError, call_reference
from autograder.submission import ChapterModules, SubmissionImportError

MAX_HEADER = 16 * 2**20
MAX_PAYLOAD = 256 * 2**20


def send_frame(sock, header: dict, payload: bytes = b""):
    head = json.dumps(header).encode()
    sock.sendall(struct.pack("<Q", len(head)) + head + struct.pack("<Q", len(payload)) + payload)


def _recv_exact(sock, n: int, deadline: float | None) -> bytes:
    chunks, size = [], 0
    while size < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(left)
        chunk = sock.recv(min(n - size, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def recv_frame(sock) -> tuple[dict, bytes]:
    """One frame. A timeout set on `sock` bounds the whole frame, not each read: a sender that
    trickles bytes cannot stretch it."""
    timeout = sock.gettimeout()
    deadline = None if timeout is None else time.monotonic() + timeout
    (n,) = struct.unpack("<Q", _recv_exact(sock, 8, deadline))
    if n > MAX_HEADER:
        raise NotPlainData(f"header of {n} bytes is too large")
    try:
        header = json.loads(_recv_exact(sock, n, deadline))
    except RecursionError:
        raise ValueError("header nested too deeply") from None
    (m,) = struct.unpack("<Q", _recv_exact(sock, 8, deadline))
    if m > MAX_PAYLOAD:
        raise NotPlainData(f"payload of {m} bytes is too large")
    if not isinstance(header, dict):
        raise NotPlainData("header is not an object")
    return header, _recv_exact(sock, m, deadline)


def _setup(header: dict, workdir: Path) -> tuple[ChapterModules, str]:
    chapter, module = header["chapter"], header["module"]
    folder = workdir / chapter
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, source in header["files"].items():
        path = folder / f"{name}.py"
        path.write_text(source)
        files[name] = path
    return ChapterModules(chapter, files), module


def _run(header: dict, payload: bytes, modules: ChapterModules, module: str, sock):
    spec = ProbeSpec(**header["probe"])
    args, kwargs = decode(payload)
    guard = lambda: RuntimeGuard(header["exercise"], header["forbidden"])
    runner = InProcessRunner(modules, module, guard, sibling_calls=lambda *call: _ask_grader(sock, *call))
    return runner.run_spec(spec, args, kwargs)


def _ask_grader(sock, chapter, module, name, args, kwargs):
    """A sibling's stand-in asks the trusted side (see autograder/siblings.py)."""
    send_frame(sock, {"op": "sibling", "chapter": chapter, "module": module, "name": name}, encode((args, kwargs)))
    reply, payload = recv_frame(sock)
    if reply.get("ok") is not True:
        raise SiblingCallError(str(reply.get("kind")), str(reply.get("message", ""))[:2000])
    return decode(payload)


def _answer_sibling(header: dict, payload: bytes, modules: ChapterModules) -> bytes:
    """In a reference worker: run the reference function a stand-in asked for."""
    args, kwargs = decode(payload)
    with modules.active():
        return encode(call_reference(modules, header["module"], header["name"], args, kwargs))


def serve(sock, workdir: Path):
    """Answer requests until the trusted side hangs up."""
    modules = module = None
    while True:
        try:
            header, payload = recv_frame(sock)
        except EOFError:
            return
        try:
            if header.get("op") == "setup":
                modules, module = _setup(header, workdir)
                send_frame(sock, {"ok": True})
            elif header.get("op") == "run" and modules is not None and module:
                send_frame(sock, {"ok": True}, encode(_run(header, payload, modules, module, sock)))
            elif header.get("op") == "sibling" and modules is not None and not module:
                send_frame(sock, {"ok": True}, _answer_sibling(header, payload, modules))
            else:
                send_frame(sock, {"ok": False, "kind": "protocol", "message": f"unexpected {header.get('op')}"})
        except SiblingCallError as exc:
            send_frame(sock, {"ok": False, "kind": exc.kind, "message": str(exc)})
        except SubmissionImportError as exc:
            send_frame(sock, {"ok": False, "kind": "import", "message": str(exc)})
        except PolicyViolation as exc:
            send_frame(sock, {"ok": False, "kind": "policy", "message": str(exc)})
        except NotPlainData as exc:
            send_frame(sock, {"ok": False, "kind": "plain", "message": str(exc)})
        except StudentError as exc:
            send_frame(sock, {"ok": False, "kind": "student", "message": str(exc), "unfinished": exc.unfinished})
        except Exception as exc:  # a broken request: say so rather than die
            send_frame(sock, {"ok": False, "kind": "student", "message": f"{type(exc).__name__}: {exc}"})


def main(fd: int, workdir: str):
    import socket

    sock = socket.socket(fileno=fd)
    serve(sock, Path(workdir))
    os._exit(0)
