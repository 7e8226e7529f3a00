"""Leave the model as it was found: mode flags, attributes, hooks, parameter and buffer objects, their
data, dtypes, devices and requires_grad flags, buffer values, the weights torch itself renormalises in
place, and the RNG state."""

from __future__ import annotations

import contextlib
import gc
import operator
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from torch._utils import _flatten_dense_tensors

from shapetrace._torch import nn, torch
from shapetrace.errors import TraceWarning

__all__ = ["preserved", "gc_paused"]

# The hooks a module holds; a forward that registers one on itself must not leave it behind.
_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
)

# tensors, their shapes, and one flat copy of their values
Saved = list[tuple[list[torch.Tensor], list[torch.Size], torch.Tensor]]


@contextmanager
def preserved(
    named_modules: list[tuple[str, nn.Module]], device: torch.device, *, warn: bool = True
) -> Iterator[None]:
    """Restore everything a forward pass may change, also when it raises.

    Buffer values are copied before (they are small) and written back if they changed. Parameter
    values are not copied (a VGG holds 0.5 GB): each parameter's data is kept by reference and put
    back where the forward swapped it (`self.double()`, `p.data = ...`); an in-place write to the
    values themselves is detected by the version counter and warned of. The exception: the weights of
    an Embedding or EmbeddingBag with max_norm, which torch renormalises in place on every call, are
    copied and written back.
    """
    state = _ModelState(named_modules)
    rng_devices = [device] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=rng_devices):
            yield
    finally:
        written = state.restore()
        if written and warn:
            warnings.warn(TraceWarning("warn.parameters_written", names=", ".join(written)), stacklevel=4)


class _ModelState:
    """What a forward pass may change, taken before it runs."""

    def __init__(self, named_modules: list[tuple[str, nn.Module]]) -> None:
        self.modules: list[nn.Module] = []
        self.attributes: list[dict[str, Any]] = []  # attributes a forward sets
        self.objects: list[tuple[dict, dict, dict]] = []
        self.hooks: list[dict[str, dict]] = []
        buffers: dict[int, torch.Tensor] = {}
        renormed: dict[int, torch.Tensor] = {}
        self.parameters: dict[int, tuple[str, str, torch.Tensor]] = {}  # every parameter once: (prefix, name)
        for prefix, module in named_modules:  # one pass: a module's state is read while it is at hand
            self.modules.append(module)
            self.attributes.append(_copy(module.__dict__))
            saved = (_copy(module._parameters), _copy(module._buffers), _copy(module._modules))
            self.objects.append(saved)
            self.hooks.append(_hook_dicts(module))
            for buffer in saved[1].values():
                if buffer is not None:
                    buffers[id(buffer)] = buffer
            for name, parameter in saved[0].items():
                if parameter is not None and id(parameter) not in self.parameters:
                    self.parameters[id(parameter)] = (prefix, name, parameter)
            if (
                isinstance(module, nn.Embedding | nn.EmbeddingBag)
                and getattr(module, "max_norm", None) is not None
                and isinstance(module.weight, torch.Tensor)
            ):
                renormed[id(module.weight)] = module.weight
        self.buffer_values = _snapshot(buffers)
        self.renormed = set(renormed)
        self.renormed_values = _snapshot(renormed)
        self.data = {key: _Data(parameter) for key, (_, _, parameter) in self.parameters.items()}

    def restore(self) -> list[str]:
        """Put everything back; the names of the parameters written in place that could not be."""
        for module, state, saved, hooks in zip(
            self.modules, self.attributes, self.objects, self.hooks, strict=True
        ):
            attributes = module.__dict__
            _put_back(attributes, state)  # the training flag and the hook dicts' objects too
            for current, original in zip(
                (module._parameters, module._buffers, module._modules), saved, strict=True
            ):
                if current or original:  # a leaf's _modules, most _buffers: empty before and after
                    _put_back(current, original)
            if hooks or any(map(attributes.get, _HOOK_DICTS)):  # most hold none, before and after
                for name in _HOOK_DICTS:
                    current = attributes.get(name)
                    original = hooks.get(name)
                    if current or original:
                        _put_back(current, original or {})
        _restore(self.buffer_values)
        for data in self.data.values():
            data.restore()
        _restore(self.renormed_values)
        return sorted(
            {
                f"{prefix}.{name}" if prefix else name
                for key, (prefix, name, _) in self.parameters.items()
                if key not in self.renormed and self.data[key].written()
            }
        )


_EMPTY: dict = {}  # the saved copy of every empty dict (never written: _put_back only reads it)


def _copy(mapping: Any) -> Any:
    """A shallow copy of a module's dict; the shared empty one where it holds nothing."""
    if not mapping:
        return _EMPTY
    return mapping.copy() if type(mapping) is dict else dict(mapping)


