"""The inputs of a trace: shapes or tensors as the caller gives them, checked, made on the device."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

from shapetrace._torch import nn, torch
from shapetrace.errors import UsageError
from shapetrace.introspect import model_device
from shapetrace.messages import Seq
from shapetrace.records import Shape

__all__ = ["make_inputs", "arguments", "resolve_device", "check_arity"]


def resolve_device(device: str | torch.device | None, model: nn.Module) -> torch.device:
    """The device to trace on: the one asked for, else where the model's parameters are."""
    if device is None:
        return model_device(model)
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise UsageError("usage.device", device=repr(device), detail=_first_line(exc)) from None


def make_inputs(
    input_sizes: Sequence[Shape],
    dtypes: Sequence[torch.dtype],
    device: torch.device | str,
    index_limit: int | None = None,
) -> tuple[torch.Tensor, ...]:
    """Inputs of the given shapes: random floats; for integer dtypes random indices below
    `index_limit` (the smallest embedding table, so every index is valid), or zeros without one."""
    tensors = []
    for size, dtype in zip(input_sizes, dtypes, strict=True):
        if torch.device(device).type == "meta":
            tensors.append(torch.empty(size, dtype=dtype, device=device))
        elif dtype.is_floating_point or dtype.is_complex:
            tensors.append(torch.randn(size, dtype=dtype, device=device))
        elif index_limit and dtype != torch.bool:
            tensors.append(torch.randint(0, index_limit, size, dtype=dtype, device=device))
        else:
            tensors.append(torch.zeros(size, dtype=dtype, device=device))
    return tuple(tensors)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _shape(sizes: Any) -> Shape:
    if not all(isinstance(size, Integral) and not isinstance(size, bool) for size in sizes):
        raise UsageError("usage.sizes_whole", sizes=tuple(sizes))
    shape = tuple(int(size) for size in sizes)
    if any(size < 0 for size in shape):
        raise UsageError("usage.sizes_negative", sizes=shape)
    return shape


def _normalise_sizes(input_size: Any) -> list[Shape]:
    """One shape (a sequence of whole numbers) or several (a sequence of such sequences)."""
    if isinstance(input_size, str | Mapping) or not isinstance(input_size, Sequence) or not input_size:
        raise UsageError("usage.input_size_type", kind=type(input_size).__name__)
    if isinstance(input_size, torch.Size) or not isinstance(input_size[0], Sequence):
        return [_shape(input_size)]
    if any(isinstance(size, str | Mapping) or not isinstance(size, Sequence) for size in input_size):
        raise UsageError("usage.input_size_type", kind=type(input_size).__name__)
    return [_shape(size) for size in input_size]


def _dtype(value: Any) -> torch.dtype:
    """A dtype, as one (torch.float32) or as a tensor type (torch.FloatTensor), as torchinfo takes it."""
    if isinstance(value, torch.dtype):
        return value
    if isinstance(getattr(value, "dtype", None), torch.dtype):
        return value.dtype
    raise UsageError("usage.dtypes", got=repr(value))


def _dtypes(dtypes: Any, count: int) -> list[torch.dtype]:
    if dtypes is None:
        return [torch.float32] * count
    if isinstance(dtypes, Sequence) and not isinstance(dtypes, str):
        if len(dtypes) != count:
            raise UsageError("usage.dtypes_count", dtypes=len(dtypes), inputs=count)
        return [_dtype(value) for value in dtypes]
    return [_dtype(dtypes)] * count


def _with_batch_dim(sizes: list[Shape], batch_dim: Any) -> list[Shape]:
    """Each shape with a batch of one inserted at `batch_dim` (torchinfo's meaning: the sizes given
    leave the batch out); None: the sizes hold it already."""
    if batch_dim is None:
        return sizes
    if not isinstance(batch_dim, Integral) or isinstance(batch_dim, bool):
        raise UsageError("usage.batch_dim", batch_dim=repr(batch_dim))
    widened = []
    for size in sizes:
        if not -len(size) - 1 <= batch_dim <= len(size):
            raise UsageError("usage.batch_dim_range", batch_dim=batch_dim, sizes=size)
        at = batch_dim if batch_dim >= 0 else len(size) + 1 + batch_dim
        widened.append((*size[:at], 1, *size[at:]))
    return widened


def _forward_kwargs(forward_kwargs: Any) -> dict[str, Any]:
    if forward_kwargs is None:
        return {}
    if not isinstance(forward_kwargs, Mapping) or not all(isinstance(key, str) for key in forward_kwargs):
        raise UsageError("usage.forward_kwargs", kind=type(forward_kwargs).__name__)
    return dict(forward_kwargs)


def arguments(
    input_size: Any,
    input_data: Any,
    dtypes: Any,
    device: torch.device,
    index_limit: int | None = None,
    *,
    batch_dim: int | None = None,
    forward_kwargs: Mapping[str, Any] | None = None,
) -> tuple[tuple, dict[str, Any]]:
    """Positional and keyword arguments for forward: `input_data` as given (a tensor, a sequence, a
    mapping of keyword arguments), or new tensors of `input_size` (with a batch of one inserted at
    `batch_dim`), then `forward_kwargs` beside them. The RNG state is left as found."""
    if input_data is not None and input_size is not None:
        raise UsageError("usage.input_both")
    extra = _forward_kwargs(forward_kwargs)
    if input_data is not None:
        if isinstance(input_data, torch.Tensor):
            return (input_data,), extra
        if isinstance(input_data, Mapping):
            return (), {**dict(input_data), **extra}
        return tuple(input_data), extra
    if input_size is None:
        raise UsageError("usage.no_input")
    sizes = _with_batch_dim(_normalise_sizes(input_size), batch_dim)
    kinds = _dtypes(dtypes, len(sizes))
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            return make_inputs(sizes, kinds, device, index_limit), extra
    except (RuntimeError, TypeError, OverflowError, ValueError) as exc:
        raise UsageError(
            "usage.make_input", shapes=Seq(tuple(sizes)), device=str(device), detail=_first_line(exc)
        ) from None


def check_arity(model: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
    """Refuse inputs that forward cannot take (two shapes for one argument) as bad usage, before the
    model runs: the TypeError Python would raise is not the model's failure."""
    forward = model.forward
    function = getattr(forward, "__func__", None)
    method = function is not None and getattr(forward, "__self__", None) is model
    try:  # a class's forward: its signature once (a few tens of microseconds each time otherwise)
        signature = _signature(function) if method else inspect.signature(forward)
    except (TypeError, ValueError):  # builtins, TorchScript: let the call decide
        return
    try:
        signature.bind(*((model,) if method else ()), *args, **kwargs)
    except TypeError as exc:
        names = list(signature.parameters)[1:] if method else list(signature.parameters)
        raise UsageError(
            "usage.arity",
            model=type(model).__name__, parameters=", ".join(names),
            count=len(args) + len(kwargs), detail=str(exc),
        ) from None  # fmt: skip


@functools.lru_cache(maxsize=256)
def _signature(function: Any) -> inspect.Signature:
    return inspect.signature(function)
