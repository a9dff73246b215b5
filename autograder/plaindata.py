"""Plain data across a process boundary, without pickle.

`encode(value) -> bytes` and `decode(bytes) -> value` for exactly the plain data
of the exercise contract: tensors (dense, strided; any dtype and device), bool,
int, float, str, None, and lists, tuples and dicts (str or int keys) of them.
The structure travels as JSON, tensor contents as raw bytes; `decode` builds
only these types, so no code runs and no foreign object can come back.

`decode` is what the trusted side runs on a sandboxed worker's reply, so it
trusts nothing in it: the reply is bounded (MAX_BYTES, MAX_HEADER_BYTES, and the
limits of `runner.check_plain`: values, depth, int range, string length, dict
keys; MAX_TENSORS, MAX_DIMS), checked while it is built (a dict's keys before
they are hashed; each tensor buffer used once), so its work is linear in the
reply and small, and what comes out cannot make a later comparison raise.
`decode_reply` turns a refusal into the student's failure, in their words.
"""
from __future__ import annotations

import json
import re
import struct
import time

import torch

from autograder.runner import (MAX_DEPTH, MAX_TENSORS, MAX_VALUES, NotPlainData, StudentError, check_plain,
                               key_problem, where_text)

MAX_BYTES = 256 * 2**20          # a whole encoded value
MAX_HEADER_BYTES = 2**20         # its structure, as JSON (today's largest: 8.8 KB)
MAX_DIMS = 64                    # dimensions of one tensor
_DEVICES = re.compile(r"cpu|meta|cuda(:\d{1,2})?")
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
    torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}


class OutOfTime(NotPlainData):
    """Decoding went past its deadline (the test's time limit)."""


def encode(value) -> bytes:
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
    check_plain(value, what)
    _check_time(deadline)
    return value


def decode_reply(data: bytes, name: str, deadline: float):
    """A worker's reply to a probe of exercise `name`, decoded on the trusted side: a refusal is the
    student's failure (StudentError), in words about what their code returned."""
    try:
        return decode(data, deadline)
    except OutOfTime:
        raise StudentError("out of time: the test's (or the submission's) time limit was reached") from None
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
