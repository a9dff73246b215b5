"""What a sandboxed worker sends back cannot raise, hang or slow the trusted side.

The trusted process decodes a worker's reply (autograder/plaindata.py) and then
compares it and matches it against known mistakes. A hostile submission controls
every byte of that reply, so these tests hand-craft replies the honest encoder
would never write: values over the limits (an int of 400 digits where a float is
expected), dicts of colliding keys, oversized or malformed structures, replies
trickled byte by byte. Each is refused at decoding, with a message in the
student's words, at a cost bounded by a documented limit (never by a timer).
"""
from __future__ import annotations

import csv
import json
import shutil
import socket
import struct
import threading
import time
from types import SimpleNamespace

import pytest
import torch
from conftest import run_autograder

import autograder.plaindata as plaindata
from autograder import pytest_plugin
from autograder.compare import find_mismatch
from autograder.config import load_exercises
from autograder.layout import KIT
from autograder.outcomes import StudentError
from autograder.plaindata import (
    DICT_INT_KEYS,
    MAX_DEPTH,
    MAX_STR_CHARS,
    MAX_TENSORS,
    MAX_VALUES,
    NotPlainData,
    OutOfTime,
    check_plain,
    decode,
    decode_reply,
    encode,
    recv_frame,
)


def reply(structure, buffers=()) -> bytes:
    """An encoded value written by hand, as a hostile worker may: `structure` is the JSON part."""
    head = json.dumps(structure).encode()
    parts = [struct.pack("<II", len(head), len(buffers)), head]
    for raw in buffers:
        parts += [struct.pack("<Q", len(raw)), raw]
    return b"".join(parts)


def tensor_node(index, shape=(2,), dtype="float32", device="cpu"):
    return {"T": index, "dtype": dtype, "shape": list(shape), "device": device}


def test_plain_values_round_trip_exactly():
    value = {"w": torch.randn(3, 2, dtype=torch.float64), "b": -0.0, "n": [2**63 - 1, -2**63, True, None],
             "s": ("x" * MAX_STR_CHARS, float("nan"), float("-inf")), 7: torch.empty(4, device="meta"),
             -(2**61 - 2): torch.zeros(0, 3, dtype=torch.int64)}
    back = decode(encode(value))
    assert back.keys() == value.keys() and torch.equal(back["w"], value["w"])
    assert back["n"] == value["n"] and back["s"][0] == value["s"][0] and str(back["s"][1:]) == "(nan, -inf)"
    assert back[7].device.type == "meta" and back[-(2**61 - 2)].shape == (0, 3)


# ------------------------------------------------------------ (a) values out of range

@pytest.mark.parametrize("structure,problem", [
    ({"dict": [["w", 1], ["b", 10**400]]}, "integer too large to compare"),   # where a float is expected
    (2**63, "integer too large to compare"),
    (-2**63 - 1, "integer too large to compare"),
    ([[0, {"tuple": [10**30]}]], "integer too large to compare"),
    ({"F": "1e400"}, "malformed float"),            # a float only as its own repr
    ({"F": "nan "}, "malformed float"),
    ({"F": "0x1p3"}, "malformed float"),
    ({"F": 1.5}, "malformed float"),
    (1.5, "malformed value"),                        # JSON numbers are ints only
    ("s" * (MAX_STR_CHARS + 1), "characters"),
    ({"dict": [["k" * (MAX_STR_CHARS + 1), 1]]}, "characters"),
    ({"dict": [[True, 1]]}, "dict key of type bool"),
    ({"dict": [[[1], 1]]}, "dict key of type list"),
    ({"set": [1]}, "malformed value"),
], ids=["huge-int-as-b", "int64-max+1", "int64-min-1", "nested-huge-int", "float-overflowing-repr",
        "float-with-space", "float-hex", "float-not-a-string", "bare-json-float", "long-string", "long-key",
        "bool-key", "list-key", "unknown-tag"])
def test_values_out_of_range_are_refused_at_decoding(structure, problem):
    with pytest.raises(NotPlainData, match=problem):
        decode(reply(structure))


def test_the_honest_encoder_refuses_them_too():
    """In-process runs check the same limits, so a result that works in-process also crosses over."""
    for value in (10**400, {"b": 2**63}, {2**61: 1.0}, "s" * (MAX_STR_CHARS + 1)):
        with pytest.raises(NotPlainData):
            check_plain(value)
        with pytest.raises(NotPlainData):
            encode(value)


def test_a_refused_reply_fails_the_test_in_the_students_words():
    with pytest.raises(StudentError) as info:
        decode_reply(reply({"dict": [["w", 1], ["b", 10**400]]}), "perceptron_train", time.monotonic() + 60)
    message = str(info.value)
    assert message.startswith("perceptron_train returned something that cannot be checked")
    assert "result['b']: an integer too large to compare (more than 64 bits)" in message
    assert not any(word in message for word in ("probe", "plain data", "worker"))


