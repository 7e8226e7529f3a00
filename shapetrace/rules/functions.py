"""Shape rules of torch functions called directly in a forward (the functional view): torch.cat and
torch.stack, elementwise arithmetic with broadcasting, flatten, and shape-preserving activations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace.records import Shape
from shapetrace.rules import Derivation, rule, with_arguments


def _axis(dim: int, rank: int) -> int:
    if not -rank <= dim < rank:
        raise ValueError(f"dim {dim} is out of range for {rank}-d tensors")
    return dim % rank


@rule("function:cat", "function:concat", "function:concatenate")
@with_arguments
def _cat(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shapes = [shape for shape in inputs if shape != (0,)]  # PyTorch skips legacy empty tensors
    dim = _axis(arguments.get("dim", 0) or 0, len(shapes[0]))
    first = shapes[0]
    for shape in shapes[1:]:
        if len(shape) != len(first):
            raise ValueError(f"torch.cat needs tensors of one rank, got {list(first)} and {list(shape)}")
        for axis, (a, b) in enumerate(zip(first, shape, strict=True)):
            if axis != dim and a != b:
                raise ValueError(
                    f"torch.cat along dim {dim} needs equal sizes in every other dim: "
                    f"{list(first)} and {list(shape)} differ in dim {axis} ({a} vs {b})"
                )
    total = sum(shape[dim] for shape in shapes)
    out = (*first[:dim], total, *first[dim + 1 :])
    parts = " + ".join(str(shape[dim]) for shape in shapes)
    return Derivation((out,), f"dim {dim}: {parts} = {total} → {list(out)}")


@rule("function:stack")
@with_arguments
def _stack(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    first = inputs[0]
    if any(shape != first for shape in inputs[1:]):
        different = next(shape for shape in inputs[1:] if shape != first)
        raise ValueError(f"torch.stack needs equal shapes, got {list(first)} and {list(different)}")
    dim = _axis(arguments.get("dim", 0) or 0, len(first) + 1)
    out = (*first[:dim], len(inputs), *first[dim:])
    return Derivation((out,), f"{len(inputs)} × {list(first)} stacked at dim {dim} → {list(out)}")


def broadcast(shapes: Sequence[Shape]) -> Shape:
    """The broadcast shape of several tensors, or ValueError naming the dimension that clashes."""
    rank = max(len(shape) for shape in shapes)
    result = []
    for axis in range(-rank, 0):
        sizes = {shape[axis] for shape in shapes if len(shape) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(list(shape)) for shape in shapes)
            clash = " vs ".join(map(str, sorted(sizes)))
            raise ValueError(f"{listed} cannot be broadcast: dim {rank + axis} has sizes {clash}")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


_ELEMENTWISE = ("add", "sub", "mul", "div", "true_divide", "maximum", "minimum", "where", "pow")
ELEMENTWISE_FUNCTIONS = frozenset(
    f"function:{name}" for name in (*_ELEMENTWISE, "add_", "sub_", "mul_", "div_")
)


@rule(*(f"function:{name}" for name in _ELEMENTWISE + tuple(f"{name}_" for name in _ELEMENTWISE[:4])))
def _elementwise(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    out = broadcast(inputs)
    if len(inputs) == 1:
        return Derivation((out,), "same shape")
    return Derivation((out,), f"broadcast {' and '.join(str(list(shape)) for shape in inputs)} → {list(out)}")


@rule("function:flatten")
@with_arguments
def _flatten(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    if not shape:
        return Derivation(((1,),), "a scalar becomes [1]")
    start = _axis(arguments.get("start_dim", 0) or 0, len(shape))
    end = _axis(arguments.get("end_dim", -1) if arguments.get("end_dim") is not None else -1, len(shape))
    merged = 1
    for size in shape[start : end + 1]:
        merged *= size
    out = (*shape[:start], merged, *shape[end + 1 :])
    product = "·".join(map(str, shape[start : end + 1]))
    return Derivation((out,), f"{product} = {merged} → {list(out)}")


_SAME = (
    "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh", "elu", "leaky_relu", "hardswish", "mish",
    "softmax", "log_softmax", "dropout", "neg", "abs", "exp", "log", "sqrt", "clamp", "contiguous", "clone",
    "layer_norm", "batch_norm", "group_norm", "normalize",
)  # fmt: skip


SAME_SHAPE_FUNCTIONS = frozenset(f"function:{name}" for name in _SAME)


@rule(*(f"function:{name}" for name in _SAME))
def _same(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    return Derivation((inputs[0],), "same shape")
