"""The recorder: forward hooks (and, where forward code of the user's runs, the function recorder) note
every call's inputs, outputs and place in the call tree during one forward pass; then the model is left
as it was found and the calls are frozen into a TraceRecord. It records; analyses come after."""

from __future__ import annotations

import contextlib
import copy
import threading
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch.nn.modules.lazy import LazyModuleMixin

from shapetrace import freeze, introspect
from shapetrace._torch import nn, torch
from shapetrace.calls import CallLog
from shapetrace.function_recorder import FunctionRecorder
from shapetrace.messages import Message, Seq, msg
from shapetrace.records import TraceRecord
from shapetrace.restore import gc_paused, preserved
from shapetrace.values import describe_arguments

if TYPE_CHECKING:
    from torch.utils.flop_counter import FlopCounterMode

__all__ = ["Recording", "record", "LOCK"]

# One recording at a time in the process: hooks on a shared model, the RNG state and the compiler's
# stance are process-wide. Reentrant, so that a trace may record again inside (the solver).
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
    model: nn.Module,
    hooked: list[nn.Module],
    args: tuple,
    kwargs: dict[str, Any],
    log: CallLog,
    watch: bool,
    counter: FlopCounterMode | None,
) -> tuple[Any, BaseException | None]:
    """One forward pass with the hooks on every `hooked` module (the function recorder if `watch`,
    `counter` if given); the hooks are gone afterwards, whatever happened."""
    with contextlib.ExitStack() as stack:
        _hook(hooked, log, stack)
        log.dataflow.model_inputs(args, kwargs)
        log.watching = watch
        if introspect.compiler_loaded():  # modules and functions torch.compile wrapped run as written
            stack.enter_context(torch.compiler.set_stance("force_eager"))
        if counter is not None:
            stack.enter_context(counter)
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


def _hook(hooked: list[nn.Module], log: CallLog, stack: contextlib.ExitStack) -> None:
    """Record every module in `hooked` until `stack` closes. Each module's call is wrapped for the pass
    (an instance attribute `_call_impl`, which Module.__call__ looks up: `_RecordingCall`), so that
    it takes torch's fast path inside our two notes: hooks would cost ~30 us a module to register and
    remove and ~12 us a call in torch's hook path, more than the rest of its record (and patching
    Module.__call__ itself ~140 us a trace, for the hundreds of classes that inherit it). A module
    gets a pair of hooks instead where the wrapper would see it otherwise than its hooks do: one with
    hooks of its own (recorded as they leave its inputs and outputs) and a layer whose fused fast path
    runs only without hooks (its sublayers would not run); and every module does where torch.compile
    wrapped one or the process has global module hooks (they run inside the call, ours before them)."""
    compiled = introspect.compiler_loaded() and any(
        introspect.compiled_original(module) is not None for module in hooked
    )
    globally_hooked = bool(_global_hooks())
    own = [
        module
        for module in hooked
        if compiled
        or globally_hooked
        or module._forward_pre_hooks
        or module._forward_hooks
        or isinstance(module, _SEES_HOOKS)
        or "_call_impl" in module.__dict__
    ]
    for module in own:
        stack.callback(module.register_forward_pre_hook(log.before, with_kwargs=True).remove)
        stack.callback(module.register_forward_hook(log.after, always_call=True).remove)
    owned = {id(module) for module in own}
    wrapped = [module for module in hooked if id(module) not in owned]
    stack.callback(_unwrap, wrapped)
    for module in wrapped:
        module.__dict__["_call_impl"] = _RecordingCall(module, log)


class _RecordingCall:
    """A module's call, noted before and after (from inside the except clause where it raised, as
    torch runs an always-called hook; a BaseException that is not an Exception leaves it open: see
    CallLog.abandon). A copy of the module made during the pass (copy.deepcopy of a layer in
    forward) gets its own class's call, unrecorded, not this module's."""

    __slots__ = ("module", "log", "call")

    def __init__(self, module: nn.Module, log: CallLog) -> None:
        self.module = module
        self.log = log
        self.call = type(module)._call_impl

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, log = self.module, self.log
        log.before_wrapped(module, args, kwargs)
        try:
            output = self.call(module, *args, **kwargs)
        except Exception:
            log.after_wrapped(module, args, None)
            raise
        log.after_wrapped(module, args, output)
        return output

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        clone = memo.get(id(self.module))
        return types.MethodType(type(clone)._call_impl, clone) if clone is not None else self


def _unwrap(modules: list[nn.Module]) -> None:
    for module in modules:
        module.__dict__.pop("_call_impl", None)


