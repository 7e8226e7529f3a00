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
    assert error.hint.endswith(
        "Fix: use a larger input, or padding=1 on 4.4 (MaxPool2d) so that the window fits. "
        "Inputs 224-255 (H = W) work."
    )


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
    assert error.hint.endswith("Fix: build it with in_channels=8, or build 0 (Conv2d) with out_channels=4.")


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


def test_working_sizes_are_merged_across_output_shapes(monkeypatch):
    monkeypatch.setattr(solver, "HINT_BUDGET", None)  # 256 passes; on a busy machine, more than 5 s
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
    """A model that calls .item() cannot run on the meta device; failing at its Linear, and without
    the closed forms' size that fits, it leaves the hint's search one real forward pass per size. The
    budget stops it, and the hint says so."""
    model = _SlowItem(seconds=0.1)  # runs on 12×12 only
    one_pass = _pass_seconds(model, (1, 1, 256, 256))  # also warms PyTorch's meta device up
    budget = max(1.5, round(8 * one_pass, 1))  # more on a loaded machine, where a pass is slower
    monkeypatch.setattr(solver, "HINT_BUDGET", budget)
    monkeypatch.setattr(solver, "_fitting_size", lambda *_: None)
    monkeypatch.setattr(solver, "_closed_hint", lambda *_: None)
    started = time.perf_counter()
    error = _error(model, (1, 1, 16, 16))
    elapsed = time.perf_counter() - started
    with_sizes = re.search(
        r"No square input from 1 to (\d+) works\. \(Only sizes 1\.\.(\d+) were checked", error.hint
    )
    assert with_sizes is not None, error.hint
    checked = int(with_sizes.group(2))
    assert with_sizes.group(1) == with_sizes.group(2) and 1 <= checked < 12
    assert error.hint.endswith(f"the search stopped after {budget} s.)")
    assert f"搜索在 {budget} 秒后停止" in shapetrace.messages.render(error.trace.error.advice, "zh")
    # (no timed assertion: that the search stopped short of 12, the size that works, is the budget's doing)
    model.seconds = 0.0
    for size in range(1, checked + 1):  # PyTorch agrees: none of the sizes checked works
        with pytest.raises(RuntimeError):
            model(torch.zeros(1, 1, size, size))
    with capsys.disabled():
        print(
            f"\nhint budget {budget} s: a pass {one_pass:.3f} s, trace {elapsed:.3f} s, checked 1..{checked}"
        )


def test_the_closed_forms_lead_the_hint_to_the_one_size_that_works(monkeypatch):
    """The same model: the failed trace's closed forms say 2·(H − 2)² = 200 needs H = 12, so the search
    traces 12 next, and answers within its budget although every pass is slow and off the meta device."""
    model = _SlowItem(seconds=0.05)
    monkeypatch.setattr(solver, "HINT_BUDGET", 3.0)
    error = _error(model, (1, 1, 16, 16))
    assert error.trace.flatten_form is not None and error.trace.flatten_form.square == ((12, 12),)
    assert error.hint.endswith("Input 12 (H = W) works."), error.hint
    model.seconds = 0.0
    assert _runs_in_pytorch(model, (1, 1, 12, 12)) and not _runs_in_pytorch(model, (1, 1, 13, 13))


def _runs_in_pytorch(model: nn.Module, shape: tuple[int, ...]) -> bool:
    try:
        model(torch.zeros(shape))
    except RuntimeError:
        return False
    return True


# --- an input without its batch dimension -------------------------------------------------------------


def test_a_forgotten_batch_dimension_is_named_and_the_batched_input_given(tmp_path, capsys, monkeypatch):
    model = zoo.build("lenet")
    net0 = model.net[0]
    assert net0(torch.zeros(1, 28, 28)).shape == (6, 28, 28)  # PyTorch runs a conv on [C, H, W] unbatched
    error = _error(model, (1, 28, 28))
    assert error.trace.error.kind == "batch"
    assert error.hint == (
        "the input [1, 28, 28] has no batch dimension: net.0 (Conv2d) ran it as one unbatched sample, "
        "and later layers read the channels as the batch: net.7 (Linear) receives [16, 25]. Fix: add the "
        "batch dimension: input_size=(1, 1, 28, 28)."
    )
    assert "Fix: set in_features" not in error.hint
    assert "加上批量维: input_size=(1, 1, 28, 28)" in shapetrace.messages.render(
        error.trace.error.advice, "zh"
    )
    assert main(["lenet", "--input", "1,28,28"]) == 1  # the command line in its flags
    assert "Fix: add the batch dimension: --input 1,1,28,28." in capsys.readouterr().out
    assert main(["lenet", "--input", "1,1,28,28"]) == 0  # and the fix works
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_a_forgotten_batch_dimension_of_a_one_dimensional_input():
    model = nn.Sequential(nn.Conv1d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 8, 2))
    error = _error(model, (3, 10))
    assert error.trace.error.kind == "batch"
    assert "the input [3, 10] has no batch dimension: 0 (Conv1d) ran it" in error.hint
    assert error.hint.endswith("Fix: add the batch dimension: input_size=(1, 3, 10).")
    assert _runs_in_pytorch(model, (1, 3, 10)) and not _runs_in_pytorch(model, (3, 10))


