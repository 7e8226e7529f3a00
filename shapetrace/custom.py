"""Rules for layers of the user's own, the public way in: `register_rule(MyLayer, shape=..., macs=...,
attributes=...)`, or `@shape_rule(MyLayer, ...)` on the shape function. Each is one entry of the one
rule table, keyed by the class's module and qualified name ("mypkg.layers.Blur", which no torch.nn
class name can equal), so that the cross-check checks the layer, the solver replays it, the diagram
labels it and `--explain` shows its derivation, in the user's own words. Pure Python; never imports
torch."""

from __future__ import annotations

import numbers
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from shapetrace import messages
from shapetrace.errors import UsageError
from shapetrace.messages import Message, Seq, msg
from shapetrace.records import Shape
from shapetrace.rules import Call, Derivation, NotCheckable, Rule, put_user_rule, user_key
from shapetrace.rules.spatial_forms import conv_form
from shapetrace.rules.table import FieldEffect

__all__ = ["register_rule", "shape_rule", "Refusal", "Call", "Derivation"]

UserShapeRule = Callable[[Call], Any]  # a Derivation, one output shape, or a sequence of them
UserMacRule = Callable[[Call], int]
F = TypeVar("F", bound=UserShapeRule)


class Refusal(messages.Refusal):
    """Raised by a user's shape rule where the call cannot work (PyTorch would raise); the text is the
    rule's own, shown as given in every language."""

    def __init__(self, text: str) -> None:
        super().__init__("refuse.given", text=str(text))


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_module_class(layer: Any) -> bool:
    """A subclass of torch.nn.Module, told by its MRO (no torch import)."""
    return isinstance(layer, type) and any(
        base.__module__ == "torch.nn.modules.module" and base.__name__ == "Module" for base in layer.__mro__
    )


def _check_explain(explain: Any, name: str) -> None:
    if explain is None:
        return
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(explain) if field is not None]
    except (ValueError, TypeError):  # a lone { or }, or not a string
        fields = [""]
    if any(not field.isidentifier() for field in fields):
        raise UsageError("usage.rule_explain", layer=name, explain=repr(explain))


def _check_layer(layer: Any, replace: bool) -> str:
    """The key for `layer`, after checking that it may be registered."""
    if not _is_module_class(layer):
        raise UsageError("usage.rule_not_a_layer", layer=repr(layer))
    name = _qualified_name(layer)
    if layer.__module__.split(".")[0] == "torch":
        raise UsageError("usage.rule_torch_layer", layer=name)
    if user_key(layer) is not None and not replace:
        raise UsageError("usage.rule_twice", layer=name)
    return name


def register_rule(
    layer: type,
    *,
    shape: UserShapeRule | None = None,
    macs: UserMacRule | None = None,
    attributes: Sequence[str] = (),
    explain: str | None = None,
    field: FieldEffect | None = None,
    replace: bool = False,
) -> str:
    """Register the rule of a layer class of your own; returns its key in the rule table.

    `shape(call)` gets a `Call` (the layer's `attributes`, the input shapes in the order of forward's
    parameters, the other arguments) and returns the output shapes: one shape, a sequence of shapes,
    or a `Derivation(shapes, values={...})` whose values fill in `explain`, a format string such as
    "h' = ⌊({h} − {k})/{s}⌋ + 1 = {out}" (the layer's attributes may be named too). Where the call
    cannot work it raises `Refusal("why")`. `macs(call)` gets the same Call with `call.outputs` filled
    in and returns the multiply-accumulates of the whole call, bias excluded. `attributes` names the
    module attributes the rules read (they are also the layer's settings in the table and diagram).
    `field`: "window" (the layer slides a kernel_size/stride/padding/dilation window) or "keep" (each
    output unit sees what its input unit saw) carries receptive fields and closed forms through the layer.

    Registering a class twice is a UsageError (a ValueError) unless `replace`; a class defined anew
    under the same name (a notebook cell run again, a file loaded again) replaces the old one's rule."""
    key = _check_layer(layer, replace)
    if shape is None and macs is None:
        raise UsageError("usage.rule_nothing", layer=key)
    _check_explain(explain, key)
    names = (attributes,) if isinstance(attributes, str) else tuple(attributes)
    entry = Rule(
        key,
        shape=_shape_adapter(layer.__name__, shape, explain) if shape is not None else None,
        macs=_macs_adapter(macs) if macs is not None else None,
        field=field,
        attributes=names,
        form=conv_form if field == "window" else None,  # a window's closed form, checked against the trace
    )
    put_user_rule(layer, entry)
    return key


def shape_rule(
    layer: type,
    *,
    macs: UserMacRule | None = None,
    attributes: Sequence[str] = (),
    explain: str | None = None,
    field: FieldEffect | None = None,
    replace: bool = False,
) -> Callable[[F], F]:
    """`register_rule` as a decorator of the shape function, which it returns unchanged:

    @shapetrace.shape_rule(Blur, attributes=("kernel_size",), explain="...")
    def blur(call): ..."""

    def decorate(function: F) -> F:
        register_rule(
            layer,
            shape=function,
            macs=macs,
            attributes=attributes,
            explain=explain,
            field=field,
            replace=replace,
        )
        return function

    return decorate


def _is_size(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _shapes(result: Any, name: str) -> tuple[Shape, ...]:
    """A rule's shapes as a tuple of shapes: one shape (a tuple of sizes, a torch.Size) or several."""
    if isinstance(result, Sequence) and not isinstance(result, str):
        if all(_is_size(size) for size in result):
            return (tuple(int(size) for size in result),)
        if result and all(
            isinstance(shape, Sequence) and all(_is_size(size) for size in shape) for shape in result
        ):
            return tuple(tuple(int(size) for size in shape) for shape in result)
    raise NotCheckable("check.rule_returned", rule=name, value=repr(result)[:80])


def _words(text: Message | str | None) -> Message | None:
    return msg("derive.given", text=text) if isinstance(text, str) else text


def _explained(explain: str, names: Mapping[str, Any], name: str) -> Message:
    try:
        return msg("derive.given", text=explain.format_map(names))
    except KeyError as missing:
        raise NotCheckable("check.explain_missing", rule=name, name=missing.args[0]) from None


def _shape_adapter(name: str, shape: UserShapeRule, explain: str | None) -> Callable[[Call], Derivation]:
    """The table's shape rule for a user's one: shapes checked, the derivation in the user's words
    (their `explain` text with the values put in, or the text the Derivation carries)."""

    def rule(call: Call) -> Derivation:
        result = shape(call)
        given = result if isinstance(result, Derivation) else Derivation(result)
        shapes = _shapes(given.shapes, name)
        formula = _words(given.formula)
        if formula is None and explain is not None:
            formula = _explained(explain, {**call.attributes, **(given.values or {})}, name)
        if formula is None:
            formula = msg("derive.user_rule", layer=name, shapes=Seq(shapes, "; "))
        return Derivation(shapes, formula, _words(given.textbook))

    return rule


def _macs_adapter(macs: UserMacRule) -> Callable[[Call], int]:
    """A user's MAC rule whose failure, whatever it is, means "cannot count" (rules.count_macs)."""

    def rule(call: Call) -> int:
        try:
            return macs(call)
        except Exception as bug:
            raise ValueError(f"{type(bug).__name__}: {bug}") from bug

    return rule
