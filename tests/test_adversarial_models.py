"""Models that are hard to trace (issue 11): TorchScript, torch.compile, quantized layers, two threads at
once, inference tensors, lazy layers in a failing model, odd exceptions, and forwards that change the
model. Ground truth is PyTorch: real forward passes, FlopCounterMode, state_dict comparisons."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import shapetrace

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
