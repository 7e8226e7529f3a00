"""The meta device: model and input allocate nothing, so huge inputs trace in little memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 2 * 1024**3

# Peak resident memory of one child process, measured by the child itself at exit: VmHWM, which
# (unlike ru_maxrss) starts from the child's own pages, not the peak of the pytest process that forked it.
PEAK_PROBE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from shapetrace.cli import main
    code = main(sys.argv[1:])
    status = Path("/proc/self/status").read_text()
    peak_kib = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    print(f"PEAK {peak_kib * 1024}", file=sys.stderr)
    sys.exit(code)
""")


def _run(*argv: str) -> tuple[int, dict, int]:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    peak = int(next(line for line in result.stderr.splitlines() if line.startswith("PEAK")).split()[1])
    return result.returncode, json.loads(result.stdout), peak


def test_vgg11_at_8192_on_meta_fails_at_the_first_linear_in_little_memory():
    # On the CPU the first conv's output alone would be 64 * 8192 * 8192 * 4 bytes = 16 GiB.
    code, document, peak = _run("vgg11", "--device", "meta", "--input", "1,1,8192,8192", "--format", "json")
    assert code == 1
    assert document["error"]["layer"] == "6"  # Linear(25088, 4096) receives 512 * 256 * 256
    assert document["layers"][1]["output_shapes"] == [[1, 64, 8192, 8192]]
    assert document["totals"]["params"] == 128_806_154
    assert peak < LIMIT_BYTES, f"peak {peak / 2**30:.2f} GiB"


def test_a_vgg_sized_net_with_adaptive_pooling_traces_at_8192_in_little_memory(tmp_path):
    source = tmp_path / "vgg_adaptive.py"
    source.write_text(
        textwrap.dedent("""
        from torch import nn
        from shapetrace.zoo.d2l import vgg11

        def vgg11_adaptive():
            net = vgg11()
            return nn.Sequential(*net[:5], nn.AdaptiveAvgPool2d((7, 7)), *net[5:])
    """)
    )
    code, document, peak = _run(
        f"{source}:vgg11_adaptive", "--device", "meta", "--input", "1,1,8192,8192", "--format", "json"
    )
    assert code == 0
    assert document["output_shapes"] == [[1, 10]]
    assert document["device"] == "meta"
    assert document["totals"]["activation_bytes"] > 16 * 2**30  # what it would have cost on the CPU
    assert peak < LIMIT_BYTES, f"peak {peak / 2**30:.2f} GiB"
