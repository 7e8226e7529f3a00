"""The cross-check: derive every traced call's output shapes from the formulas and compare them
with the shapes PyTorch produced. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace

from shapetrace import rules
from shapetrace.records import LayerRecord, Trace

__all__ = ["check", "check_layer"]


def check_layer(layer: LayerRecord) -> LayerRecord:
    """The layer with `expected_shapes`, `check`, `formula`, `textbook` and `note` filled in."""
    rule_type = layer.base_type or layer.type
    try:
        derivation = rules.derive(rule_type, dict(layer.attributes), layer.input_shapes)
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
