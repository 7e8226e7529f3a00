"""--device auto against the better of --device cpu and --device meta, whole-process wall time and peak
resident memory of `shapetrace MODEL --input SHAPE --format json` in fresh processes, on cases on either
side of the line: the zoo at its default inputs (the CPU), VGG-11 at growing inputs (the CPU, then
meta), and VGG-11 at 8192x8192 (meta; the CPU would need over 30 GiB, so it is not run).

Run from the repository root:

    python benchmarks/bench_device.py [--repeat N] [--big]

`--big` adds VGG-11 at 4096x4096 on the CPU (about 9 GiB and half a minute). Prints, per case, each
device's median time and peak, which device auto chose and why, and the ratio auto / best (target:
at most 1.2x, and auto's peak under 400 MiB where meta is chosen). Reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from claims import Claim, child_environment, emit
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.2
TARGET_MIB = 400

_CHILD = """
import contextlib, io, json, resource, sys
from shapetrace.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    main(sys.argv[1:])
document = json.loads(out.getvalue())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"device": document["device"], "why": document.get("device_reason"), "kib": peak}))
"""


def _run(argv: list[str]) -> tuple[float, dict]:
    env = child_environment(str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv, "--format", "json", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--claims", action="store_true", help="also print the claims as JSON lines")
    args = parser.parse_args()
    args.repeat = args.repeat or (1 if args.quick else 3)
    claims = []
    cases = [
        (["lenet"], ("auto", "cpu", "meta")),
        (["resnet18"], ("auto", "cpu", "meta")),
        (["vgg11"], ("auto", "cpu", "meta")),
        (["vgg11", "--input", "1,1,512,512"], ("auto", "cpu", "meta")),
        (["vgg11", "--input", "1,1,1024,1024"], ("auto", "cpu", "meta")),
        (["vgg11", "--input", "1,1,2048,2048"], ("auto", "cpu", "meta")),
        (["vgg11", "--input", "1,1,4096,4096"], ("auto", "cpu", "meta") if args.big else ("auto", "meta")),
        (["vgg11", "--input", "1,1,8192,8192"], ("auto", "meta")),
    ]
    rows = []
    for argv, devices in cases:
        times: dict[str, list[float]] = {device: [] for device in devices}
        peaks: dict[str, int] = dict.fromkeys(devices, 0)
        chosen = {}
        for _ in range(args.repeat):  # interleaved, so that machine noise hits every device alike
            for device in devices:
                seconds, result = _run([*argv, "--device", device])
                times[device].append(seconds)
                peaks[device] = max(peaks[device], result["kib"] // 1024)
                if device == "auto":
                    chosen = result
        median = {device: statistics.median(values) for device, values in times.items()}
        best = min(value for device, value in median.items() if device != "auto")
        ratio = median["auto"] / best
        claims.append(
            Claim(f"--device auto vs the better of cpu/meta: {' '.join(argv)}", f"{median['auto']:.2f} s",
                  f"best {best:.2f} s", ratio, f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO)
        )  # fmt: skip
        rows.append(
            (
                " ".join(argv),
                *(
                    f"{median[d]:.2f} s / {peaks[d]} MiB" if d in median else "-"
                    for d in ("cpu", "meta", "auto")
                ),
                chosen.get("device"),
                f"{median['auto'] / best:.2f}x",
                chosen.get("why"),
            )
        )
    headers = ("case", "cpu", "meta", "auto", "auto chose", "auto / best", "why")
    print(tabulate(rows, headers=headers, disable_numparse=True, maxcolwidths=[None] * 6 + [60]))
    print(f"target: auto / best <= {TARGET_RATIO}x; auto's peak under {TARGET_MIB} MiB where meta is chosen")
    if args.claims:
        emit(claims)


if __name__ == "__main__":
    main()
