"""Rules of torch functions called directly in a forward (the functional view): concatenation,
elementwise arithmetic with broadcasting, views and reductions (pure Python). Products and attention
are in `products`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.messages import Refusal, Seq, msg
from shapetrace.records import Shape
from shapetrace.rules.dense import flattened, same_shape
from shapetrace.rules.table import Call, Derivation, NotCheckable, register_rule


def _axis(dim: int, rank: int) -> int:
    if not -rank <= dim < rank:
        raise Refusal("refuse.dim_range", dim=dim, rank=rank)
    return dim % rank


def _cat_shape(call: Call) -> Derivation:
    shapes = [shape for shape in call.inputs if shape != (0,)]  # PyTorch skips legacy empty tensors
    dim = _axis(call.arguments.get("dim", 0) or 0, len(shapes[0]))
    first = shapes[0]
    for shape in shapes[1:]:
        if len(shape) != len(first):
            raise Refusal("refuse.cat_rank", first=first, other=shape)
        for axis, (a, b) in enumerate(zip(first, shape, strict=True)):
            if axis != dim and a != b:
                raise Refusal("refuse.cat_sizes", dim=dim, first=first, other=shape, axis=axis, a=a, b=b)
    total = sum(shape[dim] for shape in shapes)
    out = (*first[:dim], total, *first[dim + 1 :])
    parts = Seq(tuple(shape[dim] for shape in shapes), " + ")
    return Derivation((out,), msg("derive.cat", dim=dim, parts=parts, total=total, shape=out))


register_rule(
    "function:cat",
    "function:concat",
    "function:concatenate",
    shape=_cat_shape,
    parameters=("tensors", "dim"),
    field="keep",
)


def _stack_shape(call: Call) -> Derivation:
    first = call.inputs[0]
    different = next((shape for shape in call.inputs[1:] if shape != first), None)
    if different is not None:
        raise Refusal("refuse.stack_shapes", first=first, other=different)
    dim = _axis(call.arguments.get("dim", 0) or 0, len(first) + 1)
    out = (*first[:dim], len(call.inputs), *first[dim:])
    return Derivation((out,), msg("derive.stack", count=len(call.inputs), shape=first, dim=dim, out=out))


register_rule("function:stack", shape=_stack_shape, parameters=("tensors", "dim"), field="keep")


def broadcast(shapes: Sequence[Shape]) -> Shape:
    """The broadcast shape of several tensors, or a Refusal naming the dimension that clashes."""
    rank = max(len(shape) for shape in shapes)
    result = []
    for axis in range(-rank, 0):
        sizes = {shape[axis] for shape in shapes if len(shape) >= -axis} - {1}
        if len(sizes) > 1:
            raise Refusal(
                "refuse.broadcast",
                shapes=Seq(tuple(shapes), msg("word.and")), dim=rank + axis,
                sizes=Seq(tuple(sorted(sizes)), " vs "),
            )  # fmt: skip
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def _elementwise_shape(call: Call) -> Derivation:
    out = broadcast(call.inputs)
    if len(call.inputs) == 1:
        return Derivation((out,), msg("derive.same_shape"))
    return Derivation(
        (out,), msg("derive.broadcast", shapes=Seq(tuple(call.inputs), msg("word.and")), shape=out)
    )


_ARITHMETIC = ("add", "sub", "mul", "div")
for _name in (*_ARITHMETIC, *(f"{name}_" for name in _ARITHMETIC)):
    _alpha = ("alpha",) if _name.startswith(("add", "sub")) else ()
    register_rule(
        f"function:{_name}", shape=_elementwise_shape, parameters=("input", "other", *_alpha), field="keep"
    )
register_rule(
    *(f"function:{name}" for name in ("true_divide", "maximum", "minimum", "where", "pow")),
    shape=_elementwise_shape,
    field="keep",
)


def _flatten_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    if not shape:
        return Derivation(((1,),), msg("derive.scalar_flatten"))
    start = _axis(call.arguments.get("start_dim", 0) or 0, len(shape))
    end_dim = call.arguments.get("end_dim")
    end = _axis(end_dim if end_dim is not None else -1, len(shape))
    return flattened(shape, start, end)


register_rule("function:flatten", shape=_flatten_shape, parameters=("input", "start_dim", "end_dim"))

_SAME = (
    "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh", "elu", "leaky_relu", "hardswish", "mish",
    "dropout", "neg", "abs", "exp", "log", "sqrt", "clamp", "contiguous", "clone", "layer_norm",
    "batch_norm", "group_norm", "normalize",
)  # fmt: skip
register_rule(*(f"function:{name}" for name in _SAME), shape=same_shape, field="keep")
register_rule(
    "function:softmax", "function:log_softmax", shape=same_shape, parameters=("input", "dim"), field="keep"
)


def _dims(dims: Any, rank: int) -> list[int]:
    dims = [dims] if isinstance(dims, int) else list(dims)
    return [_axis(dim, rank) for dim in dims]


def _transpose_shape(call: Call) -> Derivation:
    shape = list(call.inputs[0])
    if not shape:
        return Derivation(((),), msg("derive.scalar_transpose"))
    first, second = _dims([call.arguments["dim0"], call.arguments["dim1"]], len(shape))
    shape[first], shape[second] = shape[second], shape[first]
    return Derivation(
        (tuple(shape),), msg("derive.transpose", first=first, second=second, shape=tuple(shape))
    )


register_rule(
    "function:transpose", "function:swapaxes", shape=_transpose_shape, parameters=("input", "dim0", "dim1")
)


def _t_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    if len(shape) > 2:
        raise Refusal("refuse.t_rank", shape=shape)
    out = tuple(reversed(shape))
    return Derivation((out,), msg("derive.t", shape=out))


register_rule("function:t", shape=_t_shape)


def _permute_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    order = _dims(call.arguments.get("dims", ()), len(shape))
    if sorted(order) != list(range(len(shape))):
        raise Refusal("refuse.permute", rank=len(shape), dims=tuple(call.arguments.get("dims")))
    out = tuple(shape[dim] for dim in order)
    return Derivation((out,), msg("derive.permute", order=tuple(order), out=out))


register_rule("function:permute", shape=_permute_shape, parameters=("input", "*dims"))
register_rule("function:expand", parameters=("input", "*size"))
register_rule("function:repeat", parameters=("input", "*repeats"))


def _reshape_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    sizes = call.arguments.get("size", call.arguments.get("shape"))
    if not isinstance(sizes, tuple) or not all(isinstance(size, int) for size in sizes):
        raise NotCheckable("check.view_sizes")
    total = formulas.numel(shape)
    known = formulas.numel(size for size in sizes if size != -1)
    if sizes.count(-1) > 1:
        raise Refusal("refuse.view_unknowns", sizes=sizes)
    if -1 in sizes and (known == 0 or total % known):
        raise Refusal("refuse.view_size", sizes=sizes, total=total, shape=shape)
    out = tuple(total // known if size == -1 else size for size in sizes)
    if formulas.numel(out) != total:
        raise Refusal("refuse.view_size", sizes=sizes, total=total, shape=shape)
    if -1 in sizes:
        return Derivation(
            (out,), msg("derive.view_inferred", total=total, out=out, known=known, inferred=total // known)
        )
    return Derivation((out,), msg("derive.view", total=total, out=out))


register_rule("function:view", shape=_reshape_shape, parameters=("input", "*size"))
register_rule("function:reshape", shape=_reshape_shape, parameters=("input", "*shape"))


def _unsqueeze_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dim = _axis(call.arguments["dim"], len(shape) + 1)
    out = (*shape[:dim], 1, *shape[dim:])
    return Derivation((out,), msg("derive.unsqueeze", dim=dim, out=out))


def _squeeze_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dims = call.arguments.get("dim")
    chosen = set(range(len(shape))) if dims is None else set(_dims(dims, max(len(shape), 1)))
    out = tuple(size for axis, size in enumerate(shape) if not (axis in chosen and size == 1))
    return Derivation((out,), msg("derive.squeeze", out=out))


register_rule("function:unsqueeze", shape=_unsqueeze_shape, parameters=("input", "dim"))
register_rule("function:squeeze", shape=_squeeze_shape, parameters=("input", "dim"))


def _reduce_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dims = call.arguments.get("dim")
    if isinstance(dims, str) or (dims is not None and not isinstance(dims, int | tuple)):
        raise NotCheckable("check.named_dims")
    keep = bool(call.arguments.get("keepdim"))
    chosen = set(range(len(shape))) if dims is None or dims == () else set(_dims(dims, max(len(shape), 1)))
    out = tuple(
        1 if axis in chosen else size for axis, size in enumerate(shape) if keep or axis not in chosen
    )
    code = "derive.reduce_kept" if keep else "derive.reduce"
    return Derivation((out,), msg(code, dims=tuple(sorted(chosen)), out=out))


register_rule(
    *(f"function:{name}" for name in ("mean", "sum", "amax", "amin")),
    shape=_reduce_shape,
    parameters=("input", "dim", "keepdim"),
)
