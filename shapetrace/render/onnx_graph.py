"""The exported ONNX graph drawn as Netron draws it, with each value's inferred shape on its arrow:
a box per node (the weights' Identity and Constant nodes left out), the graph's inputs and outputs;
built as a `Diagram` so that issue 7's layout and painter draw it like the architecture diagrams."""

from __future__ import annotations

from shapetrace.messages import Lang
from shapetrace.records import OnnxGraph, OnnxShape
from shapetrace.render.diagram import Arrow, Box, Diagram
from shapetrace.render.layout import lay_out
from shapetrace.render.svg import paint

__all__ = ["onnx_diagram", "onnx_svg", "onnx_values", "onnx_shape_text"]

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


def onnx_values(graph: OnnxGraph, lang: Lang = "en") -> list[dict[str, str]]:
    """The table of the graph's values on its data path, in graph order: name, shape, the node that
    makes it (the weights left out: they are listed by the model's parameters)."""
    made = {value: node for node in graph.nodes if node.op not in _HIDDEN for value in node.outputs}
    rows = [{"name": name, "shape": onnx_shape_text(graph.shape(name)), "node": ""} for name in graph.inputs]
    for value, node in made.items():
        rows.append(
            {"name": value, "shape": onnx_shape_text(graph.shape(value)), "node": f"{node.op} {node.name}"}
        )
    return rows
