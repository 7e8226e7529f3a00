"""Models that are hard to trace (issue 11): TorchScript, torch.compile, quantized layers, two threads at
once, inference tensors, lazy layers in a failing model, odd exceptions, and forwards that change the
model. Ground truth is PyTorch: real forward passes, FlopCounterMode, state_dict comparisons."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import shapetrace
from shapetrace import zoo
from shapetrace.cli import main

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "shapetrace-1.schema.json"
HOOK_DICTS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks_with_kwargs",
)


def operator_macs(model: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs of one forward pass as PyTorch's FlopCounterMode counts them (FLOPs / 2)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(*inputs)
    return counter.get_total_flops() // 2


def state(model: nn.Module) -> dict:
    """Everything tracing must leave as it was: values and dtypes, flags, hooks, modes."""
    tensors = {key: value for key, value in model.state_dict().items() if isinstance(value, torch.Tensor)}
    return {
        "values": {key: value.detach().clone() for key, value in tensors.items()},
        "dtypes": {key: (value.dtype, value.device) for key, value in tensors.items()},
        "objects": [id(p) for p in model.parameters()],
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "hooks": [{name: dict(getattr(m, name)) for name in HOOK_DICTS} for m in model.modules()],
        "training": [m.training for m in model.modules()],
    }


def assert_same_state(before: dict, after: dict) -> None:
    assert after["dtypes"] == before["dtypes"]
    assert after["values"].keys() == before["values"].keys()
    for key, value in before["values"].items():
        assert torch.equal(after["values"][key], value), key
    for key in ("objects", "requires_grad", "hooks", "training"):
        assert after[key] == before[key], key


# --- TorchScript -----------------------------------------------------------------------------------


class SmallNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.fc = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


def _scripted(kind: str) -> nn.Module:
    model = SmallNet().eval()
    if kind == "script":
        return torch.jit.script(model)
    return torch.jit.trace(model, torch.randn(1, 1, 8, 8))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["script", "trace"])
def test_a_torchscript_model_gives_its_outputs_parameters_and_operator_macs(kind):
    model = _scripted(kind)
    x = torch.randn(2, 1, 8, 8)
    eager_macs = operator_macs(SmallNet(), x)
    assert eager_macs == 2 * (8 * 36 * 9 + 288 * 10)  # FlopCounterMode counts the eager model right
    assert operator_macs(model, x) == eager_macs  # and sees the ops inside TorchScript too
    before = state(model)
    result = shapetrace.trace(model, (2, 1, 8, 8))
    assert result.output_shapes == (tuple(model(x).shape),)
    assert result.totals.params == sum(p.numel() for p in model.parameters()) == 80 + 2890
    assert result.totals.macs == eager_macs
    assert result.model == "SmallNet" and result.layers == ()
    (note,) = result.to_dict()["notes"]
    assert "TorchScript" in note and "FlopCounterMode" in note
    assert "Note: SmallNet is a TorchScript module" in result.to_table()
    assert "TorchScript" in result.to_table(lang="zh").split("注: ")[1]
    assert_same_state(before, state(model))


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class WithScriptedBody(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3)
        self.body = torch.jit.script(Block())
        self.head = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        return self.head(self.body(self.stem(x)).flatten(1))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_eager_model_with_scripted_children_traces_its_eager_parts():
    model = WithScriptedBody().train()  # the scripted BatchNorm updates its statistics
    x = torch.randn(2, 1, 8, 8)
    before = state(model)
    result = shapetrace.trace(model, (2, 1, 8, 8))
    assert [layer.name for layer in result.layers] == ["stem", "head"]
    assert [layer.output_shapes for layer in result.layers] == [((2, 8, 6, 6),), ((2, 10),)]
    assert [layer.macs for layer in result.layers] == [2 * 8 * 36 * 9, 2 * 288 * 10]
    assert result.totals.params == sum(p.numel() for p in model.parameters())
    assert_same_state(before, state(model))
    assert result.totals.macs == operator_macs(model.eval(), x)  # the whole pass, scripted body included
    assert result.totals.macs > sum(layer.macs for layer in result.layers)
    (note,) = result.notes
    assert note.code == "note.scripted_children" and "body" in str(note)
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(result.to_json())
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    assert document["notes"] == [str(note)]


# --- torch.compile ---------------------------------------------------------------------------------


def _recording_backend(graphs: list):
    def backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    return backend


def test_tracing_an_eager_model_does_not_import_the_compiler():
    probe = textwrap.dedent(
        """
        import sys
        import torch
        import shapetrace
        shapetrace.trace(torch.nn.Sequential(torch.nn.Linear(3, 2)), (1, 3))
        sys.exit(1 if "torch._dynamo" in sys.modules else 0)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_compiled_model_is_traced_through_its_original_module():
    graphs: list = []
    original = SmallNet()
    compiled = torch.compile(original, backend=_recording_backend(graphs))
    before = state(original)
    result = shapetrace.trace(compiled, (1, 1, 8, 8))
    expected = shapetrace.trace(original, (1, 1, 8, 8))
    assert graphs == []  # nothing was compiled: the original module ran
    assert [(layer.name, layer.output_shapes, layer.macs) for layer in result.layers] == [
        (layer.name, layer.output_shapes, layer.macs) for layer in expected.layers
    ]
    assert result.totals == expected.totals
    assert result.totals.macs == operator_macs(original, torch.randn(1, 1, 8, 8))
    assert result.model == "SmallNet"
    assert [note.code for note in result.notes] == ["note.compiled_model"]
    assert_same_state(before, state(original))


