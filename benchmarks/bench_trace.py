"""Benchmark shapetrace.trace against a bare forward pass, torchinfo.summary and a minimal tracer.

Run from the repository root:

    python benchmarks/bench_trace.py [--repeat N] [--quick] [--threads N] [--only NAME ...] [--claims]

For each model (the zoo models at their default inputs, plus two 1000-block conv chains) it times,
in one process and on the CPU, four things, each as the median of several repetitions:

  1. a bare forward pass, ``with torch.no_grad(): model(x)``;
  2. ``shapetrace.trace(model, input_size)``;
  3. ``torchinfo.summary(model, input_size=input_size, verbose=0)``;
  4. a minimal tracer: 20 lines of forward hooks that note each module's output shape and parameter
     count (`minimal_trace`), the floor of what any hook-based tracer costs;
  5. ``shapetrace.trace(...)`` and a read of its checks: the trace with its analyses (cross-check,
     receptive fields, closed forms), which a trace runs on the first read of what they fill. The
     claims time ``trace()`` alone, as torchinfo's summary is timed without printing its table; this
     column shows what reading every analysis adds.

One warm-up run of each comes first; then they are interleaved round-robin within every repetition
(a bare pass right before each tracer) so that machine noise hits them alike. Repetitions default to
7, 21 for models whose warm-up round took under 0.5 s, 3 where it took over 2 s; ``--repeat N``
forces N, ``--quick`` means 3 repetitions and no vgg11 or 32-channel chain (a smoke test), ``--only
NAME ...`` runs those models alone, ``--threads N`` sets torch's intra-op threads (default 1, which
keeps the ratios steady on a small shared machine). A tracer's overhead is its time minus that of
the bare pass run just before it, the median over repetitions; the claims compare shapetrace's
overhead with torchinfo's (target <= 0.5x) and with the minimal tracer's (target <= 2x). Targets are
only reported, never asserted: the exit status is always 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

import torch
import torchinfo
from claims import Claim, emit, machine_line, paired_excess, samples, seconds
from tabulate import tabulate
from torch import nn

import shapetrace
from shapetrace import zoo

TARGET_TORCHINFO = 0.5  # shapetrace's overhead <= 0.5x torchinfo's
TARGET_MINIMAL = 2.0  # shapetrace's overhead <= 2x the minimal tracer's
FAST_WARMUP_S, FAST_REPEAT = 0.5, 21  # a warm-up round faster than this gets more repetitions
SLOW_WARMUP_S, SLOW_REPEAT = 2.0, 3  # a warm-up round slower than this gets fewer


def conv_chain(channels: int, blocks: int = 1000) -> nn.Module:
    """`blocks` Conv-BN-ReLU blocks of `channels` channels, in eval mode."""
    return nn.Sequential(
        *(
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU())
            for _ in range(blocks)
        )
    ).eval()


def minimal_trace(model: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...] | None, int]]:
    """The minimal tracer: each module call's type, output shape and own parameter count."""
    rows = []

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        rows.append((type(module).__name__, shape, sum(p.numel() for p in module.parameters(recurse=False))))

    handles = [module.register_forward_hook(hook) for module in model.modules()]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def models(quick: bool) -> list[tuple[str, Callable[[], nn.Module], tuple[int, ...]]]:
    """(name, builder, input size) for every benchmarked model."""
    cases: list[tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = [
        (name, lambda name=name: zoo.build(name), entry.default_input)
        for name, entry in zoo.ZOO.items()
        if not (quick and name == "vgg11")
    ]
    cases.append(("chain1000-c8-8x8", lambda: conv_chain(8), (1, 8, 8, 8)))
    if not quick:
        cases.append(("chain1000-c32-32x32", lambda: conv_chain(32), (1, 32, 32, 32)))
    return cases


def bench(
    model: nn.Module, input_size: tuple[int, ...], repeat: int | None
) -> tuple[int, list[float], list[float], int]:
    """Module-call count, median seconds of (bare, shapetrace, torchinfo, minimal, shapetrace with its
    analyses read), the median paired overheads of (shapetrace, torchinfo, minimal, shapetrace with
    analyses) over the bare pass, and repetitions used."""
    x = torch.randn(input_size)

    def bare() -> None:
        with torch.no_grad():
            model(x)

    runs = [
        bare,
        lambda: shapetrace.trace(model, input_size),
        bare,
        lambda: torchinfo.summary(model, input_size=input_size, verbose=0),
        bare,
        lambda: minimal_trace(model, x),
        bare,
        lambda: shapetrace.trace(model, input_size).checks,
    ]
    warmup = sum(seconds(fn) for fn in runs)
    if repeat is None:
        repeat = SLOW_REPEAT if warmup > SLOW_WARMUP_S else FAST_REPEAT if warmup < FAST_WARMUP_S else 7
    found = samples(runs, repeat, warmup=False)
    medians = [statistics.median(found[0] + found[2] + found[4] + found[6])]
    medians += [statistics.median(found[at]) for at in (1, 3, 5, 7)]
    overheads = [paired_excess(found[at], found[at - 1]) for at in (1, 3, 5, 7)]  # each after a bare pass
    modules = len(shapetrace.trace(model, input_size).layers)
    return modules, medians, overheads, repeat


def _ratio(ours: float, anchor: float) -> float:
    return ours / anchor if anchor > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions per model (default 7; 3 if slow)"
    )
    parser.add_argument("--quick", action="store_true", help="3 repetitions, no vgg11 or 32-channel chain")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="these models alone (names as in the table)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--claims", action="store_true", help="also print the claims as JSON lines")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeat = 3 if args.quick and args.repeat is None else args.repeat

    print(machine_line())
    rows, claims = [], []
    for name, build, input_size in models(args.quick):
        if args.only and name not in args.only:
            continue
        model = build()
        modules, (bare, traced, info, minimal, _), (ours, theirs, floor, analysed), used = bench(
            model, input_size, repeat
        )
        del model
        rows.append(
            [
                name, modules, used, bare * 1e3, traced * 1e3, info * 1e3, minimal * 1e3, traced / bare,
                ours / modules * 1e6, theirs / modules * 1e6, floor / modules * 1e6,
                _ratio(ours, theirs), _ratio(ours, floor), analysed / modules * 1e6,
            ]
        )  # fmt: skip
        vs_info, vs_minimal = _ratio(ours, theirs), _ratio(ours, floor)
        spent = f"{ours * 1e3:.2f} ms"
        claims.append(
            Claim(
                f"trace overhead vs torchinfo's: {name}", spent, f"torchinfo {theirs * 1e3:.2f} ms", vs_info,
                f"<= {TARGET_TORCHINFO}x", vs_info <= TARGET_TORCHINFO,
            )
        )  # fmt: skip
        claims.append(
            Claim(
                f"trace overhead vs minimal tracer's: {name}", spent, f"minimal {floor * 1e3:.2f} ms",
                vs_minimal, f"<= {TARGET_MINIMAL:g}x", vs_minimal <= TARGET_MINIMAL,
            )
        )  # fmt: skip
        print(f"  done {name}", file=sys.stderr, flush=True)
    headers = [
        "model", "modules", "reps", "bare ms", "shapetrace ms", "torchinfo ms", "minimal ms",
        "shapetrace/bare", "overhead us/call", "torchinfo's", "minimal's", "vs torchinfo's", "vs minimal's",
        "with analyses us/call",
    ]  # fmt: skip
    print(tabulate(rows, headers=headers, floatfmt=".2f"))
    goal = f"<= {TARGET_TORCHINFO}x torchinfo's and <= {TARGET_MINIMAL:g}x the minimal tracer's"
    print(f"targets: overhead {goal}")
    if args.claims:
        emit(claims)


if __name__ == "__main__":
    main()
