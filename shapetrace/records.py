"""Frozen records of a traced forward pass: what each module call received, returned and cost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from shapetrace.formulas.closed import SizeForm
from shapetrace.lazy import Analysed, evolve, once, settled
from shapetrace.messages import Message, Seq, msg
from shapetrace.onnx_records import OnnxGraph, OnnxMatch, OnnxNode, OnnxReport, OnnxShape

__all__ = [
    "evolve",
    "bind",
    "Shape",
    "Check",
    "ErrorKind",
    "TensorInfo",
    "ValueInfo",
    "ReceptiveField",
    "Fit",
    "FlattenForm",
    "Source",
    "LayerRecord",
    "Totals",
    "WorkingSizes",
    "ErrorInfo",
    "TraceRecord",
    "OnnxNode",
    "OnnxGraph",
    "OnnxMatch",
    "OnnxReport",
    "OnnxShape",
    "SCHEMA",
]

SCHEMA = "shapetrace/1"


Shape = tuple[int, ...]
Check = Literal["ok", "mismatch", "unchecked"]
# what went wrong: an input without its batch dim, features on another dim than the last, a Linear's
# features, a window that no longer fits, channels, an embedding fed floats, a torch function whose
# inputs do not fit, a bug in the model's code; "" where PyTorch's message says it
ErrorKind = Literal["batch", "layout", "features", "window", "channels", "dtype", "function", "code", ""]


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

    @once  # equal values are shared between records, so this runs once per value
    def shapes(self) -> tuple[Shape, ...]:
        return tuple(tensor.shape for tensor in self.tensors())

    @once
    def nbytes(self) -> int:
        return sum(tensor.nbytes for tensor in self.tensors())


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of a layer's output units in input coordinates, per spatial dimension."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[float, ...]


@dataclass(frozen=True)
class Fit:
    """One way a flattened size equals the Linear's in_features: each dim's form value, and the input
    sizes (first, last; last None: no end) that give it."""

    values: tuple[int, ...]
    spans: tuple[tuple[int, int | None], ...]

    @property
    def square(self) -> tuple[int, int | None] | None:
        """The sizes that fit with every spatial dim the same size; None where there are none."""
        first = max(span[0] for span in self.spans)
        lasts = [span[1] for span in self.spans if span[1] is not None]
        last = min(lasts) if lasts else None
        return (first, last) if last is None or first <= last else None


@dataclass(frozen=True)
class FlattenForm:
    """Where a map of the input is flattened for a Linear: the flattened size as channels·Π forms of
    the input sizes, the Linear's in_features, the smallest input size per dim that every window on
    the way needs, and the receptive field's jump at the flattened map."""

    layer: str  # the call that flattens
    source: str  # the layer whose map it flattens
    linear: str | None  # the Linear-like call that reads it
    channels: int
    forms: tuple[SizeForm, ...]  # one per spatial dim of the input
    features: int | None  # the Linear's in_features
    lowest: tuple[int, ...]
    jump: tuple[int, ...] | None = None
    fits: tuple[Fit, ...] = ()  # every way the sizes fit (at most 64 shown); none: no input fits

    @property
    def square(self) -> tuple[tuple[int, int | None], ...]:
        """The square inputs that fit, as (first, last) spans."""
        return tuple(sorted(fit.square for fit in self.fits if fit.square is not None))


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
    name: str  # qualified name as in named_modules(); a function's: its caller's name, a dot, its own
    type: str  # class name; "function:cat" for a torch function
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
    # Analysed: filled by the analyses, which a trace runs when one of these is first read
    expected_shapes: tuple[Shape, ...] | None = Analysed(None)  # analytic result, None where no formula
    check: Check = Analysed("unchecked")
    # the arithmetic, numbers put in, in PyTorch's terms (or the refusal)
    derivation: Message | None = Analysed(None)
    receptive_field: ReceptiveField | None = Analysed(None)
    textbook_derivation: Message | None = Analysed(None)  # the same in d2l's notation, where it differs
    finding: Message | None = Analysed(None)  # why a check is not ok, or why a call cannot work
    base_type: str = ""  # the rule table's key: the torch.nn class ("Conv2d" for a Conv2d subclass), a
    # function's "function:cat", "" for user-defined containers
    custom_forward: bool = False  # the class overrides its base's forward
    parameters: tuple[str, ...] = ()  # forward's parameter names, to bind positional inputs by name
    sources: tuple[Source | None, ...] = ()  # per input tensor; None where unknown (a parameter, ...)
    is_function: bool = False  # a torch function called in a forward, not a module call
    # each spatial output size as a closed form of the input size, per dim (None where it is not one);
    # None where the output is no map of the input
    size_form: tuple[SizeForm | None, ...] | None = Analysed(None)
    onnx: OnnxMatch | None = None  # the exported graph's counterpart, where the trace was exported

    @property
    def formula(self) -> str | None:
        """The derivation in English (the JSON's "formula")."""
        return str(self.derivation) if self.derivation is not None else None

    @property
    def textbook(self) -> str | None:
        return str(self.textbook_derivation) if self.textbook_derivation is not None else None

    @property
    def note(self) -> str | None:
        return str(self.finding) if self.finding is not None else None

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

    def __getstate__(self) -> dict[str, Any]:
        return settled(self)


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
class WorkingSizes:
    """Square input sizes lo..hi that were to be tried, the spans (first, last) among them that work,
    and the last size checked (hi, or less where the search's time budget ran out)."""

    spans: tuple[tuple[int, int], ...]
    lo: int
    hi: int
    checked_to: int | None = None  # None: hi
    budget: float | None = None  # the search's seconds

    @property
    def complete(self) -> bool:
        return self.checked_to is None or self.checked_to >= self.hi