def test_a_batched_input_that_fails_is_not_called_unbatched():
    error = _error(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(3, 2)), (2, 1, 8, 8))
    assert error.trace.error.kind == "features" and "batch dimension" not in error.hint


# --- recurrent layers: which dim is time, which holds the features -------------------------------------


class _Tagger(nn.Module):
    """An LSTM and a head on its last time step (out[-1] takes dim 0 as time: batch_first=False)."""

    def __init__(self, batch_first: bool = False) -> None:
        super().__init__()
        self.lstm = nn.LSTM(20, 16, batch_first=batch_first)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1] if not self.lstm.batch_first else out[:, -1])


def test_an_lstm_without_batch_first_says_it_reads_dim_0_as_time(capsys):
    model = _Tagger()
    _, (h_n, _) = model.lstm(torch.zeros(8, 30, 20))
    assert h_n.shape == (1, 30, 16)  # PyTorch: a batch of 30, so 8 time steps
    result = shapetrace.trace(model, (8, 30, 20))
    assert result.output_shapes == ((30, 5),)
    note = (
        "Note on lstm (LSTM): reads its [8, 30, 20] input as 8 time steps of a batch of 30 "
        "(batch_first=False); batch_first=True reads dim 0 as the batch"
    )
    assert note in result.to_table().splitlines()
    assert (
        "注意 lstm (LSTM): 把输入 [8, 30, 20] 读作 8 个时间步、批量为 30 (batch_first=False)"
        in result.to_table(lang="zh")
    )
    assert json.loads(result.to_json())["layers"][0]["note"].startswith(
        "reads its [8, 30, 20] input as 8 time"
    )
    for quiet, shape in (
        (_Tagger(batch_first=True), (8, 30, 20)),
        (_Tagger(), (8, 8, 20)),
        (_Tagger(), (30, 20)),
    ):
        assert "Note on" not in shapetrace.trace(quiet, shape).to_table(), shape


def test_an_lstm_fed_batch_features_time_is_told_to_transpose(capsys):
    model = _Tagger(batch_first=True)
    error = _error(model, (8, 20, 30))
    assert error.trace.error.kind == "layout"
    assert error.hint == (
        "lstm (LSTM) takes its input_size=20 features on the last dim but receives [8, 20, 30]: the 20 "
        "features are on dim 1. Fix: transpose(1, 2) before lstm (LSTM), which gives [8, 30, 20]."
    )
    moved = torch.zeros(8, 20, 30).transpose(1, 2)  # the fix, in PyTorch
    assert tuple(moved.shape) == (8, 30, 20) and model(moved).shape == (8, 5)


def test_features_on_the_first_dim_are_moved_last_keeping_the_other_dims_in_order():
    gru = nn.GRU(20, 8)
    error = _error(nn.Sequential(gru), (20, 7, 30))
    assert "the 20 features are on dim 0. Fix: permute(1, 2, 0) before 0 (GRU), which gives [7, 30, 20]." in (
        error.hint
    )
    output, _ = gru(torch.zeros(20, 7, 30).permute(1, 2, 0))
    assert output.shape == (7, 30, 8)
    error = _error(nn.Sequential(nn.GRU(20, 8)), (5, 7, 30))  # no dim holds 20: PyTorch's words stay
    assert error.trace.error.kind == "" and "received [5, 7, 30]" in error.hint


# --- torch functions whose operands do not fit --------------------------------------------------------


class _Skip(nn.Module):
    """A skip connection whose branch changes the size: by a stride, or by the channels."""

    def __init__(self, stride: int = 2, channels: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, channels, 3, stride=stride, padding=1)

    def forward(self, x):
        return self.conv(x) + x


def test_a_cat_mismatch_says_which_dim_to_make_equal_and_who_makes_each_side():
    class Three(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3, padding=1)
            self.b = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return torch.cat((self.a(x), self.b(x)), dim=1)

    model = Three()
    x = torch.zeros(1, 3, 8, 8)
    assert (model.a(x).shape[2], model.b(x).shape[2]) == (8, 6)  # the sizes, from PyTorch
    error = _error(model, (1, 3, 8, 8))
    assert error.hint.endswith(
        "Fix: make dim 2 equal: a gives 8 and b gives 6; pad or crop one of them, or change the padding or "
        "stride of a layer that makes them."
    )
    assert "修正: 使第 2 维相等: a 为 8, b 为 6; 对其中之一做填充或裁剪" in shapetrace.messages.render(
        error.trace.error.advice, "zh"
    )


def test_a_broadcast_clash_says_which_dim_to_make_equal():
    error = _error(_Skip(stride=2), (1, 8, 16, 16))
    assert _Skip(stride=2).conv(torch.zeros(1, 8, 16, 16)).shape[2] == 8
    assert error.hint.endswith(
        "Fix: make dim 2 equal: conv gives 8 and model input 0 gives 16; pad or crop one of them, or change "
        "the padding or stride of a layer that makes them."
    )
    assert _runs_in_pytorch(_Skip(stride=1), (1, 8, 16, 16))  # with stride 1 the sizes agree
    error = _error(_Skip(stride=1, channels=4), (1, 8, 16, 16))
    assert error.hint.endswith(
        "Fix: make dim 1 equal: conv gives 4 and model input 0 gives 8; change the out_channels of a layer "
        "that makes them."
    )


