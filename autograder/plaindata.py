"""Plain data: the only values that cross between grader and student code, and how they cross.

Plain data is what the exercise contract allows as a probe's inputs and results: tensors
(dense, strided; any dtype and device), bool, int, float, str, None, and lists, tuples and
dicts (str or int keys) of them, exact types only (no subclasses), within the limits below.

- `check_plain(value)` says whether a value is plain data (NotPlainData, with where, if not);
  `copy_plain` copies it so that the other side cannot alias its tensors.
- `encode(value) -> bytes` and `decode(bytes) -> value`, without pickle: the structure travels
  as JSON, tensor contents as raw bytes; `decode` builds only these types, so no code runs and
  no foreign object can come back. It is what the trusted side runs on a sandboxed worker's
  reply, so it trusts nothing in it: the reply is bounded (MAX_BYTES, MAX_HEADER_BYTES, the
  limits below, MAX_DIMS), checked while it is built (a dict's keys before they are hashed;
  each tensor buffer used once), so its work is linear in the reply and small, and what comes
  out cannot make a later comparison raise. `decode_reply` turns a refusal into the student's
  failure, in their words.
- `send_frame` / `recv_frame`: the frames of a worker's socket (an 8-byte length, a JSON
  header, an 8-byte length, a payload), bounded in size and, with a timeout, in time.
"""
from __future__ import annotations

import json
import re
import struct
import time

import torch

from autograder.outcomes import StudentError, out_of_time

MAX_DEPTH = 32
PLAIN_SCALARS = (bool, int, float, str, type(None))
# Limits on plain data, so that nothing a sandboxed worker sends can be slow or raise on the trusted
# side. Today's largest probe input or result (hidden suites of ch2 and ch6 against the solutions):
# 1,099 values, a 2,449-character string, depth 5; the limits leave room for far more.
MAX_VALUES = 100_000          # values in one probe's inputs or result, containers and tensors included
MAX_TENSORS = 10_000          # tensors among them (today's largest: 60)
MAX_STR_CHARS = 100_000       # characters in one string (dict keys included)
INT64 = range(-2**63, 2**63)  # ints: exact as int64, so comparing one with a float cannot overflow
# An int dict key k with |k| < 2**61 - 1 hashes to itself (CPython hashes ints modulo 2**61 - 1), so
# no two allowed keys share a hash (but -1 and -2): nobody can build a dict of colliding keys.
DICT_INT_KEYS = range(-(2**61 - 2), 2**61 - 1)


class NotPlainData(TypeError):
    """A probe's input or output holds something other than plain data, or more than its limits."""


def value_problem(value) -> str | None:
    """What is wrong with one value, its items aside (None when nothing is)."""
    kind = type(value)
    if kind is int and value not in INT64:
        return "an integer too large to compare (more than 64 bits)"
    if kind is str and len(value) > MAX_STR_CHARS:
        return f"a string of {len(value)} characters (more than {MAX_STR_CHARS})"
    if kind in PLAIN_SCALARS or kind in (torch.Tensor, list, tuple, dict):
        return None
    return (f"{kind.__module__}.{kind.__qualname__} is none of what the grader compares "
            "(tensors, numbers, strings, None, lists/tuples/dicts of them)")


def key_problem(key) -> str | None:
    """What is wrong with a dict key (None when it is a str or an int within DICT_INT_KEYS)."""
    if type(key) is int:
        return None if key in DICT_INT_KEYS else "an integer dict key too large (keys stay below 2**61 - 1)"
    if type(key) is str:
        return value_problem(key)
    return f"a dict key of type {type(key).__name__} (keys are str or int)"


def where_text(path) -> str:
    """`result['b'][3]` from a path kept as nested pairs ((where, 'b'), 3) until a message needs it."""
    steps = []
    while isinstance(path, tuple):
        path, step = path
        steps.append(f"[{step!r}]" if type(step) is not str or len(step) <= 60 else f"[{step[:50]!r}...]")
    return path + "".join(reversed(steps))


def check_plain(value, where="value"):
    """Raise NotPlainData unless `value` is plain data (exact types, no subclasses) within the
    limits above. Linear in the size of `value`; stops at the first problem."""
    count = tensors = 0

    def visit(v, path, depth):
        nonlocal count, tensors
        count += 1
        tensors += type(v) is torch.Tensor
        problem = (f"more than {MAX_VALUES} values in all" if count > MAX_VALUES
                   else f"more than {MAX_TENSORS} tensors in all" if tensors > MAX_TENSORS
                   else f"nested deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH
                   else value_problem(v))
        if problem:
            raise NotPlainData(f"{where_text(path)}: {problem}")
        is_dict = type(v) is dict
        items = v.items() if is_dict else enumerate(v) if type(v) in (list, tuple) else ()
        for key, item in items:
            problem = is_dict and key_problem(key)
            if problem:
                raise NotPlainData(f"{where_text(path)}: {problem}")
            visit(item, (path, key), depth + 1)

    visit(value, where, 0)


