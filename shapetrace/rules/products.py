"""Rules of the torch functions that multiply tensors: matmul and its relatives, linear, einsum and
attention (pure Python)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.messages import Refusal, Seq, msg
from shapetrace.records import Shape
from shapetrace.rules.functions import broadcast
from shapetrace.rules.table import Call, Derivation, NotCheckable, register_rule


def _matmul_shape(call: Call) -> Derivation:
    first, second = call.inputs[0], call.inputs[1]
    out = formulas.matmul_shape(first, second)
    return Derivation((out,), msg("derive.matmul", a=first, b=second, out=out, inner=first[-1]))


def _product_macs(call: Call) -> int:
    """Every output element is a dot product over the first operand's last size."""
    return formulas.numel(call.outputs[0]) * call.inputs[0][-1]


register_rule("function:matmul", shape=_matmul_shape, macs=_product_macs, parameters=("input", "other"))
register_rule(
    "function:mm", "function:bmm", shape=_matmul_shape, macs=_product_macs, parameters=("input", "mat2")
)
register_rule("function:mv", "function:dot", shape=_matmul_shape, macs=_product_macs)


def _rmatmul_macs(call: Call) -> int:
    return formulas.numel(call.outputs[0]) * call.inputs[1][-1]  # b.__rmatmul__(a) is a @ b


register_rule("function:__rmatmul__", macs=_rmatmul_macs, parameters=("input", "other"))


def _inner_shape(call: Call) -> Derivation:
    first, second = call.inputs[0], call.inputs[1]
    if not first or not second:
        out = broadcast([first, second])
        return Derivation((out,), msg("derive.inner_scalar", shape=first or second, out=out))
    if first[-1] != second[-1]:
        raise Refusal("refuse.inner", a=first, b=second)
    out = (*first[:-1], *second[:-1])
    return Derivation((out,), msg("derive.inner", size=first[-1], out=out))


def _inner_macs(call: Call) -> int:
    if not call.inputs[0] or not call.inputs[1]:
        return 0  # with a scalar it is an elementwise product
    return _product_macs(call)


register_rule("function:inner", shape=_inner_shape, macs=_inner_macs, parameters=("input", "other"))


