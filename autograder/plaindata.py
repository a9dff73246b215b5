"""Plain data across a process boundary, without pickle.

`encode(value) -> bytes` and `decode(bytes) -> value` for exactly the plain data
of the exercise contract: tensors (dense, strided; any dtype and device), bool,
int, float, str, None, and lists, tuples and dicts (str or int keys) of them.
The structure travels as JSON, tensor contents as raw bytes; `decode` builds
only these types, so no code runs and no foreign object can come back.
"""
from __future__ import annotations

import json
import struct

import torch

from autograder.runner import MAX_DEPTH, NotPlainData, check_plain

MAX_BYTES = 256 * 2**20
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
    torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}


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


def decode(data: bytes, device_map=None):
    """Rebuild plain data; raises NotPlainData on anything malformed."""
    if len(data) > MAX_BYTES:
        raise NotPlainData(f"result of {len(data)} bytes is larger than {MAX_BYTES}")
    try:
        header_len, count = struct.unpack_from("<II", data, 0)
        offset = 8 + header_len
        header = json.loads(data[8:offset])
        buffers = []
        for _ in range(count):
            (n,) = struct.unpack_from("<Q", data, offset)
            offset += 8
            if offset + n > len(data):
                raise ValueError("truncated")
            buffers.append(data[offset:offset + n])
            offset += n
    except (ValueError, struct.error, RecursionError) as exc:
        raise NotPlainData(f"malformed result: {exc}") from None

    def build(node, depth):
        if depth > MAX_DEPTH:
            raise NotPlainData(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, list):
            return [build(x, depth + 1) for x in node]
        if isinstance(node, dict):
            if set(node) == {"F"} and isinstance(node["F"], str):
                return float(node["F"])
            if set(node) == {"tuple"}:
                return tuple(build(x, depth + 1) for x in node["tuple"])
            if set(node) == {"dict"}:
                return {k: build(x, depth + 1) for k, x in node["dict"]}
            if set(node) == {"T", "dtype", "shape", "device"}:
                return _tensor(node, buffers, device_map)
            raise NotPlainData(f"unknown node {sorted(node)}")
        if node is None or type(node) in (bool, int, str):
            return node
        raise NotPlainData(f"unexpected {type(node).__name__} in result")

    try:
        value = build(header, 0)
    except (KeyError, TypeError, ValueError, IndexError, RecursionError, RuntimeError) as exc:
        raise NotPlainData(f"malformed result: {exc}") from None
    check_plain(value)
    return value


def _tensor(node, buffers, device_map):
    dtype = _DTYPES[node["dtype"]]
    shape = [int(s) for s in node["shape"]]
    raw = buffers[node["T"]]
    if node["device"] == "meta":
        if raw:
            raise NotPlainData("a meta tensor came with data")
        return torch.empty(shape, dtype=dtype, device="meta")
    numel = 1
    for s in shape:
        numel *= s
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * itemsize:
        raise NotPlainData("tensor bytes do not match its shape and dtype")
    flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
    tensor = flat.view(dtype).reshape(shape)
    device = node["device"] if device_map is None else device_map(node["device"])
    return tensor.to(device) if device != "cpu" else tensor