def test_a_compiled_submodule_runs_uncompiled_and_the_compiler_is_left_as_it_was():
    graphs: list = []
    first, second = nn.Linear(16, 8), nn.Linear(8, 4)
    model = nn.Sequential(first, torch.compile(second, backend=_recording_backend(graphs)))
    result = shapetrace.trace(model, (1, 16))
    assert graphs == []
    assert [layer.name for layer in result.layers] == ["0", "1", "1._orig_mod"]
    assert result.totals.macs == operator_macs(nn.Sequential(first, second), torch.randn(1, 16))
    assert [note.code for note in result.notes] == ["note.compiled_children"]
    model(torch.randn(1, 16))
    assert len(graphs) == 1  # outside the trace, torch.compile compiles again


# --- quantized layers ------------------------------------------------------------------------------


class Dense(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(x)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_a_dynamic_quantized_linear_takes_the_rule_of_linear():
    quantized = torch.ao.quantization.quantize_dynamic(Dense(), {nn.Linear}, dtype=torch.qint8)
    x = torch.randn(3, 16)
    result = shapetrace.trace(quantized, input_data=x)
    (layer,) = result.layers
    assert layer.base_type == "Linear" and layer.check == "ok" and layer.is_leaf
    assert layer.output_shapes == (tuple(quantized(x).shape),)
    assert result.totals.macs == operator_macs(Dense(), x) == 3 * 16 * 10
    assert result.totals.params == sum(p.numel() for p in quantized.parameters()) == 0
    assert [note.code for note in result.notes] == ["note.packed_weights"]


class ConvNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv = nn.Conv2d(3, 4, 3)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4 * 6 * 6, 5)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.relu(self.conv(self.quant(x)))
        return self.dequant(self.fc(x.reshape(x.shape[0], -1)))


def _quantized(kind: str) -> nn.Module:
    tq = torch.ao.quantization
    if kind == "qat":
        model = ConvNet().train()
        model.qconfig = tq.get_default_qat_qconfig("fbgemm")
        return tq.prepare_qat(tq.fuse_modules_qat(model, [["conv", "relu"]]))
    model = ConvNet().eval()
    model.qconfig = tq.get_default_qconfig("fbgemm")
    prepared = tq.prepare(tq.fuse_modules(model, [["conv", "relu"]]))
    prepared(torch.randn(2, 3, 8, 8))
    return tq.convert(prepared)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("kind", ["static", "qat"])
def test_quantized_qat_and_fused_layers_take_the_rule_of_their_float_counterpart(kind):
    model = _quantized(kind)
    x = torch.randn(2, 3, 8, 8)
    before = state(model)
    result = shapetrace.trace(model, input_data=x)
    rows = {layer.name: layer for layer in result.layers}
    assert (rows["conv"].base_type, rows["conv"].check) == ("Conv2d", "ok")
    assert (rows["fc"].base_type, rows["fc"].check) == ("Linear", "ok")
    assert result.output_shapes == ((2, 5),)
    assert result.totals.macs == operator_macs(ConvNet(), x) == 2 * (4 * 36 * 27 + 144 * 5)
    assert_same_state(before, state(model))  # the QAT observers' statistics too


# --- threads ---------------------------------------------------------------------------------------


