"""Machine-readable renderings of a trace: the `shapetrace/1` JSON document and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

from shapetrace.formulas.closed import SizeForm
from shapetrace.messages import Terms
from shapetrace.records import (
    SCHEMA,
    FlattenForm,
    LayerRecord,
    OnnxMatch,
    OnnxReport,
    ReceptiveField,
    Source,
    TraceRecord,
)
from shapetrace.render.closed import expression
from shapetrace.render.common import format_value, words

__all__ = ["trace_to_dict", "layer_to_dict", "render_json", "render_csv", "spreadsheet_safe", "CSV_COLUMNS"]


def _shapes(shapes: Any) -> list[list[int]] | None:
    return None if shapes is None else [list(shape) for shape in shapes]


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": JSON has no such numbers (LeakyReLU(negative_slope=nan))
    return value


def _receptive_field(field: ReceptiveField | None) -> dict[str, list] | None:
    if field is None:
        return None
    return {"size": list(field.size), "jump": list(field.jump), "start": list(field.start)}


def size_form(form: SizeForm | None) -> dict[str, int] | None:
    """⌊(n·H + a)/m⌋ + c as {"n", "a", "m", "c"} (c is 0: shapetrace folds it into a)."""
    return None if form is None else {"n": form.n, "a": form.a, "m": form.m, "c": 0}


def _flatten_form(found: FlattenForm) -> dict[str, Any]:
    return {
        "layer": found.layer,
        "source": found.source,
        "linear": found.linear,
        "channels": found.channels,
        "forms": [size_form(form) for form in found.forms],
        "expression": expression(found),
        "features": found.features,
        "lowest": list(found.lowest),
        "jump": list(found.jump) if found.jump is not None else None,
        "fits": [
            {"values": list(fit.values), "spans": [list(span) for span in fit.spans]} for fit in found.fits
        ],
        "square": [list(span) for span in found.square],
    }


def _source(source: Source | None) -> dict[str, int] | None:
    if source is None:
        return None
    if source.input is not None:
        return {"input": source.input}
    return {"layer": source.layer, "output": source.output}


def _onnx_match(match: OnnxMatch) -> dict[str, Any]:
    return {
        "status": match.status,
        "node": match.node,
        "op": match.op,
        "shape": list(match.shape) if match.shape is not None else None,
        "reason": words(match.reason, "en") or None,
    }


def _onnx_report(report: OnnxReport, layers: tuple[LayerRecord, ...]) -> dict[str, Any]:
    graph = report.graph
    if graph is None:
        return {"error": words(report.error, "en")}
    statuses = [layer.onnx.status for layer in layers if layer.onnx is not None]
    compared = [status for status in statuses if status != "absent"]
    return {
        "path": graph.path,
        "opset": graph.opset,
        "nodes": len(graph.nodes),
        "values": {name: list(shape) if shape is not None else None for name, shape in graph.shapes},
        "agree": compared.count("agree"),
        "differ": compared.count("differ"),
        "absent": len(statuses) - len(compared),
    }


def layer_to_dict(layer: LayerRecord) -> dict[str, Any]:
    """One layer: the documented core fields, then the ones shapetrace adds after `receptive_field`;
    `onnx` only where the trace was exported."""
    entry = {
        "index": layer.index,
        "name": layer.name,
        "type": layer.type,
        "depth": layer.depth,
        "is_leaf": layer.is_leaf,
        "input_shapes": _shapes(layer.input_shapes),
        "output_shapes": _shapes(layer.output_shapes),
        "params": layer.params,
        "trainable_params": layer.trainable_params,
        "macs": layer.macs,
        "expected_shapes": _shapes(layer.expected_shapes),
        "check": layer.check,
        "formula": layer.formula,
        "receptive_field": _receptive_field(layer.receptive_field),
        "textbook": layer.textbook,
        "note": layer.note,
        "base_type": layer.base_type,
        "sources": [_source(source) for source in layer.sources],
        "parent": layer.parent,
        "call_number": layer.call_number,
        "failed": layer.failed,
        "output_structure": format_value(layer.outputs) if layer.outputs is not None else None,
        "output_bytes": layer.outputs.nbytes if layer.outputs is not None else 0,
        "attributes": {key: _jsonable(value) for key, value in layer.attributes},
        "size_form": None if layer.size_form is None else [size_form(form) for form in layer.size_form],
    }
    if layer.onnx is not None:
        entry["onnx"] = _onnx_match(layer.onnx)
    return entry


def trace_to_dict(trace: TraceRecord, terms: Terms = "api") -> dict[str, Any]:
    """The `shapetrace/1` document: the documented keys in their order, `flatten_form` only where a map
    of the input is flattened, `form_stop` only where the closed forms stop, `notes` only where the
    trace has some, `error` only on failure; its words in English (`terms`: how the hint names inputs)."""
    totals = trace.totals
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "model": trace.model,
        "input_shapes": _shapes(trace.input_shapes),
        "output_shapes": _shapes(trace.output_shapes),
        "device": trace.device,
        "dtype": trace.dtype,
        "layers": [layer_to_dict(layer) for layer in trace.layers],
        "totals": {
            "params": totals.params,
            "trainable_params": totals.trainable_params,
            "non_trainable_params": totals.non_trainable_params,
            "macs": totals.macs,
            "flops": totals.flops,
            "param_bytes": totals.param_bytes,
            "activation_bytes": totals.activation_bytes,
        },
        "checks": trace.checks,
    }
    if trace.device_reason is not None:
        document["device_reason"] = words(trace.device_reason, "en", terms)
    if trace.flatten_form is not None:
        document["flatten_form"] = _flatten_form(trace.flatten_form)
    if trace.form_stop is not None:
        document["form_stop"] = words(trace.form_stop, "en", terms)
    if trace.onnx is not None:
        document["onnx"] = _onnx_report(trace.onnx, trace.layers)
    if trace.notes:
        document["notes"] = [words(note, "en", terms) for note in trace.notes]
    if trace.error is not None:
        document["error"] = {
            "layer": trace.error.layer,
            "message": trace.error.message,
            "hint": words(trace.error.advice, "en", terms) or None,
            "type": trace.error.exception_type,
            "layer_type": trace.error.layer_type,
            "kind": trace.error.kind,
            "location": trace.error.location or None,
        }
    return document


# JSON strings never hold a raw newline, so these only match lists that json.dumps spread over lines.
_NUMBER_LIST = re.compile(r"\[\n\s+([-\d.,\s]+?)\n\s*\]")
_LIST_OF_LISTS = re.compile(r"\[\n\s+(\[[-\d., ]*\](?:,\n\s+\[[-\d., ]*\])*)\n\s*\]")


def dumps(document: object) -> str:
    """Indented JSON with shapes kept on one line: [[1, 96, 54, 54]] rather than nine lines; a float
    that is not finite is written as a string, so the text is always JSON."""
    text = json.dumps(_jsonable(document), indent=2, allow_nan=False, ensure_ascii=False)
    text = _NUMBER_LIST.sub(lambda match: "[" + " ".join(match.group(1).split()) + "]", text)
    return _LIST_OF_LISTS.sub(
        lambda match: "[" + ", ".join(item.strip() for item in match.group(1).split(",\n")) + "]", text
    )


def render_json(trace: TraceRecord, terms: Terms = "api") -> str:
    return dumps(trace_to_dict(trace, terms)) + "\n"


CSV_COLUMNS = (
    "index",
    "name",
    "type",
    "depth",
    "is_leaf",
    "call_number",
    "input_shapes",
    "output_shapes",
    "params",
    "trainable_params",
    "macs",
    "check",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs as a formula: text that starts like one (a module
    named "=cmd|...") gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(trace: TraceRecord) -> str:
    """One row per call; shape lists are written as JSON inside the cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for layer in trace.layers:
        row = layer_to_dict(layer)
        cells = [
            json.dumps(row[column]) if column.endswith("shapes") else row[column] for column in CSV_COLUMNS
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()
