"""The workings of an output size, for learners: a layer's settings and input sizes in, each
dimension's arithmetic out, numbers put in, in PyTorch's notation and in the textbook's (d2l), with
the formulas in symbols and what each symbol is. `shapetrace formula` prints them. Pure Python; where
PyTorch refuses the settings, so does this (a `Refusal` naming the dimension and the reason)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shapetrace.formulas.lines import (
    conv_line,
    pool_line,
    textbook_line,
    textbook_transpose_line,
    transpose_line,
)
from shapetrace.formulas.sizes import (
    adaptive_out,
    avg_pool_out,
    conv_out,
    conv_transpose_out,
    per_dim,
    pool_out,
    same_padding,
)
from shapetrace.messages import Message, Refusal, Seq, msg

__all__ = ["KINDS", "LABELS", "Layer", "Workings", "workings", "window_widths"]

KINDS = ("conv", "convtranspose", "pool", "avgpool", "adaptive")
LABELS = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}  # the names --explain gives the sizes
_POOLS = ("pool", "avgpool")

Row = tuple[str, Message]  # ("torch" or "d2l": whose notation, the line)


@dataclass(frozen=True)
class Layer:
    """A layer's settings as PyTorch takes them: one value for every dimension, or one for each.

    `stride` empty is PyTorch's default (1; a pool's is its kernel). `padding` may be 'same' or
    'valid' for a convolution. `output_size` is an adaptive pool's (None keeps the input's size).
    `groups` does not change a size; given, the workings say so."""

    kind: str
    kernel: tuple[int, ...] = (1,)
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] | str = (0,)
    dilation: tuple[int, ...] = (1,)
    output_padding: tuple[int, ...] = (0,)
    output_size: tuple[int | None, ...] = (None,)
    ceil_mode: bool = False
    groups: int | None = None


@dataclass(frozen=True)
class Workings:
    """Each dimension's lines with the numbers put in (`rows`), the formulas in symbols (`general`),
    what the symbols are (`legend`) and remarks (`notes`)."""

    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    rows: tuple[Row, ...]
    general: tuple[Row, ...]
    legend: Message
    notes: tuple[Message, ...]


@dataclass(frozen=True)
class _Axis:
    label: str  # "h"; "h, w" for dimensions worked out together
    y: str  # "h'"; "h' = w'"
    dims: int
    n: int
    k: int
    s: int
    p: int | str
    d: int
    op: int
    o: int | None


def window_widths(size: int, output_size: int) -> tuple[int, int]:
    """(narrowest, widest) window of an adaptive pool, whose window i covers ⌊i·n/o⌋ to ⌈(i+1)·n/o⌉.

    With n = q·o + r: all are q wide when r = 0; else q + 1, and q + 2 too when r > gcd(n, o)."""
    q, r = divmod(size, output_size)
    if r == 0:
        return q, q
    return q + 1, q + 2 if r > math.gcd(size, output_size) else q + 1


def _dims(y: str, line: Message) -> Message:
    return msg("derive.dims", labels=y, line=line)


def _conv(a: _Axis, layer: Layer) -> tuple[int, list[Row]]:
    if a.p == "same":
        result = conv_out(a.n, a.k, a.s, "same", a.d)
        left, right = same_padding(a.k, a.d)
        torch = msg("calc.same", y=a.y, n=a.n, total=left + right, left=left, right=right)
        return result, [
            ("torch", torch),
            ("d2l", _dims(a.y, textbook_line(a.n, a.k, a.s, left + right, a.d, result))),
        ]
    p = 0 if a.p == "valid" else a.p
    result = conv_out(a.n, a.k, a.s, p, a.d)
    return result, [
        ("torch", _dims(a.y, conv_line(a.n, a.k, a.s, p, a.d, result))),
        ("d2l", _dims(a.y, textbook_line(a.n, a.k, a.s, 2 * p, a.d, result))),
    ]


def _pool(a: _Axis, layer: Layer) -> tuple[int, list[Row]]:
    assert isinstance(a.p, int)
    if layer.kind == "avgpool":  # AvgPool3d also needs the kernel to fit the unpadded input
        result = avg_pool_out(a.n, a.k, a.s, a.p, layer.ceil_mode, kernel_must_fit=a.dims == 3)
    else:
        result = pool_out(a.n, a.k, a.s, a.p, a.d, layer.ceil_mode)
    rows = [("torch", _dims(a.y, pool_line(a.n, a.k, a.s, a.p, a.d, layer.ceil_mode, result)))]
    if not layer.ceil_mode:  # the textbook only rounds down
        rows.append(("d2l", _dims(a.y, textbook_line(a.n, a.k, a.s, 2 * a.p, a.d, result))))
    return result, rows


def _transpose(a: _Axis, layer: Layer) -> tuple[int, list[Row]]:
    assert isinstance(a.p, int)
    result = conv_transpose_out(a.n, a.k, a.s, a.p, a.op, a.d)
    return result, [
        ("torch", _dims(a.y, transpose_line(a.n, a.k, a.s, a.p, a.op, a.d, result))),
        ("d2l", _dims(a.y, textbook_transpose_line(a.n, a.k, a.s, a.p, a.op, a.d, result))),
    ]


def _adaptive(a: _Axis, layer: Layer) -> tuple[int, list[Row]]:
    o = adaptive_out(a.n, a.o)
    if o == 0:
        return 0, [("torch", msg("calc.adaptive_empty", y=a.y))]
    low, high = window_widths(a.n, o)
    widths = str(low) if low == high else f"{low}–{high}"
    rows = [("torch", msg("calc.adaptive_line", y=a.y, n=a.n, o=o, widths=widths))]
    if a.n % o == 0:  # a plain pool with kernel = stride = n/o
        k = a.n // o
        rows.append(
            (
                "d2l",
                msg("calc.adaptive_textbook", y=a.y, line=textbook_line(a.n, k, k, 0, 1, o), n=a.n, o=o, k=k),
            )
        )
    else:
        rows.append(("d2l", msg("calc.adaptive_uneven", n=a.n, o=o)))
    return o, rows


_STEPS: dict[str, Callable[[_Axis, Layer], tuple[int, list[Row]]]] = {
    "conv": _conv,
    "convtranspose": _transpose,
    "pool": _pool,
    "avgpool": _pool,
    "adaptive": _adaptive,
}


def _axes(layer: Layer, sizes: Sequence[int], labels: Sequence[str]) -> list[_Axis]:
    dims = len(sizes)
    kernel = per_dim(layer.kernel, dims)
    stride = per_dim(layer.stride or (kernel if layer.kind in _POOLS else (1,)), dims)
    padding = (layer.padding,) * dims if isinstance(layer.padding, str) else per_dim(layer.padding, dims)
    dilation, output_padding = per_dim(layer.dilation, dims), per_dim(layer.output_padding, dims)
    settings = zip(
        labels, sizes, kernel, stride, padding, dilation, output_padding, per_dim(layer.output_size, dims),
        strict=True,
    )  # fmt: skip
    axes = [_Axis(label, label + "'", dims, n, k, s, p, d, op, o) for label, n, k, s, p, d, op, o in settings]
    if dims > 1 and len({replace(axis, label="", y="") for axis in axes}) == 1:  # the same arithmetic
        return [replace(axes[0], label=", ".join(labels), y=" = ".join(axis.y for axis in axes))]
    return axes


def _general(layer: Layer) -> tuple[Row, ...]:
    """The formulas in symbols, as both notations write them."""
    if layer.kind == "adaptive":
        return ("torch", msg("calc.general_adaptive")), ("d2l", msg("calc.general_adaptive_textbook"))
    if layer.kind == "convtranspose":
        return ("torch", msg("calc.general_transpose")), ("d2l", msg("calc.general_textbook_transpose"))
    if layer.padding == "same":
        torch = msg("calc.general_same")
    else:
        torch = msg("calc.general_ceil" if layer.ceil_mode else "calc.general_conv")
    return ("torch", torch), (
        "d2l",
        msg("calc.general_no_ceil" if layer.ceil_mode else "calc.general_textbook"),
    )


def _legend(layer: Layer, labels: Sequence[str], dilated: bool) -> Message:
    items = [msg("calc.sym_n", labels=Seq(tuple(labels)))]
    if layer.kind == "adaptive":
        items.append(msg("calc.sym_o"))
    else:
        items += [
            msg("calc.sym_k"),
            msg("calc.sym_s_pool" if layer.kind in _POOLS else "calc.sym_s"),
            msg("calc.sym_p"),
        ]
        items.append(msg("calc.sym_d_none" if layer.kind == "avgpool" else "calc.sym_d"))
        if layer.kind == "convtranspose":
            items.append(msg("calc.sym_op"))
        if dilated:
            items.append(msg("calc.sym_k_dilated"))
    return msg("calc.legend", items=Seq(tuple(items)))


def workings(layer: Layer, sizes: Sequence[int], labels: Sequence[str] | None = None) -> Workings:
    """The workings of `layer` on an input of spatial `sizes` (named by `labels`: l; h, w; d, h, w).

    Raises a Refusal ("calc.refused": the dimension and PyTorch's reason) where PyTorch would."""
    if layer.kind not in _STEPS:
        raise Refusal("calc.kind", kind=repr(layer.kind), kinds=Seq(KINDS))
    if isinstance(layer.padding, str) and layer.kind != "conv":
        raise Refusal("calc.padding_word", padding=repr(layer.padding), kind=layer.kind)
    labels = tuple(labels or LABELS[len(sizes)])
    rows: list[Row] = []
    outputs: list[int] = []
    axes = _axes(layer, sizes, labels)
    for axis in axes:
        try:
            result, lines = _STEPS[layer.kind](axis, layer)
        except Refusal as refusal:
            raise Refusal("calc.refused", label=axis.label, reason=refusal.message) from None
        outputs += [result] * (len(sizes) // len(axes))
        rows += lines
    notes = (msg("calc.groups", groups=layer.groups),) if layer.groups is not None else ()
    dilated = any(axis.d != 1 for axis in axes)
    return Workings(
        tuple(sizes), tuple(outputs), tuple(rows), _general(layer), _legend(layer, labels, dilated), notes
    )
