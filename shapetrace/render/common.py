"""Formatting shared by the renderers: shapes, values, numbers, bytes and a layer's configuration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shapetrace.messages import Lang, Message, Terms, msg, render
from shapetrace.records import LayerRecord, Shape, TraceRecord, ValueInfo

__all__ = [
    "Document",
    "say",
    "words",
    "format_shape",
    "format_value",
    "format_count",
    "format_bytes",
    "format_si",
    "brief_config",
    "visible_layers",
    "format_shapes",
]


@dataclass(frozen=True)
class Document:
    """A rendered document and the figures it refers to by file name (Markdown written to a file)."""

    text: str
    figures: dict[str, str] = field(default_factory=dict)


def say(code: str, lang: Lang = "en", terms: Terms = "api", /, **values: Any) -> str:
    """The catalog's text for `code`, values put in."""
    return render(msg(code, **values), lang, terms)


def words(message: Message | None, lang: Lang = "en", terms: Terms = "api") -> str:
    """A message's text, or "" for none."""
    return render(message, lang, terms) if message is not None else ""


def format_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def format_value(value: ValueInfo | None) -> str:
    """A value as users read it: `[1, 10]`, `([1, 5, 20], ([1, 1, 20], [1, 1, 20]))`, `None`."""
    if value is None:
        return "-"
    if value.kind == "tensor" and value.tensor is not None:
        return format_shape(value.tensor.shape)
    if value.kind == "object":
        return value.type_name
    if value.kind == "sequence":
        inner = ", ".join(format_value(item) for _, item in value.items)
        if value.type_name == "args":
            return inner
        if value.type_name == "tuple":
            return f"({inner},)" if len(value.items) == 1 else f"({inner})"
        return f"{value.type_name}({inner})"
    inner = ", ".join(f"{key}: {format_value(item)}" for key, item in value.items)
    if value.type_name == "dict":
        return "{" + inner + "}"
    inner = ", ".join(f"{key}={format_value(item)}" for key, item in value.items)
    return f"{value.type_name}({inner})"


def format_shapes(shapes: Sequence[Shape]) -> str:
    return ", ".join(format_shape(shape) for shape in shapes)


def format_count(count: int) -> str:
    return f"{count:,}"


def format_si(count: float, unit: str = "") -> str:
    """1234567, 'MAC' -> '1.23 MMAC'; 6, 'MAC' -> '6 MAC'."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= factor:
            return f"{count / factor:.2f} {prefix}{unit}"
    return f"{count:g} {unit}".rstrip()


def format_bytes(count: int) -> str:
    """Bytes in binary units: 187058984 -> '178.39 MiB'."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.2f} {unit}" if unit != "B" else f"{count} B"
        value /= 1024
    return f"{value:.2f} TiB"


def _collapse(value: Any) -> str:
    """(3, 3) -> '3'; (3, 1) -> '3x1'; 'same' -> 'same'."""
    if isinstance(value, tuple):
        if value and all(item == value[0] for item in value):
            return str(value[0])
        return "x".join(str(item) for item in value)
    return str(value)


_SHORT = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d", "groups": "g"}


def brief_config(layer: LayerRecord) -> str:
    """A layer's configuration in a few characters: 'k=11 s=4 p=1', '6400->4096', 'p=0.5'; for a layer
    of the user's (its key is a qualified name: 'mypkg.Blur'), every attribute its rule names."""
    if "." in layer.base_type:
        return " ".join(f"{_SHORT.get(name, name)}={_collapse(value)}" for name, value in layer.attributes)
    attrs = dict(layer.attributes)
    if "kernel_size" in attrs:
        parts = [f"k={_collapse(attrs['kernel_size'])}"]
        for key, label, default in (
            ("stride", "s", 1),
            ("padding", "p", 0),
            ("dilation", "d", 1),
            ("groups", "g", 1),
        ):
            value = attrs.get(key)
            if value is not None and _collapse(value) != str(default):
                parts.append(f"{label}={_collapse(value)}")
        if attrs.get("ceil_mode"):
            parts.append("ceil")
        return " ".join(parts)
    if "in_features" in attrs and "out_features" in attrs:
        return f"{attrs['in_features']}->{attrs['out_features']}"
    if "in1_features" in attrs:
        return f"{attrs['in1_features']}x{attrs['in2_features']}->{attrs['out_features']}"
    if "output_size" in attrs:
        return f"out={_collapse(attrs['output_size'])}"
    if "num_embeddings" in attrs:
        return f"{attrs['num_embeddings']}x{attrs['embedding_dim']}"
    if "hidden_size" in attrs:
        return f"{attrs.get('input_size')}->{attrs['hidden_size']} x{attrs.get('num_layers', 1)}"
    if "num_features" in attrs:
        return str(attrs["num_features"])
    if "p" in attrs and isinstance(attrs["p"], float):
        return f"p={attrs['p']:g}"
    return ""


def visible_layers(trace: TraceRecord, depth: int | None) -> list[LayerRecord]:
    """The rows to show: every call, or those down to `depth` (deeper calls fold into their container)."""
    if depth is None:
        return list(trace.layers)
    return [layer for layer in trace.layers if layer.depth <= depth]