def _global_hooks() -> list[dict]:
    """The process's global module hooks that hold some (torch.nn.modules.module's tables)."""
    from torch.nn.modules import module as torch_module

    tables = ("_global_forward_pre_hooks", "_global_forward_hooks")
    return [table for name in tables if (table := getattr(torch_module, name, None))]


_SEES_HOOKS = (nn.TransformerEncoderLayer,)  # fast paths that check the module's own hooks


def _unhookable(named_modules: list[tuple[str, nn.Module]]) -> tuple[set[int], list[str]]:
    """(ids of the modules no hook can be registered on: TorchScript modules and every module inside
    them, the names of the outermost of them)."""
    hidden: set[int] = set()
    names = []
    for name, module in named_modules:  # parents come before their children
        if id(module) not in hidden and introspect.is_scripted(module):
            names.append(name)
            hidden.update(id(inner) for inner in module.modules())
    return hidden, names


def _notes(
    model_name: str, named_modules: list[tuple[str, nn.Module]], scripted: list[str]
) -> tuple[Message, ...]:
    """What the trace says about the modules it could not hook, ran uncompiled, or could not count the
    weights of."""
    compiled = [
        name for name, module in named_modules if name and introspect.compiled_original(module) is not None
    ]
    packed = [name or model_name for name, module in named_modules if introspect.packs_weights(module)]
    notes = []
    if packed:
        notes.append(msg("note.packed_weights", names=Seq(tuple(packed))))
    if scripted == [""]:
        notes.append(msg("note.scripted_model", model=model_name))
    elif scripted:
        notes.append(msg("note.scripted_children", names=Seq(tuple(scripted))))
    if compiled:
        notes.append(msg("note.compiled_children", names=Seq(tuple(compiled))))
    return tuple(notes)


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
    notes: tuple[Message, ...] = (),
    mode: str = "same",
    named_modules: list[tuple[str, nn.Module]] | None = None,
) -> Recording:
    """Run one forward pass with hooks on every module and return what it recorded, frozen; `notes`
    go into the record with the recorder's own. `mode` "train" or "eval" switches the model for the
    pass (and back after it); "same" runs it as it is.

    Functions are recorded whenever a container runs code of its own, so that the graph (dataflow,
    receptive fields, the solver) follows F.relu, + and torch.cat; `functional` records them always.
    TorchScript modules take no hooks: where the model holds some, its total MACs are counted per
    operator by FlopCounterMode. One recording runs at a time in the process (LOCK). `named_modules`:
    the model's, where the caller has walked them already."""
    with LOCK:
        return _record(model, args, kwargs, device, model_name, functional, notes, mode, named_modules)


def _record(
    model: nn.Module,
    args: tuple,
    kwargs: dict[str, Any],
    device: torch.device,
    model_name: str | None,
    functional: bool,
    notes: tuple[Message, ...],
    mode: str = "same",
    named_modules: list[tuple[str, nn.Module]] | None = None,
) -> Recording:
    if named_modules is None:
        named_modules = list(model.named_modules())
    warn = True
    if any(isinstance(module, LazyModuleMixin) for _, module in named_modules):
        model = copy.deepcopy(model)  # lazy parameters materialise, and the class changes, on first call
        named_modules = list(model.named_modules())
        warn = False
    modules = [module for _, module in named_modules]
    hidden, scripted = _unhookable(named_modules)
    hooked = [module for module in modules if id(module) not in hidden]
    leaves = [module for module in hooked if introspect.is_leaf(module)]
    torch_layers = {id(module) for module in leaves if introspect.is_torch_layer(type(module))}
    log = CallLog({id(module) for module in leaves}, torch_layers)
    counter = None
    if scripted:  # imported only here: most traces need no operator counting
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
    notes = (*notes, *_notes(model_name or introspect.type_name(model), named_modules, scripted))
    with gc_paused(), preserved(named_modules, device, warn=warn):
        _padded_encoders(modules)
        if mode != "same":  # every module's flag is restored with the rest
            model.train(mode == "train")
        watch = functional or _runs_own_code(hooked, torch_layers)
        output, failure = _run(model, hooked, args, kwargs, log, watch, counter)
        # Frozen before the restore: names and totals as the forward pass left the model.
        frozen = freeze.freeze(
            model,
            log,
            describe_arguments(args, kwargs),
            output,
            failure,
            device,
            model_name,
            operator_macs=counter.get_total_flops() // 2 if counter is not None else None,
            notes=notes,
        )
    return Recording(frozen, failure)