def copy_plain(value):
    """A deep copy whose tensors are detached clones (the other side cannot alias them)."""
    if type(value) is torch.Tensor:
        return value.detach().clone()
    if type(value) in (list, tuple):
        return type(value)(copy_plain(v) for v in value)
    if type(value) is dict:
        return {k: copy_plain(v) for k, v in value.items()}
    return value



# ------------------------------------------------------------------ encoding

MAX_BYTES = 256 * 2**20          # a whole encoded value
MAX_HEADER_BYTES = 2**20         # its structure, as JSON (today's largest: 8.8 KB)
MAX_DIMS = 64                    # dimensions of one tensor
_DEVICES = re.compile(r"cpu|meta|cuda(:\d{1,2})?")
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
    torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}


class OutOfTime(NotPlainData):
    """Decoding went past its deadline (the test's time limit)."""


def encode(value, checked: bool = False) -> bytes:
    """`value` as bytes (`checked`: the caller has just run check_plain on it)."""
    if not checked:
        check_plain(value)
    buffers: list[bytes] = []

    def walk(v):
        if type(v) is torch.Tensor:
            t = v.detach()
            has_data = t.numel() and t.device.type != "meta"   # meta tensors have a shape, no data
            raw = t.contiguous().cpu().reshape(-1).view(torch.uint8).numpy().tobytes() if has_data else b""
            buffers.append(raw)
            return {"T": len(buffers) - 1, "dtype": str(t.dtype).removeprefix("torch."),
                    "shape": list(t.shape), "device": str(t.device)}
        if type(v) is float:
            return {"F": repr(v)}          # keeps nan/inf and every bit of the value
        if type(v) is list:
            return [walk(x) for x in v]
        if type(v) is tuple:
            return {"tuple": [walk(x) for x in v]}
        if type(v) is dict:
            return {"dict": [[k, walk(x)] for k, x in v.items()]}
        return v                            # bool, int, str, None

    header = json.dumps(walk(value)).encode()
    parts = [struct.pack("<II", len(header), len(buffers)), header]
    for raw in buffers:
        parts += [struct.pack("<Q", len(raw)), raw]
    return b"".join(parts)


def decode(data: bytes, deadline: float | None = None, what: str = "result"):
    """Rebuild plain data; raises NotPlainData on anything malformed or over a limit, OutOfTime
    once time.monotonic() passes `deadline`."""
    header, buffers = _split(data)
    _check_time(deadline)
    try:
        value = _Builder(buffers, deadline).build(header, what, 0)
    except NotPlainData:
        raise
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:   # what the checks missed
        raise NotPlainData(f"a malformed result ({type(exc).__name__})") from None
    _check_time(deadline)
    return value


def decode_reply(data: bytes, name: str, deadline: float):
    """A worker's reply to a probe of exercise `name`, decoded on the trusted side: a refusal is the
    student's failure (StudentError), in words about what their code returned."""
    try:
        return decode(data, deadline)
    except OutOfTime:
        raise out_of_time() from None
    except NotPlainData as exc:
        raise StudentError(f"{name} returned something that cannot be checked: {exc}") from None


def _check_time(deadline):
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime("out of time")


def _split(data: bytes) -> tuple[object, list[memoryview]]:
    """The JSON structure and the tensor buffers of an encoded value, within the byte limits."""
    if len(data) > MAX_BYTES:
        raise NotPlainData(f"a result of {len(data)} bytes (more than {MAX_BYTES})")
    try:
        header_len, count = struct.unpack_from("<II", data, 0)
        if header_len > MAX_HEADER_BYTES:
            raise NotPlainData(f"a result whose structure takes {header_len} bytes (more than {MAX_HEADER_BYTES})")
        if count > MAX_TENSORS:
            raise NotPlainData(f"a result of {count} tensors (more than {MAX_TENSORS})")
        offset = 8 + header_len
        header = json.loads(data[8:offset])
        buffers = []
        for _ in range(count):
            (n,) = struct.unpack_from("<Q", data, offset)
            offset += 8
            if offset + n > len(data):
                raise ValueError("truncated")
            buffers.append(memoryview(data)[offset:offset + n])   # copied once, by _tensor
            offset += n
        if offset != len(data):
            raise ValueError("trailing bytes")
    except (ValueError, struct.error, RecursionError) as exc:
        raise NotPlainData(f"a malformed result ({str(exc)[:200]})") from None
    return header, buffers


