"""The exported ONNX graph drawn as Netron draws it, with each value's inferred shape on its arrow:
a box per node (the weights' Identity and Constant nodes left out), the graph's inputs and outputs;
built as a `Diagram` so that issue 7's layout and painter draw it like the architecture diagrams."""

from __future__ import annotations

from shapetrace.messages import Lang
from shapetrace.records import OnnxGraph, OnnxShape, TraceRecord
from shapetrace.render.closed import expression, symbols_of
from shapetrace.render.diagram import Arrow, Box, Diagram
from shapetrace.render.layout import lay_out
from shapetrace.render.svg import paint

__all__ = ["onnx_diagram", "onnx_svg", "onnx_values", "onnx_shape_text", "onnx_closed_shapes"]

_KINDS = {
    "Conv": "conv", "ConvTranspose": "conv", "MaxPool": "pool", "AveragePool": "pool",
    "GlobalAveragePool": "pool", "GlobalMaxPool": "pool", "Gemm": "linear", "MatMul": "linear",
    "BatchNormalization": "norm", "Relu": "activation", "Sigmoid": "activation", "Tanh": "activation",
    "Softmax": "activation", "Flatten": "reshape", "Reshape": "reshape", "Transpose": "reshape",
    "Concat": "concat", "Add": "add",
}  # fmt: skip
_HIDDEN = {"Identity", "Constant"}  # the exporter's copies of weights and its constants


def onnx_shape_text(shape: OnnxShape | None) -> str:
    """[1, 6, 28, 28]; a symbolic dim by its name, an unknown one as ?; '?' for no shape."""
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape) + "]"


def onnx_diagram(graph: OnnxGraph, title: str) -> Diagram:
    """The graph's data path: inputs, nodes, outputs, an arrow per value with its shape."""
    boxes: list[Box] = [Box(f"in{position}", "input", "", name) for position, name in enumerate(graph.inputs)]
    made_by = {name: f"in{position}" for position, name in enumerate(graph.inputs)}
    arrows: list[Arrow] = []
    for position, node in enumerate(graph.nodes):
        if node.op in _HIDDEN:
            continue
        key = f"N{position}"
        scope = node.scope[-1] if node.scope else ""
        boxes.append(Box(key, _KINDS.get(node.op, "other"), scope, node.op))
        for value in node.inputs:
            if value in made_by:
                arrows.append(Arrow(made_by[value], key, onnx_shape_text(graph.shape(value))))
        for value in node.outputs:
            made_by[value] = key
    for position, name in enumerate(graph.outputs):
        boxes.append(Box(f"out{position}", "output", "", name))
        if name in made_by:
            arrows.append(Arrow(made_by[name], f"out{position}", onnx_shape_text(graph.shape(name))))
    return Diagram(title, tuple(boxes), tuple(arrows), None)


def onnx_svg(graph: OnnxGraph, title: str, prefix: str = "onnx-") -> str:
    return paint(lay_out(onnx_diagram(graph, title)), prefix=prefix)


def onnx_closed_shapes(trace: TraceRecord) -> dict[str, str]:
    """For an export with symbolic sizes: shapetrace's own shape of each ONNX value whose traced call
    has a closed form, its spatial dims as forms of the input's named sizes ("[1, 6, ⌊(H − 2)/2⌋, ...]"),
    its other dims as traced; the flattened size where a map is flattened; the graph's first input as the
    traced input with its names."""
    graph = trace.onnx.graph if trace.onnx is not None else None
    if graph is None or not graph.dynamic:
        return {}
    tensors = list(trace.inputs.tensors())
    shapes: dict[str, str] = {}
    if graph.inputs and tensors:
        fixed = [str(size) for size in tensors[0].shape[: len(tensors[0].shape) - len(graph.dynamic)]]
        shapes[graph.inputs[0]] = "[" + ", ".join([*fixed, *graph.dynamic]) + "]"
    outputs = {node.name: node.outputs[0] for node in graph.nodes if node.outputs}
    found = trace.flatten_form
    for layer in trace.layers:
        match = layer.onnx
        if found is None or layer.name != found.layer or match is None or match.node not in outputs:
            continue
        symbols = graph.dynamic if len(graph.dynamic) == len(found.forms) else None
        batch = [str(size) for size in layer.output_shapes[0][:-1]] if layer.output_shapes else []
        shapes[outputs[match.node]] = "[" + ", ".join([*batch, expression(found, symbols)]) + "]"
    for layer in trace.layers:
        match, forms = layer.onnx, layer.size_form
        if match is None or match.node not in outputs or forms is None or not layer.output_shapes:
            continue
        traced = layer.output_shapes[0]
        symbols = graph.dynamic if len(graph.dynamic) == len(forms) else symbols_of(len(forms))
        spatial = [
            form.text(symbol) if form is not None else "?"
            for form, symbol in zip(forms, symbols, strict=True)
        ]
        fixed = [str(size) for size in traced[: len(traced) - len(forms)]]
        shapes.setdefault(outputs[match.node], "[" + ", ".join([*fixed, *spatial]) + "]")
    return shapes


def onnx_values(
    graph: OnnxGraph, lang: Lang = "en", closed: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """The table of the graph's values on its data path, in graph order: name, shape, the node that
    makes it (the weights left out: they are listed by the model's parameters); with `closed`
    (onnx_closed_shapes), shapetrace's closed form of each value beside its ONNX shape."""
    made = {value: node for node in graph.nodes if node.op not in _HIDDEN for value in node.outputs}
    rows = [{"name": name, "shape": onnx_shape_text(graph.shape(name)), "node": ""} for name in graph.inputs]
    for value, node in made.items():
        rows.append(
            {"name": value, "shape": onnx_shape_text(graph.shape(value)), "node": f"{node.op} {node.name}"}
        )
    if closed is not None:
        for row in rows:
            row["closed"] = closed.get(row["name"], "")
    return rows
