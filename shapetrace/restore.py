"""Leave the model as it was found: mode flags, parameter and buffer objects and values, RNG state."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from shapetrace._torch import nn, torch

__all__ = ["preserved", "gc_paused"]


@contextmanager
def preserved(
    named_modules: list[tuple[str, nn.Module]], device: torch.device, *, warn: bool = True
) -> Iterator[None]:
    """Restore train/eval flags, parameter and buffer objects, buffer values and the RNG state.

    Buffer values are copied before (they are small) and written back if they changed.
    Parameters are not copied (a VGG holds 0.5 GB): forward runs under no_grad and never
    writes them in practice; one that does is detected by its version counter and warned of.
    """
    modules = [module for _, module in named_modules]
    training = [module.training for module in modules]
    parameters = [dict(module._parameters) for module in modules]
    buffers = [dict(module._buffers) for module in modules]
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
        for module, flag, params, bufs in zip(modules, training, parameters, buffers, strict=True):
            if module.training != flag:
                module.training = flag
            if not _same_objects(module._parameters, params):
                module._parameters.clear()
                module._parameters.update(params)
            if not _same_objects(module._buffers, bufs):
                module._buffers.clear()
                module._buffers.update(bufs)
        _restore(saved)
        written = sorted({name for name, p, version in versions.values() if p._version != version})
        if written and warn:
            warnings.warn(
                f"the model's forward wrote parameter(s) {', '.join(written)} in place; "
                "shapetrace cannot undo that",
                RuntimeWarning,
                stacklevel=4,
            )


def _same_objects(current: dict, saved: dict) -> bool:
    """Whether two name -> tensor dicts hold the very same objects (== would compare values)."""
    return current.keys() == saved.keys() and all(current[key] is saved[key] for key in saved)


def _snapshot(tensors: dict[int, torch.Tensor]) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
    """Copy tensors' values, one flat copy per (dtype, device) group; meta tensors hold none."""
    groups: dict[tuple, list[torch.Tensor]] = {}
    for tensor in tensors.values():
        if tensor.device.type != "meta":
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