# --- channels: the layer that sets them ---------------------------------------------------------------


def _stack(first_out: int, norm: int, second_in: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, first_out, 3), nn.BatchNorm2d(norm), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(),
        nn.Conv2d(second_in, 8, 3),
    ).eval()  # fmt: skip


def test_a_channel_fix_names_the_layer_that_sets_the_channels_not_the_pool_before_it():
    error = _error(_stack(32, 32, 16), (1, 1, 16, 16))
    assert error.hint == (
        "5 (Conv2d) expects 16 channels but receives 32. Fix: build it with in_channels=32, or build "
        "0 (Conv2d) with out_channels=16 and 1 (BatchNorm2d) with num_features=16."
    )
    assert "以 out_channels=16 构建 0 (Conv2d), 并以 num_features=16 构建 1 (BatchNorm2d)" in (
        shapetrace.messages.render(error.trace.error.advice, "zh")
    )
    assert _runs_in_pytorch(_stack(16, 16, 16), (1, 1, 16, 16))  # either fix works in PyTorch
    assert _runs_in_pytorch(_stack(32, 32, 32), (1, 1, 16, 16))
    assert not _runs_in_pytorch(_stack(16, 32, 16), (1, 1, 16, 16))  # and the BatchNorm must follow


def test_a_channel_fix_looks_inside_containers_and_stops_at_a_cat():
    class Blocks(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU())
            self.pool = nn.MaxPool2d(2)
            self.head = nn.Conv2d(16, 8, 3)

        def forward(self, x):
            return self.head(self.pool(self.stem(x)))

    error = _error(Blocks(), (1, 1, 16, 16))
    assert error.hint.endswith("or build stem.0 (Conv2d) with out_channels=16.")

    class Joined(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(1, 4, 3), nn.Conv2d(1, 4, 3)
            self.head = nn.Conv2d(16, 8, 3)

        def forward(self, x):
            return self.head(torch.cat([self.a(x), self.b(x)], 1))

    error = _error(Joined(), (1, 1, 16, 16))  # no single layer sets them: the general words
    assert error.hint.endswith("or make the layer before it give 16 channels.")


# --- a window that no longer fits: the padding that would fit it ----------------------------------------


def _window_model(conv: nn.Module) -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), conv)


def test_a_window_that_no_longer_fits_suggests_the_smallest_padding_that_fits():
    error = _error(_window_model(nn.Conv2d(4, 4, 5)), (1, 1, 8, 8))
    assert "Fix: use a larger input, or padding=1 on 2 (Conv2d) so that the window fits." in error.hint
    assert _runs_in_pytorch(_window_model(nn.Conv2d(4, 4, 5, padding=1)), (1, 1, 8, 8))
    error = _error(_window_model(nn.Conv2d(4, 4, (7, 3))), (1, 1, 8, 8))  # 3×3: 3 + 2·2 ≥ 7, 3 ≥ 3
    assert "or padding=(2, 0) on 2 (Conv2d)" in error.hint
    assert _runs_in_pytorch(_window_model(nn.Conv2d(4, 4, (7, 3), padding=(2, 0))), (1, 1, 8, 8))
    assert not _runs_in_pytorch(_window_model(nn.Conv2d(4, 4, (7, 3), padding=(1, 0))), (1, 1, 8, 8))
    zh = shapetrace.messages.render(error.trace.error.advice, "zh")
    assert "修正: 使用更大的输入, 或给 2 (Conv2d) 设 padding=(2, 0), 使窗口放得下。" in zh


def test_a_pool_gets_padding_only_where_half_its_kernel_is_enough():
    error = _error(nn.Sequential(nn.MaxPool2d(2)), (1, 1, 1, 1))
    assert "or padding=1 on 0 (MaxPool2d) so that the window fits" in error.hint
    assert _runs_in_pytorch(nn.MaxPool2d(2, padding=1), (1, 1, 1, 1))
    error = _error(nn.Sequential(nn.MaxPool2d(2, dilation=4)), (1, 1, 1, 1))  # needs 2, allows 1
    assert (
        "padding=" not in error.hint and "Fix: use a larger input. Inputs 5-256 (H = W) work." in error.hint
    )
    assert not _runs_in_pytorch(nn.MaxPool2d(2, dilation=4, padding=1), (1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="pad should be"):
        nn.MaxPool2d(2, dilation=4, padding=2)(torch.zeros(1, 1, 1, 1))
    error = _error(nn.Sequential(nn.AvgPool2d(4)), (1, 1, 2, 2))
    assert "or padding=1 on 0 (AvgPool2d)" in error.hint
    assert _runs_in_pytorch(nn.AvgPool2d(4, padding=1), (1, 1, 2, 2))
    assert not _runs_in_pytorch(nn.AvgPool2d(4, padding=0), (1, 1, 2, 2))
