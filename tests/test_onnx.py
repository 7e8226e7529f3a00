"""ONNX export (--onnx, Trace.to_onnx, export_onnx) and its cross-check against the trace.

Ground truth is PyTorch (forward hooks on the same model) and onnx itself (its checker, the shapes in
the saved file), never shapetrace's own output. The tests that export skip, saying why, without the
onnx extra; the no-extra message is tested with the module hidden."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from shapetrace.cli import main

HAS_ONNX = importlib.util.find_spec("onnx") is not None
needs_onnx = pytest.mark.skipif(
    not HAS_ONNX, reason="the onnx extra is absent: pip install -e '.[test,onnx]'"
)
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
ROOT = Path(__file__).resolve().parents[1]

# the six zoo models at small inputs; AlexNet and VGG-11 carry 47 M and 129 M weights, which the
# exporter's own shape pass reads whatever the input size, so they export in the thorough profile only
ZOO_INPUTS = {
    "lenet": (1, 1, 28, 28),
    "nin": (1, 1, 80, 80),
    "googlenet": (1, 1, 32, 32),
    "resnet18": (1, 1, 32, 32),
    "alexnet": (1, 1, 193, 193),
    "vgg11": (1, 1, 224, 224),
}
HEAVY = ("alexnet", "vgg11")
CHECKED_OPS = {
    "Conv",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Gemm",
    "MatMul",
    "Concat",
    "Add",
    "Flatten",
}


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _torch_output_shapes(model, x) -> dict[str, tuple[int, ...]]:
    """Every module's output shape from PyTorch itself, by qualified name."""
    import torch

    shapes: dict[str, tuple[int, ...]] = {}

    def keep(name: str):
        def hook(_module, _inputs, out) -> None:
            if isinstance(out, torch.Tensor):
                shapes.setdefault(name, tuple(out.shape))

        return hook

    handles = [module.register_forward_hook(keep(name)) for name, module in model.named_modules()]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return shapes


@needs_onnx
@pytest.mark.parametrize("name", list(ZOO_INPUTS))
def test_zoo_exports_with_every_value_shaped_as_pytorch_computes_it(name):
    if name in HEAVY and not THOROUGH:
        pytest.skip(
            f"{name} exports in the thorough profile (HYPOTHESIS_PROFILE=thorough): its weights are large"
        )
    import torch

    from shapetrace import zoo
    from shapetrace.onnx_check import scope_of
    from shapetrace.onnx_export import export_graph

    model = zoo.build(name)
    size = ZOO_INPUTS[name]
    graph = export_graph(model, size, weights=False)
    assert graph.unshaped == ()  # every value carries its shape
    truth = _torch_output_shapes(model, torch.zeros(size))
    by_scope = {scope_of(qualified): qualified for qualified in truth if qualified}
    checked = 0
    for node in graph.nodes:
        if node.op in CHECKED_OPS:
            module = by_scope[node.scope]
            assert graph.shape(node.outputs[0]) == truth[module], (node.name, module)
            checked += 1
    assert checked >= 4
    out = graph.outputs[0]
    assert graph.shape(out) == tuple(model(torch.zeros(size)).shape)


class _Branches:
    """A small model with what the exporter fuses (BatchNorm), folds (Dropout) and merges (cat, +)."""

    @staticmethod
    def build():
        from torch import nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.left = nn.Conv2d(4, 4, 3, padding=1)
                self.right = nn.Sequential(nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2), nn.ReLU())

            def forward(self, x):
                merged = torch.cat([self.left(x), self.right(x), self.right(self.left(x))], 1)
                return merged + merged

        import torch

        return nn.Sequential(
            nn.Conv2d(1, 4, 3), Block(), nn.MaxPool2d(2), nn.Dropout(), nn.Flatten(), nn.Linear(8 * 3 * 3, 5)
        ).eval()


