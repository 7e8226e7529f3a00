"""Leave the model as it was found: mode flags, parameter and buffer objects and values, RNG state."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from shapetrace._torch import nn, torch
from shapetrace.errors import TraceWarning

__all__ = ["preserved", "gc_paused"]


@contextmanager
def preserved(
    named_modules: list[tuple[str, nn.Module]], device: torch.device, *, warn: bool = True
) -> Iterator[None]:
    """Restore train/eval flags, attributes, parameter, buffer and submodule objects, buffer values
    and the RNG state.

    Buffer values are copied before (they are small) and written back if they changed.
    Parameters are not copied (a VGG holds 0.5 GB): forward runs under no_grad and never
    writes them in practice; one that does is detected by its version counter and warned of.
    """
    modules = [module for _, module in named_modules]
    training = [module.training for module in modules]
    parameters = [dict(module._parameters) for module in modules]
    buffers = [dict(module._buffers) for module in modules]
    children = [dict(module._modules) for module in modules]
    attributes = [dict(module.__dict__) for module in modules]  # plain attributes a forward may set
    saved = _snapshot({id(b): b for bufs in buffers for b in bufs.values() if b is not None})
    versions = {
        id(p): (f"{prefix}.{name}" if prefix else name, p, p._version)
        for (prefix, _), params in zip(named_modules, parameters, strict=True)
        for name, p in params.items()
        if p is not None
    }
    rng_devices = [device] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=rng_devices):
            yield
    finally:
        for module, state, flag, *saved_dicts in zip(
            modules, attributes, training, parameters, buffers, children, strict=True
        ):
            _put_back(module.__dict__, state)
            if module.training != flag:
                module.training = flag
            for current, original in zip(
                (module._parameters, module._buffers, module._modules), saved_dicts, strict=True
            ):
                _put_back(current, original)
        _restore(saved)
        written = sorted({name for name, p, version in versions.values() if p._version != version})
        if written and warn:
            warnings.warn(TraceWarning("warn.parameters_written", names=", ".join(written)), stacklevel=4)


def _put_back(current: Any, saved: dict) -> None:
    """Make a module's name -> object dict hold the saved objects again (`is`, not ==, which
    would compare tensor values). TorchScript modules hold read-only views: left as they are."""
    if list(current.keys()) == list(saved) and all(current[key] is saved[key] for key in saved):
        return
    if isinstance(current, dict):
        current.clear()
        current.update(saved)


def _snapshot(tensors: dict[int, torch.Tensor]) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
    """Copy tensors' values, one flat copy per (dtype, device) group; meta tensors hold none.

    Sparse and other non-strided buffers are rare; they are not restored."""
    groups: dict[tuple, list[torch.Tensor]] = {}
    for tensor in tensors.values():
        if tensor.device.type != "meta" and tensor.layout == torch.strided:
            groups.setdefault((tensor.dtype, tensor.device), []).append(tensor.detach())
    # _flatten_dense_tensors returns a view, not a copy, for a single tensor: clone that one
    return [
        (group, _flatten_dense_tensors(group) if len(group) > 1 else group[0].reshape(-1).clone())
        for group in groups.values()
    ]


def _restore(saved: list[tuple[list[torch.Tensor], torch.Tensor]]) -> None:
    """Write back every group whose values changed (kernels such as batch_norm update
    running statistics in place without bumping version counters, so compare values)."""
    with torch.no_grad():
        for group, flat in saved:
            if not torch.equal(_flatten_dense_tensors(group), flat):
                for tensor, original in zip(group, _unflatten_dense_tensors(flat, group), strict=True):
                    tensor.copy_(original)


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
