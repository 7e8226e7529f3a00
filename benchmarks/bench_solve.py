"""Benchmark the solver against exhaustive search.

Run from the repository root:

    python benchmarks/bench_solve.py [--hi 1024] [--exhaustive-hi 256] [--quick] [--claims]

For each zoo model it times `shapetrace.solve` over sizes 1..HI (the analytic replay, its first
trace and confirming passes included) and an exhaustive search: one meta-device forward pass per size
over 1..EXHAUSTIVE_HI, scaled linearly to 1..HI (measured on the smaller range to keep the run short).
It checks that both give the same ranges on the common sizes and prints the times and the speed-up.
`--quick` searches 1..64 exhaustively. The claims: each model's solve time against the exhaustive
search's (target: under 1 s, the same ranges).
"""

from __future__ import annotations

import argparse
import time

import torch
from claims import Claim, emit, machine_line
from tabulate import tabulate

from shapetrace import zoo
from shapetrace.introspect import meta_copy
from shapetrace.solver import _Passes, _runs, solve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hi", type=int, default=1024, help="largest size the solver covers")
    parser.add_argument("--exhaustive-hi", type=int, default=256, help="largest size searched exhaustively")
    parser.add_argument("--quick", action="store_true", help="search 1..64 exhaustively")
    parser.add_argument("--claims", action="store_true", help="also print the claims as JSON lines")
    args = parser.parse_args()
    if args.quick:
        args.exhaustive_hi = min(args.exhaustive_hi, 64)
    torch.set_num_threads(1)
    solve(zoo.build("lenet", "meta"), (1, 1, 28, 28), 1, 8)  # warm up: imports and first-call costs
    rows, claims = [], []
    for name, entry in zoo.ZOO.items():
        model = zoo.build(name, "meta")
        solution = solve(model, entry.default_input, 1, args.hi)
        passes = _Passes(meta_copy(model), entry.default_input, "square", torch.float32, "meta")
        started = time.perf_counter()
        exhaustive = _runs(range(1, args.exhaustive_hi + 1), passes)
        per_pass = (time.perf_counter() - started) / args.exhaustive_hi
        small = solve(model, entry.default_input, 1, args.exhaustive_hi)
        same = [(r.first, r.last, r.output_shapes) for r in small.valid] == [
            (r.first, r.last, r.output_shapes) for r in exhaustive if r.ok
        ]
        valid = ", ".join(f"{r.first}-{r.last}" for r in solution.valid)
        estimate = per_pass * args.hi
        timing = [f"{solution.seconds:.2f}", f"{per_pass * 1000:.1f}", f"{estimate:.1f}"]
        speedup = f"{estimate / solution.seconds:.0f}x"
        agrees = "yes" if same else "NO"
        rows.append([name, valid, solution.method, solution.passes, *timing, speedup, agrees])
        claims.append(
            Claim(
                f"solve 1..{args.hi} vs exhaustive search: {name}", f"{solution.seconds:.2f} s",
                f"exhaustive {estimate:.1f} s", solution.seconds / estimate, "< 1 s, same ranges",
                solution.seconds < 1.0 and same,
            )
        )  # fmt: skip
    print(f"{machine_line()}; sizes 1..{args.hi}")
    headers = [
        "model", "works for", "method", "real passes", "solve s", "ms per pass", f"exhaustive 1..{args.hi} s",
        "speed-up", f"same as exhaustive on 1..{args.exhaustive_hi}",
    ]  # fmt: skip
    print(tabulate(rows, headers=headers, disable_numparse=True))
    print("target: each zoo model solved over 1..1024 in under 1 s")
    if args.claims:
        emit(claims)


if __name__ == "__main__":
    main()
