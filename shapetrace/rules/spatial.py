"""Shape rules of convolutions, pools and resampling layers (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.records import Shape
from shapetrace.rules import Derivation, Rule, rule, with_arguments


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


@rule("function:conv1d", "function:conv2d", "function:conv3d")
@with_arguments
def _function_conv(
    attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]
) -> Derivation:
    """F.conv2d(input, weight, bias, stride, padding, dilation, groups): the Conv2d rule, with the
    layer's settings read from the call and the weight's shape (out, in / groups, *kernel)."""
    weight = inputs[1]
    groups = arguments.get("groups") or 1
    settings = {
        "kernel_size": tuple(weight[2:]),
        "in_channels": weight[1] * groups,
        "out_channels": weight[0],
        "stride": arguments.get("stride") or 1,
        "padding": arguments.get("padding") if arguments.get("padding") is not None else 0,
        "dilation": arguments.get("dilation") or 1,
    }
    return _conv(settings, inputs[:1])


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
            if average or power:  # lp_pool3d runs avg_pool3d, which needs the kernel to fit too
                result = formulas.avg_pool_out(n, k, s, p, ceil_mode, kernel_must_fit=dims == 3)
            else:
                result = formulas.pool_out(n, k, s, p, d, ceil_mode)
            sizes.append(result)
            if ceil_mode:
                rounded_up = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
                line = f"⌈({n} + 2·{p} − {d}·({k}−1) − 1)/{s}⌉ + 1 = {rounded_up}"
                if rounded_up != result:  # PyTorch drops a last window that starts in the right padding
                    line += f", but the last window would start at ({rounded_up}−1)·{s} ≥ {n} + {p}: {result}"
                lines.append(line)
            else:
                lines.append(_conv_line(n, k, s, p, d, result))
            books.append(_textbook_line(n, k, s, 2 * p, d, result))
        textbook = None if ceil_mode else _joined(_LABELS[dims], books)
        shapes = ((*leading, channels, *sizes),) * (2 if attrs.get("return_indices") else 1)  # + indices
        return Derivation(shapes, _joined(_LABELS[dims], lines), textbook)

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
        shapes = ((*leading, channels, *sizes),) * (2 if attrs.get("return_indices") else 1)  # + indices
        return Derivation(shapes, formula)

    return adaptive_rule


for _dims in (1, 2, 3):
    rule(f"AdaptiveAvgPool{_dims}d", f"AdaptiveMaxPool{_dims}d")(_adaptive(_dims))


def _output_size_argument(arguments: Mapping[str, Any], dims: int) -> tuple[int, ...] | None:
    """An `output_size` given to forward (ConvTranspose, MaxUnpool), by keyword or position."""
    given = arguments.get("output_size")
    return None if given is None else tuple(given)[-dims:]


@rule("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
@with_arguments
def _conv_transpose(
    attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]
) -> Derivation:
    kernel = tuple(attrs["kernel_size"])
    dims = len(kernel)
    leading, channels, spatial = _split(inputs[0], dims, f"ConvTranspose{dims}d")
    _check_channels(attrs["in_channels"], channels, f"ConvTranspose{dims}d")
    stride, dilation = _per_dim(attrs["stride"], dims), _per_dim(attrs["dilation"], dims)
    padding, output_padding = _per_dim(attrs["padding"], dims), _per_dim(attrs["output_padding"], dims)
    requested = _output_size_argument(arguments, dims)
    sizes, lines = [], []
    for axis, (n, k, s, p, op, d) in enumerate(
        zip(spatial, kernel, stride, padding, output_padding, dilation, strict=True)
    ):
        if requested is not None:  # forward(x, output_size=...) picks output_padding in [0, stride)
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= requested[axis] < smallest + s:
                raise ValueError(f"output_size {requested[axis]} is outside [{smallest}, {smallest + s - 1}]")
            sizes.append(requested[axis])
            lines.append(f"output_size {requested[axis]} (within {smallest}..{smallest + s - 1})")
            continue
        result = formulas.conv_transpose_out(n, k, s, p, op, d)
        sizes.append(result)
        lines.append(f"({n}−1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {result}")
    shape = (*leading, attrs["out_channels"], *sizes)
    return Derivation((shape,), _joined(_LABELS[dims], lines))


def _unpool(dims: int) -> Rule:
    @with_arguments
    def unpool_rule(
        attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]
    ) -> Derivation:
        leading, channels, spatial = _split(inputs[0], dims, f"MaxUnpool{dims}d")
        requested = _output_size_argument(arguments, dims)
        if requested is not None:
            return Derivation(((*leading, channels, *requested),), f"output_size {list(requested)}")
        kernel, stride = _per_dim(attrs["kernel_size"], dims), _per_dim(attrs["stride"], dims)
        padding = _per_dim(attrs["padding"], dims)
        sizes = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(spatial, kernel, stride, padding, strict=True)]
        lines = [
            f"({n}−1)·{s} − 2·{p} + {k} = {r}"
            for n, k, s, p, r in zip(spatial, kernel, stride, padding, sizes, strict=True)
        ]
        return Derivation(((*leading, channels, *sizes),), _joined(_LABELS[dims], lines))

    return unpool_rule


for _dims in (1, 2, 3):
    rule(f"MaxUnpool{_dims}d")(_unpool(_dims))


@rule("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
def _upsample(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    dims = len(shape) - 2
    if dims < 1:
        raise ValueError(f"Upsample expects a batched input with spatial sizes, got {list(shape)}")
    spatial = shape[2:]
    if attrs.get("size") is not None:
        sizes = _per_dim(attrs["size"], dims)
        lines = [f"size {size}" for size in sizes]
        if any(size < 1 for size in sizes):
            raise ValueError(f"Upsample to a size below 1: {list(sizes)}")
    else:
        factors = _per_dim(attrs["scale_factor"], dims)
        sizes = tuple(int(n * float(f)) for n, f in zip(spatial, factors, strict=True))
        lines = [f"⌊{n}·{f:g}⌋ = {r}" for n, f, r in zip(spatial, factors, sizes, strict=True)]
    return Derivation(((*shape[:2], *sizes),), _joined(_LABELS.get(dims, ("s'",) * dims), lines))


@rule("PixelShuffle")
def _pixel_shuffle(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    *leading, channels, height, width = inputs[0]
    r = attrs["upscale_factor"]
    if channels % (r * r):
        raise ValueError(f"PixelShuffle({r}) needs channels divisible by {r}² = {r * r}, got {channels}")
    out = (*leading, channels // (r * r), height * r, width * r)
    return Derivation(
        (out,), f"c' = {channels}/{r}² = {channels // (r * r)}; h' = {height}·{r}; w' = {width}·{r}"
    )


@rule("PixelUnshuffle")
def _pixel_unshuffle(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    *leading, channels, height, width = inputs[0]
    r = attrs["downscale_factor"]
    if height % r or width % r:
        raise ValueError(f"PixelUnshuffle({r}) needs height and width divisible by {r}, got {height}x{width}")
    out = (*leading, channels * r * r, height // r, width // r)
    return Derivation(
        (out,), f"c' = {channels}·{r}² = {channels * r * r}; h' = {height}/{r}; w' = {width}/{r}"
    )


_PAD_KINDS = ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")


def _pad(kind: str, dims: int) -> Rule:
    def pad_rule(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
        shape = list(inputs[0])
        padding = _per_dim(attrs["padding"], 2 * dims)
        lines = []
        for axis in range(dims):
            before, after = padding[2 * axis], padding[2 * axis + 1]
            index = len(shape) - 1 - axis
            size = shape[index]
            if kind == "ReflectionPad" and (before >= size or after >= size):
                raise ValueError(f"reflection padding ({before}, {after}) must be below the size {size}")
            if kind == "CircularPad" and (before > size or after > size):
                raise ValueError(f"circular padding ({before}, {after}) must be at most the size {size}")
            shape[index] = size + before + after
            if shape[index] < 0:
                raise ValueError(f"padding ({before}, {after}) removes more than the {size} elements")
            lines.append(f"{size} + {before} + {after} = {shape[index]}")
        return Derivation((tuple(shape),), "; ".join(reversed(lines)))

    return pad_rule


for _kind in _PAD_KINDS:
    for _dims in (1, 2, 3):
        rule(f"{_kind}{_dims}d")(_pad(_kind, _dims))


@rule("Unfold")
def _unfold(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    if len(shape) not in (3, 4):
        raise ValueError(f"Unfold expects a 4-d (or 3-d unbatched) input, got {list(shape)}")
    *leading, channels, height, width = shape
    kernel, stride = _per_dim(attrs["kernel_size"], 2), _per_dim(attrs["stride"], 2)
    padding, dilation = _per_dim(attrs["padding"], 2), _per_dim(attrs["dilation"], 2)
    blocks = [
        formulas.conv_out(n, k, s, p, d)
        for n, k, s, p, d in zip((height, width), kernel, stride, padding, dilation, strict=True)
    ]
    out = (*leading, channels * kernel[0] * kernel[1], blocks[0] * blocks[1])
    return Derivation(
        (out,),
        f"{channels}·{kernel[0]}·{kernel[1]} = {out[-2]} values × {blocks[0]}·{blocks[1]} = {out[-1]} blocks",
    )


@rule("Fold")
def _fold(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    shape = inputs[0]
    if len(shape) not in (2, 3):
        raise ValueError(f"Fold expects a 3-d (or 2-d unbatched) input, got {list(shape)}")
    *leading, values, count = shape
    kernel, stride = _per_dim(attrs["kernel_size"], 2), _per_dim(attrs["stride"], 2)
    padding, dilation = _per_dim(attrs["padding"], 2), _per_dim(attrs["dilation"], 2)
    size = _per_dim(attrs["output_size"], 2)
    blocks = [
        formulas.conv_out(n, k, s, p, d)
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True)
    ]
    if values % (kernel[0] * kernel[1]) or count != blocks[0] * blocks[1]:
        raise ValueError(
            f"Fold needs a multiple of {kernel[0]}·{kernel[1]} values and {blocks[0]}·{blocks[1]} blocks, "
            f"got {values} and {count}"
        )
    out = (*leading, values // (kernel[0] * kernel[1]), *size)
    return Derivation(
        (out,), f"{values}/({kernel[0]}·{kernel[1]}) = {out[-3]} channels; output_size {list(size)}"
    )
