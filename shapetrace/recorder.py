"""The recorder: forward hooks (and, where forward code of the user's runs, the function recorder) note
every call's inputs, outputs and place in the call tree during one forward pass; then the model is left
as it was found and the calls are frozen into a TraceRecord. It records; analyses come after."""

from __future__ import annotations

import contextlib
import copy
import threading
from dataclasses import dataclass
from typing import Any

from torch.nn.modules.lazy import LazyModuleMixin

from shapetrace import freeze, introspect
from shapetrace._torch import nn, torch
from shapetrace.calls import CallLog
from shapetrace.function_recorder import FunctionRecorder
from shapetrace.records import TraceRecord
from shapetrace.restore import gc_paused, preserved
from shapetrace.values import describe_arguments

__all__ = ["Recording", "record", "LOCK"]

# One recording at a time in the process: hooks on a shared model and the RNG state are process-wide.
# Reentrant, so that a trace may record again inside (the solver).
LOCK = threading.RLock()


@dataclass(frozen=True)
class Recording:
    """What one forward pass left: the frozen trace, and the exception that ended it, if any."""

    trace: TraceRecord
    failure: BaseException | None


def _runs_own_code(modules: list[nn.Module], torch_layers: set[int]) -> bool:
    """Whether some forward is user code (which may call torch functions directly): a user-written
    module, or a torch.nn container whose forward is overridden."""
    for module in modules:
        if id(module) not in torch_layers:
            key, custom = introspect.rule_key(type(module))
            if not key or custom:
                return True
    return False


def _run(
    model: nn.Module, args: tuple, kwargs: dict[str, Any], log: CallLog, watch: bool
) -> tuple[Any, BaseException | None]:
    """One forward pass with the hooks on every module (and the function recorder if `watch`); the
    hooks are gone afterwards, whatever happened."""
    with contextlib.ExitStack() as stack:
        for module in model.modules():
            stack.callback(module.register_forward_pre_hook(log.before, with_kwargs=True).remove)
            stack.callback(module.register_forward_hook(log.after, always_call=True).remove)
        log.dataflow.model_inputs(args, kwargs)
        log.watching = watch
        if watch:
            stack.enter_context(FunctionRecorder(log))
        stack.enter_context(torch.no_grad())
        try:
            return model(*args, **kwargs), None
        except BaseException as exc:  # the model's own failure, SystemExit and GeneratorExit too: a diagnosis
            log.abandon(exc)
            if isinstance(exc, KeyboardInterrupt):  # the user's, not the model's
                raise
            return None, exc


def _padded_encoders(modules: list[nn.Module]) -> None:
    """With hooks attached, encoder layers leave their fast path, and the slow path cannot take the
    nested tensors TransformerEncoder builds from a padding mask: keep them padded (same shapes). The
    attribute is restored with the rest of the module's state."""
    for module in modules:
        if isinstance(module, nn.TransformerEncoder) and getattr(module, "use_nested_tensor", False):
            module.use_nested_tensor = False


def record(
    model: nn.Module,
    args: tuple,
    kwargs: dict[str, Any],
    *,
    device: torch.device,
    model_name: str | None = None,
    functional: bool = False,
) -> Recording:
    """Run one forward pass with hooks on every module and return what it recorded, frozen.

    Functions are recorded whenever a container runs code of its own, so that the graph (dataflow,
    receptive fields, the solver) follows F.relu, + and torch.cat; `functional` records them always.
    One recording runs at a time in the process (LOCK)."""
    with LOCK:
        return _record(model, args, kwargs, device, model_name, functional)


def _record(
    model: nn.Module,
    args: tuple,
    kwargs: dict[str, Any],
    device: torch.device,
    model_name: str | None,
    functional: bool,
) -> Recording:
    if any(isinstance(module, LazyModuleMixin) for module in model.modules()):
        model = copy.deepcopy(model)  # lazy parameters materialise, and the class changes, on first call
        warn = False
    else:
        warn = True
    named_modules = list(model.named_modules())
    modules = [module for _, module in named_modules]
    leaves = [module for module in modules if all(child is None for child in module._modules.values())]
    torch_layers = {id(module) for module in leaves if introspect.is_torch_layer(type(module))}
    log = CallLog({id(module) for module in leaves}, torch_layers)
    with gc_paused(), preserved(named_modules, device, warn=warn):
        _padded_encoders(modules)
        watch = functional or _runs_own_code(modules, torch_layers)
        output, failure = _run(model, args, kwargs, log, watch)
        # Frozen before the restore: names and totals as the forward pass left the model.
        frozen = freeze.freeze(
            model, log, describe_arguments(args, kwargs), output, failure, device, model_name
        )
    return Recording(frozen, failure)
