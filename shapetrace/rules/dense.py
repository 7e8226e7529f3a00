"""Shape rules of Linear, Bilinear, Flatten, Unflatten, embeddings and shape-preserving layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.records import Shape
from shapetrace.rules import Derivation, rule, with_arguments


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
        if attrs["start_dim"] not in (0, -1) or attrs["end_dim"] not in (0, -1):
            raise ValueError(f"Flatten dims {attrs['start_dim']}..{attrs['end_dim']} do not fit a 0-d input")
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
        if known == 0:
            raise ValueError(f"Unflatten cannot infer -1 next to a size 0 in {list(parts)}")
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


@rule("Embedding")
def _embedding(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    out = (*shape, attrs["embedding_dim"])
    return Derivation(
        (out,), f"{list(shape)} indices → each a vector of {attrs['embedding_dim']} → {list(out)}"
    )


@rule("EmbeddingBag")
@with_arguments
def _embedding_bag(
    attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]
) -> Derivation:
    shape = inputs[0]
    if len(shape) == 2:
        bags = shape[0]
        formula = f"{shape[0]} bags of {shape[1]} indices → {shape[0]} vectors"
    elif len(shape) == 1 and len(inputs) > 1:
        bags = inputs[1][0] - (1 if attrs.get("include_last_offset") else 0)
        formula = f"{inputs[1][0]} offsets → {bags} bags"
    else:
        raise ValueError(f"EmbeddingBag expects a 2-d input, or a 1-d input with offsets, got {list(shape)}")
    out = (bags, attrs["embedding_dim"])
    return Derivation((out,), f"{formula} of {attrs['embedding_dim']} → {list(out)}")
