"""The architecture diagram, read back from the SVG itself: branches side by side meeting at a
concatenation, skips into additions, every layer drawn once, no box over another, folding that keeps a
200-layer model small, the failing layer in red, the words in Chinese."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import pytest
from torch import nn

import shapetrace
from shapetrace import zoo
from shapetrace.cli import main

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Node:
    key: str
    kind: str
    layers: tuple[int, ...]
    lines: list[str]
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1


def _rect(shape: ElementTree.Element) -> tuple[float, float, float, float]:
    get = lambda name: float(shape.get(name))  # noqa: E731
    if shape.tag == f"{SVG}rect":
        return get("x"), get("y"), get("x") + get("width"), get("y") + get("height")
    if shape.tag == f"{SVG}ellipse":
        return get("cx") - get("rx"), get("cy") - get("ry"), get("cx") + get("rx"), get("cy") + get("ry")
    return get("cx") - get("r"), get("cy") - get("r"), get("cx") + get("r"), get("cy") + get("r")


def parse(svg: str) -> tuple[dict[str, Node], list[tuple[str, str]]]:
    """The boxes (by id) and the arrows (from, to) of a diagram."""
    root = ElementTree.fromstring(svg)
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if "box" not in group.get("class", "").split():
            continue
        layers = tuple(int(index) for index in group.get("data-layers").split())
        lines = [text.text or "" for text in group.iter(f"{SVG}text")]
        shape = next(child for child in group if child.tag != f"{SVG}text")
        nodes[group.get("id")] = Node(group.get("id"), group.get("data-kind"), layers, lines, _rect(shape))
    arrows = [
        (path.get("data-from"), path.get("data-to"))
        for path in root.iter(f"{SVG}path")
        if path.get("data-from")
    ]
    return nodes, arrows


def _svg(name: str, *options: str, capsys) -> str:
    assert main([name, "--format", "svg", *options]) in (0, 1)
    return capsys.readouterr().out


def _sources(arrows: list[tuple[str, str]], key: str) -> list[str]:
    return [source for source, target in arrows if target == key]


def _targets(arrows: list[tuple[str, str]], key: str) -> list[str]:
    return [target for source, target in arrows if source == key]


def test_googlenets_first_inception_has_four_branches_from_one_producer_into_one_concatenation(capsys):
    nodes, arrows = parse(_svg("googlenet", capsys=capsys))
    concat = min((node for node in nodes.values() if node.kind == "concat"), key=lambda node: node.layers[0])
    assert concat.lines == ["concat", "64 + 128 + 32 + 32 = 256"]
    branches = _sources(arrows, concat.key)
    assert len(branches) == 4
    starts = set()
    for end in branches:  # walk each branch back to where it splits off
        node = end
        while len(_targets(arrows, _sources(arrows, node)[0])) == 1:
            node = _sources(arrows, node)[0]
        starts.add(_sources(arrows, node)[0])
    assert len(starts) == 1 and nodes[starts.pop()].lines[1] == "MaxPool2d"  # the four start together
    xs = sorted((nodes[end].rect[0] + nodes[end].rect[2]) / 2 for end in branches)
    assert all(b - a > 50 for a, b in itertools.pairwise(xs))  # side by side, not stacked


def test_every_resnet_block_adds_a_skip_and_the_downsampling_ones_carry_a_1x1_conv(capsys):
    nodes, arrows = parse(_svg("resnet18", capsys=capsys))
    adds = [node for node in nodes.values() if node.kind == "add"]
    assert len(adds) == 8  # eight residual blocks
    shortcuts = 0
    for add in adds:
        main_path, skip = sorted(_sources(arrows, add.key), key=lambda key: -len(nodes[key].lines))
        assert len(_sources(arrows, add.key)) == 2
        assert nodes[main_path].lines[1] == "Conv2d" and "+ BatchNorm2d" in nodes[main_path].lines
        if nodes[skip].lines[1:3] == ["Conv2d", "k=1 s=2"]:  # the 1x1 conv on the skip path
            shortcuts += 1
            skip = _sources(arrows, skip)[0]
        # the skip starts where the block starts: at the producer of the block's first convolution
        first_conv = main_path
        while _sources(arrows, first_conv)[0] != skip:
            first_conv = _sources(arrows, first_conv)[0]
        assert skip in _sources(arrows, first_conv)
    assert shortcuts == 3  # the first block of modules 2, 3 and 4 halves the size and doubles the channels


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_every_leaf_is_drawn_once_and_no_box_overlaps_another(name, capsys):
    trace = shapetrace.trace(zoo.build(name), zoo.ZOO[name].default_input, functional=True)
    nodes, arrows = parse(trace.to_svg())
    drawn = sorted(index for node in nodes.values() for index in node.layers)
    assert drawn == [layer.index for layer in trace.graph if layer.is_leaf]
    for first, second in itertools.combinations(nodes.values(), 2):
        a, b = first.rect, second.rect
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (first.key, second.key)
    assert {source for source, _ in arrows} | {target for _, target in arrows} <= nodes.keys()


class Deep(nn.Module):
    """200 leaf layers in 10 blocks of 20."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            *(nn.Sequential(*(nn.Linear(8, 8) for _ in range(20))) for _ in range(10))
        )

    def forward(self, x):
        return self.blocks(x)


def test_a_200_layer_model_folds_into_a_small_diagram():
    trace = shapetrace.trace(Deep(), (2, 8))
    assert sum(layer.is_leaf for layer in trace.layers) == 200
    folded = trace.to_svg(depth=1)
    nodes, _ = parse(folded)
    assert len(nodes) == 3 and len(folded) < 6_000  # input, the 10 blocks as one box, output
    nodes, _ = parse(trace.to_svg(depth=2))
    assert [node.lines[1] for node in nodes.values() if node.kind == "block"] == ["Sequential × 10"]
    unfolded, _ = parse(trace.to_svg())  # no depth: folded until at most MAX_BOXES boxes
    assert len(unfolded) <= 122


def test_the_failing_layer_is_red_and_the_words_follow_the_language(capsys):
    svg = _svg("alexnet", "--input", "1,1,227,227", "--lang", "zh", capsys=capsys)
    nodes, _ = parse(svg)
    root = ElementTree.fromstring(svg)
    failed = [group.get("id") for group in root.iter(f"{SVG}g") if "failed" in group.get("class", "")]
    assert [nodes[key].lines[0] for key in failed] == ["net.14"]
    assert nodes["input"].lines[0] == "输入" and "输出" not in [node.lines[0] for node in nodes.values()]


def test_svg_from_the_command_line_and_by_extension(tmp_path, capsys):
    target = tmp_path / "g.svg"
    assert main(["lenet", "-o", str(target)]) == 0
    assert target.read_text().startswith("<svg") and capsys.readouterr().out == ""
    nodes, _ = parse(target.read_text())
    assert len(nodes) == 10  # input, 2 conv and 2 pool, flatten, 3 Linear (the sigmoids inside), output


def test_the_diagram_needs_no_network_and_no_script():
    trace = shapetrace.trace(zoo.build("googlenet"), (1, 1, 96, 96))
    svg = trace.to_svg()
    assert "<script" not in svg and "href" not in svg and "@import" not in svg and "url(http" not in svg
