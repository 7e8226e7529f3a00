"""Rules of convolutions, pools and resampling layers (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.formulas import per_dim
from shapetrace.formulas.lines import conv_line, pool_line, textbook_line, transpose_line
from shapetrace.messages import Message, Refusal, Seq, msg
from shapetrace.records import Shape
from shapetrace.rules import spatial_forms as forms
from shapetrace.rules.table import Call, Derivation, register_rule

_LABELS = {1: ("l'",), 2: ("h'", "w'"), 3: ("d'", "h'", "w'")}


def joined(labels: Sequence[str], lines: Sequence[Message]) -> Message:
    """ "h' = w' = <line>" when every dimension has the same arithmetic, else one line per dimension."""
    if len(set(lines)) == 1:
        return msg("derive.dims", labels=Seq(tuple(labels), " = "), line=lines[0])
    parts = tuple(
        msg("derive.dims", labels=Seq((label,), " = "), line=line)
        for label, line in zip(labels, lines, strict=True)
    )
    return msg("derive.lines", lines=Seq(parts, "; "))


def split(shape: Shape, dims: int, name: str) -> tuple[Shape, int, Shape]:
    """(leading sizes, channels, spatial sizes) of an input to a dims-dimensional layer."""
    if len(shape) not in (dims + 1, dims + 2):
        raise Refusal(
            "refuse.rank", name=name, batched=dims + 2, unbatched=dims + 1, rank=len(shape), shape=shape
        )
    return shape[: -dims - 1], shape[-dims - 1], shape[-dims:]


def _check_channels(expected: int, got: int, name: str) -> None:
    if expected != got:
        raise Refusal("refuse.channels", name=name, expected=expected, got=got)


def _conv_shape(call: Call) -> Derivation:
    attrs = call.attributes
    kernel = tuple(attrs["kernel_size"])
    dims = len(kernel)
    leading, channels, spatial = split(call.inputs[0], dims, f"Conv{dims}d")
    _check_channels(attrs["in_channels"], channels, f"Conv{dims}d")
    stride, dilation = per_dim(attrs["stride"], dims), per_dim(attrs["dilation"], dims)
    padding = 0 if attrs["padding"] == "valid" else attrs["padding"]
    if isinstance(padding, str):  # 'same': the output keeps the input's size (stride 1 only)
        sizes = [
            formulas.conv_out(n, k, s, padding, d)
            for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True)
        ]
        lines = [
            msg("derive.same_padding", n=n, padding=padding, result=r)
            for n, r in zip(spatial, sizes, strict=True)
        ]
        textbook = None
    else:
        padding = per_dim(padding, dims)
        sizes, lines, books = [], [], []
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
            result = formulas.conv_out(n, k, s, p, d)
            sizes.append(result)
            lines.append(conv_line(n, k, s, p, d, result))
            books.append(textbook_line(n, k, s, 2 * p, d, result))
        textbook = joined(_LABELS[dims], books)
    shape = (*leading, attrs["out_channels"], *sizes)
    return Derivation((shape,), joined(_LABELS[dims], lines), textbook)


def _conv_macs(call: Call) -> int:
    attrs = call.attributes
    kernel = per_dim(attrs["kernel_size"], 1)
    return formulas.conv_macs(call.outputs[0], attrs["in_channels"], attrs["groups"], kernel)


register_rule(
    "Conv1d", "Conv2d", "Conv3d", shape=_conv_shape, macs=_conv_macs, field="window", form=forms.conv_form
)


def _function_conv_shape(call: Call) -> Derivation:
    """F.conv2d(input, weight, bias, stride, padding, dilation, groups): the Conv2d rule, with the
    layer's settings read from the call and the weight's shape (out, in / groups, *kernel)."""
    weight = call.inputs[1]
    arguments = call.arguments
    groups = arguments.get("groups") or 1
    settings = {
        "kernel_size": tuple(weight[2:]),
        "in_channels": weight[1] * groups,
        "out_channels": weight[0],
        "stride": arguments.get("stride") or 1,
        "padding": arguments.get("padding") if arguments.get("padding") is not None else 0,
        "dilation": arguments.get("dilation") or 1,
    }
    return _conv_shape(Call(settings, call.inputs[:1]))


def _function_conv_macs(call: Call) -> int:
    weight = call.inputs[1]  # (out, in / groups, *kernel)
    return formulas.numel(call.outputs[0]) * weight[1] * formulas.numel(weight[2:])


def _function_conv_transpose_macs(call: Call) -> int:
    weight = call.inputs[1]  # (in, out / groups, *kernel)
    return formulas.numel(call.inputs[0]) * weight[1] * formulas.numel(weight[2:])


for _dims in "123":
    register_rule(
        f"function:conv{_dims}d",
        shape=_function_conv_shape,
        macs=_function_conv_macs,
        parameters=("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
        form=forms.function_conv_form,
    )
    register_rule(
        f"function:conv_transpose{_dims}d",
        macs=_function_conv_transpose_macs,
        parameters=("input", "weight", "bias", "stride", "padding", "output_padding", "groups"),
    )


def _pool(dims: int, average: bool, power: bool = False) -> Any:
    name = ("LPPool" if power else "AvgPool" if average else "MaxPool") + f"{dims}d"

    def pool_shape(call: Call) -> Derivation:
        attrs = call.attributes
        leading, channels, spatial = split(call.inputs[0], dims, name)
        kernel = per_dim(attrs["kernel_size"], dims)
        stride = per_dim(attrs["stride"] if attrs.get("stride") is not None else kernel, dims)
        padding = per_dim(attrs.get("padding", 0), dims)
        dilation = per_dim(attrs.get("dilation", 1), dims)
        ceil_mode = bool(attrs.get("ceil_mode", False))
        sizes, lines, books = [], [], []
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
            if average or power:  # lp_pool3d runs avg_pool3d, which needs the kernel to fit too
                result = formulas.avg_pool_out(n, k, s, p, ceil_mode, kernel_must_fit=dims == 3)
            else:
                result = formulas.pool_out(n, k, s, p, d, ceil_mode)
            sizes.append(result)
            lines.append(pool_line(n, k, s, p, d, ceil_mode, result))
            books.append(textbook_line(n, k, s, 2 * p, d, result))
        textbook = None if ceil_mode else joined(_LABELS[dims], books)
        shapes = ((*leading, channels, *sizes),) * (2 if attrs.get("return_indices") else 1)  # + indices
        return Derivation(shapes, joined(_LABELS[dims], lines), textbook)

    return pool_shape


for _dims in (1, 2, 3):
    register_rule(f"MaxPool{_dims}d", shape=_pool(_dims, average=False), field="window", form=forms.pool_form)
    register_rule(f"AvgPool{_dims}d", shape=_pool(_dims, average=True), field="window", form=forms.pool_form)
    register_rule(
        f"LPPool{_dims}d", shape=_pool(_dims, average=True, power=True), field="window", form=forms.pool_form
    )


def _adaptive(dims: int) -> Any:
    def adaptive_shape(call: Call) -> Derivation:
        leading, channels, spatial = split(call.inputs[0], dims, f"AdaptivePool{dims}d")
        targets = per_dim(call.attributes["output_size"], dims)
        sizes = tuple(formulas.adaptive_out(n, t) for n, t in zip(spatial, targets, strict=True))
        formula = msg("derive.adaptive", targets=tuple(targets), sizes=Seq(sizes, " × "))
        shapes = ((*leading, channels, *sizes),) * (2 if call.attributes.get("return_indices") else 1)
        return Derivation(shapes, formula)

    return adaptive_shape


for _dims in (1, 2, 3):
    register_rule(
        f"AdaptiveAvgPool{_dims}d",
        f"AdaptiveMaxPool{_dims}d",
        shape=_adaptive(_dims),
        form=forms.adaptive_form,
    )


def _output_size_argument(arguments: Any, dims: int) -> tuple[int, ...] | None:
    """An `output_size` given to forward (ConvTranspose, MaxUnpool), by keyword or position."""
    given = arguments.get("output_size")
    return None if given is None else tuple(given)[-dims:]


def _transpose_line(
    n: int, k: int, s: int, p: int, op: int, d: int, requested: int | None
) -> tuple[int, Message]:
    if requested is None:
        result = formulas.conv_transpose_out(n, k, s, p, op, d)
        return result, transpose_line(n, k, s, p, op, d, result)
    smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1  # forward(x, output_size=...) picks output_padding
    if not smallest <= requested < smallest + s:
        raise Refusal(
            "refuse.transpose_requested", requested=requested, smallest=smallest, largest=smallest + s - 1
        )
    return requested, msg(
        "derive.transpose_requested", requested=requested, smallest=smallest, largest=smallest + s - 1
    )


def _conv_transpose_shape(call: Call) -> Derivation:
    attrs = call.attributes
    kernel = tuple(attrs["kernel_size"])
    dims = len(kernel)
    leading, channels, spatial = split(call.inputs[0], dims, f"ConvTranspose{dims}d")
    _check_channels(attrs["in_channels"], channels, f"ConvTranspose{dims}d")
    settings = zip(
        spatial, kernel, per_dim(attrs["stride"], dims), per_dim(attrs["padding"], dims),
        per_dim(attrs["output_padding"], dims), per_dim(attrs["dilation"], dims), strict=True,
    )  # fmt: skip
    requested = _output_size_argument(call.arguments, dims)
    results = [
        _transpose_line(*setting, requested[axis] if requested is not None else None)
        for axis, setting in enumerate(settings)
    ]
    shape = (*leading, attrs["out_channels"], *(size for size, _ in results))
    return Derivation((shape,), joined(_LABELS[dims], [line for _, line in results]))


def _conv_transpose_macs(call: Call) -> int:
    attrs = call.attributes
    kernel = per_dim(attrs["kernel_size"], 1)
    return formulas.conv_transpose_macs(call.inputs[0], attrs["out_channels"], attrs["groups"], kernel)


register_rule(
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    shape=_conv_transpose_shape,
    macs=_conv_transpose_macs,
    form=forms.transpose_form,
)


def _unpool(dims: int) -> Any:
    def unpool_shape(call: Call) -> Derivation:
        leading, channels, spatial = split(call.inputs[0], dims, f"MaxUnpool{dims}d")
        requested = _output_size_argument(call.arguments, dims)
        if requested is not None:
            return Derivation(
                ((*leading, channels, *requested),), msg("derive.unpool_requested", sizes=requested)
            )
        attrs = call.attributes
        kernel, stride = per_dim(attrs["kernel_size"], dims), per_dim(attrs["stride"], dims)
        padding = per_dim(attrs["padding"], dims)
        sizes = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(spatial, kernel, stride, padding, strict=True)]
        lines = [
            msg("derive.unpool_line", n=n, k=k, s=s, p=p, result=r)
            for n, k, s, p, r in zip(spatial, kernel, stride, padding, sizes, strict=True)
        ]
        return Derivation(((*leading, channels, *sizes),), joined(_LABELS[dims], lines))

    return unpool_shape


for _dims in (1, 2, 3):
    register_rule(f"MaxUnpool{_dims}d", shape=_unpool(_dims), form=forms.unpool_form)


def _upsample_shape(call: Call) -> Derivation:
    shape = call.inputs[0]
    dims = len(shape) - 2
    if dims < 1:
        raise Refusal("refuse.upsample_rank", shape=shape)
    spatial = shape[2:]
    attrs = call.attributes
    if attrs.get("size") is not None:
        sizes = per_dim(attrs["size"], dims)
        lines = [msg("derive.upsample_size", size=size) for size in sizes]
        if any(size < 1 for size in sizes):
            raise Refusal("refuse.upsample_below_one", sizes=tuple(sizes))
    else:
        factors = per_dim(attrs["scale_factor"], dims)
        sizes = tuple(int(n * float(f)) for n, f in zip(spatial, factors, strict=True))
        lines = [
            msg("derive.upsample_scale", n=n, factor=f"{float(f):g}", result=r)
            for n, f, r in zip(spatial, factors, sizes, strict=True)
        ]
    return Derivation(((*shape[:2], *sizes),), joined(_LABELS.get(dims, ("s'",) * dims), lines))


register_rule(
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", shape=_upsample_shape, form=forms.upsample_form
)
