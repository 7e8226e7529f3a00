"""Diagnosis of a failed forward pass: the numbers, the chain of shapes and the fix, in the user's terms."""

from __future__ import annotations

import json
import re
import time

import pytest
import torch
from torch import nn

import shapetrace
import shapetrace.messages
from shapetrace import solver, zoo
from shapetrace.cli import main
from tests.test_solve import _pass_seconds, _SlowItem


def _error(model: nn.Module, shape: tuple[int, ...]) -> shapetrace.ShapeError:
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, shape)
    return info.value


def test_alexnet_at_227_names_the_linear_the_flatten_and_the_numbers():
    error = _error(zoo.build("alexnet"), (1, 1, 227, 227))
    assert error.layer == "net.14"
    assert "expects 6,400 input features but receives 9,216" in error.hint
    assert "net.13 (Flatten) turned [1, 256, 6, 6] into 256·6·6 = 9,216" in error.hint
    assert "set in_features=9216" in error.hint
    assert "5×5 feature map before net.13 (256·5·5 = 6,400)" in error.hint
    assert error.hint.endswith("Inputs 193-224 (H = W) work.")  # the solver's answer
    assert error.trace.error.kind == "features"


def test_lenet_at_32():
    error = _error(zoo.build("lenet"), (1, 1, 32, 32))
    assert error.layer == "net.7"
    assert "expects 400 input features but receives 576" in error.hint
    assert "Inputs 28-31 (H = W) work." in error.hint
    assert "16·6·6 = 576" in error.hint and "16·5·5 = 400" in error.hint


def test_vgg11_at_32_reaches_the_linear_with_a_1x1_map():
    error = _error(zoo.build("vgg11", "meta"), (1, 1, 32, 32))
    assert error.layer == "6"
    assert "expects 25,088 input features but receives 512" in error.hint
    assert "7×7 feature map before 5 (512·7·7 = 25,088)" in error.hint


def test_vgg11_at_16_says_where_the_spatial_size_ran_out():
    error = _error(zoo.build("vgg11", "meta"), (1, 1, 16, 16))
    assert error.layer == "4.4"  # the fifth block's pool receives 1x1
    assert "ran out at 4.4 (MaxPool2d): it receives 1×1" in error.hint
    assert "input 16×16 → 0.2 8×8 → 1.2 4×4 → 2.4 2×2 → 3.4 1×1" in error.hint
    assert error.hint.endswith("Fix: use a larger input. Inputs 224-255 (H = W) work.")


def test_a_kernel_larger_than_a_convolutions_input():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 5))
    error = _error(model, (1, 1, 8, 8))
    assert error.layer == "2"
    assert "ran out at 2 (Conv2d): it receives 3×3" in error.hint
    assert "smaller than the kernel's span" in error.hint
    assert "input 8×8 → 0 6×6 → 1 3×3" in error.hint


def test_a_channel_mismatch_at_the_input_suggests_the_input(tmp_path, capsys, monkeypatch):
    error = _error(nn.Sequential(nn.Conv2d(3, 8, 3)), (1, 1, 16, 16))
    assert error.hint == (  # the library speaks in its own arguments
        "0 (Conv2d) expects 3 channels but receives 1. "
        "Fix: give an input with 3 channels (input_size=(1, 3, 16, 16)) or build it with in_channels=1."
    )
    (tmp_path / "rgb.py").write_text(
        "from torch import nn\nNet = lambda: nn.Sequential(nn.Conv2d(3, 8, 3))\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["rgb.py:Net", "--input", "1,1,16,16"]) == 1  # the command line in its flags
    assert "give an input with 3 channels (--input 1,3,16,16)" in capsys.readouterr().out


def test_a_channel_mismatch_between_layers():
    error = _error(nn.Sequential(nn.Conv2d(1, 8, 3), nn.Conv2d(4, 8, 3)), (1, 1, 16, 16))
    assert "1 (Conv2d) expects 4 channels but receives 8" in error.hint
    assert "make the layer before it give 4 channels" in error.hint


def test_other_failures_keep_pytorchs_message_and_the_received_shapes():
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x).view(3, 7)

    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(nn.Sequential(Broken()), (2, 4))
    assert "shape '[3, 7]' is invalid" in str(info.value)


