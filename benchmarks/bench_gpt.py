"""The 6.6-billion-parameter GPT of examples/gpt.py, traced by `shapetrace examples/gpt.py:GPT --input
1,128:int64` (no --device: the automatic choice puts it on meta), against a minimal meta-device hook
tracer (the model built on meta, a forward hook on every module noting its output shapes, one pass):
whole-process wall time and peak resident memory of each, measured in child processes, and the MACs
against torch.utils.flop_counter.FlopCounterMode's (FLOPs / 2) on meta.

Run from the repository root:

    python benchmarks/bench_gpt.py [--repeat N]

Prints one line per measure and the ratio shapetrace / minimal tracer (target: time within 1.1x,
peak memory under 400 MiB, MACs equal). Figures are reported, never asserted: the exit status is 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from claims import Claim, child_environment, emit

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.1
TARGET_MIB = 400

_SHAPETRACE = """
import resource, sys
from shapetrace.cli import entry_point
sys.argv = ["shapetrace", "examples/gpt.py:GPT", "--input", "1,128:int64", "--format", "json",
            "-o", sys.argv[1]]
try:
    entry_point()  # what the `shapetrace` command runs
except SystemExit as done:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, done.code)
"""

_MINIMAL = """
import resource, sys, importlib.util
import torch
spec = importlib.util.spec_from_file_location("gpt", "examples/gpt.py")
gpt = importlib.util.module_from_spec(spec); spec.loader.exec_module(gpt)
with torch.device("meta"):
    model = gpt.GPT().eval()
shapes = []
for module in model.modules():
    module.register_forward_hook(lambda m, i, o: shapes.append(getattr(o, "shape", None)))
with torch.no_grad():
    model(torch.zeros(1, 128, dtype=torch.int64, device="meta"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(shapes))
"""

_FLOPS = """
import importlib.util
import torch
from torch.utils.flop_counter import FlopCounterMode
spec = importlib.util.spec_from_file_location("gpt", "examples/gpt.py")
gpt = importlib.util.module_from_spec(spec); spec.loader.exec_module(gpt)
with torch.device("meta"):
    model = gpt.GPT().eval()
with torch.no_grad(), FlopCounterMode(display=False) as counter:
    model(torch.zeros(1, 128, dtype=torch.int64, device="meta"))
print(counter.get_total_flops() // 2)
"""


def _child(code: str, *args: str) -> tuple[float, str]:
    """Wall seconds of a fresh interpreter running `code`, and what it printed."""
    env = child_environment(str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--claims", action="store_true", help="also print the claims as JSON lines")
    args = parser.parse_args()
    args.repeat = args.repeat or (1 if args.quick else 3)
    output = Path(os.environ.get("TMPDIR", "/tmp")) / "shapetrace-bench-gpt.json"
    ours, theirs, our_kib, their_kib = [], [], 0, 0
    for _ in range(args.repeat):  # interleaved, so that machine noise hits both alike
        seconds, printed = _child(_SHAPETRACE, str(output))
        ours.append(seconds)
        our_kib = max(our_kib, int(printed.split()[0]))
        seconds, printed = _child(_MINIMAL)
        theirs.append(seconds)
        their_kib = max(their_kib, int(printed.split()[0]))
    document = json.loads(output.read_text())
    flops_macs = int(_child(_FLOPS)[1])
    ratio = statistics.median(ours) / statistics.median(theirs)
    params, device, why = document["totals"]["params"], document["device"], document.get("device_reason")
    print(f"params {params:,}; device {device}: {why}")
    print(f"shapetrace      {statistics.median(ours):6.2f} s  peak {our_kib / 1024:6.0f} MiB")
    print(f"minimal tracer  {statistics.median(theirs):6.2f} s  peak {their_kib / 1024:6.0f} MiB")
    under = our_kib / 1024 < TARGET_MIB
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x); peak under {TARGET_MIB} MiB: {under}")
    macs = document["totals"]["macs"]
    print(f"MACs {macs:,}; FlopCounterMode / 2: {flops_macs:,}; equal: {macs == flops_macs}")
    if args.claims:
        mine, minimal = statistics.median(ours), statistics.median(theirs)
        emit([
            Claim("6.6 B GPT on meta, no flag: whole process vs a minimal meta tracer", f"{mine:.2f} s",
                  f"minimal {minimal:.2f} s", ratio, f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO),
            Claim("6.6 B GPT on meta: peak memory", f"{our_kib / 1024:.0f} MiB",
                  f"minimal {their_kib / 1024:.0f} MiB", our_kib / max(their_kib, 1), f"< {TARGET_MIB} MiB",
                  under),
            Claim("6.6 B GPT: MACs vs FlopCounterMode / 2", f"{macs:,}", f"FlopCounterMode {flops_macs:,}",
                  macs / max(flops_macs, 1), "equal", macs == flops_macs),
        ])  # fmt: skip


if __name__ == "__main__":
    main()