def test_two_threads_tracing_one_model_each_record_what_one_thread_records():
    model = zoo.build("resnet18")
    single = shapetrace.trace(model, (1, 1, 96, 96))
    assert (len(single.layers), single.totals.macs) == (55, 318_657_536)
    rng = torch.get_rng_state()
    before = state(model)
    barrier = threading.Barrier(2)
    results: list = [None, None]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = shapetrace.trace(model, (1, 1, 96, 96))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for result in results:
        assert [(layer.name, layer.output_shapes) for layer in result.layers] == [
            (layer.name, layer.output_shapes) for layer in single.layers
        ]
        assert result.totals == single.totals
    assert torch.equal(torch.get_rng_state(), rng)
    assert_same_state(before, state(model))


# --- inference tensors -----------------------------------------------------------------------------


class InferenceForward(nn.Module):
    """Built under inference_mode; its forward runs the BatchNorm under inference_mode too, so that its
    running statistics (inference tensors) change."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x):
        with torch.inference_mode():
            return self.bn(self.fc(x))


def test_a_model_built_under_inference_mode_traces_and_is_restored():
    with torch.inference_mode():
        model = InferenceForward()
    assert model.fc.weight.is_inference() and model.bn.running_mean.is_inference()
    x = torch.randn(5, 4)
    before = state(model)
    result = shapetrace.trace(model, input_data=x)
    assert [layer.output_shapes for layer in result.layers] == [((5, 3),), ((5, 3),)]
    assert result.totals.params == sum(p.numel() for p in model.parameters())
    assert_same_state(before, state(model))
    model(x)  # PyTorch itself does change the statistics
    assert not torch.equal(model.bn.running_mean, before["values"]["bn.running_mean"])


# --- lazy layers in a failing model ----------------------------------------------------------------

LAZY_MODEL = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.LazyLinear(5)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))
"""


def test_uninitialised_parameters_count_zero_in_a_failed_trace():
    namespace: dict = {}
    exec(LAZY_MODEL, namespace)
    model = namespace["Net"]()
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (1, 1, 8, 8))
    assert info.value.layer == "conv"
    assert info.value.trace.totals.params == model.conv.weight.numel() + model.conv.bias.numel()
    assert model.fc.has_uninitialized_params()  # still lazy


@pytest.mark.parametrize(
    "extra, expected",
    [
        pytest.param([], "Forward pass failed in 'conv' (Conv2d)", id="table"),
        pytest.param(["--solve", "1:32"], "No size in 1..32 works", id="solve"),
        pytest.param(["--format", "json"], "forward pass failed in conv", id="json"),
        pytest.param(["--device", "meta"], "Forward pass failed in 'conv' (Conv2d)", id="meta"),
    ],
)
def test_a_lazy_layer_in_a_failing_model_is_diagnosed_on_every_path(tmp_path, capsys, extra, expected):
    path = tmp_path / "lazy_model.py"
    path.write_text(LAZY_MODEL)
    code = main([f"{path}:Net", "--input", "1,1,8,8", *extra])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err + captured.out
    assert expected in captured.out + captured.err
    assert len(captured.err.strip().splitlines()) <= 1


# --- exceptions that are not Exceptions, and objects that cannot say what they are ------------------


class Halt(BaseException):
    pass


class Mute(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot say")


class Raises(nn.Module):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.inner = nn.Sequential(nn.Linear(4, 4))
        self.error = error

    def forward(self, x):
        x = self.fc(x)
        if isinstance(self.error, Mute):
            return self.inner(x)
        raise self.error


def _mute_inner(model: Raises) -> Raises:
    def hook(module, args, output):
        raise Mute()

    model.inner[0].register_forward_hook(hook)
    return model


@pytest.mark.parametrize(
    "error, layer, message",
    [
        pytest.param(Halt("stopped"), "Raises.forward", "stopped", id="base-exception"),
        pytest.param(GeneratorExit(), "Raises.forward", "GeneratorExit", id="generator-exit"),
        pytest.param(Mute(), "inner.0", "Mute", id="str-raises"),
    ],
)
def test_odd_exceptions_are_diagnosed(error, layer, message):
    model = Raises(error)
    if isinstance(error, Mute):
        model = _mute_inner(model)
    before = state(model)
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (2, 4), functional=True)
    assert info.value.layer == layer
    assert info.value.trace.error.message == message
    assert torch._C._is_torch_function_enabled()  # no torch-function switch left off
    assert_same_state(before, state(model))


def test_a_base_exception_in_a_layer_names_that_layer():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))

    def hook(module, args, output):
        raise Halt("in a hook")

    model[1].register_forward_hook(hook)
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (1, 4), functional=True)
    assert info.value.layer == "1"
    assert [layer.failed for layer in info.value.trace.layers] == [False, True]
    assert torch._C._is_torch_function_enabled()


