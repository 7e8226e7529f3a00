"""Rules of layers that pad or rearrange pixels: padding layers, pixel (un)shuffle, Unfold and Fold
(pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.formulas import per_dim
from shapetrace.messages import Refusal, Seq, msg
from shapetrace.rules import spatial_forms as forms
from shapetrace.rules.table import Call, Derivation, register_rule


def _pixel_shuffle_shape(call: Call) -> Derivation:
    *leading, channels, height, width = call.inputs[0]
    r = call.attributes["upscale_factor"]
    if channels % (r * r):
        raise Refusal("refuse.pixel_shuffle", r=r, rr=r * r, channels=channels)
    out = (*leading, channels // (r * r), height * r, width * r)
    return Derivation((out,), msg("derive.pixel_shuffle", c=channels, r=r, out=out[-3], h=height, w=width))


def _pixel_unshuffle_shape(call: Call) -> Derivation:
    *leading, channels, height, width = call.inputs[0]
    r = call.attributes["downscale_factor"]
    if height % r or width % r:
        raise Refusal("refuse.pixel_unshuffle", r=r, h=height, w=width)
    out = (*leading, channels * r * r, height // r, width // r)
    return Derivation((out,), msg("derive.pixel_unshuffle", c=channels, r=r, out=out[-3], h=height, w=width))


register_rule("PixelShuffle", shape=_pixel_shuffle_shape, form=forms.scale_form("upscale_factor"))
register_rule("PixelUnshuffle", shape=_pixel_unshuffle_shape)


def _pad(kind: str, dims: int) -> Any:
    def pad_shape(call: Call) -> Derivation:
        shape = list(call.inputs[0])
        padding = per_dim(call.attributes["padding"], 2 * dims)
        lines = []
        for axis in range(dims):
            before, after = padding[2 * axis], padding[2 * axis + 1]
            index = len(shape) - 1 - axis
            size = shape[index]
            if kind == "ReflectionPad" and (before >= size or after >= size):
                raise Refusal("refuse.reflection_pad", before=before, after=after, size=size)
            if kind == "CircularPad" and (before > size or after > size):
                raise Refusal("refuse.circular_pad", before=before, after=after, size=size)
            shape[index] = size + before + after
            if shape[index] < 0:
                raise Refusal("refuse.pad_negative", before=before, after=after, size=size)
            lines.append(msg("derive.pad_line", size=size, before=before, after=after, result=shape[index]))
        return Derivation((tuple(shape),), msg("derive.lines", lines=Seq(tuple(reversed(lines)), "; ")))

    return pad_shape


for _kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"):
    for _dims in (1, 2, 3):
        register_rule(f"{_kind}{_dims}d", shape=_pad(_kind, _dims), form=forms.pad_form(_dims))


def _blocks(sizes: Sequence[int], attrs: Any) -> tuple[tuple, list[int]]:
    kernel, stride = per_dim(attrs["kernel_size"], 2), per_dim(attrs["stride"], 2)
    padding, dilation = per_dim(attrs["padding"], 2), per_dim(attrs["dilation"], 2)
    settings = zip(sizes, kernel, stride, padding, dilation, strict=True)
    return kernel, [formulas.conv_out(n, k, s, p, d) for n, k, s, p, d in settings]


def _unfold_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    if len(shape) not in (3, 4):
        raise Refusal("refuse.unfold_rank", shape=shape)
    *leading, channels, height, width = shape
    kernel, blocks = _blocks((height, width), call.attributes)
    out = (*leading, channels * kernel[0] * kernel[1], blocks[0] * blocks[1])
    formula = msg(
        "derive.unfold",
        c=channels,
        k0=kernel[0],
        k1=kernel[1],
        values=out[-2],
        b0=blocks[0],
        b1=blocks[1],
        blocks=out[-1],
    )
    return Derivation((out,), formula)


def _fold_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    if len(shape) not in (2, 3):
        raise Refusal("refuse.fold_rank", shape=shape)
    *leading, values, count = shape
    size = per_dim(call.attributes["output_size"], 2)
    kernel, blocks = _blocks(size, call.attributes)
    if values % (kernel[0] * kernel[1]) or count != blocks[0] * blocks[1]:
        raise Refusal(
            "refuse.fold", k0=kernel[0], k1=kernel[1], b0=blocks[0], b1=blocks[1], values=values, count=count
        )
    out = (*leading, values // (kernel[0] * kernel[1]), *size)
    return Derivation(
        (out,),
        msg("derive.fold", values=values, k0=kernel[0], k1=kernel[1], channels=out[-3], size=tuple(size)),
    )


register_rule("Unfold", shape=_unfold_shape)
register_rule("Fold", shape=_fold_shape)
