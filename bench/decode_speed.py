"""How long does the trusted side take to decode a worker's reply, typical and hostile?

A reply is decoded (autograder.plaindata.decode) before anything else looks at it;
its work must stay linear and small whatever a submission sends. Prints the median
time of: a typical reply, replies at the limits (MAX_VALUES values, MAX_HEADER_BYTES
of structure, a long string), and dicts of colliding int keys (the red team's 60,000
took 30+ s; now over the structure's byte limit, refused unparsed; 20,000 fit in it
and are refused at the second key, by the dict-key limit).

    python bench/decode_speed.py [--repeat 5]
"""
import argparse
import json
import statistics
import struct
import time

import torch

from autograder.plaindata import MAX_HEADER_BYTES, MAX_STR_CHARS, MAX_VALUES, NotPlainData, decode, encode


def raw_reply(structure) -> bytes:
    head = json.dumps(structure).encode()
    return struct.pack("<II", len(head), 0) + head


CASES = {
    "typical (a dict of 4 tensors and a float)": lambda: encode(
        {"w": torch.randn(64, 32), "b": 0.5, "mistakes": list(range(15)), "args_after": [torch.randn(40, 5)] * 2}),
    f"list of {MAX_VALUES - 1} ints (at the value limit)": lambda: encode([7] * (MAX_VALUES - 1)),
    f"list of {MAX_VALUES} ints (refused)": lambda: raw_reply([7] * MAX_VALUES),
    f"a string of {MAX_STR_CHARS} characters": lambda: encode("x" * MAX_STR_CHARS),
    f"{MAX_HEADER_BYTES // 21} 19-digit ints (at the structure's byte limit)": lambda: raw_reply(
        [10**18] * (MAX_HEADER_BYTES // 21)),
    "60,000 colliding int keys (refused)": lambda: raw_reply(
        {"dict": [[5 + i * (2**61 - 1), 0] for i in range(60_000)]}),
    "20,000 colliding int keys (refused)": lambda: raw_reply(
        {"dict": [[5 + i * (2**61 - 1), 0] for i in range(20_000)]}),
}


def median_seconds(data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            decode(data)
        except NotPlainData:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name, make in CASES.items():
        data = make()
        print(f"{median_seconds(data, args.repeat) * 1000:9.1f} ms  {len(data) / 2**20:6.2f} MiB  {name}")


if __name__ == "__main__":
    main()
