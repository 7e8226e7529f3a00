"""What every benchmark shares: interleaved timing with medians, the machine line, and the claim lines
`run_all.py` collects.

The convention (docs/development.md, "Benchmarks"): a script `benchmarks/bench_<name>.py` run with
`--claims` prints, besides anything else, one JSON object per line for each claim it measures, with
the keys of `Claim` (`claim`, `ours`, `anchor`, `ratio`, `target`, `met`); `--quick` asks for a short
run. `run_all.py` runs every such script and gathers those lines into one table.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

__all__ = [
    "Claim", "emit", "machine_line", "interleaved", "samples", "paired_excess", "seconds",
    "child_environment",
]  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """One measured claim: what ours took, what its anchor (measured in the same run) took, their ratio
    and the target for it; `met` is None where the claim has no pass/fail target."""

    claim: str  # e.g. "trace overhead vs torchinfo's: resnet18"
    ours: str  # with its unit: "12.3 ms"
    anchor: str  # the anchor's name and figure: "torchinfo 25.1 ms"
    ratio: float
    target: str  # "<= 0.5x"
    met: bool | None


def emit(claims: Sequence[Claim]) -> None:
    """Print the claims as JSON lines (what run_all.py reads)."""
    for claim in claims:
        print(json.dumps(asdict(claim)), flush=True)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def child_environment(root: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's child process: `root` (the repository) first on PYTHONPATH, and
    Python's bytecode cache on, as an installed package has it (PYTHONDONTWRITEBYTECODE, which some
    shells set, would have every run compile shapetrace's sources again: about 60 ms)."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH", "")]))
    return {**environment, **extra}


def machine_line() -> str:
    """CPU model, cores, Python, torch version and torch threads (torch is imported here)."""
    import torch

    return (
        f"{_cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s)"
    )


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def samples(runs: Sequence[Callable[[], object]], repeat: int, warmup: bool = True) -> list[list[float]]:
    """Seconds of each run in every repetition, the runs interleaved round-robin within a repetition so
    that machine noise hits them alike; one warm-up round first."""
    if warmup:
        for fn in runs:
            fn()
    found: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for fn, times in zip(runs, found, strict=True):
            times.append(seconds(fn))
    return found


def interleaved(runs: Sequence[Callable[[], object]], repeat: int, warmup: bool = True) -> list[float]:
    """Median seconds of each run (see `samples`)."""
    return [statistics.median(times) for times in samples(runs, repeat, warmup)]


def paired_excess(times: Sequence[float], base: Sequence[float]) -> float:
    """Median over repetitions of (time - the base's time in the same repetition): what a run adds to
    its base, steadier than a difference of two medians when the machine's speed drifts."""
    return statistics.median(t - b for t, b in zip(times, base, strict=True))
