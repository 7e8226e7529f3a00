"""The meta device: model and input allocate nothing, so huge inputs trace in little memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 2 * 1024**3

# Peak resident memory of each command, measured by one child process that runs them in turn: VmHWM
# (unlike ru_maxrss, it starts from the child's own pages, not the peak of the pytest process that
# forked it), reset before each command by writing 5 to /proc/self/clear_refs.
PEAK_PROBE = textwrap.dedent("""
    import contextlib, io, json, sys
    from pathlib import Path
    from shapetrace.cli import main
    results = []
    for argv in json.loads(sys.argv[1]):
        Path("/proc/self/clear_refs").write_text("5")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        status = Path("/proc/self/status").read_text()
        peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
        results.append({"code": code, "document": json.loads(out.getvalue()), "peak": peak})
    print(json.dumps(results))
""")


_BIG = """
import torch
from torch import nn

class Big(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(160 * 2**20))  # 640 MiB

    def forward(self, x):
        return x
"""


def _source(folder: Path) -> Path:
    (folder / "big.py").write_text(_BIG)
    source = folder / "vgg_adaptive.py"
    source.write_text(
        textwrap.dedent("""
        from torch import nn
        from shapetrace.zoo.d2l import vgg11

        def vgg11_adaptive():
            net = vgg11()
            return nn.Sequential(*net[:5], nn.AdaptiveAvgPool2d((7, 7)), *net[5:])
    """)
    )
    return source


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> list[dict]:
    """VGG-11 at 8192x8192 on meta, as it is (it fails at its first Linear) and with an adaptive pool
    that lets it run, and a model with 640 MiB of weights on the CPU, in one child process."""
    source = _source(tmp_path_factory.mktemp("meta"))
    runs = [
        ["vgg11", "--input", "1,1,8192,8192", "--format", "json"],  # no flag: the choice is meta
        [f"{source}:vgg11_adaptive", "--device", "meta", "--input", "1,1,8192,8192", "--format", "json"],
        [f"{source.parent / 'big.py'}:Big", "--device", "cpu", "--input", "2", "--format", "json"],
    ]
    result = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, json.dumps(runs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_vgg11_at_8192_on_meta_fails_at_the_first_linear_in_little_memory(huge):
    # On the CPU the first conv's output alone would be 64 * 8192 * 8192 * 4 bytes = 16 GiB.
    code, document, peak = huge[0]["code"], huge[0]["document"], huge[0]["peak"]
    assert code == 1 and document["device"] == "meta"  # chosen, since a CPU pass would need > 16 GiB
    assert document["device_reason"].startswith("a CPU pass would need")
    assert document["error"]["layer"] == "6"  # Linear(25088, 4096) receives 512 * 256 * 256
    assert document["layers"][1]["output_shapes"] == [[1, 64, 8192, 8192]]
    assert document["totals"]["params"] == 128_806_154
    assert peak < LIMIT_BYTES, f"peak {peak / 2**30:.2f} GiB"


def test_a_vgg_sized_net_with_adaptive_pooling_traces_at_8192_in_little_memory(huge):
    code, document, peak = huge[1]["code"], huge[1]["document"], huge[1]["peak"]
    assert code == 0
    assert document["output_shapes"] == [[1, 10]]
    assert document["device"] == "meta"
    assert document["totals"]["activation_bytes"] > 16 * 2**30  # what it would have cost on the CPU
    assert peak < LIMIT_BYTES, f"peak {peak / 2**30:.2f} GiB"


def test_the_peak_probe_measures_memory(huge):
    """The probe can fail: a model that allocates 600 MiB of weights on the CPU shows it."""
    assert huge[2]["code"] == 0 and huge[2]["peak"] > 600 * 2**20
