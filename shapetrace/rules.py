"""Shape rules: each layer type's output shapes from its input shapes and attributes, with the
derivation written out, numbers substituted. Pure Python over records; never imports torch."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapetrace import formulas
from shapetrace.records import Shape

__all__ = ["Derivation", "RULES", "rule", "derive", "SAME_SHAPE"]


@dataclass(frozen=True)
class Derivation:
    """What a rule concludes: the output shapes, the arithmetic in PyTorch's terms, and the
    textbook's (d2l) form where it differs."""

    shapes: tuple[Shape, ...]
    formula: str
    textbook: str | None = None


Rule = Callable[[Mapping[str, Any], Sequence[Shape]], Derivation]
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


def derive(type_name: str, attributes: Mapping[str, Any], input_shapes: Sequence[Shape]) -> Derivation | None:
    """The rule's derivation for this call; None where no rule exists.

    Raises ValueError where the formulas say the call cannot work (PyTorch would refuse).
    """
    function = RULES.get(type_name)
    if function is None or not input_shapes:
        return None
    return function(attributes, input_shapes)


def _per_dim(value: Any, dims: int) -> tuple:
    if isinstance(value, tuple | list):
        if len(value) == 1 and dims > 1:
            return tuple(value) * dims
        return tuple(value)
    return (value,) * dims


_LABELS = {1: ("l'",), 2: ("h'", "w'"), 3: ("d'", "h'", "w'")}


def _joined(labels: Sequence[str], lines: Sequence[str]) -> str:
    """'h' = w' = <line>' when every dimension has the same arithmetic, else one line per dimension."""
    if len(set(lines)) == 1:
        return " = ".join(labels) + " = " + lines[0]
    return "; ".join(f"{label} = {line}" for label, line in zip(labels, lines, strict=True))


def _split(shape: Shape, dims: int, name: str) -> tuple[Shape, int, Shape]:
    """(leading sizes, channels, spatial sizes) of an input to a dims-dimensional layer."""
    if len(shape) not in (dims + 1, dims + 2):
        raise ValueError(
            f"{name} expects a {dims + 2}-d (batched) or {dims + 1}-d (unbatched) input, "
            f"got {len(shape)}-d {list(shape)}"
        )
    return shape[: -dims - 1], shape[-dims - 1], shape[-dims:]


def _check_channels(expected: int, got: int, name: str) -> None:
    if expected != got:
        raise ValueError(f"{name} expects {expected} input channels, got {got}")


def _sub(value: int) -> str:
    return f"({value})" if value < 0 else str(value)


def _conv_line(size: int, kernel: int, stride: int, padding: int, dilation: int, result: int) -> str:
    span = f"{dilation}·({kernel}−1)"
    return f"⌊({size} + 2·{padding} − {span} − 1)/{stride}⌋ + 1 = {result}"


def _textbook_line(
    size: int, kernel: int, stride: int, total_padding: int, dilation: int, result: int
) -> str:
    """d2l's ⌊(n − k + p + s)/s⌋ with p the total padding (both sides); dilation enlarges k."""
    k = kernel if dilation == 1 else dilation * (kernel - 1) + 1
    if stride == 1:
        return f"{size} − {k} + {total_padding} + 1 = {result}"
    return f"⌊({size} − {k} + {total_padding} + {stride})/{stride}⌋ = {result}"


@rule("Conv1d", "Conv2d", "Conv3d")
def _conv(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    kernel = tuple(attrs["kernel_size"])
    dims = len(kernel)
    leading, channels, spatial = _split(inputs[0], dims, f"Conv{dims}d")
    _check_channels(attrs["in_channels"], channels, f"Conv{dims}d")
    stride, dilation = _per_dim(attrs["stride"], dims), _per_dim(attrs["dilation"], dims)
    padding = 0 if attrs["padding"] == "valid" else attrs["padding"]
    if isinstance(padding, str):  # 'same': the output keeps the input's size (stride 1 only)
        sizes = [
            formulas.conv_out(n, k, s, padding, d)
            for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True)
        ]
        note = f"padding='{padding}'"
        lines = [f"{n} ({note}) = {r}" for n, r in zip(spatial, sizes, strict=True)]
        textbook = None
    else:
        padding = _per_dim(padding, dims)
        sizes, lines, books = [], [], []
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
            result = formulas.conv_out(n, k, s, p, d)
            sizes.append(result)
            lines.append(_conv_line(n, k, s, p, d, result))
            books.append(_textbook_line(n, k, s, 2 * p, d, result))
        textbook = _joined(_LABELS[dims], books)
    shape = (*leading, attrs["out_channels"], *sizes)
    return Derivation((shape,), _joined(_LABELS[dims], lines), textbook)


