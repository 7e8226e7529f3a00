"""--device auto: the estimate of a CPU pass against PyTorch's own numbers, the decision on models built
to sit on either side of the line (the line moved by Limits, never by allocating much), what the
output says, and models built only to be traced skipping their weight initialisation."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from shapetrace import device_choice
from shapetrace.cli import main
from shapetrace.device_choice import Estimate, Limits, choose, estimate_model
from shapetrace.loader import load_model, skip_init
from shapetrace.pipeline import trace

ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20


def _net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(8, 16, 3), nn.BatchNorm2d(16), nn.ReLU()),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(256, 10),
    )


def _real_costs(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    """PyTorch's own numbers for a CPU pass: the most bytes one leaf's input and output hold together
    (forward hooks on real tensors), and FlopCounterMode's FLOPs / 2."""
    peak = 0

    def note(module, inputs, output):
        nonlocal peak
        peak = max(peak, inputs[0].nbytes + output.nbytes)

    for module in model.modules():
        if not list(module.children()):
            module.register_forward_hook(note)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(shape))
    return peak, counter.get_total_flops() // 2


@pytest.mark.parametrize("shape", [(1, 3, 32, 32), (2, 3, 57, 41)])
def test_the_estimate_of_a_chain_is_what_pytorch_takes(shape):
    model = _net().eval()
    with torch.device("meta"):
        on_meta = _net().eval()
    estimate = estimate_model(on_meta, [shape], [torch.float32])
    peak, macs = _real_costs(model, shape)
    assert (estimate.peak_bytes, estimate.macs) == (peak, macs)
    weights = {id(t): t for t in (*model.parameters(), *model.buffers())}.values()
    assert estimate.weight_bytes == sum(t.nbytes for t in weights)
    assert estimate.input_bytes == torch.empty(shape).nbytes


def test_a_model_that_is_no_chain_is_not_sized_by_the_tree():
    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            return x + self.conv(x)

    estimate = estimate_model(Residual(), [(1, 3, 8, 8)], [torch.float32])
    assert estimate.peak_bytes is None and estimate.macs is None


def test_the_chain_estimate_stops_where_the_formulas_refuse():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 9), nn.Conv2d(4, 64, 1))
    estimate = estimate_model(model, [(1, 1, 8, 8)], [torch.float32])
    assert estimate.macs == 4 * 6 * 6 * 9  # the first conv only: the 9x9 window does not fit 6x6
    assert estimate.peak_bytes == (64 + 4 * 36) * 4


LIMITS = Limits(memory=100 * MiB, seconds=1.0, mac_rate=1e9, byte_rate=1e9, small_input=1000)


@pytest.mark.parametrize(
    ("estimate", "device", "code"),
    [
        pytest.param(Estimate(120 * MiB, 10, 40), "meta", "device.weights", id="weights-over-memory"),
        pytest.param(Estimate(MiB, 10, 40, 99 * MiB, 0), "meta", "device.memory", id="activations-over"),
        pytest.param(Estimate(MiB, 10, 40, MiB, 2 * 10**9), "meta", "device.slow", id="slow"),
        pytest.param(Estimate(MiB, 10, 40, MiB, 10**8), "cpu", "device.cheap", id="cheap"),
        pytest.param(Estimate(MiB, 10, 40), "cpu", "device.small", id="unsized-small"),
        pytest.param(Estimate(MiB, 10**6, 40), "meta", "device.unsized", id="unsized-big-input"),
        pytest.param(Estimate(MiB, 10, 40, MiB, 10**8, traced=True), "meta", "device.traced", id="traced"),
    ],
)
def test_the_choice_on_either_side_of_the_line(estimate, device, code):
    choice = choose(estimate, LIMITS)
    assert (choice.device, choice.reason.code) == (device, code)
    assert choice.sized == (code != "device.unsized")


