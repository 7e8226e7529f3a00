"""torchvision:NAME models, when torchvision is installed: totals equal the parameter counts
torchvision publishes for its weights, every layer checks, and no weights are downloaded.

Without torchvision every test here is skipped, and pytest -ra lists the reason."""

from __future__ import annotations

import json
import socket

import pytest

torchvision = pytest.importorskip(
    "torchvision", reason="torchvision is not installed (pip install torch==2.14.1 torchvision==0.29.1)"
)

import torch  # noqa: E402

import shapetrace  # noqa: E402
from shapetrace.cli import main  # noqa: E402
from tests.oracles import torch_math_flops  # noqa: E402

# torchvision's published num_params (the weights' metadata), the figures its documentation lists
PUBLISHED = {
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "efficientnet_b0": 5_288_548,
    "vit_b_16": 86_567_656,
    "googlenet": 6_624_904,  # without the auxiliary classifiers, as published
}
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": True}}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Building a model must never download weights: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("shapetrace tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_parameter_counts_and_checks(name, capsys):
    argv = [f"torchvision:{name}", "--device", "meta", "--format", "json"]
    if name in KWARGS:
        argv += ["--kwargs", json.dumps(KWARGS[name])]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["totals"]["params"] == PUBLISHED[name]
    assert result["output_shapes"] == [[1, 1000]]
    assert result["checks"]["mismatch"] == 0


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "efficientnet_b0", "vit_b_16"])
def test_macs_equal_half_of_torch_flops(name):
    model = torchvision.models.get_model(name, weights=None).eval()
    inputs = torch.randn(1, 3, 224, 224)
    result = shapetrace.trace(model, (1, 3, 224, 224))
    assert 2 * result.totals.macs == torch_math_flops(model, inputs)


def test_unknown_torchvision_model_suggests_names(capsys):
    assert main(["torchvision:resnet5"]) == 2
    error = capsys.readouterr().err
    assert "torchvision has no model 'resnet5'" in error and "resnet50" in error


@pytest.mark.parametrize("name", PUBLISHED)
def test_totals_equal_the_figures_in_the_weights_metadata(name):
    """torchvision publishes num_params and `_ops` (its "GFLOPS" column, which counts
    multiply-accumulates) for each set of weights; the weights themselves are never fetched."""
    meta = torchvision.models.get_model_weights(name).DEFAULT.meta
    model = torchvision.models.get_model(name, weights=None, **KWARGS.get(name, {})).to("meta").eval()
    result = shapetrace.trace(model, (1, 3, 224, 224))
    assert result.totals.params == meta["num_params"] == PUBLISHED[name]
    assert round(result.totals.macs / 1e9, 3) == meta["_ops"]
