"""What users read: the table (golden), the JSON document (every key and type), CSV, Markdown, HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import zoo
from shapetrace.render import table as table_render
from shapetrace.render.data import CSV_COLUMNS, dumps

RECORDED = Path(__file__).parent / "recorded"


def golden(request, name: str, text: str) -> str:
    path = RECORDED / name
    if request.config.getoption("--regenerate-golden"):
        path.write_text(text)
    return path.read_text()


@pytest.fixture(scope="module")
def lenet() -> shapetrace.Trace:
    return shapetrace.trace(zoo.build("lenet"), (1, 1, 28, 28), model_name="lenet")


def test_lenet_table_is_golden(request, lenet):
    text = str(lenet)
    assert text == golden(request, "lenet.txt", text)
    # structure: a title, one row per call, totals
    rows = [line for line in text.splitlines() if line.lstrip().startswith("net")]
    assert len(rows) == len(lenet.layers) == 13
    assert rows[1].startswith("  net.0 ") and "k=5 p=2" in rows[1] and "[1, 6, 28, 28]" in rows[1]


def test_lenet_table_depth_one_is_golden(request, lenet):
    text = lenet.to_table(depth=1)
    assert text == golden(request, "lenet-depth1.txt", text)
    assert "net.0" not in text


def test_failed_table_is_golden(request):
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(100, 2))
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (1, 1, 8, 8), model_name="broken")
    text = str(info.value.trace)
    assert text == golden(request, "broken.txt", text)
    assert "FAILED here" in text and "[1, 144]" in text


def test_reused_modules_are_marked_and_explained():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = nn.Linear(4, 4)

        def forward(self, x):
            return self.block(self.block(x))

    text = str(shapetrace.trace(Twice(), (1, 4)))
    assert "block *2" in text
    assert "*N: the N-th call of a module used more than once" in text


LAYER_KEYS = {
    "index": int,
    "name": str,
    "type": str,
    "depth": int,
    "is_leaf": bool,
    "input_shapes": list,
    "output_shapes": list,
    "params": int,
    "trainable_params": int,
    "macs": int,
    "expected_shapes": (list, type(None)),
    "check": str,
    "formula": (str, type(None)),
    "receptive_field": (dict, type(None)),
}
TOTAL_KEYS = {"params", "trainable_params", "non_trainable_params", "macs", "param_bytes", "activation_bytes"}


def _is_shape_list(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape)
        for shape in value
    )


@pytest.mark.parametrize("name", ["alexnet", "googlenet", "resnet18"])
def test_json_matches_the_contract(name):
    entry = zoo.ZOO[name]
    document = json.loads(shapetrace.trace(zoo.build(name), entry.default_input, model_name=name).to_json())
    assert list(document)[:9] == [
        "schema",
        "model",
        "input_shapes",
        "output_shapes",
        "device",
        "dtype",
        "layers",
        "totals",
        "checks",
    ]
    assert list(document)[9:] == ["flatten_form"]  # what shapetrace adds: each model flattens a map
    assert document["schema"] == "shapetrace/1"
    assert document["model"] == name
    assert document["input_shapes"] == [list(entry.default_input)]
    assert document["output_shapes"] == [[1, 10]]
    assert document["device"] == "cpu" and document["dtype"] == "float32"
    assert "error" not in document
    assert set(document["totals"]) >= TOTAL_KEYS
    assert all(isinstance(document["totals"][key], int) for key in TOTAL_KEYS)
    assert set(document["checks"]) == {"ok", "mismatch", "unchecked"}
    assert sum(document["checks"].values()) == len(document["layers"])
    for position, layer in enumerate(document["layers"]):
        assert list(layer)[: len(LAYER_KEYS)] == list(LAYER_KEYS)
        for key, kind in LAYER_KEYS.items():
            assert isinstance(layer[key], kind), (layer["name"], key)
        assert layer["index"] == position
        assert layer["depth"] == layer["name"].count(".") + 1 >= 1
        assert _is_shape_list(layer["input_shapes"]) and _is_shape_list(layer["output_shapes"])
        assert layer["check"] in {"ok", "mismatch", "unchecked"}
        assert 0 <= layer["trainable_params"] <= layer["params"]
    assert document["layers"][0]["depth"] == 1


def test_json_layer_example_from_the_contract():
    document = shapetrace.trace(zoo.build("alexnet"), (1, 1, 224, 224), model_name="alexnet").to_dict()
    conv = document["layers"][1]
    assert conv["name"] == "net.0" and conv["type"] == "Conv2d" and conv["depth"] == 2
    assert conv["is_leaf"] is True
    assert conv["input_shapes"] == [[1, 1, 224, 224]] and conv["output_shapes"] == [[1, 96, 54, 54]]
    assert conv["params"] == conv["trainable_params"] == 11712
    assert conv["macs"] == 33872256
    assert document["totals"]["params"] == 46764746
    assert document["totals"]["flops"] == 2 * document["totals"]["macs"]


def test_csv_has_a_row_per_call(lenet):
    rows = list(csv.DictReader(io.StringIO(lenet.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(lenet.layers)
    assert json.loads(rows[1]["output_shapes"]) == [[1, 6, 28, 28]]
    assert int(rows[8]["params"]) == 400 * 120 + 120


def test_markdown_and_html_are_self_contained(lenet):
    markdown = lenet.to_markdown()
    assert markdown.startswith("# lenet\n") and "| &nbsp;&nbsp;`net.0`" in markdown and "61,706" in markdown
    html = lenet.to_html()
    assert html.startswith("<!DOCTYPE html>") and "61,706" in html
    fetched = html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace name, not a fetch
    assert "http://" not in fetched and "https://" not in fetched and "<script" not in html


def test_html_escapes_names():
    class Evil(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    html = shapetrace.trace(Evil(), (1, 2), model_name="<b>evil</b>").to_html()
    assert "<b>evil</b>" not in html and "&lt;b&gt;evil&lt;/b&gt;" in html


def test_table_headers_are_fixed():
    assert table_render.headers("en") == ("Layer", "Type", "Config", "Output shape", "Params", "MACs")
    assert len(table_render.headers("zh")) == 6 and table_render.headers("zh")[0] == "层"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
def test_compact_json_round_trips(value):
    assert json.loads(dumps(value)) == value


def test_numbers_json_cannot_hold_become_strings():
    assert json.loads(dumps({"a": float("nan"), "b": [float("inf"), -float("inf")]})) == {
        "a": "nan",
        "b": ["inf", "-inf"],
    }


def test_compact_json_keeps_shapes_on_one_line(lenet):
    text = lenet.to_json()
    assert '"input_shapes": [[1, 1, 28, 28]]' in text
    assert '"output_shapes": [[1, 6, 28, 28]]' in text


def test_svg_has_a_box_per_leaf_call_and_the_shapes_on_the_arrows(lenet):
    import xml.etree.ElementTree as ElementTree

    svg = lenet.to_svg()
    root = ElementTree.fromstring(svg)  # well-formed
    namespace = "{http://www.w3.org/2000/svg}"
    boxes = [group for group in root.iter(f"{namespace}g") if "box" in group.get("class", "").split()]
    shown = [int(index) for box in boxes for index in box.get("data-layers").split()]
    assert sorted(shown) == [layer.index for layer in lenet.layers if layer.is_leaf]  # each leaf once
    texts = [element.text for element in root.iter(f"{namespace}text")]
    assert "net.0" in texts and "k=5 p=2" in texts and "+ Sigmoid" in texts
    assert "[1, 6, 28, 28]" in texts and "[1, 10]" in texts
    assert "href" not in svg and "<script" not in svg
    folded = ElementTree.fromstring(lenet.to_svg(depth=1))
    assert [box.get("data-kind") for box in folded.iter(f"{namespace}g")] == ["input", "block", "output"]
