"""The cross-check: derive every traced call's output shapes from the formulas and compare them
with the shapes PyTorch produced. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shapetrace import rules
from shapetrace.records import LayerRecord, Trace

__all__ = ["check", "check_layer"]


def _arguments(layer: LayerRecord) -> dict[str, Any]:
    """The call's non-tensor arguments: keywords by name, positional ones under "positional"."""
    arguments: dict[str, Any] = {}
    positional = []
    for key, item in layer.inputs.items:
        if item.kind == "tensor":
            continue
        if key is None:
            positional.append(item.plain())
        else:
            arguments[key] = item.plain()
    arguments["positional"] = tuple(positional)
    return arguments


def check_layer(layer: LayerRecord) -> LayerRecord:
    """The layer with `expected_shapes`, `check`, `formula`, `textbook` and `note` filled in."""
    rule_type = layer.base_type or layer.type
    try:
        derivation = rules.derive(rule_type, dict(layer.attributes), layer.input_shapes, _arguments(layer))
    except ValueError as refusal:  # the formulas say this call cannot work
        if layer.failed:
            return replace(layer, formula=str(refusal), note="the formulas explain the failure")
        return replace(
            layer,
            check="mismatch",
            formula=str(refusal),
            note="PyTorch ran this call, yet the formulas refuse it",
        )
    if derivation is None:
        return layer
    derived = replace(
        layer, expected_shapes=derivation.shapes, formula=derivation.formula, textbook=derivation.textbook
    )
    if layer.failed:
        return derived
    if derivation.shapes == layer.output_shapes:
        return replace(derived, check="ok")
    note = "the output differs from the formulas"
    if layer.custom_forward:
        note = (
            f"{layer.type} overrides {rule_type}.forward, and its output differs from {rule_type}'s formulas"
        )
    return replace(derived, check="mismatch", note=note)


def check(trace: Trace) -> Trace:
    """The trace with every layer cross-checked against the analytic calculator."""
    return replace(trace, layers=tuple(check_layer(layer) for layer in trace.layers))