def test_the_diagnosis_is_in_json_and_the_table(capsys):
    assert main(["alexnet", "--input", "1,1,227,227", "--format", "json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["layer"] == "net.14" and "256·6·6 = 9,216" in error["hint"]
    assert main(["alexnet", "--input", "1,1,227,227"]) == 1
    assert "Hint: net.14 (Linear) expects 6,400 input features" in capsys.readouterr().out


def test_channel_fix_for_one_and_three_dimensional_inputs():
    error = _error(nn.Sequential(nn.Conv1d(3, 4, 3)), (1, 1, 17))
    assert "input_size=(1, 3, 17)" in error.hint
    error = _error(nn.Sequential(nn.Conv3d(3, 4, 3)), (1, 1, 8, 8, 8))
    assert "input_size=(1, 3, 8, 8, 8)" in error.hint


def test_concatenation_inputs_are_attributed_by_dataflow_not_by_shape():
    class Three(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3, padding=1)
            self.c = nn.Conv2d(3, 4, 3, padding=1)  # same shape as a's output, but not an input of cat
            self.b = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            a, _, b = self.a(x), self.c(x), self.b(x)
            return torch.cat((a, b), dim=1)

    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(Three(), (1, 3, 8, 8))
    assert "[1, 4, 8, 8] from a; [1, 4, 6, 6] from b" in info.value.hint


def test_working_sizes_are_merged_across_output_shapes():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 5), nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(2, 2, 3), nn.Flatten(), nn.Linear(2, 2)
    )
    error = _error(model, (1, 1, 12, 12))
    assert error.hint.endswith("Inputs 9-10 (H = W) work.")


class _Typo(nn.Module):
    def forward(self, x):
        return x.nonexistent_method()  # the bug: the line the diagnosis must point at


class _Asserts(nn.Module):
    def forward(self, x):
        assert x.shape[1] == 3, "expects RGB"
        return x


def test_a_bug_in_forward_is_reported_as_a_bug_with_its_file_and_line():
    import inspect

    line = inspect.getsourcelines(_Typo.forward)[1] + 1
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(nn.Sequential(nn.Linear(4, 4), _Typo()), (2, 4))
    error = info.value.trace.error
    assert (error.layer, error.kind, error.exception_type) == ("1", "code", "AttributeError")
    assert error.location.endswith(f"test_diagnose.py:{line}")
    assert info.value.hint.startswith(f"not a shape problem: AttributeError at {error.location}")
    assert "1 (_Typo) received [2, 4]" in info.value.hint


def test_a_failed_assert_in_the_model_is_named_as_such(capsys):
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(nn.Sequential(_Asserts()), (1, 1, 4, 4))
    assert info.value.trace.error.kind == "code"
    assert info.value.hint.startswith("an assert in the model's code failed at ")


def test_shape_errors_are_not_called_bugs():
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(nn.Sequential(nn.Linear(4, 4)), (2, 5))
    assert info.value.trace.error.kind == "features" and "not a shape problem" not in info.value.hint


def test_an_embedding_fed_floats_is_told_to_take_integer_ids(capsys):
    model = nn.Sequential(nn.Embedding(10, 4))
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (2, 7))
    assert info.value.trace.error.kind == "dtype"
    assert info.value.hint == (
        "0 (Embedding) looks up rows by integer index but receives float32. "
        "Fix: give integer token ids: dtypes=torch.int64, or input_data as an int64 tensor of shape (2, 7)."
    )
    cli_words = shapetrace.messages.render(info.value.trace.error.advice, "en", "cli")
    assert cli_words.endswith("--dtype int64, or a typed input such as --input 2,7:int64.")
    shapetrace.trace(model, (2, 7), dtypes=torch.int64)  # and the fix works


def test_the_sizes_that_work_hint_stops_at_its_budget_and_says_which_sizes_it_checked(monkeypatch, capsys):
    """A model that calls .item() cannot run on the meta device; failing at its Linear, it leaves the
    hint's search one real forward pass per size. The budget stops it, and the hint says so."""
    model = _SlowItem(seconds=0.1)  # runs on 12×12 only
    one_pass = _pass_seconds(model, (1, 1, 256, 256))  # also warms PyTorch's meta device up
    monkeypatch.setattr(solver, "HINT_BUDGET", 1.5)
    started = time.perf_counter()
    error = _error(model, (1, 1, 16, 16))
    elapsed = time.perf_counter() - started
    with_sizes = re.search(
        r"No square input from 1 to (\d+) works\. \(Only sizes 1\.\.(\d+) were checked", error.hint
    )
    assert with_sizes is not None, error.hint
    checked = int(with_sizes.group(2))
    assert with_sizes.group(1) == with_sizes.group(2) and 1 <= checked < 12
    assert error.hint.endswith("the search stopped after 1.5 s.)")
    assert "搜索在 1.5 秒后停止" in shapetrace.messages.render(error.trace.error.advice, "zh")
    # the failed pass itself, the budget, and at most one pass beyond it: not 256 passes of 0.1 s
    assert elapsed <= one_pass + 1.5 + one_pass + 0.5, (elapsed, one_pass)
    model.seconds = 0.0
    for size in range(1, checked + 1):  # PyTorch agrees: none of the sizes checked works
        with pytest.raises(RuntimeError):
            model(torch.zeros(1, 1, size, size))
    with capsys.disabled():
        print(f"\nhint budget 1.5 s: one pass {one_pass:.3f} s, trace {elapsed:.3f} s, checked 1..{checked}")
