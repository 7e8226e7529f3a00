"""The closed-form rules of convolutions, pools and resampling layers: each output size as a form of the
input size H, from the form of its input (`shapetrace.formulas.closed`). `spatial` registers them with
the layers' other rules. Pure Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shapetrace.formulas import per_dim
from shapetrace.formulas.closed import SizeForm
from shapetrace.messages import msg
from shapetrace.rules.table import Call

__all__ = [
    "NoForm",
    "conv_form", "function_conv_form", "pool_form", "adaptive_form", "transpose_form", "unpool_form",
    "upsample_form", "pad_form", "scale_form",
]  # fmt: skip

Forms = tuple[SizeForm | None, ...]


class NoForm(Exception):
    """Raised by a form rule for a call whose output sizes are no closed form of the kind, with why."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(code)


def _each(forms: Forms, step: Callable[[SizeForm, int], SizeForm | None], why: str = "") -> Forms:
    """Apply a step to every dimension's form (dimension index given), keeping the unknown ones unknown;
    where the step gives none, NoForm(`why`)."""
    found = tuple(None if form is None else step(form, axis) for axis, form in enumerate(forms))
    if why and any(new is None and old is not None for new, old in zip(found, forms, strict=True)):
        raise NoForm(why)
    return found


def _window_forms(forms: Forms, attrs: Any, kernel: tuple, ceil_mode: bool = False) -> Forms:
    dims = len(forms)
    stride = per_dim(attrs.get("stride") if attrs.get("stride") is not None else kernel, dims)
    dilation = per_dim(attrs.get("dilation", 1), dims)
    padding = attrs.get("padding", 0)
    if padding == "valid":
        padding = 0
    if padding == "same":  # stride 1: the size is kept
        return forms
    padding = per_dim(padding, dims)
    if ceil_mode:
        if any(padding):
            raise NoForm("form.no_ceil_padding")  # a last window starting in the padding may be dropped
        return _each(
            forms, lambda form, axis: form.ceil_window(kernel[axis], stride[axis], dilation[axis]),
            "form.no_ceil_stride",
        )  # fmt: skip
    return _each(
        forms, lambda form, axis: form.window(kernel[axis], stride[axis], padding[axis], dilation[axis])
    )


def conv_form(call: Call, forms: Forms) -> Forms:
    return _window_forms(forms, call.attributes, per_dim(call.attributes["kernel_size"], len(forms)))


def function_conv_form(call: Call, forms: Forms) -> Forms:
    """F.conv2d: the settings from the call, the kernel from the weight (out, in / groups, *kernel)."""
    if len(call.inputs) < 2 or len(call.inputs[1]) != len(forms) + 2:
        raise NoForm("form.no_weight")
    settings = {key: call.arguments.get(key) for key in ("stride", "padding", "dilation")}
    settings = {
        "stride": settings["stride"] or 1,
        "padding": settings["padding"] if settings["padding"] is not None else 0,
        "dilation": settings["dilation"] or 1,
    }
    return _window_forms(forms, settings, tuple(call.inputs[1][2:]))


def pool_form(call: Call, forms: Forms) -> Forms:
    attrs = call.attributes
    kernel = per_dim(attrs["kernel_size"], len(forms))
    return _window_forms(forms, attrs, kernel, bool(attrs.get("ceil_mode")))


def adaptive_form(call: Call, forms: Forms) -> Forms:
    """An adaptive pool's output size is fixed: a constant (where output_size gives one)."""
    targets = per_dim(call.attributes["output_size"], len(forms))
    return tuple(
        form if target is None else SizeForm(0, target, 1)
        for form, target in zip(forms, targets, strict=True)
    )


def transpose_form(call: Call, forms: Forms) -> Forms:
    attrs = call.attributes
    if call.arguments.get("output_size") is not None:
        raise NoForm("form.no_output_size")
    dims = len(forms)
    kernel = per_dim(attrs["kernel_size"], dims)
    stride, padding = per_dim(attrs["stride"], dims), per_dim(attrs["padding"], dims)
    output_padding, dilation = per_dim(attrs["output_padding"], dims), per_dim(attrs["dilation"], dims)
    return _each(
        forms,
        lambda form, axis: form.transposed(
            kernel[axis], stride[axis], padding[axis], output_padding[axis], dilation[axis]
        ),
        "form.no_times_floor",
    )


def unpool_form(call: Call, forms: Forms) -> Forms:
    """(x − 1)·s − 2p + k, unless forward is given the output size."""
    if call.arguments.get("output_size") is not None:
        raise NoForm("form.no_output_size")
    attrs, dims = call.attributes, len(forms)
    kernel, stride, padding = (
        per_dim(attrs["kernel_size"], dims),
        per_dim(attrs["stride"], dims),
        per_dim(attrs["padding"], dims),
    )
    return _each(
        forms,
        lambda form, axis: form.times(stride[axis], kernel[axis] - stride[axis] - 2 * padding[axis]),
        "form.no_times_floor",
    )


def upsample_form(call: Call, forms: Forms) -> Forms:
    """A size given: a constant; a whole scale factor: a multiple; any other factor: no form."""
    attrs, dims = call.attributes, len(forms)
    if attrs.get("size") is not None:
        return tuple(SizeForm(0, size, 1) for size in per_dim(attrs["size"], dims))
    factors = per_dim(attrs.get("scale_factor"), dims)
    if any(factor is None or float(factor) != int(float(factor)) for factor in factors):
        raise NoForm("form.no_scale", factor=attrs.get("scale_factor"))
    return _each(forms, lambda form, axis: form.times(int(float(factors[axis]))), "form.no_times_floor")


def scale_form(setting: str) -> Callable[[Call, Forms], Forms]:
    """A layer that multiplies the last two sizes by a whole setting (PixelShuffle's upscale_factor)."""

    def form(call: Call, forms: Forms) -> Forms:
        factor, first = call.attributes[setting], len(forms) - 2
        return _each(
            forms, lambda size, axis: size if axis < first else size.times(factor), "form.no_times_floor"
        )

    return form


def pad_form(layer_dims: int) -> Callable[[Call, Forms], Forms]:
    """A padding layer of `layer_dims` dims adds before + after to each of the last dims (its padding
    lists the last dim first)."""

    def form(call: Call, forms: Forms) -> Forms:
        padding = per_dim(call.attributes["padding"], 2 * layer_dims)
        added = [padding[2 * axis] + padding[2 * axis + 1] for axis in range(layer_dims)][::-1]
        first = len(forms) - layer_dims  # the dims it does not pad
        return _each(forms, lambda size, axis: size if axis < first else size.plus(added[axis - first]))

    return form