@needs_onnx
def test_the_cross_check_agrees_where_pytorch_does_and_says_what_was_fused():
    import torch

    from shapetrace import trace

    model = _Branches.build()
    result = trace(model, (1, 1, 8, 8)).to_onnx()
    truth = _torch_output_shapes(model, torch.zeros(1, 1, 8, 8))
    matched = {(layer.name, layer.call_number): layer.onnx for layer in result.layers}
    assert all(match is not None for match in matched.values())
    absent = {name for (name, _), match in matched.items() if match.status == "absent"}
    assert absent == {"1.right.1", "3"}  # the BatchNorm (both calls) fused, the Dropout folded away
    for (name, _), match in matched.items():
        if match.status != "absent":
            assert match.status == "agree" and match.shape == truth[name], name
    assert matched[("1", 1)].op == "Add" and matched[("0", 1)].op == "Conv" and matched[("5", 1)].op == "Gemm"
    # the module called twice: its second call is the second exit from its scope
    assert matched[("1.right.0", 2)].node != matched[("1.right.0", 1)].node
    table = result.to_table()
    assert "ONNX" in table.splitlines()[2]
    assert "ONNX: no node for 1.right.1: fused into the convolution before it" in table
    assert "ONNX: no node for 3: folded away by the exporter (Dropout is an identity in eval mode)" in table


@needs_onnx
def test_a_differing_shape_is_a_clear_row():
    from shapetrace import trace, zoo
    from shapetrace.onnx_check import check_onnx
    from shapetrace.onnx_export import export_graph
    from shapetrace.records import OnnxGraph

    model = zoo.build("lenet")
    result = trace(model, (1, 1, 28, 28))
    graph = export_graph(model, (1, 1, 28, 28), weights=False)
    conv = next(node for node in graph.nodes if node.op == "Conv")
    shapes = tuple(
        (value, (1, 7, 28, 28) if value == conv.outputs[0] else shape) for value, shape in graph.shapes
    )
    checked = check_onnx(result, OnnxGraph(graph.nodes, shapes, graph.inputs, graph.outputs, graph.opset))
    first = next(layer for layer in checked.layers if layer.name == "net.0")
    assert first.onnx.status == "differ"
    table = type(result).of(checked).to_table()
    assert "differs: [1, 7, 28, 28]" in table
    assert "ONNX: net.0 (Conv2d) is [1, 7, 28, 28] in the exported graph" in table


@needs_onnx
def test_cli_lenet_writes_a_checked_file_and_the_table_agrees(tmp_path, capsys):
    import onnx

    path = tmp_path / "lenet.onnx"
    code, out, err = _run(capsys, "lenet", "--onnx", str(path))
    assert code == 0, err
    assert "13 of 13 layers agree" in out
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    shaped = {value.name: value for value in [*model.graph.value_info, *model.graph.output]}
    for node in model.graph.node:  # every intermediate value carries its full shape, in the file
        for value in node.output:
            dims = shaped[value].type.tensor_type.shape.dim
            assert dims and all(dim.HasField("dim_value") for dim in dims), value
    assert len(model.graph.initializer) == 10  # the weights travel with the file


@needs_onnx
def test_json_carries_the_onnx_records_and_validates(tmp_path, capsys):
    import jsonschema

    code, out, _ = _run(capsys, "lenet", "--onnx", str(tmp_path / "l.onnx"), "--format", "json")
    assert code == 0
    document = json.loads(out)
    schema = json.loads((ROOT / "docs" / "shapetrace-1.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert all(layer["onnx"]["status"] == "agree" for layer in document["layers"])
    assert document["onnx"]["agree"] == len(document["layers"])
    assert document["onnx"]["values"][document["layers"][1]["onnx"]["node"] + "_output_0"] == [1, 6, 28, 28]


REFUSED = """
import torch
from torch import nn

class Scan(nn.Module):
    def forward(self, x):
        return torch.cumprod(x, 1)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.body = nn.Sequential(nn.ReLU(), Scan())

    def forward(self, x):
        return self.body(self.conv(x))
"""


@needs_onnx
def test_an_op_the_exporter_refuses_is_one_line_naming_op_and_module(tmp_path, capsys):
    source = tmp_path / "scan.py"
    source.write_text(REFUSED, encoding="utf-8")
    code, out, err = _run(capsys, f"{source}:Net", "--input", "1,1,8,8", "--onnx", str(tmp_path / "s.onnx"))
    assert code == 1
    assert "body.1" in out and "[1, 2, 6, 6]" in out  # the trace is still shown
    line = "ONNX export failed: the exporter cannot convert aten::cumprod (called in body.1, Scan)"
    assert line in out
    assert "Traceback" not in out + err and "graph(" not in err  # nor the exporter's log
    assert not (tmp_path / "s.onnx").exists()


@needs_onnx
def test_the_api_raises_export_error_with_the_same_words(tmp_path):
    import importlib

    from shapetrace import ExportError, export_onnx

    spec = importlib.util.spec_from_file_location("scan_model", _write(tmp_path, REFUSED))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ExportError, match=r"aten::cumprod \(called in body.1, Scan\)"):
        export_onnx(module.Net(), (1, 1, 8, 8))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scan_model.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_the_extra_one_line_names_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    code, out, err = _run(capsys, "lenet", "--onnx", str(tmp_path / "l.onnx"))
    assert code == 2
    assert out == ""
    assert (
        err.strip() == 'shapetrace: error: ONNX export needs the onnx extra: pip install "shapetrace[onnx]"'
    )


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--device", "meta"), "--onnx needs real weights"),
        (("--solve", "28"), "--onnx exports a trace; --solve makes none"),
        (("alexnet",), "--onnx takes one model"),
    ],
)
def test_onnx_usage_errors_are_one_line(tmp_path, capsys, extra, words):
    models = ["lenet", *extra] if extra == ("alexnet",) else ["lenet"]
    options = () if extra == ("alexnet",) else extra
    code, out, err = _run(capsys, *models, "--onnx", str(tmp_path / "l.onnx"), *options)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "l.onnx").exists()