@dataclass(frozen=True)
class ErrorInfo:
    """Why a forward pass failed: the failing module, the exception's message, and what to try."""

    layer: str  # qualified name of the innermost module that did not return
    message: str  # the exception's own message (PyTorch's, usually), on one line
    hint: Message | None = None
    exception_type: str = ""
    layer_type: str = ""  # class name of that module
    kind: ErrorKind = ""
    location: str = ""  # file:line of the model's own code where the exception was raised, if any
    working_sizes: WorkingSizes | None = None  # which square inputs would work, where it was worked out

    @property
    def advice(self) -> Message | None:
        """The hint, followed by the input sizes that work where they were worked out."""
        if self.working_sizes is None:
            return self.hint
        found = self.working_sizes
        if found.spans:
            spans = tuple(str(first) if first == last else f"{first}-{last}" for first, last in found.spans)
            one = len(spans) == 1 and found.spans[0][0] == found.spans[0][1]
            sizes = msg("hint.size_works" if one else "hint.sizes_work", sizes=Seq(spans))
        else:
            sizes = msg("hint.sizes_none", lo=found.lo, hi=found.hi if found.complete else found.checked_to)
        if not found.complete:
            sizes = msg(
                "hint.sizes_partial", sizes=sizes, lo=found.lo, checked=found.checked_to,
                budget=f"{found.budget or 0:.1f}",
            )  # fmt: skip
        return msg("hint.with_sizes", hint=self.hint, sizes=sizes) if self.hint is not None else sizes


@dataclass(frozen=True)
class TraceRecord:
    """A finished trace: the model's calls in order, the totals, and the error if forward failed.
    Plain data; `shapetrace.Trace` adds the renderings."""

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
    definition: str = ""  # the model's repr, as print(model) shows it
    notes: tuple[Message, ...] = ()  # what could not be seen the usual way (TorchScript layers, a compiled
    # module) and how it was counted instead; shown under the totals
    hidden_graph: tuple[LayerRecord, ...] = ()  # every call, torch functions included, where `layers`
    # leaves the functions out (the diagram draws the dataflow from it), and its output sources
    hidden_output_sources: tuple[Source | None, ...] = ()
    flatten_form: FlattenForm | None = Analysed(None)  # where a map of the input is flattened for a Linear
    form_stop: Message | None = Analysed(None)  # where the closed forms of the sizes stop, and why
    onnx: OnnxReport | None = None  # the ONNX export and its cross-check, where one was asked for
    device_reason: Message | None = None  # why `--device auto` chose `device`; None where it was given

    def __getstate__(self) -> dict[str, Any]:
        return settled(self)

    @property
    def graph(self) -> tuple[LayerRecord, ...]:
        """Every call in call order, the torch functions a forward called (cat, +) included."""
        return self.hidden_graph or self.layers

    @property
    def graph_output_sources(self) -> tuple[Source | None, ...]:
        return self.hidden_output_sources if self.hidden_graph else self.output_sources

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
