"""Run every benchmark and print one table of its claims.

Run from the repository root:

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--details]

Every `benchmarks/bench_*.py` runs in a process of its own with `--claims` (and `--quick` when given);
the JSON lines it prints are its claims (see claims.py and docs/development.md, "Benchmarks"). The
table gives each claim, ours, its anchor measured in the same run, the ratio, the target and whether
it is met, under a line that describes the machine. `--details` also prints each script's own table.
Targets are reported, never asserted: the exit status is 0 unless a script fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from claims import child_environment, machine_line
from tabulate import tabulate

HERE = Path(__file__).resolve().parent
KEYS = ("claim", "ours", "anchor", "ratio", "target", "met")


def scripts(only: list[str] | None) -> list[Path]:
    """The benchmark scripts, by name (bench_trace.py is "trace")."""
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [path for path in found if path.stem.removeprefix("bench_") in only]
    return found


def run(path: Path, quick: bool) -> tuple[list[dict], str, int, float]:
    """(its claims, its output without them, its exit status, seconds it took)."""
    command = [sys.executable, str(path), "--claims", *(["--quick"] if quick else [])]
    environment = child_environment(str(HERE.parent))
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=HERE.parent, env=environment, check=False
    )
    took = time.perf_counter() - started
    claims, rest = [], []
    for line in result.stdout.splitlines():
        try:
            claim = json.loads(line) if line.startswith("{") else None
        except json.JSONDecodeError:
            claim = None
        if isinstance(claim, dict) and set(KEYS) <= claim.keys():
            claims.append(claim)
        else:
            rest.append(line)
    if result.returncode != 0:
        rest.append(result.stderr.strip())
    return claims, "\n".join(rest), result.returncode, took


def _met(value: object) -> str:
    return {True: "yes", False: "NO", None: "-"}.get(value, str(value))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these (trace, cli, solve, ...)")
    parser.add_argument("--details", action="store_true", help="also print each script's own output")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rows, failed = [], False
    for path in scripts(args.only):
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        claims, output, status, took = run(path, args.quick)
        if args.details:
            print(f"== {path.name} ({took:.0f} s)\n{output}\n")
        if status != 0 or not claims:
            failed = failed or status != 0
            reason = f"exit status {status}" if status else "no claims printed"
            rows.append([f"{path.name}: {reason}", "", "", "", "", "NO"])
        for claim in claims:
            rows.append(
                [
                    claim["claim"],
                    claim["ours"],
                    claim["anchor"],
                    f"{claim['ratio']:.2f}",
                    claim["target"],
                    _met(claim["met"]),
                ]
            )
    print(machine_line() + ("; quick run" if args.quick else ""))
    print(
        tabulate(rows, headers=["claim", "ours", "anchor", "ratio", "target", "met?"], disable_numparse=True)
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
