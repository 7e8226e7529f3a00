"""The cross-check: derive every traced call's output shapes from the formulas and compare them
with the shapes PyTorch produced. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shapetrace import rules
from shapetrace.records import LayerRecord, Shape, Trace, evolve
from shapetrace.records import bind as bind_inputs

__all__ = ["check", "check_layer", "bind"]


def bind(
    layer: LayerRecord, shapes: tuple[Shape, ...] | None = None
) -> tuple[tuple[Shape, ...], dict[str, Any]]:
    """The call's tensor shapes in forward's parameter order, and its other arguments by name
    (`records.bind` over the layer's inputs and forward's parameter names)."""
    return bind_inputs(layer.inputs, layer.parameters, shapes)


def _derive(layer: LayerRecord) -> rules.Derivation | dict[str, Any] | None:
    """The rule's derivation, or the fields to set where the rule refuses or cannot tell."""
    rule_type = layer.base_type  # "" for user-defined classes: no rule
    shapes, arguments = bind(layer)
    try:
        return rules.derive(rule_type, dict(layer.attributes), shapes, arguments)
    except rules.NotCheckable as reason:
        return {"note": str(reason)}
    except ValueError as refusal:  # the formulas say this call cannot work
        if layer.failed:
            return {"formula": str(refusal), "note": "the formulas explain the failure"}
        if layer.custom_forward:  # a forward of its own, called with other arguments than its base's
            return {"note": f"not checked: {layer.type} rewrites {rule_type}.forward ({refusal})"}
        return {
            "check": "mismatch",
            "formula": str(refusal),
            "note": "PyTorch ran this call, yet the formulas refuse it",
        }
    except Exception as bug:  # a rule that cannot handle this call: say so rather than fail the trace
        return {"note": f"not checked: the {rule_type} rule failed ({type(bug).__name__}: {bug})"}


def _fields(layer: LayerRecord, outcome: rules.Derivation | dict[str, Any] | None) -> dict[str, Any]:
    if outcome is None or isinstance(outcome, dict):
        return outcome or {}
    fields: dict[str, Any] = {
        "expected_shapes": outcome.shapes,
        "formula": outcome.formula,
        "textbook": outcome.textbook,
    }
    if layer.failed:
        return fields
    if outcome.shapes == layer.output_shapes:
        return {**fields, "check": "ok"}
    note = "the output differs from the formulas"
    if layer.custom_forward:
        base = layer.base_type
        note = f"{layer.type} overrides {base}.forward, and its output differs from {base}'s formulas"
    return {**fields, "check": "mismatch", "note": note}


def check_layer(layer: LayerRecord) -> LayerRecord:
    """The layer with `expected_shapes`, `check`, `formula`, `textbook` and `note` filled in."""
    fields = _fields(layer, _derive(layer))
    return evolve(layer, **fields) if fields else layer


def check(trace: Trace) -> Trace:
    """The trace with every layer cross-checked against the analytic calculator.

    Equal calls (same rule, attributes, inputs and outputs, as in a deep stack of identical
    blocks) share one derivation."""
    memo: dict[tuple, dict[str, Any]] = {}
    layers = []
    for layer in trace.layers:
        key = (
            layer.base_type,
            layer.attributes,
            layer.inputs,
            layer.outputs,
            layer.failed,
            layer.custom_forward,
            layer.type,
        )
        try:
            fields = memo.get(key)
        except TypeError:  # an unhashable attribute: no sharing
            key, fields = None, None
        if fields is None:
            fields = _fields(layer, _derive(layer))
            if key is not None:
                memo[key] = fields
        layers.append(evolve(layer, **fields) if fields else layer)
    return replace(trace, layers=tuple(layers))