def test_comparisons_cannot_raise_on_what_a_worker_may_send():
    """Even values decoding refuses (in case one slips through) compare as a mismatch, never an error."""
    for got, want in ((10**400, 0.5), (0.5, 10**400), ({"b": 10**400}, {"b": 0.5}),
                      (torch.tensor(1.0, device="meta"), 0.5), (0.5, torch.tensor(1.0, device="meta"))):
        problem = find_mismatch(got, want)
        assert problem and "result" in problem


# ------------------------------------------------------------ (b) decoding work is linear and bounded

def test_colliding_int_keys_are_refused_at_the_first_key_out_of_range(monkeypatch):
    """Int keys that hash alike (k + i * (2**61 - 1)): 60,000 of them took 30+ s to decode. Keys
    must lie in DICT_INT_KEYS, where every int hashes to itself: no two allowed keys collide, and a
    dict of colliding keys is refused at its second key, before it is hashed in bulk."""
    modulus = 2**61 - 1
    assert all(hash(k) == k for k in (DICT_INT_KEYS[0], DICT_INT_KEYS[-1], 0, 1, -2, 2**40 + 3))
    assert hash(DICT_INT_KEYS[-1] + 1) == 0 and DICT_INT_KEYS[-1] + 1 not in DICT_INT_KEYS
    checked = []
    real = plaindata.key_problem
    monkeypatch.setattr(plaindata, "key_problem", lambda key: checked.append(key) or real(key))
    with pytest.raises(NotPlainData, match="integer dict key too large"):
        decode(reply({"dict": [[5 + i * modulus, 0] for i in range(20_000)]}))
    assert checked == [5, 5 + modulus]                       # the second is out of range
    checked.clear()
    with pytest.raises(NotPlainData):                        # the red team's reply, as it was
        decode(reply({"dict": [[5 + i * modulus, 0] for i in range(60_000)]}))
    assert len(checked) <= 2


def nested(depth: int) -> bytes:
    head = b"[" * depth + b"]" * depth
    return struct.pack("<II", len(head), 0) + head


