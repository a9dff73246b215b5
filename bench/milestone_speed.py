"""How long does a chapter's milestone take on finished work, and (chapter 6) what does the KV cache save?

Runs the milestone (`--chapter ch6`: train_tinygpt.py, `ch1`: train_first_model.py, `ch3`:
train_optimizers.py, `ch4`: train_generalization.py, `ch5`: train_resnet.py, with the kit's solutions
in place of the stubs, as a student runs it when done: a fresh Python, torch imported) N times and prints,
with the load average: the median wall time of a whole run and of its training.
Chapter 6: for each greedy decoding it compares (54 tokens by the trained model, 500 by an untrained
one of the same size) the tokens fed to the model and the median time with and without the cache.
Targets: chapter 6, a whole run within a minute (the README and the milestone say about half a
minute), the 500-token generation at least 3x faster with the cache; chapter 3, a whole run within
30 s on one thread (the README and the milestone say about 10 s; its plot goes to a temporary folder);
chapter 4 (train_generalization.py), the same target (the milestone says about 10 s); chapter 1
(train_first_model.py), the same target (the milestone says about 14 s on a very busy machine); chapter 5
(train_resnet.py), the same target (the milestone says about 15 s; its two pictures go to a temporary
folder).
Work counts are exact and checked by kit_tests/test_milestone.py; this script is about time only.

    python bench/milestone_speed.py [--chapter ch6] [--repeat 3] [-- milestone options, e.g. --threads 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
MILESTONES = {"ch6": KIT / "solutions" / "ch6" / "train_tinygpt.py",
              "ch1": KIT / "solutions" / "ch1" / "train_first_model.py",
              "ch3": KIT / "solutions" / "ch3" / "train_optimizers.py",
              "ch4": KIT / "solutions" / "ch4" / "train_generalization.py",
              "ch5": KIT / "solutions" / "ch5" / "train_resnet.py"}
RUN = """import json, runpy, sys
main = runpy.run_path(sys.argv[1])["main"]
result = main(sys.argv[2:])
print("RESULT " + json.dumps({k: result[k] for k in ("training_seconds", "short", "long") if k in result}))
"""
TARGET_SECONDS = {"ch6": 60.0, "ch1": 30.0, "ch3": 30.0, "ch4": 30.0, "ch5": 30.0}
TARGET_SPEEDUP = 3.0


def one_run(milestone: Path, options: list[str]) -> dict:
    """A whole milestone run in a fresh Python: its figures and its wall time."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUN, str(milestone), *options],
                          capture_output=True, text=True, check=True)
    figures = json.loads(proc.stdout.rsplit("RESULT ", 1)[1])
    figures["wall_seconds"] = time.perf_counter() - start
    return figures


def decoding_line(name: str, runs: list[dict]) -> tuple[str, float]:
    """A line on one of the greedy decodings the milestone compares, and the median speedup."""
    first = runs[0][name]
    cached = statistics.median(run[name]["seconds_cached"] for run in runs)
    full = statistics.median(run[name]["seconds_full"] for run in runs)
    speedup = statistics.median(run[name]["seconds_full"] / run[name]["seconds_cached"] for run in runs)
    return (f"{name:5} decoding: tokens fed {first['fed_cached']:,} with the cache, {first['fed_full']:,} without; "
            f"{cached * 1000:.0f} ms against {full * 1000:.0f} ms: {speedup:.1f}x faster with the cache"), speedup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chapter", choices=sorted(MILESTONES), default="ch6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("options", nargs=argparse.REMAINDER, help="after --: options for the milestone")
    args = parser.parse_args()
    options = [o for o in args.options if o != "--"]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as plots:
        plot_file = ["--out", str(Path(plots) / "plot.png")]
        plot = {"ch1": plot_file, "ch3": plot_file, "ch4": plot_file, "ch5": ["--out", plots]}.get(args.chapter, [])
        runs = [one_run(MILESTONES[args.chapter], plot + options) for _ in range(args.repeat)]
    wall = statistics.median(run["wall_seconds"] for run in runs)
    training = statistics.median(run["training_seconds"] for run in runs)
    target = TARGET_SECONDS[args.chapter]
    print(f"{args.chapter} milestone: whole run {wall:.1f} s (training {training:.1f} s), median of {args.repeat}; "
          f"target {target:.0f} s: {'met' if wall <= target else 'MISSED'}")
    if args.chapter == "ch6":
        print(decoding_line("short", runs)[0])
    if args.chapter == "ch6" and runs[0]["long"]:
        line, speedup = decoding_line("long", runs)
        print(f"{line}; target {TARGET_SPEEDUP:.0f}x: {'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
