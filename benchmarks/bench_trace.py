"""Benchmark shapetrace.trace against a bare forward pass and torchinfo.summary.

Run from the repository root:

    python benchmarks/bench_trace.py [--repeat N] [--quick] [--threads N]

For each model (the six zoo models at their default inputs, plus two 1000-block conv chains) it times,
in one process and on the CPU, three things, each as the median of several repetitions:

  1. a bare forward pass, ``with torch.no_grad(): model(x)``;
  2. ``shapetrace.trace(model, input_size)``;
  3. ``torchinfo.summary(model, input_size=input_size, verbose=0)``.

One warm-up run of each comes first; then the three are interleaved round-robin within every repetition
so that machine noise hits them alike. Repetitions default to 7, or 3 for models whose warm-up round took
over 2 s; ``--repeat N`` forces N for every model, ``--quick`` means 3 repetitions and no vgg11 (a smoke
test), ``--threads N`` sets torch's intra-op threads (default 1,
which keeps the ratios steady on a small shared machine). The table gives the ratios shapetrace/bare and
shapetrace/torchinfo, and shapetrace's overhead per module call in microseconds.
Targets are only reported, never asserted: the exit status is always 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import torch
import torchinfo
from tabulate import tabulate
from torch import nn

import shapetrace
from shapetrace import zoo

TARGET_BARE = 1.3  # shapetrace <= 1.3x bare forward
TARGET_TORCHINFO = 0.5  # shapetrace <= 0.5x torchinfo
SLOW_WARMUP_S = 2.0  # a warm-up round slower than this gets fewer repetitions by default
SLOW_REPEAT = 3


def conv_chain(channels: int, blocks: int = 1000) -> nn.Module:
    """`blocks` Conv-BN-ReLU blocks of `channels` channels, in eval mode."""
    return nn.Sequential(
        *(
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU())
            for _ in range(blocks)
        )
    ).eval()


def models(quick: bool) -> list[tuple[str, Callable[[], nn.Module], tuple[int, ...]]]:
    """(name, builder, input size) for every benchmarked model."""
    cases: list[tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = [
        (name, lambda name=name: zoo.build(name), entry.default_input)
        for name, entry in zoo.ZOO.items()
        if not (quick and name == "vgg11")
    ]
    cases.append(("chain1000-c8-8x8", lambda: conv_chain(8), (1, 8, 8, 8)))
    cases.append(("chain1000-c32-32x32", lambda: conv_chain(32), (1, 32, 32, 32)))
    return cases


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(model: nn.Module, input_size: tuple[int, ...], repeat: int | None) -> tuple[int, list[float], int]:
    """Module-call count, median seconds of (bare, shapetrace, torchinfo), and repetitions used."""
    x = torch.randn(input_size)

    def bare() -> None:
        with torch.no_grad():
            model(x)

    runs = [
        bare,
        lambda: shapetrace.trace(model, input_size),
        lambda: torchinfo.summary(model, input_size=input_size, verbose=0),
    ]
    warmup = sum(seconds(fn) for fn in runs)  # one warm-up run of each
    if repeat is None:
        repeat = SLOW_REPEAT if warmup > SLOW_WARMUP_S else 7
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for fn, samples in zip(runs, times, strict=True):
            samples.append(seconds(fn))
    modules = len(shapetrace.trace(model, input_size).layers)
    return modules, [statistics.median(samples) for samples in times], repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions per model (default 7; 3 if slow)"
    )
    parser.add_argument("--quick", action="store_true", help="3 repetitions, skip vgg11 (smoke test)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1: steadier ratios on a busy machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeat = 3 if args.quick and args.repeat is None else args.repeat

    print(f"torch {torch.__version__}, torch threads {torch.get_num_threads()}, CPU count {os.cpu_count()}")
    rows, verdicts = [], []
    for name, build, input_size in models(args.quick):
        model = build()
        modules, (bare, traced, info), used = bench(model, input_size, repeat)
        del model
        per_call_us = (traced - bare) / modules * 1e6
        overhead_ratio = (traced - bare) / (info - bare) if info > bare else float("nan")
        timings = [
            bare * 1e3,
            traced * 1e3,
            info * 1e3,
            traced / bare,
            traced / info,
            per_call_us,
            overhead_ratio,
        ]
        rows.append([name, modules, used, *timings])
        yes = {True: "yes", False: "no"}
        verdicts.append([name, yes[traced <= TARGET_BARE * bare], yes[traced <= TARGET_TORCHINFO * info]])
        print(f"  done {name}", file=sys.stderr, flush=True)
    headers = "model|modules|reps|bare ms|shapetrace ms|torchinfo ms|shapetrace/bare|shapetrace/torchinfo"
    headers = [*headers.split("|"), "overhead us/module", "overhead vs torchinfo's"]
    print(tabulate(rows, headers=headers, floatfmt=".2f"))
    print()
    print(f"target: shapetrace <= {TARGET_BARE}x bare forward and <= {TARGET_TORCHINFO}x torchinfo")
    target_headers = ["model", f"<= {TARGET_BARE}x bare", f"<= {TARGET_TORCHINFO}x torchinfo"]
    print(tabulate(verdicts, headers=target_headers))


if __name__ == "__main__":
    main()