MODEL_FILE = """
import torch.nn as nn


class Halt(BaseException):
    pass


class Mute(Exception):
    def __str__(self):
        raise RuntimeError("cannot say")


class Raises(nn.Module):
    def __init__(self, error):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.error = error

    def forward(self, x):
        self.fc(x)
        raise self.error


def halt():
    return Raises(Halt("stopped"))


def generator_exit():
    return Raises(GeneratorExit())


def mute():
    return Raises(Mute())


def interrupt():
    return Raises(KeyboardInterrupt())
"""


@pytest.mark.parametrize(
    "name, code, expected",
    [
        pytest.param("halt", 1, "stopped", id="base-exception"),
        pytest.param("generator_exit", 1, "GeneratorExit", id="generator-exit"),
        pytest.param("mute", 1, "Mute", id="str-raises"),
        pytest.param("interrupt", 130, "interrupted", id="keyboard-interrupt"),
    ],
)
def test_odd_exceptions_on_the_command_line(tmp_path, capsys, name, code, expected):
    path = tmp_path / "odd_model.py"
    path.write_text(MODEL_FILE)
    for extra in ([], ["--format", "json"]):
        status = main([f"{path}:{name}", "--input", "1,4", *extra])
        captured = capsys.readouterr()
        assert status == code
        assert "Traceback" not in captured.err + captured.out
        assert expected in captured.out + captured.err


def test_keyboard_interrupt_propagates_and_the_model_is_restored():
    model = Raises(KeyboardInterrupt()).train()
    before = state(model)
    with pytest.raises(KeyboardInterrupt):
        shapetrace.trace(model, (2, 4))
    assert_same_state(before, state(model))
    assert torch._C._is_torch_function_enabled()


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Odd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.kernel_size = Unprintable()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)


def test_a_setting_whose_repr_raises_is_shown_by_its_type():
    with pytest.raises(RuntimeError):
        repr(Odd().kernel_size)
    result = shapetrace.trace(Odd(), (1, 3))
    assert result.output_shapes == ((1, 2),)
    assert result.totals.macs == 6
    conv = nn.Conv2d(1, 2, 3)
    conv.kernel_size = Unprintable()  # F.conv2d reads the weight, not kernel_size: PyTorch runs it
    result = shapetrace.trace(nn.Sequential(conv), (1, 1, 5, 5))
    assert result.layers[0].attribute("kernel_size") == "<Unprintable>"
    assert result.output_shapes == (tuple(conv(torch.randn(1, 1, 5, 5)).shape),)


# --- forwards that change the model ----------------------------------------------------------------


class Renorms(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4, max_norm=1.0)
        with torch.no_grad():
            self.embed.weight.mul_(5)  # rows longer than max_norm

    def forward(self, x):
        return self.embed(x)


class Freezes(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        self.requires_grad_(False)
        return self.fc(x)


class Doubles(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x):
        self.double()
        return self.bn(self.fc(x.double()))


class Moves(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        self.fc.weight.data = self.fc.weight.data.to(torch.float16)
        self.fc.bias.data = torch.zeros_like(self.fc.bias)  # new data, same dtype and device
        return x


class Transposes(nn.Module):
    """Swaps a square weight's data for its transpose: the same storage, address and shape."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        self.fc.weight.data = self.fc.weight.data.t()
        return x


class Hooks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        self.register_forward_hook(lambda module, args, output: None)
        self.fc.register_forward_pre_hook(lambda module, args: None)
        self.fc.register_forward_hook(lambda module, args, output: None, always_call=True)
        self.fc.register_full_backward_hook(lambda module, grad_in, grad_out: None)
        return self.fc(x)


@pytest.mark.parametrize(
    "model, data",
    [
        pytest.param(Renorms(), torch.arange(10).reshape(2, 5), id="embedding-max-norm"),
        pytest.param(Freezes(), torch.randn(2, 3), id="requires-grad"),
        pytest.param(Doubles().train(), torch.randn(2, 3), id="double"),
        pytest.param(Moves(), torch.randn(2, 3), id="data-swapped"),
        pytest.param(Transposes(), torch.randn(2, 3), id="data-transposed"),
        pytest.param(Hooks(), torch.randn(2, 3), id="hooks-registered-in-forward"),
    ],
)
def test_a_forward_that_changes_the_model_leaves_it_as_it_was(model, data):
    before = state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn of: all of it is put back
        shapetrace.trace(model, input_data=data)
    assert_same_state(before, state(model))
    model(data)  # PyTorch's own forward does change it: the test can fail
    after = state(model)
    with pytest.raises(AssertionError):
        assert_same_state(before, after)
