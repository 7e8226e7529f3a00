"""The cross-check: derive every traced call's output shapes from the rule table and compare them
with the shapes PyTorch produced. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shapetrace import rules
from shapetrace.messages import Refusal, msg
from shapetrace.records import LayerRecord, TraceRecord, bind, evolve

__all__ = ["crosscheck"]


def _derive(layer: LayerRecord) -> rules.Derivation | dict[str, Any] | None:
    """The rule's derivation, or the fields to set where the rule refuses or cannot tell."""
    shapes, arguments = bind(layer.inputs, layer.parameters)
    try:
        return rules.derive(layer.base_type, rules.Call(dict(layer.attributes), shapes, arguments))
    except rules.NotCheckable as reason:
        return {"finding": reason.message}
    except Refusal as refusal:  # the formulas say this call cannot work
        if layer.failed:
            return {"derivation": refusal.message, "finding": msg("check.formulas_explain")}
        if layer.custom_forward:  # a forward of its own, called with other arguments than its base's
            return {
                "finding": msg(
                    "check.rewrites", type=layer.type, base=layer.base_type, refusal=refusal.message
                )
            }
        return {
            "check": "mismatch",
            "derivation": refusal.message,
            "finding": msg("check.refused", refusal=refusal.message),
        }
    except Exception as bug:  # a rule that cannot handle this call: say so rather than fail the trace
        return {
            "finding": msg("check.rule_failed", base=layer.base_type, error=f"{type(bug).__name__}: {bug}")
        }


def _fields(layer: LayerRecord, outcome: rules.Derivation | dict[str, Any] | None) -> dict[str, Any]:
    if outcome is None or isinstance(outcome, dict):
        return outcome or {}
    fields: dict[str, Any] = {
        "expected_shapes": outcome.shapes,
        "derivation": outcome.formula,
        "textbook_derivation": outcome.textbook,
    }
    if layer.failed:
        return fields
    if outcome.shapes == layer.output_shapes:
        return {**fields, "check": "ok"}
    if layer.custom_forward:
        finding = msg("check.overrides", type=layer.type, base=layer.base_type)
    else:
        finding = msg("check.differs")
    return {**fields, "check": "mismatch", "finding": finding}


def crosscheck(trace: TraceRecord) -> TraceRecord:
    """The trace with every layer cross-checked against the rule table: `expected_shapes`, `check`,
    the derivation and, where the check is not ok, the finding.

    Equal calls (same rule, attributes, inputs and outputs, as in a deep stack of identical blocks)
    share one derivation."""
    memo: dict[tuple, dict[str, Any]] = {}
    layers = []
    for layer in trace.layers:
        key = (
            layer.base_type,
            layer.attributes,
            layer.inputs,
            layer.outputs,
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