@pytest.mark.parametrize("make,problem", [
    (lambda: reply([0] * MAX_VALUES), f"more than {MAX_VALUES} values"),
    (lambda: reply({"dict": [[i, [0, 0]] for i in range(MAX_VALUES // 3 + 1)]}), f"more than {MAX_VALUES} values"),
    (lambda: nested(MAX_DEPTH + 2), f"deeper than {MAX_DEPTH}"),
    (lambda: nested(100_000), "malformed result"),          # too deep for the JSON parser itself
], ids=["long-list", "big-dict", "deep", "very-deep"])
def test_size_and_depth_are_bounded(make, problem):
    with pytest.raises(NotPlainData, match=problem):
        decode(make())


def test_a_structure_over_its_byte_limit_is_refused_before_it_is_parsed(monkeypatch):
    def parse(text):
        raise AssertionError("parsed")
    monkeypatch.setattr(plaindata.json, "loads", parse)
    head = b" " * (plaindata.MAX_HEADER_BYTES + 1)
    with pytest.raises(NotPlainData, match="structure takes"):
        decode(struct.pack("<II", len(head), 0) + head)


def test_tensors_are_bounded_and_each_buffer_is_used_once():
    data = b"\0" * 8
    with pytest.raises(NotPlainData, match="tensors"):
        decode(reply([tensor_node(i, (0,)) for i in range(MAX_TENSORS + 1)], [b""] * (MAX_TENSORS + 1)))
    with pytest.raises(NotPlainData, match="malformed tensor"):      # one 8-byte buffer, read twice
        decode(reply([tensor_node(0), tensor_node(0)], [data]))
    for node in (tensor_node(0, shape=[1] * 65), tensor_node(0, shape=[-2, -4]), tensor_node(0, shape=["2"]),
                 tensor_node(0, device="cuda:99999"), tensor_node(0, dtype="object"), tensor_node(True)):
        with pytest.raises(NotPlainData, match="malformed tensor"):
            decode(reply(node, [data]))
    with pytest.raises(NotPlainData, match="malformed"):
        decode(reply(tensor_node(0, shape=(3,)), [data]))           # 8 bytes are not 3 floats
    with pytest.raises(NotPlainData, match="malformed"):
        decode(reply(1, [data]) + b"x")                             # trailing bytes


def test_decoding_counts_against_the_time_limit():
    with pytest.raises(OutOfTime):
        decode(encode([1.0] * 10), deadline=time.monotonic() - 1)
    with pytest.raises(StudentError, match="out of time"):
        decode_reply(encode(1.0), "relu", deadline=time.monotonic() - 1)


def test_a_trickled_reply_cannot_stretch_the_time_limit():
    """The socket's timeout bounds the whole frame: one byte every 50 ms never times out a single
    read of 0.3 s, but the frame (4 s of trickling) runs out of time."""
    ours, theirs = socket.socketpair()
    frame = struct.pack("<Q", 2) + b"{}" + struct.pack("<Q", 70) + b"\0" * 70

    def trickle():
        try:
            for byte in frame:
                theirs.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    ours.settimeout(0.3)
    try:
        with pytest.raises(TimeoutError):
            recv_frame(ours)
    finally:
        ours.close()
        theirs.close()
        sender.join()


# ------------------------------------------------------------ (c) one test fails, the batch goes on

class _Unprintable(Exception):
    def __str__(self):
        raise OverflowError("int too large to convert to float")


def test_an_error_while_reporting_fails_that_test_not_the_run():
    """Whatever goes wrong while the report of a failed test is built (here: its error cannot even be
    printed), that test fails with a one-line message; pytest never sees an internal error."""
    marker = pytest.mark.exercise("ch2.activations.relu").mark
    item = SimpleNamespace(name="test_forward[cpu]", funcargs={}, get_closest_marker=lambda name: marker)
    call = SimpleNamespace(when="call", excinfo=SimpleNamespace(value=_Unprintable()))
    report = SimpleNamespace(failed=True, outcome="failed", longrepr=None, user_properties=[], sections=[])
    hook = pytest_plugin.pytest_runtest_makereport(item, call)
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(SimpleNamespace(get_result=lambda: report))
    props = dict(report.user_properties)
    assert report.outcome == "failed" and props["exercise"] == "ch2.activations.relu"
    assert props["message"].startswith("what your code returned could not be checked")
    assert "\n" not in props["message"] and props["outcome"] == "failed"


FORGED_PERCEPTRON = '''

def perceptron_train(x, y, epochs, **kwargs):
    """A known mistake (mistakes counted cumulatively), and a reply forged on the worker's own
    socket, where b (a float) is 10**400; then the worker exits."""
    import json, os, struct, sys
    w, b, mistakes = _perceptron_train(x, y, epochs, **kwargs)
    worker = sys.modules["autograder.plaindata"]
    frame, local, back = sys._getframe(), "f_" + "locals", "f_" + "back"
    while "sock" not in getattr(frame, local):
        frame = getattr(frame, back)
    data = worker.encode({"w": w, "b": 0.0, "mistakes": [int(m) for m in mistakes], "args_after": [x, y]})
    n, count = struct.unpack_from("<II", data, 0)
    header = json.loads(data[8:8 + n])
    header["dict"][1][1] = 10 ** 400
    head = json.dumps(header).encode()
    worker.send_frame(getattr(frame, local)["sock"], {"ok": True},
                      struct.pack("<II", len(head), count) + head + data[8 + n:])
    os._exit(0)
'''


def forged_perceptron_source() -> str:
    source = (KIT.solutions / "ch2" / "perceptron.py").read_text()
    per_epoch = "    for _ in range(epochs):\n        count = 0\n"
    assert source.count(per_epoch) == 1 and source.count("def perceptron_train(") == 1
    source = source.replace(per_epoch, "    count = 0\n    for _ in range(epochs):\n")
    return source.replace("def perceptron_train(", "def _perceptron_train(") + FORGED_PERCEPTRON


def test_a_forged_huge_int_fails_only_its_exercise_and_the_batch_completes(tmp_path):
    """The red team's reply: 10**400 where perceptron_train's b (a float) is expected, from a
    submission whose wrong mistake counts match a known mistake (so hints are looked for). Before,
    matching it raised OverflowError in pytest's report hook: an internal error, no grades.csv."""
    student = tmp_path / "subs" / "mallory" / "ch2"
    shutil.copytree(KIT.solutions / "ch2", student, ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    (student / "perceptron.py").write_text(forged_perceptron_source())
    out = tmp_path / "out"
    run_autograder("grade", tmp_path / "subs", "--out", out, "--chapter", "ch2")
    with open(out / "grades.csv") as f:
        (row,) = list(csv.DictReader(f))
    train = "ch2.perceptron.perceptron_train"
    ch2 = {ex.id: ex.points for ex in load_exercises().values() if ex.chapter == "ch2"}
    assert {ex: float(row[ex]) for ex in ch2} == {**ch2, train: 0.0}
    (result,) = [t for t in json.loads((out / "mallory" / "results.json").read_text())["tests"]
                 if t["name"] == train]
    assert ("perceptron_train returned something that cannot be checked: "
            "result['b']: an integer too large to compare (more than 64 bits)") in result["output"]
