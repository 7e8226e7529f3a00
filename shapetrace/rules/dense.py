"""Rules of Linear, Bilinear, Flatten, Unflatten, embeddings and shape-preserving layers (pure Python)."""

from __future__ import annotations

from shapetrace import formulas
from shapetrace.messages import Refusal, Seq, msg
from shapetrace.records import Shape
from shapetrace.rules.table import Call, Derivation, register_rule


def _linear_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    attrs = call.attributes
    features = shape[-1] if shape else None
    if features != attrs["in_features"]:
        raise Refusal("refuse.linear_features", expected=attrs["in_features"], got=features)
    out = (*shape[:-1], attrs["out_features"])
    return Derivation(
        (out,),
        msg(
            "derive.linear",
            features=features,
            inputs=attrs["in_features"],
            outputs=attrs["out_features"],
            shape=out,
        ),
    )


def _linear_macs(call: Call) -> int:
    return formulas.linear_macs(call.outputs[0], call.attributes["in_features"])


register_rule(
    "Linear", "LazyLinear", "NonDynamicallyQuantizableLinear", shape=_linear_shape, macs=_linear_macs
)


def _bilinear_shape(call: Call) -> Derivation:
    if len(call.inputs) < 2:
        raise Refusal("refuse.bilinear_inputs")
    first, second = call.inputs[0], call.inputs[1]
    attrs = call.attributes
    if first[-1] != attrs["in1_features"] or second[-1] != attrs["in2_features"]:
        raise Refusal(
            "refuse.bilinear_features",
            in1=attrs["in1_features"], in2=attrs["in2_features"], got1=first[-1], got2=second[-1],
        )  # fmt: skip
    shape = (*first[:-1], attrs["out_features"])
    return Derivation((shape,), msg("derive.bilinear", first=first[-1], second=second[-1], shape=shape))


def _bilinear_macs(call: Call) -> int:
    attrs = call.attributes
    return formulas.bilinear_macs(call.outputs[0], attrs["in1_features"], attrs["in2_features"])


register_rule("Bilinear", shape=_bilinear_shape, macs=_bilinear_macs)


def _dim(index: int, rank: int) -> int:
    return index + rank if index < 0 else index


def flattened(shape: Shape, start: int, end: int) -> Derivation:
    """Dims start..end (already in range) merged into one."""
    merged = formulas.numel(shape[start : end + 1])
    out = (*shape[:start], merged, *shape[end + 1 :])
    return Derivation(
        (out,), msg("derive.flatten", product=Seq(shape[start : end + 1], "·"), merged=merged, shape=out)
    )


def _flatten_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    rank = len(shape)
    first, last = call.attributes["start_dim"], call.attributes["end_dim"]
    if rank == 0:
        if first not in (0, -1) or last not in (0, -1):
            raise Refusal("refuse.flatten_scalar", start=first, end=last)
        return Derivation(((1,),), msg("derive.scalar_flatten"))
    start, end = _dim(first, rank), _dim(last, rank)
    if not 0 <= start <= end < rank:
        raise Refusal("refuse.flatten_dims", start=first, end=last, rank=rank)
    return flattened(shape, start, end)


register_rule("Flatten", shape=_flatten_shape)


def _unflatten_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dim = _dim(call.attributes["dim"], len(shape))
    parts = tuple(call.attributes["unflattened_size"])
    known = formulas.numel(part for part in parts if part != -1)
    if -1 in parts:
        if known == 0:
            raise Refusal("refuse.unflatten_zero", parts=parts)
        parts = tuple(shape[dim] // known if part == -1 else part for part in parts)
    if formulas.numel(parts) != shape[dim]:
        raise Refusal("refuse.unflatten", parts=Seq(parts, "·"), size=shape[dim])
    out = (*shape[:dim], *parts, *shape[dim + 1 :])
    return Derivation((out,), msg("derive.unflatten", size=shape[dim], parts=Seq(parts, "·"), shape=out))


register_rule("Unflatten", shape=_unflatten_shape)


SAME_SHAPE = (
    "Identity", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
    "Sigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish", "Hardshrink", "Softshrink", "Tanhshrink",
    "Softplus", "Softsign", "LogSigmoid", "Threshold", "Softmax", "Softmin", "LogSoftmax", "Softmax2d",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "BatchNorm1d",
    "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "GroupNorm", "RMSNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "CrossMapLRN2d",
)  # fmt: skip


def same_shape(call: Call) -> Derivation:
    """The output has the first input's shape."""
    return Derivation((call.inputs[0],), msg("derive.same_shape"))


register_rule(*SAME_SHAPE, shape=same_shape, field="keep")


def _embedding_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dim = call.attributes["embedding_dim"]
    out = (*shape, dim)
    return Derivation((out,), msg("derive.embedding", shape=shape, dim=dim, out=out))


register_rule("Embedding", shape=_embedding_shape)


def _embedding_bag_shape(call: Call) -> Derivation:
    shape, dim = call.inputs[0], call.attributes["embedding_dim"]
    if len(shape) == 2:
        out = (shape[0], dim)
        return Derivation(
            (out,), msg("derive.embedding_bags", bags=shape[0], count=shape[1], dim=dim, out=out)
        )
    if len(shape) == 1 and len(call.inputs) > 1:
        bags = call.inputs[1][0] - (1 if call.attributes.get("include_last_offset") else 0)
        out = (bags, dim)
        return Derivation(
            (out,), msg("derive.embedding_offsets", offsets=call.inputs[1][0], bags=bags, dim=dim, out=out)
        )
    raise Refusal("refuse.embedding_bag_rank", shape=shape)


register_rule("EmbeddingBag", shape=_embedding_bag_shape)