def _tensordot_macs(call: Call) -> int:
    out = formulas.numel(call.outputs[0])
    a, b = call.inputs[0], call.inputs[1]
    contracted = math.isqrt(formulas.numel(a) * formulas.numel(b) // out) if out else 0
    return out * contracted  # numel(a)·numel(b) = out · contracted²


register_rule("function:tensordot", macs=_tensordot_macs, parameters=("a", "b", "dims"))
register_rule(
    "function:multi_dot", "function:linalg_multi_dot",
    macs=lambda call: formulas.matrix_chain_macs(call.inputs), parameters=("tensors",),
)  # fmt: skip


def _mha_forward_macs(call: Call) -> int:
    query, key, value = call.inputs[0], call.inputs[1], call.inputs[2]  # sequence first: (L, N, E), or (L, E)
    arguments = call.arguments
    batch = query[1] if len(query) == 3 else 1
    extra = int(arguments.get("bias_k", "a tensor") is not None) + int(bool(arguments.get("add_zero_attn")))
    embed = arguments.get("embed_dim_to_check") or query[-1]
    return formulas.multihead_attention_macs(batch, query[0], key[0], embed, key[-1], value[-1], extra)


register_rule(
    "function:multi_head_attention_forward",
    macs=_mha_forward_macs,
    parameters=(
        "query", "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight", "in_proj_bias",
        "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight", "out_proj_bias",
    ),
)  # fmt: skip


def _add_product_macs(call: Call) -> int:
    first, second = call.inputs[1], call.inputs[2]
    if len(first) == 3:  # baddbmm, addbmm: a batch of products (summed over the batch by addbmm)
        return first[0] * first[1] * first[2] * second[2]
    return formulas.numel(first[:-1]) * first[-1] * (second[-1] if len(second) > 1 else 1)


register_rule("function:addmm", macs=_add_product_macs, parameters=("input", "mat1", "mat2", "beta", "alpha"))
register_rule(
    "function:baddbmm", "function:addbmm",
    macs=_add_product_macs, parameters=("input", "batch1", "batch2", "beta", "alpha"),
)  # fmt: skip
register_rule("function:addmv", macs=_add_product_macs, parameters=("input", "mat", "vec", "beta", "alpha"))


def _linear_shape(call: Call) -> Derivation:
    shape, weight = call.inputs[0], call.inputs[1]
    if not shape or shape[-1] != weight[-1]:
        raise Refusal("refuse.f_linear", shape=shape, size=weight[-1], weight=weight)
    out = (*shape[:-1], *weight[:-1])
    if len(weight) > 1:
        return Derivation((out,), msg("derive.f_linear", size=weight[-1], to=weight[0], out=out))
    return Derivation((out,), msg("derive.f_linear_dropped", size=weight[-1], out=out))


register_rule(
    "function:linear", shape=_linear_shape, macs=_product_macs, parameters=("input", "weight", "bias")
)
register_rule(
    "function:bilinear",
    macs=lambda call: formulas.bilinear_macs(call.outputs[0], call.inputs[0][-1], call.inputs[1][-1]),
    parameters=("input1", "input2", "weight", "bias"),
)


def _einsum_shape(call: Call) -> Derivation:
    equation = call.arguments.get("equation")
    if not isinstance(equation, str):
        raise NotCheckable("check.einsum_equation")
    out = formulas.einsum_shape(equation, call.inputs)
    return Derivation(
        (out,),
        msg("derive.einsum", equation=equation.replace(" ", ""), shapes=Seq(tuple(call.inputs)), out=out),
    )


def _einsum_macs(call: Call) -> int:
    equation = call.arguments["equation"]
    return formulas.einsum_macs(equation, call.inputs, _einsum_path(equation, call.inputs, call.attributes))


def _einsum_path(
    equation: str, shapes: Sequence[Shape], attrs: Mapping[str, Any]
) -> list[tuple[int, ...]] | None:
    """The contraction order PyTorch takes for three or more operands when opt_einsum is installed and
    enabled (the recorded `opt_einsum` strategy); None: left to right."""
    strategy = attrs.get("opt_einsum")
    if len(shapes) < 3 or not strategy:
        return None
    import opt_einsum

    path, _ = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=strategy)
    return [tuple(pair) for pair in path]


def _einsum_read(state: Mapping[str, Any], parameters: Mapping[str, bool]) -> dict[str, Any]:
    """How torch contracts three or more operands: opt_einsum's strategy, or None (left to right)."""
    return {"opt_einsum": state.get("opt_einsum")}


register_rule(
    "function:einsum",
    shape=_einsum_shape,
    macs=_einsum_macs,
    read=_einsum_read,
    parameters=("equation", "*operands"),
)


def _attention_shape(call: Call) -> Derivation:
    query, key, value = call.inputs[0], call.inputs[1], call.inputs[2]
    if query[-1] != key[-1] or key[-2] != value[-2]:
        raise Refusal("refuse.attention_shapes", q=query, k=key, v=value)
    keep = 3 if call.arguments.get("enable_gqa") else 2  # grouped-query: key and value have fewer heads
    batch = broadcast([query[:-keep], key[:-keep], value[:-keep]]) if len(query) > keep else ()
    out = (*batch, *query[-keep:-2], query[-2], value[-1])
    return Derivation((out,), msg("derive.sdpa", target=query[-2], source=key[-2], out=out))


def _attention_macs(call: Call) -> int:
    query, key, value = call.inputs[0], call.inputs[1], call.inputs[2]
    return formulas.attention_macs(query, key, value, bool(call.arguments.get("enable_gqa")))


register_rule(
    "function:scaled_dot_product_attention",
    shape=_attention_shape,
    macs=_attention_macs,
    parameters=("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"),
)
