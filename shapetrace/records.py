"""Frozen records of a traced forward pass: what each module call received, returned and cost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

__all__ = [
    "evolve",
    "bind",
    "Shape",
    "TensorInfo",
    "ValueInfo",
    "ReceptiveField",
    "Source",
    "LayerRecord",
    "Totals",
    "ErrorInfo",
    "Trace",
    "SCHEMA",
]

SCHEMA = "shapetrace/1"


def evolve(record: Any, **changes: Any) -> Any:
    """A copy of a frozen record with some fields changed, like dataclasses.replace but without
    re-running __init__ (about 5x faster; the cross-check and receptive fields copy every layer)."""
    clone = object.__new__(type(record))
    clone.__dict__.update(record.__dict__)
    clone.__dict__.update(changes)
    return clone


Shape = tuple[int, ...]


def bind(
    inputs: ValueInfo, parameters: tuple[str, ...], shapes: tuple[Shape, ...] | None = None
) -> tuple[tuple[Shape, ...], dict[str, Any]]:
    """A call's tensor shapes in the order of the callee's parameters, and its other arguments by name.

    Positional inputs take the parameter names in order and keyword inputs keep theirs, so
    `mha(key=k, value=v, query=q)` and `mha(q, k, v)` bind alike; a name like "*size" takes all
    remaining positional inputs (`x.view(2, 3)` and `x.view((2, 3))` both give size (2, 3)).
    `shapes`, in the order the inputs were recorded, replace the recorded ones (the solver's what-if)."""
    named: list[tuple[str | None, ValueInfo, tuple[Shape, ...]]] = []
    names = iter(parameters)
    rest: str | None = None  # the *name collecting the remaining positional inputs
    collected: list[ValueInfo] = []
    replacements = iter(shapes) if shapes is not None else None
    for key, item in inputs.items:
        item_shapes = item.shapes
        if replacements is not None:
            item_shapes = tuple(next(replacements) for _ in item_shapes)
        if key is None and rest is None:
            key = next(names, None)
            if key is not None and key.startswith("*"):
                rest = key = key[1:]
        if key is None and rest is not None or key == rest and rest is not None:
            collected.append(item)
            key = rest
        named.append((key, item, item_shapes))
    order = {name.lstrip("*"): position for position, name in enumerate(parameters)}
    named.sort(key=lambda entry: order.get(entry[0], len(order)) if entry[0] is not None else -1)
    bound = tuple(shape for _, _, item_shapes in named for shape in item_shapes)
    arguments = {key: item.plain() for key, item, _ in named if key is not None and item.kind != "tensor"}
    if rest is not None:
        values = tuple(item.plain() for item in collected if item.kind != "tensor")
        arguments[rest] = values[0] if len(values) == 1 and isinstance(values[0], tuple) else values
    return bound, arguments


@dataclass(frozen=True)
class TensorInfo:
    """A tensor's shape and dtype, never its values."""

    shape: Shape
    dtype: str  # "float32", "int64", ...
    itemsize: int  # bytes per element

    @property
    def nbytes(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count * self.itemsize


@dataclass(frozen=True)
class ValueInfo:
    """A value passed to or returned by a module: a tensor, a container of values, or another object."""

    kind: str  # "tensor" | "sequence" | "mapping" | "object"
    type_name: str  # "Tensor", "tuple", "list", "dict", "args", a named tuple's or object's class
    tensor: TensorInfo | None = None  # kind "tensor" only
    items: tuple[tuple[str | None, ValueInfo], ...] = ()  # containers: (key or None, value)
    value: bool | int | float | str | None = None  # kind "object": the value of a plain scalar

    def plain(self) -> Any:
        """The value without tensors: scalars as themselves, containers as tuples/dicts, tensors as None."""
        if self.kind == "object":
            return self.value
        if self.kind == "sequence":
            return tuple(item.plain() for _, item in self.items)
        if self.kind == "mapping":
            return {key: item.plain() for key, item in self.items}
        return None

    def tensors(self) -> Iterator[TensorInfo]:
        """Every tensor inside, depth first, in order."""
        if self.tensor is not None:
            yield self.tensor
        for _, item in self.items:
            yield from item.tensors()

    @cached_property  # equal values are shared between records, so this runs once per value
    def shapes(self) -> tuple[Shape, ...]:
        return tuple(tensor.shape for tensor in self.tensors())

    @cached_property
    def nbytes(self) -> int:
        return sum(tensor.nbytes for tensor in self.tensors())

    @property
    def is_single_tensor(self) -> bool:
        return self.kind == "tensor"


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of a layer's output units in input coordinates, per spatial dimension."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[float, ...]


@dataclass(frozen=True)
class Source:
    """Where a call's input tensor came from: an output of an earlier layer, or a model input."""

    layer: int | None = None  # index of the producing layer
    output: int = 0  # which of its output tensors
    input: int | None = None  # or: which model input


@dataclass(frozen=True)
class LayerRecord:
    """One call of one module, in call order."""

    index: int  # call order, 0-based
    name: str  # qualified name as in named_modules()
    type: str  # class name
    depth: int  # the root is depth 0 and is not listed
    is_leaf: bool  # module without children
    inputs: ValueInfo  # positional arguments, then keyword arguments
    outputs: ValueInfo | None  # None: this call raised
    params: int  # parameters owned by the module and its children, each tensor once
    trainable_params: int
    macs: int  # multiply-accumulates of this call and the calls inside it, bias excluded
    parent: int | None  # index of the call this one ran inside, None at the top
    call_number: int  # 1 for a module's first call, 2 for its second, ...
    attributes: tuple[tuple[str, Any], ...] = ()  # kernel_size, stride, in_features, ... as plain values
    expected_shapes: tuple[Shape, ...] | None = None  # analytic result, None where no formula
    check: str = "unchecked"  # "ok" | "mismatch" | "unchecked"
    formula: str | None = None  # the derivation, numbers substituted, in PyTorch's terms
    receptive_field: ReceptiveField | None = None
    textbook: str | None = None  # the same in d2l's notation, where it differs
    note: str | None = None  # why a check is a mismatch, or why a call cannot work
    base_type: str = ""  # the torch.nn class whose shape rule applies ("Conv2d" for a Conv2d subclass)
    custom_forward: bool = False  # the class overrides its base's forward
    parameters: tuple[str, ...] = ()  # forward's parameter names, to bind positional inputs by name
    sources: tuple[Source | None, ...] = ()  # per input tensor; None where unknown (a parameter, ...)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return self.inputs.shapes

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        return self.outputs.shapes if self.outputs is not None else ()

    @property
    def failed(self) -> bool:
        return self.outputs is None

    @property
    def reused(self) -> bool:
        return self.call_number > 1

    def attribute(self, key: str, default: Any = None) -> Any:
        return dict(self.attributes).get(key, default)


@dataclass(frozen=True)
class Totals:
    """Whole-model sums; every parameter tensor counts once, however often it is used."""

    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    param_bytes: int
    activation_bytes: int  # bytes of the outputs of leaf-module calls

    @property
    def flops(self) -> int:
        return 2 * self.macs


@dataclass(frozen=True)
class ErrorInfo:
    """Why a forward pass failed: the failing module, PyTorch's message, and what to try."""

    layer: str  # qualified name of the innermost module that did not return
    message: str  # PyTorch's message
    hint: str | None = None
    exception_type: str = ""
    layer_type: str = ""  # class name of that module
    kind: str = ""  # the diagnosis: features, window, channels, dtype, function, code, or "" (PyTorch's own)
    location: str = ""  # file:line of the model's own code where the exception was raised, if any


@dataclass(frozen=True)
class Trace:
    """A finished trace: the model's calls in order, the totals, and the error if forward failed."""

    model: str
    inputs: ValueInfo
    outputs: ValueInfo | None
    device: str
    dtype: str
    layers: tuple[LayerRecord, ...]
    totals: Totals
    error: ErrorInfo | None = None
    output_sources: tuple[Source | None, ...] = ()  # which layer (or input) made each output tensor
    shape_reads: int = 0  # shapes read by forward code outside leaves (functional view only)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return self.inputs.shapes

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        return self.outputs.shapes if self.outputs is not None else ()

    @property
    def checks(self) -> dict[str, int]:
        counts = {"ok": 0, "mismatch": 0, "unchecked": 0}
        for layer in self.layers:
            counts[layer.check] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when the forward pass ran and no cross-check is a mismatch."""
        return self.error is None and self.checks["mismatch"] == 0

    def to_dict(self) -> dict[str, Any]:
        from shapetrace.render.data import trace_to_dict

        return trace_to_dict(self)

    def to_json(self) -> str:
        from shapetrace.render.data import render_json

        return render_json(self)

    def to_table(self, depth: int | None = None, explain: bool = False, lang: str = "en") -> str:
        from shapetrace.render.table import render_table

        return render_table(self, depth=depth, explain=explain, lang=lang)

    def to_csv(self) -> str:
        from shapetrace.render.data import render_csv

        return render_csv(self)

    def to_markdown(self, lang: str = "en", explain: bool = False) -> str:
        from shapetrace.render.markup import render_markdown

        return render_markdown(self, lang=lang, explain=explain)

    def to_html(self, lang: str = "en", explain: bool = False) -> str:
        from shapetrace.render.markup import render_html

        return render_html(self, lang=lang, explain=explain)

    def to_svg(self, depth: int | None = None) -> str:
        from shapetrace.render.svg import render_svg

        return render_svg(self, depth=depth)

    def __str__(self) -> str:
        return self.to_table()
