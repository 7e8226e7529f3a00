"""Shape rules of torch functions called directly in a forward (the functional view): torch.cat and
torch.stack, elementwise arithmetic with broadcasting, flatten, and shape-preserving activations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.records import Shape
from shapetrace.rules import Derivation, NotCheckable, rule, with_arguments


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


@rule("function:matmul", "function:mm", "function:bmm", "function:mv", "function:dot")
def _matmul(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    first, second = inputs[0], inputs[1]
    out = formulas.matmul_shape(first, second)
    return Derivation((out,), f"{list(first)} @ {list(second)} → {list(out)} (inner size {first[-1]})")


@rule("function:inner")
def _inner(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    first, second = inputs[0], inputs[1]
    if not first or not second:
        out = broadcast([first, second])
        return Derivation((out,), f"a scalar times {list(first or second)} → {list(out)}")
    if first[-1] != second[-1]:
        raise ValueError(f"inner needs equal last sizes, got {list(first)} and {list(second)}")
    out = (*first[:-1], *second[:-1])
    return Derivation((out,), f"last dims ({first[-1]}) contracted → {list(out)}")


@rule("function:linear")
def _linear(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape, weight = inputs[0], inputs[1]
    if not shape or shape[-1] != weight[-1]:
        raise ValueError(
            f"F.linear: the input {list(shape)} needs last size {weight[-1]} (weight {list(weight)})"
        )
    out = (*shape[:-1], *weight[:-1])
    return Derivation(
        (out,), f"last dim {weight[-1]} → {weight[0] if len(weight) > 1 else 'dropped'}: {list(out)}"
    )


@rule("function:einsum")
@with_arguments
def _einsum(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    equation = arguments.get("equation")
    if not isinstance(equation, str):
        raise NotCheckable("not checked: the einsum equation was not recorded")
    out = formulas.einsum_shape(equation, inputs)
    return Derivation(
        (out,), f"{equation.replace(' ', '')} over {', '.join(map(str, map(list, inputs)))} → {list(out)}"
    )


@rule("function:scaled_dot_product_attention")
@with_arguments
def _attention(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    query, key, value = inputs[0], inputs[1], inputs[2]
    if query[-1] != key[-1] or key[-2] != value[-2]:
        raise ValueError(
            f"attention needs query and key of one head size and key and value of one length, got "
            f"{list(query)}, {list(key)}, {list(value)}"
        )
    keep = 3 if arguments.get("enable_gqa") else 2  # grouped-query: key and value have fewer heads
    batch = broadcast([query[:-keep], key[:-keep], value[:-keep]]) if len(query) > keep else ()
    out = (*batch, *query[-keep:-2], query[-2], value[-1])
    return Derivation((out,), f"(L = {query[-2]}) × (S = {key[-2]}) weights times V → {list(out)}")


def _dims(dims: Any, rank: int) -> list[int]:
    dims = [dims] if isinstance(dims, int) else list(dims)
    return [_axis(dim, rank) for dim in dims]


@rule("function:transpose", "function:swapaxes")
@with_arguments
def _transpose(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = list(inputs[0])
    if not shape:
        return Derivation(((),), "a scalar stays a scalar")
    first, second = _dims([arguments["dim0"], arguments["dim1"]], len(shape))
    shape[first], shape[second] = shape[second], shape[first]
    return Derivation((tuple(shape),), f"dims {first} and {second} swapped → {shape}")


@rule("function:t")
def _t(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    if len(shape) > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dims, got {list(shape)}")
    return Derivation((tuple(reversed(shape)),), f"transposed → {list(reversed(shape))}")


@rule("function:permute")
@with_arguments
def _permute(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    order = _dims(arguments.get("dims", ()), len(shape))
    if sorted(order) != list(range(len(shape))):
        raise ValueError(
            f"permute needs each of the {len(shape)} dims once, got {list(arguments.get('dims'))}"
        )
    out = tuple(shape[dim] for dim in order)
    return Derivation((out,), f"dims in order {order} → {list(out)}")


@rule("function:view", "function:reshape")
@with_arguments
def _reshape(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    sizes = arguments.get("size", arguments.get("shape"))
    if not isinstance(sizes, tuple) or not all(isinstance(size, int) for size in sizes):
        raise NotCheckable("not checked: the new shape is not a list of sizes (view(dtype), view_as?)")
    total = formulas.numel(shape)
    known = formulas.numel(size for size in sizes if size != -1)
    if sizes.count(-1) > 1:
        raise ValueError(f"only one size may be -1, got {list(sizes)}")
    if -1 in sizes:
        if known == 0 or total % known:
            raise ValueError(f"shape {list(sizes)} is invalid for an input of size {total} ({list(shape)})")
        out = tuple(total // known if size == -1 else size for size in sizes)
    else:
        out = tuple(sizes)
    if formulas.numel(out) != total:
        raise ValueError(f"shape {list(sizes)} is invalid for an input of size {total} ({list(shape)})")
    inferred = f" (-1 = {total} / {known} = {total // known})" if -1 in sizes else ""
    return Derivation((out,), f"{total} elements as {list(out)}{inferred}")


@rule("function:unsqueeze")
@with_arguments
def _unsqueeze(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    dim = _axis(arguments["dim"], len(shape) + 1)
    out = (*shape[:dim], 1, *shape[dim:])
    return Derivation((out,), f"a size-1 dim inserted at {dim} → {list(out)}")


@rule("function:squeeze")
@with_arguments
def _squeeze(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    dims = arguments.get("dim")
    chosen = set(range(len(shape))) if dims is None else set(_dims(dims, max(len(shape), 1)))
    out = tuple(size for axis, size in enumerate(shape) if not (axis in chosen and size == 1))
    return Derivation((out,), f"size-1 dims removed → {list(out)}")


@rule("function:mean", "function:sum", "function:amax", "function:amin")
@with_arguments
def _reduce(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    shape = inputs[0]
    dims = arguments.get("dim")
    if isinstance(dims, str) or (dims is not None and not isinstance(dims, int | tuple)):
        raise NotCheckable("not checked: reduced over named dims")
    keep = bool(arguments.get("keepdim"))
    chosen = set(range(len(shape))) if dims is None or dims == () else set(_dims(dims, max(len(shape), 1)))
    out = tuple(
        1 if axis in chosen else size for axis, size in enumerate(shape) if keep or axis not in chosen
    )
    return Derivation((out,), f"dims {sorted(chosen)} reduced{' (kept as 1)' if keep else ''} → {list(out)}")