class _Data:
    """A parameter's data, dtype, device and requires_grad flag, kept by reference (no copy)."""

    __slots__ = ("parameter", "requires_grad", "original", "place", "version")

    def __init__(self, parameter: torch.Tensor) -> None:
        self.parameter = parameter
        self.requires_grad = parameter.requires_grad
        lazy = nn.parameter.is_lazy(parameter)
        self.original = None if lazy else parameter.detach()  # shares the storage and version counter
        self.place = None if lazy else _place(parameter)
        # inference tensors (made under torch.inference_mode) have no version counter
        self.version = None if lazy or parameter.is_inference() else parameter._version

    def restore(self) -> None:
        parameter = self.parameter
        if parameter.requires_grad == self.requires_grad and (
            self.original is None or _place(parameter) == self.place
        ):
            return  # as it was: the common case
        with _allowing(parameter):
            if self.original is not None and _place(parameter) != self.place:
                parameter.data = self.original  # the forward swapped it: self.double(), p.data = ...
            if parameter.requires_grad != self.requires_grad:
                parameter.requires_grad_(self.requires_grad)

    def written(self) -> bool:
        return self.version is not None and self.parameter._version != self.version


def _place(tensor: torch.Tensor) -> tuple[Any, ...]:
    """Where a tensor's data is: address, dtype, shape and strides; its device too where the address
    does not tell (0 on meta, None for sparse and other tensors without one storage)."""
    try:  # the strides too: p.data = p.data.t() keeps a square weight's address and shape
        address, strides = tensor.data_ptr(), tensor.stride()
    except RuntimeError:
        address = strides = None
    if address:
        return address, tensor.dtype, tensor.shape, strides
    return address, tensor.dtype, tensor.shape, strides, tensor.device


def _allowing(tensor: torch.Tensor) -> contextlib.AbstractContextManager:
    """The mode in which a tensor may be written: inference tensors only under inference_mode."""
    inference = not nn.parameter.is_lazy(tensor) and tensor.is_inference()
    return torch.inference_mode() if inference else contextlib.nullcontext()


def _hook_dicts(module: nn.Module) -> dict[str, dict]:
    """Copies of the module's hook dicts that hold hooks (its own, not torch's global ones): most are
    empty, and an empty one is restored by emptying it."""
    attributes = module.__dict__
    if not any(map(attributes.get, _HOOK_DICTS)):  # the common case
        return {}
    return {
        name: dict(hooks)
        for name in _HOOK_DICTS
        if (hooks := attributes.get(name)) and isinstance(hooks, dict)
    }


def _put_back(current: Any, saved: dict) -> None:
    """Make a module's name -> object dict hold the saved objects again (`is`, not ==, which
    would compare tensor values). TorchScript modules hold read-only views: left as they are."""
    if not isinstance(current, dict):
        return
    if (
        len(current) == len(saved)
        and all(map(operator.is_, current.values(), saved.values()))
        and all(map(operator.is_, current, saved))  # the same keys in the same order (interned names)
    ):
        return
    current.clear()
    current.update(saved)


def _snapshot(tensors: dict[int, torch.Tensor]) -> Saved:
    """Copy tensors' shapes and values, one flat copy per (dtype, device) group; meta tensors hold none.

    Sparse and other non-strided buffers are rare; they are not restored."""
    groups: dict[tuple, list[torch.Tensor]] = {}
    for tensor in tensors.values():
        if tensor.device.type != "meta" and tensor.layout == torch.strided:
            groups.setdefault((tensor.dtype, tensor.device), []).append(tensor)  # itself: it may be resized
    # _flatten_dense_tensors returns a view, not a copy, for a single tensor: clone that one
    with torch.no_grad():
        return [
            (
                group,
                [tensor.shape for tensor in group],
                _flatten_dense_tensors(group) if len(group) > 1 else group[0].reshape(-1).clone(),
            )
            for group in groups.values()
        ]


def _restore(saved: Saved) -> None:
    """Write back every group whose values changed (kernels such as batch_norm update running
    statistics in place without bumping version counters, so compare values), resized where a
    forward resized them in place (the fake-quantize observers' scale and zero_point)."""
    with torch.no_grad():
        for group, shapes, flat in saved:
            same_shapes = [tensor.shape for tensor in group] == shapes
            if same_shapes and torch.equal(_flatten_dense_tensors(group), flat):
                continue
            originals = flat.split([shape.numel() for shape in shapes])
            for tensor, shape, original in zip(group, shapes, originals, strict=True):
                with _allowing(tensor):
                    if tensor.shape != shape:
                        tensor.resize_(shape)
                    tensor.copy_(original.view(shape))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a trace allocates many small records, and full
    collections over torch's objects otherwise cost about a third of the trace time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