def _write(tmp_path: Path) -> Path:
    source = tmp_path / "chain.py"
    source.write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            def Chain(log=None):
                model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                      nn.Linear(16 * 64 * 64, 4))
                if log:
                    with open(log, "a") as file:
                        file.write(next(model.parameters()).device.type + "\\n")
                return model
            """
        )
    )
    return source


def test_the_command_line_says_which_device_ran_and_why(tmp_path, capsys, monkeypatch):
    """The same model and input on either side of a memory line: built on meta only (its weights never
    allocated) where meta is chosen; built once more on the CPU where the CPU is."""
    source, log = _write(tmp_path), tmp_path / "built.txt"
    argv = [f"{source}:Chain", "--input", "1,1,64,64", "--kwargs", json.dumps({"log": str(log)})]
    peak = (64 * 64 + 16 * 64 * 64) * 4 * 2  # the ReLU's input and output
    monkeypatch.setattr(device_choice, "LIMITS", Limits(memory=peak // 2))
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["device"] == "meta"
    assert document["device_reason"].startswith("a CPU pass would need")
    assert log.read_text().split() == ["meta"]
    main(argv)
    assert "Device: meta, chosen by cost: a CPU pass would need" in capsys.readouterr().out

    log.unlink()
    monkeypatch.setattr(device_choice, "LIMITS", Limits(memory=64 * MiB))
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["device"] == "cpu" and document["device_reason"].startswith("a CPU pass needs")
    assert log.read_text().split() == ["meta", "cpu"]
    main(argv)
    assert "Device:" not in capsys.readouterr().out  # the CPU, as ever: the footer does not dwell on it


def test_a_forced_device_is_not_explained(capsys):
    assert main(["lenet", "--device", "cpu", "--format", "json"]) == 0
    assert "device_reason" not in json.loads(capsys.readouterr().out)


def test_a_forward_meta_cannot_run_goes_to_the_cpu(tmp_path, capsys):
    source = tmp_path / "reads.py"
    source.write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            class Reads(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.linear = nn.Linear(4, 4)

                def forward(self, x):
                    return self.linear(x) if x.sum().item() > -1e9 else x
            """
        )
    )
    # an input too big to run untried without a structure the tree can size
    argv = [f"{source}:Reads", "--input", "1024,1025,4", "--format", "json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["device"] == "cpu" and "meta device cannot run" in document["device_reason"]


def test_models_built_to_be_traced_skip_their_random_initialisation():
    with skip_init():
        linear = nn.Linear(64, 64)
        table = nn.Parameter(torch.randn(3, 5))
        positions = torch.arange(6.0)
        trunc = nn.init.trunc_normal_(torch.empty(4, 4) + 1)
    assert not linear.weight.any() and not linear.bias.any() and not table.any() and not trunc.any()
    assert positions.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # what is computed stays
    loaded = load_model(f"{ROOT / 'examples' / 'gpt.py'}:GPT", {"layers": 1, "dim": 8, "heads": 2}, "cpu")
    gpt = loaded.module
    assert not gpt.blocks[0].mlp[0].weight.any()
    assert gpt.mask.equal(torch.triu(torch.ones(128, 128, dtype=torch.bool), diagonal=1))


def test_the_gpt_example_counts_what_flopcountermode_counts():
    """A small configuration of the class examples/gpt.py holds; the 6.6 B one, in the module tree only."""
    loaded = load_model(f"{ROOT / 'examples' / 'gpt.py'}:GPT", {"layers": 2, "dim": 64, "heads": 4}, "meta")
    traced = trace(loaded.module.eval(), (2, 16), dtypes=[torch.int64], device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        loaded.module(torch.zeros(2, 16, dtype=torch.int64, device="meta"))
    assert traced.totals.macs == counter.get_total_flops() // 2
    full = load_model(f"{ROOT / 'examples' / 'gpt.py'}:GPT", {}, "meta").module
    estimate = estimate_model(full, [(1, 128)], [torch.int64])
    unique = {id(p): p for p in full.parameters()}.values()
    assert sum(p.numel() for p in unique) > 6.4e9
    choice = choose(estimate, Limits(memory=16 << 30))
    assert (choice.device, choice.reason.code) == ("meta", "device.weights")