def test_a_trace_still_pickles_and_to_onnx_then_asks_for_the_model():
    import pickle

    from shapetrace import UsageError, trace, zoo

    model = zoo.build("lenet")
    result = trace(model, (1, 1, 28, 28))
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result
    with pytest.raises(UsageError, match="pass it as model="):
        copy.to_onnx()


@needs_onnx
def test_a_file_that_cannot_be_written_is_bad_usage(tmp_path, capsys):
    code, out, err = _run(capsys, "lenet", "--onnx", str(tmp_path / "missing" / "l.onnx"))
    assert code == 2 and out == ""
    assert err.startswith("shapetrace: error: cannot write the ONNX file") and "Traceback" not in err


@needs_onnx
def test_exporting_leaves_the_model_as_it_was_found():
    import torch

    from shapetrace.onnx_export import export_graph

    model = _Branches.build().train()
    state = {key: value.clone() for key, value in model.state_dict().items()}
    modes = [module.training for module in model.modules()]
    export_graph(model, (2, 1, 8, 8))
    assert [module.training for module in model.modules()] == modes  # exported in eval mode, put back
    assert all(torch.equal(state[key], value) for key, value in model.state_dict().items())  # BN stats too
    assert not any(module._forward_hooks or module._forward_pre_hooks for module in model.modules())


@needs_onnx
def test_the_handout_draws_the_onnx_graph_with_the_files_own_shapes(tmp_path, capsys):
    import re

    import onnx

    code, _, err = _run(capsys, "lenet", "--onnx", str(tmp_path / "l.onnx"), "-o", str(tmp_path / "l.md"))
    assert code == 0, err
    page = (tmp_path / "l.md").read_text(encoding="utf-8")
    assert "## The exported ONNX graph" in page and "![The exported ONNX graph](l.onnx.svg)" in page
    drawn = re.findall(r'<text class="shape"[^>]*>([^<]*)</text>', (tmp_path / "l.onnx.svg").read_text())
    model = onnx.load(str(tmp_path / "l.onnx"))
    in_file = {
        "[" + ", ".join(str(dim.dim_value) for dim in value.type.tensor_type.shape.dim) + "]"
        for value in [*model.graph.input, *model.graph.value_info, *model.graph.output]
    }
    assert set(drawn) == in_file  # every value's shape on an arrow, as the file carries it
    assert len(drawn) == len(model.graph.node) + 1  # a label per value a node makes, and the input's
    rows = re.findall(r"^\| `([^`]+)` \| (\[[^]]*\]) \|", page, flags=re.M)
    assert len(rows) == len(model.graph.node) + 1 and rows[0] == ("input", "[1, 1, 28, 28]")
    code, _, _ = _run(
        capsys, "lenet", "--onnx", str(tmp_path / "l.onnx"), "--lang", "zh", "-o", str(tmp_path / "l.html")
    )
    html = (tmp_path / "l.html").read_text(encoding="utf-8")
    assert code == 0 and "导出的 ONNX 图" in html and 'id="lenet-onnx-N2"' in html


