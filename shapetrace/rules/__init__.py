"""Shape rules: each layer type's output shapes from its input shapes and attributes, with the
derivation written out, numbers substituted. Pure Python over records; never imports torch.

The rules live in `spatial` (convolutions, pools, resampling), `dense` (Linear, Flatten, embeddings,
shape-preserving layers) and `sequence` (recurrent layers, attention, transformers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapetrace.records import Shape

__all__ = ["Derivation", "RULES", "rule", "derive", "with_arguments", "NotCheckable"]


@dataclass(frozen=True)
class Derivation:
    """What a rule concludes: the output shapes, the arithmetic in PyTorch's terms, and the
    textbook's (d2l) form where it differs."""

    shapes: tuple[Shape, ...]
    formula: str
    textbook: str | None = None


Rule = Callable[..., Derivation]  # (attributes, input shapes, call arguments) -> Derivation
RULES: dict[str, Rule] = {}


def rule(*type_names: str) -> Callable[[Rule], Rule]:
    """Register a shape rule for these torch.nn class names; a second registration is an error."""

    def register(function: Rule) -> Rule:
        for name in type_names:
            if name in RULES:
                raise ValueError(f"a shape rule for {name} is already registered")
            RULES[name] = function
        return function

    return register


def derive(
    type_name: str,
    attributes: Mapping[str, Any],
    input_shapes: Sequence[Shape],
    arguments: Mapping[str, Any] | None = None,
) -> Derivation | None:
    """The rule's derivation for this call; None where no rule exists.

    `input_shapes` are in forward's parameter order; `arguments` are the call's non-tensor
    arguments by name. Raises ValueError where the formulas say the call cannot work, NotCheckable
    where the rule cannot tell.
    """
    function = RULES.get(type_name)
    if function is None or not input_shapes:
        return None
    if getattr(function, "takes_arguments", False):
        return function(attributes, input_shapes, arguments or {})
    return function(attributes, input_shapes)


class NotCheckable(Exception):
    """Raised by a rule for a call whose shapes it cannot derive (a PackedSequence input, say)."""


def with_arguments(function: Rule) -> Rule:
    """Mark a rule that also reads the call's non-tensor arguments."""
    function.takes_arguments = True  # type: ignore[attr-defined]
    return function


from shapetrace.rules import dense, functions, sequence, spatial  # noqa: E402  (each registers its rules)

__all__ += ["dense", "functions", "sequence", "spatial"]
