"""The cross-check: derive every traced call's output shapes from the formulas and compare them
with the shapes PyTorch produced. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shapetrace import rules
from shapetrace.records import LayerRecord, Shape, Trace, ValueInfo

__all__ = ["check", "check_layer"]


def _bound(layer: LayerRecord) -> tuple[tuple[Shape, ...], dict[str, Any]]:
    """The call's tensor shapes in forward's parameter order, and its other arguments by name.

    Positional inputs take forward's parameter names in order and keyword inputs keep theirs, so
    `mha(key=k, value=v, query=q)` and `mha(q, k, v)` give the rule the same shapes."""
    named: list[tuple[str | None, ValueInfo]] = []
    names = iter(layer.parameters)
    for key, item in layer.inputs.items:
        named.append((key if key is not None else next(names, None), item))
    order = {name: position for position, name in enumerate(layer.parameters)}
    named.sort(key=lambda pair: order.get(pair[0], len(order)) if pair[0] is not None else -1)
    shapes = tuple(shape for _, item in named for shape in item.shapes)
    arguments = {key: item.plain() for key, item in named if key is not None and item.kind != "tensor"}
    return shapes, arguments


def check_layer(layer: LayerRecord) -> LayerRecord:
    """The layer with `expected_shapes`, `check`, `formula`, `textbook` and `note` filled in."""
    rule_type = layer.base_type  # "" for user-defined classes: no rule
    shapes, arguments = _bound(layer)
    try:
        derivation = rules.derive(rule_type, dict(layer.attributes), shapes, arguments)
    except rules.NotCheckable as reason:
        return replace(layer, note=str(reason))
    except ValueError as refusal:  # the formulas say this call cannot work
        if layer.failed:
            return replace(layer, formula=str(refusal), note="the formulas explain the failure")
        return replace(
            layer,
            check="mismatch",
            formula=str(refusal),
            note="PyTorch ran this call, yet the formulas refuse it",
        )
    except Exception as bug:  # a rule that cannot handle this call: say so rather than fail the trace
        return replace(layer, note=f"not checked: the {rule_type} rule failed ({type(bug).__name__}: {bug})")
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