@needs_onnx
def test_the_drawn_graph_in_the_docs_is_what_shapetrace_draws_today():
    from shapetrace import trace, zoo
    from shapetrace.render.onnx_graph import onnx_svg

    model = zoo.build("lenet")
    result = trace(model, (1, 1, 28, 28)).to_onnx()
    kept = (ROOT / "docs" / "images" / "lenet-onnx.svg").read_text(encoding="utf-8")
    assert onnx_svg(result.onnx.graph, "lenet", prefix="lenet-onnx-") == kept, (
        "stale: write onnx_svg(trace(lenet).to_onnx().onnx.graph, 'lenet', prefix='lenet-onnx-') "
        "to docs/images/lenet-onnx.svg"
    )


@needs_onnx
def test_auto_device_exports_on_the_cpu_even_where_it_would_trace_on_meta(tmp_path, capsys, monkeypatch):
    """--device auto (the default) would pick meta under a tiny memory line; an export needs real
    weights, so --onnx traces on the CPU and writes the file."""
    from shapetrace import device_choice
    from shapetrace.device_choice import Limits

    monkeypatch.setattr(device_choice, "LIMITS", Limits(memory=1024))
    assert main(["lenet", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["device"] == "meta"  # the line is where it should be
    path = tmp_path / "lenet.onnx"
    code, out, err = _run(capsys, "lenet", "--onnx", str(path), "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["device"] == "cpu" and path.stat().st_size > 100_000


# --onnx-dynamic / dynamic=: the input's spatial dims exported symbolic. A tiny conv net keeps it cheap;
# onnxruntime is absent, so onnx's own reference evaluator runs the file at another size.
def _small_net():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, stride=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 8, 3, padding=1),
    ).eval()


@needs_onnx
def test_a_dynamic_export_has_named_symbols_and_runs_at_other_sizes(tmp_path):
    import numpy as np
    import onnx
    import torch
    from onnx.reference import ReferenceEvaluator

    import shapetrace

    model, path = _small_net(), tmp_path / "small.onnx"
    result = shapetrace.export_onnx(model, (1, 1, 20, 20), path, dynamic=("H", "W"))
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [dim.dim_value for dim in dims[:2]] == [1, 1]
    assert [dim.dim_param for dim in dims[2:]] == ["H", "W"]
    inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    spatial = [
        [dim.HasField("dim_param") for dim in value.type.tensor_type.shape.dim[2:]]
        for value in [*inferred.graph.value_info, *inferred.graph.output]
    ]
    assert spatial and all(flags == [True, True] for flags in spatial)  # no size fixed to 20 on the way
    x = torch.randn(1, 1, 27, 34)  # another size than the traced one
    (got,) = ReferenceEvaluator(proto).run(None, {"input": x.numpy()})
    with torch.no_grad():
        expected = model(x).numpy()
    assert got.shape == expected.shape and np.allclose(got, expected, atol=1e-4)
    torch_shapes = _torch_output_shapes(model, torch.zeros(1, 1, 20, 20))
    for layer in result.layers:
        assert layer.onnx.status == "agree", layer.name
        assert len(layer.onnx.shape) == len(torch_shapes[layer.name])
        fixed = [(dim, size) for dim, size in zip(layer.onnx.shape, torch_shapes[layer.name], strict=True)]
        assert all(dim == size for dim, size in fixed if not isinstance(dim, str))
        assert len(layer.onnx.symbolic) == 2  # H and W stay symbolic through every layer


@needs_onnx
def test_a_symbolic_dim_is_no_mismatch_but_a_wrong_fixed_dim_still_is():
    from shapetrace import trace, zoo
    from shapetrace.onnx_check import check_onnx
    from shapetrace.onnx_export import export_graph
    from shapetrace.records import OnnxGraph

    model = zoo.build("lenet")
    result = trace(model, (1, 1, 28, 28))
    graph = export_graph(model, (1, 1, 28, 28), weights=False, dynamic=("H", "W"))
    conv = next(node for node in graph.nodes if node.op == "Conv")
    assert graph.shape(conv.outputs[0])[:2] == (1, 6) and all(
        isinstance(dim, str) for dim in graph.shape(conv.outputs[0])[2:]
    )
    for wrong in ((1, 7, "unk__0", "unk__1"), (1, 6, "unk__0"), (2, 6, "unk__0", "unk__1")):
        shapes = tuple((value, wrong if value == conv.outputs[0] else shape) for value, shape in graph.shapes)
        changed = OnnxGraph(graph.nodes, shapes, graph.inputs, graph.outputs, graph.opset, dynamic=("H", "W"))
        first = next(layer for layer in check_onnx(result, changed).layers if layer.name == "net.0")
        assert first.onnx.status == "differ", wrong
    checked = check_onnx(result, graph)
    first = next(layer for layer in checked.layers if layer.name == "net.0")
    assert first.onnx.status == "agree" and first.onnx.symbolic == graph.shape(conv.outputs[0])[2:]
    table = type(result).of(checked).to_table()
    assert f"ok (symbolic: {', '.join(first.onnx.symbolic)})" in table
    assert "ONNX: the input's H, W exported symbolic; 7 of the agreeing layers have symbolic dims" in table


@needs_onnx
def test_the_handout_shows_the_closed_form_beside_the_onnx_symbols(tmp_path, capsys):
    import torch

    from shapetrace import trace

    model = _small_net()
    source = tmp_path / "small.py"
    source.write_text(
        "import torch\n"
        "def Net():\n"
        "    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, stride=2), torch.nn.ReLU(),\n"
        "        torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 8, 3, padding=1))\n"
    )
    args = (f"{source}:Net", "--input", "1,1,20,20", "--onnx", str(tmp_path / "s.onnx"))
    code, _, err = _run(capsys, *args, "--onnx-dynamic", "height,width", "-o", str(tmp_path / "s.md"))
    assert code == 0, err
    rows = (tmp_path / "s.md").read_text(encoding="utf-8").splitlines()
    forms = trace(model, (1, 1, 20, 20)).layers
    for name, op in (("0", "Conv"), ("2", "MaxPool"), ("3", "Conv")):
        row = next(line for line in rows if line.endswith(f"| {op} /{name}/{op} |"))  # the last: `output`
        layer = next(layer for layer in forms if layer.name == name)
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        channels = layer.output_shapes[0][1]
        symbols = cells[1].removeprefix(f"[1, {channels}, ").removesuffix("]").split(", ")
        assert len(symbols) == 2 and not any(symbol.isdigit() for symbol in symbols)  # the file's own
        h, w = (form.text(symbol) for form, symbol in zip(layer.size_form, ("height", "width"), strict=True))
        assert cells[2] == f"[1, {channels}, {h}, {w}]"
        for size in ((20, 20), (27, 34), (41, 23)):  # the forms are PyTorch's sizes at other inputs
            with torch.no_grad():
                torch_shape = model[: int(name) + 1](torch.zeros(1, 1, *size)).shape
            assert tuple(form.at(n) for form, n in zip(layer.size_form, size, strict=True)) == tuple(
                torch_shape[2:]
            )
    assert "| `input` | [1, 1, height, width] | [1, 1, height, width] |" in (tmp_path / "s.md").read_text(
        encoding="utf-8"
    )
    code, _, err = _run(
        capsys, *args, "--onnx-dynamic", "H,W", "--lang", "zh", "-o", str(tmp_path / "s.html")
    )
    assert code == 0, err
    assert "shapetrace 的闭式" in (tmp_path / "s.html").read_text(encoding="utf-8")


@needs_onnx
@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--onnx-dynamic", "H,W"), "--onnx-dynamic names the symbolic sizes of an export: it needs --onnx"),
        (("--onnx", "l.onnx", "--onnx-dynamic", "H"), "--onnx-dynamic H: the input has 2 spatial dims"),
        (("--onnx", "l.onnx", "--onnx-dynamic", "H,"), "--onnx-dynamic H,: the names must be distinct"),
        (("--onnx", "l.onnx", "--onnx-dynamic", "H,H"), "--onnx-dynamic H,H: the names must be distinct"),
    ],
)
def test_onnx_dynamic_usage_errors_are_one_line(tmp_path, capsys, monkeypatch, options, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "lenet", *options)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "l.onnx").exists()