class _Builder:
    """Plain data from the JSON structure, in one pass that stops at the first problem."""

    def __init__(self, buffers: list[memoryview], deadline: float | None):
        self.buffers, self.deadline = buffers, deadline
        self.count = 0              # nodes built so far
        self.tensors = 0            # buffers used so far (in order, each once)

    def build(self, node, path, depth):
        self.count += 1
        if self.count > MAX_VALUES:
            raise NotPlainData(f"{where_text(path)}: more than {MAX_VALUES} values in all")
        if depth > MAX_DEPTH:
            raise NotPlainData(f"{where_text(path)}: nested deeper than {MAX_DEPTH} levels")
        if self.count % 4096 == 0:
            _check_time(self.deadline)
        if type(node) is list:
            return [self.build(x, (path, i), depth + 1) for i, x in enumerate(node)]
        if type(node) is dict:
            return self.tagged(node, path, depth)
        if node is None or type(node) in (bool, int, str):
            problem = value_problem(node)
            if problem:
                raise NotPlainData(f"{where_text(path)}: {problem}")
            return node
        raise NotPlainData(f"{where_text(path)}: a malformed value ({type(node).__name__})")

    def tagged(self, node: dict, path, depth):
        """A float, tuple, dict or tensor: a JSON object with its tag as keys."""
        tag = tuple(sorted(node))
        if tag == ("F",):
            return _float(node["F"], path)
        if tag == ("tuple",) and type(node["tuple"]) is list:
            return tuple(self.build(x, (path, i), depth + 1) for i, x in enumerate(node["tuple"]))
        if tag == ("dict",) and type(node["dict"]) is list:
            return self.dict(node["dict"], path, depth)
        if tag == ("T", "device", "dtype", "shape"):
            return self.tensor(node, path)
        raise NotPlainData(f"{where_text(path)}: a malformed value")

    def dict(self, pairs: list, path, depth) -> dict:
        out = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise NotPlainData(f"{where_text(path)}: a malformed dict")
            key, item = pair
            problem = key_problem(key)     # before hashing it: no colliding keys
            if problem:
                raise NotPlainData(f"{where_text(path)}: {problem}")
            out[key] = self.build(item, (path, key), depth + 1)
        return out

    def tensor(self, node: dict, path) -> torch.Tensor:
        if self.tensors >= len(self.buffers) or not _describes_tensor(node, self.tensors):
            raise NotPlainData(f"{where_text(path)}: a malformed tensor")
        raw = self.buffers[self.tensors]
        self.tensors += 1
        try:
            return _tensor(raw, _DTYPES[node["dtype"]], node["shape"], node["device"])
        except (RuntimeError, ValueError) as exc:
            raise NotPlainData(f"{where_text(path)}: a malformed tensor ({str(exc)[:200]})") from None


def _describes_tensor(node: dict, index: int) -> bool:
    """Is `node` the `index`-th tensor (each buffer is read once), with a known dtype, a shape and a device?"""
    shape, device = node["shape"], node["device"]
    return (type(node["T"]) is int and node["T"] == index
            and type(node["dtype"]) is str and node["dtype"] in _DTYPES
            and type(shape) is list and len(shape) <= MAX_DIMS
            and all(type(s) is int and 0 <= s < 2**63 for s in shape)
            and type(device) is str and _DEVICES.fullmatch(device) is not None)


def _float(text, path) -> float:
    """A float from its repr, which must be exactly the repr (nan, inf and every bit kept)."""
    try:
        value = float(text) if type(text) is str and len(text) <= 32 else None
    except ValueError:
        value = None
    if value is None or repr(value) != text:
        raise NotPlainData(f"{where_text(path)}: a malformed float")
    return value


def _tensor(raw, dtype: torch.dtype, shape: list[int], device: str) -> torch.Tensor:
    if device == "meta":
        if raw:
            raise ValueError("a meta tensor came with data")
        return torch.empty(shape, dtype=dtype, device="meta")
    numel = 1
    for s in shape:
        numel *= s
    if len(raw) != numel * torch.empty((), dtype=dtype).element_size():
        raise ValueError("its bytes do not match its shape and dtype")
    flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
    tensor = flat.view(dtype).reshape(shape)
    return tensor.to(device) if device != "cpu" else tensor


# ------------------------------------------------------------------ frames

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
