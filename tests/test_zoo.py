"""The seed's six networks: layer shapes as the seed and d2l print them, totals, and torchinfo as a peer."""

from __future__ import annotations

import pytest
import torch
import torchinfo

import shapetrace
from shapetrace import formulas, zoo
from shapetrace.zoo import d2l

# (name, expected output shape) as the seed notes print them at 28x28 (LeNet) and 224x224.
LENET_SEED = [
    ("net.0", (1, 6, 28, 28)),
    ("net.1", (1, 6, 28, 28)),
    ("net.2", (1, 6, 14, 14)),
    ("net.3", (1, 16, 10, 10)),
    ("net.4", (1, 16, 10, 10)),
    ("net.5", (1, 16, 5, 5)),
    ("net.6", (1, 400)),
    ("net.7", (1, 120)),
    ("net.8", (1, 120)),
    ("net.9", (1, 84)),
    ("net.10", (1, 84)),
    ("net.11", (1, 10)),
]
ALEXNET_SEED = [
    ("net.0", (1, 96, 54, 54)),
    ("net.1", (1, 96, 54, 54)),
    ("net.2", (1, 96, 26, 26)),
    ("net.3", (1, 256, 26, 26)),
    ("net.4", (1, 256, 26, 26)),
    ("net.5", (1, 256, 12, 12)),
    ("net.6", (1, 384, 12, 12)),
    ("net.7", (1, 384, 12, 12)),
    ("net.8", (1, 384, 12, 12)),
    ("net.9", (1, 384, 12, 12)),
    ("net.10", (1, 256, 12, 12)),
    ("net.11", (1, 256, 12, 12)),
    ("net.12", (1, 256, 5, 5)),
    ("net.13", (1, 6400)),
    ("net.14", (1, 4096)),
    ("net.15", (1, 4096)),
    ("net.16", (1, 4096)),
    ("net.17", (1, 4096)),
    ("net.18", (1, 4096)),
    ("net.19", (1, 4096)),
    ("net.20", (1, 10)),
]
NIN_SEED = [
    ("0", (1, 96, 54, 54)),
    ("1", (1, 96, 26, 26)),
    ("2", (1, 256, 26, 26)),
    ("3", (1, 256, 12, 12)),
    ("4", (1, 384, 12, 12)),
    ("5", (1, 384, 5, 5)),
    ("6", (1, 384, 5, 5)),
    ("7", (1, 10, 5, 5)),
    ("8", (1, 10, 1, 1)),
    ("9", (1, 10)),
]
# Block outputs as d2l prints them: VGG-11 at 224x224, GoogLeNet and ResNet-18 at 96x96.
VGG11_D2L = [
    ("0", (1, 64, 112, 112)),
    ("1", (1, 128, 56, 56)),
    ("2", (1, 256, 28, 28)),
    ("3", (1, 512, 14, 14)),
    ("4", (1, 512, 7, 7)),
    ("5", (1, 25088)),
    ("6", (1, 4096)),
    ("9", (1, 4096)),
    ("12", (1, 10)),
]
GOOGLENET_D2L = [
    ("0", (1, 64, 24, 24)),
    ("1", (1, 192, 12, 12)),
    ("2", (1, 480, 6, 6)),
    ("3", (1, 832, 3, 3)),
    ("4", (1, 1024)),
    ("5", (1, 10)),
]
RESNET18_D2L = [
    ("0", (1, 64, 24, 24)),
    ("1", (1, 64, 24, 24)),
    ("2", (1, 128, 12, 12)),
    ("3", (1, 256, 6, 6)),
    ("4", (1, 512, 3, 3)),
    ("5", (1, 512, 1, 1)),
    ("6", (1, 512)),
    ("7", (1, 10)),
]
EXPECTED = {
    "lenet": LENET_SEED,
    "alexnet": ALEXNET_SEED,
    "nin": NIN_SEED,
    "vgg11": VGG11_D2L,
    "googlenet": GOOGLENET_D2L,
    "resnet18": RESNET18_D2L,
}
# Parameter totals the issue gives for the seed's networks.
PARAMS = {
    "lenet": 61_706,
    "alexnet": 46_764_746,
    "vgg11": 128_806_154,
    "nin": 1_992_166,
    "googlenet": 5_977_530,
    "resnet18": 11_178_378,
}


@pytest.fixture(scope="module")
def traces() -> dict[str, shapetrace.Trace]:
    return {name: shapetrace.trace(zoo.build(name), entry.default_input) for name, entry in zoo.ZOO.items()}


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_layer_shapes_match_the_seed_and_d2l(traces, name):
    by_name = {layer.name: layer for layer in traces[name].layers}
    for layer_name, shape in EXPECTED[name]:
        assert by_name[layer_name].output_shapes == (shape,), layer_name


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_totals_equal_the_issue_and_a_normally_built_model(traces, name):
    factory = getattr(d2l, zoo.ZOO[name].factory_name)
    torch.manual_seed(0)
    normal = factory()  # built the ordinary way, with weight initialisation
    counted = sum(tensor.numel() for tensor in normal.state_dict().values() if tensor.is_floating_point())
    buffers = sum(tensor.numel() for tensor in normal.buffers() if tensor.is_floating_point())
    assert traces[name].totals.params == PARAMS[name] == counted - buffers
    assert traces[name].totals.trainable_params == PARAMS[name]
    assert traces[name].totals.param_bytes == 4 * PARAMS[name]


def test_alexnet_params_by_hand():
    """The same total from the formulas alone: five convs and three Linear layers."""
    convs = [(1, 96, 11), (96, 256, 5), (256, 384, 3), (384, 384, 3), (384, 256, 3)]
    total = sum(formulas.conv_params(i, o, (k, k)) for i, o, k in convs)
    total += sum(formulas.linear_params(i, o) for i, o in [(6400, 4096), (4096, 4096), (4096, 10)])
    assert total == PARAMS["alexnet"]


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_torchinfo_agrees_on_params_and_every_leaf_shape(traces, name):
    model = zoo.build(name)
    stats = torchinfo.summary(model, input_size=zoo.ZOO[name].default_input, verbose=0)
    assert stats.total_params == traces[name].totals.params
    theirs = [tuple(info.output_size) for info in stats.summary_list if info.is_leaf_layer]
    ours = [layer.output_shapes[0] for layer in traces[name].layers if layer.is_leaf]
    assert ours == theirs


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_zoo_models_are_built_in_eval_mode_on_request_device(name):
    model = zoo.build(name, "meta")
    assert not model.training
    assert all(tensor.device.type == "meta" for tensor in model.parameters())
    assert sum(tensor.numel() for tensor in model.parameters()) == PARAMS[name]


def test_the_macs_of_alexnet_are_the_sum_of_its_convolutions_and_linears(traces):
    layers = {layer.name: layer for layer in traces["alexnet"].layers}
    conv0 = layers["net.0"]
    # each of the 96*54*54 outputs sums 1*11*11 products
    assert conv0.macs == 96 * 54 * 54 * 11 * 11
    assert layers["net.14"].macs == 6400 * 4096
    leaf_sum = sum(layer.macs for layer in traces["alexnet"].layers if layer.is_leaf)
    assert traces["alexnet"].totals.macs == leaf_sum == layers["net"].macs