@rule("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
def _conv_transpose(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    kernel = tuple(attrs["kernel_size"])
    dims = len(kernel)
    leading, channels, spatial = _split(inputs[0], dims, f"ConvTranspose{dims}d")
    _check_channels(attrs["in_channels"], channels, f"ConvTranspose{dims}d")
    stride, dilation = _per_dim(attrs["stride"], dims), _per_dim(attrs["dilation"], dims)
    padding, output_padding = _per_dim(attrs["padding"], dims), _per_dim(attrs["output_padding"], dims)
    sizes, lines = [], []
    for n, k, s, p, op, d in zip(spatial, kernel, stride, padding, output_padding, dilation, strict=True):
        result = formulas.conv_transpose_out(n, k, s, p, op, d)
        sizes.append(result)
        lines.append(f"({n}−1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {result}")
    shape = (*leading, attrs["out_channels"], *sizes)
    return Derivation((shape,), _joined(_LABELS[dims], lines))


def _pool(dims: int, average: bool, power: bool = False) -> Rule:
    name = ("LPPool" if power else "AvgPool" if average else "MaxPool") + f"{dims}d"

    def pool_rule(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
        leading, channels, spatial = _split(inputs[0], dims, name)
        kernel = _per_dim(attrs["kernel_size"], dims)
        stride = _per_dim(attrs["stride"] if attrs.get("stride") is not None else kernel, dims)
        padding = _per_dim(attrs.get("padding", 0), dims)
        dilation = _per_dim(attrs.get("dilation", 1), dims)
        ceil_mode = bool(attrs.get("ceil_mode", False))
        sizes, lines, books = [], [], []
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
            if average or power:
                result = formulas.avg_pool_out(n, k, s, p, ceil_mode, kernel_must_fit=dims == 3 and not power)
            else:
                result = formulas.pool_out(n, k, s, p, d, ceil_mode)
            sizes.append(result)
            if ceil_mode:
                lines.append(f"⌈({n} + 2·{p} − {d}·({k}−1) − 1)/{s}⌉ + 1 = {result}")
            else:
                lines.append(_conv_line(n, k, s, p, d, result))
            books.append(_textbook_line(n, k, s, 2 * p, d, result))
        textbook = None if ceil_mode else _joined(_LABELS[dims], books)
        return Derivation(((*leading, channels, *sizes),), _joined(_LABELS[dims], lines), textbook)

    return pool_rule


for _dims in (1, 2, 3):
    rule(f"MaxPool{_dims}d")(_pool(_dims, average=False))
    rule(f"AvgPool{_dims}d")(_pool(_dims, average=True))
    rule(f"LPPool{_dims}d")(_pool(_dims, average=True, power=True))


def _adaptive(dims: int) -> Rule:
    def adaptive_rule(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
        leading, channels, spatial = _split(inputs[0], dims, f"AdaptivePool{dims}d")
        targets = _per_dim(attrs["output_size"], dims)
        sizes = tuple(formulas.adaptive_out(n, t) for n, t in zip(spatial, targets, strict=True))
        formula = f"output_size {list(targets)} → {' × '.join(map(str, sizes))}"
        return Derivation(((*leading, channels, *sizes),), formula)

    return adaptive_rule


for _dims in (1, 2, 3):
    rule(f"AdaptiveAvgPool{_dims}d", f"AdaptiveMaxPool{_dims}d")(_adaptive(_dims))


@rule("Linear", "LazyLinear", "NonDynamicallyQuantizableLinear")
def _linear(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    features = shape[-1] if shape else None
    if features != attrs["in_features"]:
        raise ValueError(
            f"Linear expects {attrs['in_features']} input features (the last size), got {features}"
        )
    out = (*shape[:-1], attrs["out_features"])
    formula = f"[…, {features}] × W[{attrs['in_features']}→{attrs['out_features']}] → {list(out)}"
    return Derivation((out,), formula)


@rule("Bilinear")
def _bilinear(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    if len(inputs) < 2:
        raise ValueError("Bilinear takes two inputs")
    first, second = inputs[0], inputs[1]
    if first[-1] != attrs["in1_features"] or second[-1] != attrs["in2_features"]:
        raise ValueError(
            f"Bilinear expects {attrs['in1_features']} and {attrs['in2_features']} features, "
            f"got {first[-1]} and {second[-1]}"
        )
    shape = (*first[:-1], attrs["out_features"])
    return Derivation((shape,), f"x1[…, {first[-1]}]ᵀ A x2[…, {second[-1]}] → {list(shape)}")


def _dim(index: int, rank: int) -> int:
    return index + rank if index < 0 else index


@rule("Flatten")
def _flatten(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    rank = len(shape)
    start, end = _dim(attrs["start_dim"], rank), _dim(attrs["end_dim"], rank)
    if rank == 0:
        return Derivation(((1,),), "a scalar becomes [1]")
    if not 0 <= start <= end < rank:
        raise ValueError(f"Flatten dims {attrs['start_dim']}..{attrs['end_dim']} do not fit a {rank}-d input")
    merged = formulas.numel(shape[start : end + 1])
    product = "·".join(map(str, shape[start : end + 1]))
    out = (*shape[:start], merged, *shape[end + 1 :])
    return Derivation((out,), f"{product} = {merged} → {list(out)}")


@rule("Unflatten")
def _unflatten(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    dim = _dim(attrs["dim"], len(shape))
    parts = tuple(attrs["unflattened_size"])
    known = formulas.numel(part for part in parts if part != -1)
    if -1 in parts:
        parts = tuple(shape[dim] // known if part == -1 else part for part in parts)
    if formulas.numel(parts) != shape[dim]:
        raise ValueError(f"Unflatten: {'·'.join(map(str, parts))} ≠ {shape[dim]}")
    out = (*shape[:dim], *parts, *shape[dim + 1 :])
    return Derivation((out,), f"{shape[dim]} = {'·'.join(map(str, parts))} → {list(out)}")


SAME_SHAPE = (
    "Identity",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Hardshrink",
    "Softshrink",
    "Tanhshrink",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "Threshold",
    "Softmax",
    "Softmin",
    "LogSoftmax",
    "Softmax2d",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "SyncBatchNorm",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "CrossMapLRN2d",
)


@rule(*SAME_SHAPE)
def _same(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    return Derivation((inputs[0],), "same shape")
