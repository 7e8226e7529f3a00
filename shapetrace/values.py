"""Values a module receives or returns, seen through their tensors: the frozen description a record
keeps (shapes and dtypes, never data), and the live tensors in the same order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from shapetrace._torch import torch
from shapetrace.records import TensorInfo, ValueInfo

__all__ = [
    "describe",
    "describe_arguments",
    "flat_tensors",
    "exception_text",
    "MAX_NESTING",
    "SCALARS",
    "OPAQUE",
]

MAX_NESTING = 16  # deeper containers are shown by their type alone
_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def _items(value: Any) -> tuple[str, Iterator[tuple[str | None, Any]]] | None:
    """How a container holds its values: ("sequence" or "mapping", (key, value) pairs); None for a leaf."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # named tuple, PackedSequence
        return "mapping", zip(value._fields, value, strict=True)
    if isinstance(value, tuple | list):
        return "sequence", ((None, item) for item in value)
    if isinstance(value, Mapping):
        return "mapping", ((str(key), item) for key, item in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "mapping", ((f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value))
    return None


def describe(value: Any, nesting: int = 0) -> ValueInfo:
    """The shapes and structure of a value, without keeping any tensor; never raises."""
    try:
        return _describe(value, nesting)
    except Exception:  # an odd object (a half-built dataclass, a broken named tuple): show its type
        return ValueInfo("object", type(value).__name__)


SCALARS = frozenset({bool, int, float, str, type(None)})  # plain values, described by value
OPAQUE = frozenset({slice, type(Ellipsis)})  # described by their type alone


def _scalar(value: Any) -> ValueInfo:
    if value is None:
        return ValueInfo("object", "None")
    plain = value if not isinstance(value, str) or len(value) <= 64 else value[:64]
    return ValueInfo("object", type(value).__name__, value=plain)


def _describe(value: Any, nesting: int) -> ValueInfo:
    if isinstance(value, torch.Tensor):
        dtype = value.dtype
        return ValueInfo(
            "tensor", "Tensor", TensorInfo(tuple(value.shape), _dtype_name(dtype), dtype.itemsize)
        )
    if type(value) in SCALARS:  # the common arguments (dim=1, inplace=False): no container checks
        return _scalar(value)
    container = _items(value) if nesting < MAX_NESTING else None
    if container is not None:
        kind, pairs = container
        items = tuple((key, describe(item, nesting + 1)) for key, item in pairs)
        return ValueInfo(kind, type(value).__name__, items=items)
    if isinstance(value, bool | int | float | str):
        plain = value if not isinstance(value, str) or len(value) <= 64 else value[:64]
        return ValueInfo("object", type(value).__name__, value=plain)
    return ValueInfo("object", "None" if value is None else type(value).__name__)


def describe_arguments(args: tuple, kwargs: Mapping[str, Any]) -> ValueInfo:
    """A call's arguments as one value: positional ones, then keyword ones by name."""
    items = [(None, describe(arg, 1)) for arg in args]
    items += [(key, describe(arg, 1)) for key, arg in kwargs.items()]
    return ValueInfo("sequence", "args", items=tuple(items))


def flat_tensors(value: Any, nesting: int = 0) -> Iterator[torch.Tensor]:
    """The tensors inside a value, in the order `describe` lists them."""
    found: list[torch.Tensor] = []
    _flatten(value, nesting, found)
    return iter(found)


_PLAIN_SEQUENCES = (tuple, list)  # exactly these types: a named tuple's items have names
_NO_TENSORS = SCALARS | OPAQUE


def _flatten(value: Any, nesting: int, found: list[torch.Tensor]) -> None:
    kind = type(value)
    if kind is torch.Tensor:
        found.append(value)
        return
    if kind in _NO_TENSORS:
        return
    plain = kind in _PLAIN_SEQUENCES or (kind is dict and all(type(key) in SCALARS for key in value))
    if plain and nesting < MAX_NESTING:  # the common containers: no _items, no str(key) that may raise
        for item in value.values() if kind is dict else value:
            if type(item) is torch.Tensor:
                found.append(item)
            elif type(item) not in _NO_TENSORS:
                _flatten(item, nesting + 1, found)
        return
    if isinstance(value, torch.Tensor):
        found.append(value)
        return
    inside: list[torch.Tensor] = []
    try:  # as describe: a container that cannot be read through (a key whose str() raises) is opaque
        container = _items(value) if nesting < MAX_NESTING else None
        if container is not None:
            for _, item in container[1]:
                _flatten(item, nesting + 1, inside)
    except Exception:
        return
    found.extend(inside)


def exception_text(error: BaseException) -> str:
    """What an exception says, `str(error)`; "" where its __str__ itself raises."""
    try:
        return str(error)
    except Exception:
        return ""
