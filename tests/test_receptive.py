"""Receptive fields: hand-computed values for AlexNet and VGG-11, and a gradient probe on random stacks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import formulas, zoo
from shapetrace.records import ReceptiveField


def _field(trace: shapetrace.Trace, name: str) -> ReceptiveField:
    return next(layer.receptive_field for layer in trace.layers if layer.name == name)


def test_alexnet_by_hand():
    trace = shapetrace.trace(zoo.build("alexnet"), (1, 1, 224, 224))
    # conv 11/4 p1: r = 11, j = 4, start = 0 + (5 - 1)·1 = 4 (the JSON documentation's example)
    assert _field(trace, "net.0") == ReceptiveField((11, 11), (4, 4), (4.0, 4.0))
    assert _field(trace, "net.2") == ReceptiveField((19, 19), (8, 8), (8.0, 8.0))  # 11 + 2·4
    assert _field(trace, "net.5").size == (67, 67)  # 51 + 2·8
    assert _field(trace, "net.12") == ReceptiveField((195, 195), (32, 32), (32.0, 32.0))
    assert _field(trace, "net.13") is None and _field(trace, "net") is None  # not spatial
    conv = trace.to_dict()["layers"][1]
    assert conv["receptive_field"] == {"size": [11, 11], "jump": [4, 4], "start": [4.0, 4.0]}
    assert conv["sources"] == [{"input": 0}] and trace.to_dict()["layers"][2]["sources"] == [
        {"layer": 1, "output": 0}
    ]


def test_vgg11_by_hand():
    trace = shapetrace.trace(zoo.build("vgg11", "meta"), (1, 1, 224, 224))
    # each block: 3x3 convs add 2·jump, the 2x2 pool adds 1·jump and doubles it
    expected = {"0": (4, 2), "1": (10, 4), "2": (30, 8), "3": (70, 16), "4": (150, 32)}
    for block, (size, jump) in expected.items():
        field = _field(trace, f"{block}.{2 if block in ('0', '1') else 4}")
        assert field.size == (size, size) and field.jump == (jump, jump), block
        assert _field(trace, block) == field  # the block (a container) has its last layer's field


def test_a_residual_path_and_its_shortcut_meet_at_the_wider_field():
    trace = shapetrace.trace(zoo.build("resnet18"), (1, 1, 96, 96), functional=True)
    add = next(layer for layer in trace.layers if layer.name == "2.0.add_")
    conv_path = next(layer for layer in trace.layers if layer.name == "2.0.bn2").receptive_field
    shortcut = next(layer for layer in trace.layers if layer.name == "2.0.conv3").receptive_field
    assert conv_path.size[0] > shortcut.size[0]
    assert add.receptive_field == conv_path


def test_the_footer_names_the_last_spatial_layer():
    text = str(shapetrace.trace(zoo.build("alexnet"), (1, 1, 224, 224)))
    assert (
        "Receptive field of net.12 (MaxPool2d), the last spatial layer: 195×195 input pixels, jump 32" in text
    )
    explained = shapetrace.trace(zoo.build("alexnet"), (1, 1, 224, 224)).to_table(explain=True)
    row = next(line for line in explained.splitlines() if line.lstrip().startswith("net.12 "))
    assert "195×195 (jump 32)" in row


@st.composite
def stacks(draw):
    size, layers = 64, []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "avg"]))
        k, s, p = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
        d = draw(st.integers(1, 2)) if kind == "conv" else 1
        try:
            new = (
                formulas.conv_out(size, k, s, p, d)
                if kind == "conv"
                else formulas.avg_pool_out(size, k, s, p)
            )
        except ValueError:
            continue
        if new < 3:
            continue
        if kind == "conv":
            conv = nn.Conv2d(1, 1, k, s, p, d, bias=False)
            nn.init.constant_(conv.weight, 1.0)
            layers.append(conv)
        else:
            layers.append(nn.AvgPool2d(k, s, p, count_include_pad=False))
        size = new
    assume(layers)
    return nn.Sequential(*layers)


@given(stacks(), st.data())
def test_receptive_fields_match_a_gradient_probe(model, data):
    height = 64
    trace = shapetrace.trace(model, (1, 1, height, height))
    field = trace.layers[-1].receptive_field
    out = trace.output_shapes[0][-1]
    # an output unit whose whole field lies inside the image
    inside = [
        i for i in range(out)
        if field.start[0] + i * field.jump[0] - (field.size[0] - 1) / 2 >= 0
        and field.start[0] + i * field.jump[0] + (field.size[0] - 1) / 2 <= height - 1
    ]  # fmt: skip
    assume(inside)
    unit = data.draw(st.sampled_from(inside))
    image = torch.ones(1, 1, height, height, requires_grad=True)
    model(image)[0, 0, unit, unit].backward()
    rows = torch.nonzero(image.grad[0, 0].abs().sum(dim=1)).flatten()
    centre = field.start[0] + unit * field.jump[0]
    assert rows.min().item() == centre - (field.size[0] - 1) / 2
    assert rows.max().item() == centre + (field.size[0] - 1) / 2


@pytest.mark.parametrize(
    ("name", "last", "size"), [("resnet18", "4.1.bn2", 435), ("googlenet", "4.1.p4_2", 651)]
)
def test_fields_follow_functions_without_the_functional_view(name, last, size):
    trace = shapetrace.trace(zoo.build(name), (1, 1, 96, 96))
    assert not any(layer.is_function for layer in trace.layers)
    spatial = [layer for layer in trace.layers if layer.is_leaf and layer.receptive_field is not None]
    assert spatial[-1].name == last and spatial[-1].receptive_field.size == (size, size)
    assert all(
        layer.receptive_field is not None
        for layer in trace.layers
        if layer.is_leaf and len(layer.output_shapes[0]) == 4 and layer.type != "AdaptiveAvgPool2d"
    )


def test_a_same_size_layer_that_is_not_pointwise_does_not_pass_its_field_on():
    model = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.ConvTranspose2d(1, 1, 3, padding=1), nn.ReLU())
    trace = shapetrace.trace(model, (1, 1, 16, 16))
    assert trace.layers[0].receptive_field.size == (3, 3)
    assert trace.layers[1].receptive_field is None and trace.layers[2].receptive_field is None
