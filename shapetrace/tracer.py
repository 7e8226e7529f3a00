"""Forward hooks that record every module call, frozen afterwards into a Trace of plain records."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import os
import sys
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

from torch.nn.modules.lazy import LazyModuleMixin

from shapetrace import crosscheck, specs
from shapetrace._torch import nn, torch
from shapetrace.dataflow import Dataflow
from shapetrace.diagnose import diagnose, with_working_sizes
from shapetrace.errors import ShapeError, UsageError
from shapetrace.functional import SIGNATURES, FunctionCall, FunctionRecorder
from shapetrace.receptive import receptive_fields
from shapetrace.records import (
    ErrorInfo,
    LayerRecord,
    Shape,
    Source,
    TensorInfo,
    Totals,
    Trace,
    ValueInfo,
    evolve,
)
from shapetrace.restore import gc_paused, preserved

__all__ = ["trace", "make_inputs", "describe"]

_MAX_NESTING = 16
_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction
_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def describe(value: Any, nesting: int = 0) -> ValueInfo:
    """The shapes and structure of a value, without keeping any tensor; never raises."""
    try:
        return _describe(value, nesting)
    except Exception:  # an odd object (a half-built dataclass, a broken named tuple): show its type
        return ValueInfo("object", type(value).__name__)


def _describe(value: Any, nesting: int) -> ValueInfo:
    if isinstance(value, torch.Tensor):
        dtype = value.dtype
        return ValueInfo(
            "tensor", "Tensor", TensorInfo(tuple(value.shape), _dtype_name(dtype), dtype.itemsize)
        )
    if nesting >= _MAX_NESTING:
        return ValueInfo("object", type(value).__name__)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # named tuple, PackedSequence
        pairs = zip(value._fields, value, strict=True)
        return _container("mapping", type(value).__name__, pairs, nesting)
    if isinstance(value, tuple | list):
        return _container("sequence", type(value).__name__, ((None, v) for v in value), nesting)
    if isinstance(value, Mapping):
        pairs = ((str(key), item) for key, item in value.items())
        return _container("mapping", type(value).__name__, pairs, nesting)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        pairs = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        return _container("mapping", type(value).__name__, pairs, nesting)
    if isinstance(value, bool | int | float | str) and not isinstance(value, torch.Tensor):
        plain = value if not isinstance(value, str) or len(value) <= 64 else value[:64]
        return ValueInfo("object", type(value).__name__, value=plain)
    return ValueInfo("object", "None" if value is None else type(value).__name__)


def _container(kind: str, type_name: str, pairs: Any, nesting: int) -> ValueInfo:
    items = tuple((key, describe(item, nesting + 1)) for key, item in pairs)
    return ValueInfo(kind, type_name, items=items)


def _describe_arguments(args: tuple, kwargs: Mapping[str, Any]) -> ValueInfo:
    items = [(None, describe(arg, 1)) for arg in args]
    items += [(key, describe(arg, 1)) for key, arg in kwargs.items()]
    return ValueInfo("sequence", "args", items=tuple(items))


class _Recorder:
    """Hook callbacks: keep only shapes and the call nesting; everything else is derived later.

    The forward hook runs with always_call=True, so a call that raises is closed too (its outputs
    stay None) even when the model catches the exception and goes on.
    """

    def __init__(self, leaves: set[int] | None = None, opaque: set[int] | None = None) -> None:
        # [module or FunctionCall, parent index, inputs, outputs or None, input edges]
        self.calls: list[list[Any]] = []
        self.stack: list[int] = []
        self.leaves = leaves or set()  # ids of leaf modules: they, and functions, make tensors
        # ids of torch.nn leaf layers: the torch calls inside them are their own (Conv2d's F.conv2d);
        # a user-written leaf's calls (its matmuls) are recorded like any forward code's
        self.opaque = opaque if opaque is not None else self.leaves
        self.shape_reads = 0  # shape queries made by forward code outside leaf modules
        self.in_hook = False  # our own hooks run: the functional recorder must not see them
        self.quiet: list[Any] = []  # open DisableTorchFunction contexts, one per running leaf module
        self.watching = False  # whether the functional recorder is active
        self.dataflow = Dataflow()
        self.raised: list[tuple[int, BaseException]] = []  # (call index, exception), in order
        self._active: list[BaseException | None] = []  # exception being handled when each call began
        self._tensor_infos: dict[tuple, ValueInfo] = {}  # records are immutable: share equal ones
        self._single_args: dict[int, ValueInfo] = {}

    def _tensor(self, tensor: torch.Tensor) -> ValueInfo:
        key = (tensor.shape, tensor.dtype)
        info = self._tensor_infos.get(key)
        if info is None:
            info = self._tensor_infos[key] = describe(tensor)
        return info

    def _value(self, value: Any) -> ValueInfo:
        return self._tensor(value) if type(value) is torch.Tensor else describe(value)

    def before(self, module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        self.in_hook = True
        try:
            with _NO_TORCH_FUNCTION():  # our own .shape and .dtype reads skip the functional recorder
                self._before(module, args, kwargs)
        finally:
            self.in_hook = False
        if self.watching and id(module) in self.opaque:  # a layer's torch calls are its row: no recording
            quiet = _NO_TORCH_FUNCTION()
            quiet.__enter__()
            self.quiet.append(quiet)

    def after(self, module: nn.Module, args: tuple, output: Any) -> None:
        if self.watching and id(module) in self.opaque and self.quiet:
            self.quiet.pop().__exit__(None, None, None)
        self.in_hook = True
        try:
            with _NO_TORCH_FUNCTION():
                self._after(module, args, output)
        finally:
            self.in_hook = False

    def _before(self, module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        if len(args) == 1 and not kwargs and type(args[0]) is torch.Tensor:  # the common case
            tensor = self._tensor(args[0])
            inputs = self._single_args.get(id(tensor))
            if inputs is None:
                inputs = self._single_args[id(tensor)] = ValueInfo(
                    "sequence", "args", items=((None, tensor),)
                )
        else:
            inputs = _describe_arguments(args, kwargs)
        edges = self.dataflow.edges(args, kwargs)
        self.calls.append([module, self.stack[-1] if self.stack else None, inputs, None, edges])
        self.stack.append(len(self.calls) - 1)
        self._active.append(sys.exc_info()[1])

    def _after(self, module: nn.Module, args: tuple, output: Any) -> None:
        index = self.stack.pop()
        handling = sys.exc_info()[1]
        if handling is not self._active.pop():  # called from _call_impl's except: this call raised
            self.raised.append((index, handling))
        else:
            self.calls[index][3] = self._value(output)
            if id(module) in self.leaves:
                self.dataflow.produce(index, output)

    def add_function(
        self, name: str, args: tuple, kwargs: dict[str, Any], output: Any, error: BaseException | None
    ) -> None:
        """A torch function call made directly in a forward: a row only when it returns tensors."""
        outputs = None if error is not None else describe(output)
        if outputs is not None and next(outputs.tensors(), None) is None:
            return
        self.calls.append(
            [
                FunctionCall(name),
                self.stack[-1] if self.stack else None,
                _describe_arguments(args, kwargs),
                outputs,
                self.dataflow.edges(args, kwargs),
            ]
        )
        if error is None:
            self.dataflow.produce(len(self.calls) - 1, output)
        else:
            self.raised.append((len(self.calls) - 1, error))

    def failing_call(self, failure: BaseException) -> int | None:
        """The first call that raised `failure` or an exception it was raised from."""
        chain = set()
        error: BaseException | None = failure
        while error is not None and id(error) not in chain:
            chain.add(id(error))
            error = error.__cause__ or error.__context__
        for index, exception in self.raised:
            if id(exception) in chain:
                return index
        return None


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


def _check_arity(model: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
    """Refuse inputs that forward cannot take (two --input for one argument) as bad usage, before
    the model runs: the TypeError Python would raise is not the model's failure."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):  # builtins, TorchScript: let the call decide
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        parameters = ", ".join(signature.parameters)
        count = len(args) + len(kwargs)
        raise UsageError(
            f"{type(model).__name__}.forward({parameters}) cannot take {count} input(s) ({exc}); "
            "give one --input per tensor argument, in order"
        ) from None


def _model_device(model: nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def _shape(sizes: Any) -> Shape:
    if not all(isinstance(size, Integral) and not isinstance(size, bool) for size in sizes):
        raise UsageError(f"input sizes must be whole numbers, got {list(sizes)}")
    shape = tuple(int(size) for size in sizes)
    if any(size < 0 for size in shape):
        raise UsageError(f"input sizes must not be negative, got {list(shape)}")
    return shape


def _normalise_sizes(input_size: Any) -> list[Shape]:
    """One shape (a sequence of whole numbers) or several (a sequence of such sequences)."""
    if isinstance(input_size, torch.Size) or (
        isinstance(input_size, Sequence) and input_size and not isinstance(input_size[0], Sequence)
    ):
        return [_shape(input_size)]
    return [_shape(size) for size in input_size]


def _arguments(
    input_size: Any, input_data: Any, dtypes: Any, device: torch.device, index_limit: int | None = None
) -> tuple[tuple, dict[str, Any]]:
    if input_data is not None:
        if isinstance(input_data, torch.Tensor):
            return (input_data,), {}
        if isinstance(input_data, Mapping):
            return (), dict(input_data)
        return tuple(input_data), {}
    if input_size is None:
        raise ValueError("trace() needs input_size or input_data")
    sizes = _normalise_sizes(input_size)
    if dtypes is None:
        dtypes = [torch.float32] * len(sizes)
    elif isinstance(dtypes, torch.dtype):
        dtypes = [dtypes] * len(sizes)
    try:
        return make_inputs(sizes, list(dtypes), device, index_limit), {}
    except (RuntimeError, TypeError, OverflowError, ValueError) as exc:
        shapes = ", ".join(str(list(size)) for size in sizes)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot create an input of shape {shapes} on {device}: {first_line}") from None


def trace(
    model: nn.Module,
    input_size: Any = None,
    *,
    input_data: Any = None,
    dtypes: Any = None,
    device: str | torch.device | None = None,
    model_name: str | None = None,
    functional: bool = False,
    suggest_sizes: bool = True,
) -> Trace:
    """Run one forward pass with hooks on every module; return the frozen, cross-checked trace.

    `functional=True` also records the torch functions called directly in forwards (torch.cat, +,
    F.relu, ...). Raises ShapeError (carrying the partial trace) when the forward pass fails; when
    the failure happens outside every leaf module, the pass is repeated with the functional view,
    so that the failing function (a torch.cat, a residual +) can be named.
    """
    device = torch.device(device) if device is not None else _model_device(model)
    named_modules = list(model.named_modules())
    lazy = any(isinstance(module, LazyModuleMixin) for _, module in named_modules)
    if lazy:
        model = copy.deepcopy(model)  # lazy parameters materialise, and the class changes, on first call
        named_modules = list(model.named_modules())
    leaf_modules = [m for _, m in named_modules if all(c is None for c in m._modules.values())]
    leaves = {id(m) for m in leaf_modules}
    opaque = {id(m) for m in leaf_modules if specs.is_torch_layer(type(m))}
    recorder = _Recorder(leaves, opaque)
    handles = []
    failure: BaseException | None = None
    output: Any = None
    with gc_paused(), preserved(named_modules, device, warn=not lazy):
        index_limit = specs.smallest_embedding(module for _, module in named_modules)
        args, kwargs = _arguments(input_size, input_data, dtypes, device, index_limit)  # RNG restored
        _check_arity(model, args, kwargs)
        for _, module in named_modules:
            # With hooks attached, encoder layers leave their fast path, and the slow path cannot take
            # the nested tensors TransformerEncoder builds from a padding mask: keep them padded
            # (same shapes). The attribute is restored with the rest of the module's state.
            if isinstance(module, nn.TransformerEncoder) and getattr(module, "use_nested_tensor", False):
                module.use_nested_tensor = False
        try:
            for _, module in named_modules:
                handles.append(module.register_forward_pre_hook(recorder.before, with_kwargs=True))
                handles.append(module.register_forward_hook(recorder.after, always_call=True))
            recorder.dataflow.model_inputs(args, kwargs)
            # Functions are recorded whenever a container runs code of its own, so that the graph
            # (dataflow, receptive fields, the solver) follows F.relu, + and torch.cat; without
            # `functional` their rows are hidden below. Pure torch.nn containers call only modules.
            watch = functional or _runs_own_code(named_modules, opaque)
            recorder.watching = watch
            mode = FunctionRecorder(recorder, opaque) if watch else contextlib.nullcontext()
            with torch.no_grad(), mode:
                output = model(*args, **kwargs)
        except (Exception, SystemExit) as exc:  # the model's own failure, reported as a ShapeError
            failure = exc
        finally:
            for handle in handles:
                handle.remove()
        # Freeze before the restore: names and totals as the forward pass left the model.
        inputs = _describe_arguments(args, kwargs)
        output_edges = recorder.dataflow.edges((output,), {}) if failure is None else ()
        frozen = _freeze(model, recorder, inputs, output, failure, device, model_name, output_edges)
        result = crosscheck.check(frozen)
        result = receptive_fields(result)
        if failure is not None:
            result = diagnose(result)
    if not functional and (failure is None or not _failed_outside_leaves(result)):
        result = _without_functions(result)
    if failure is not None and suggest_sizes and result.error.kind in ("features", "window"):
        result = _with_sizes_that_work(model, result)
    if failure is not None:
        error = result.error
        raise ShapeError(
            f"{error.layer}: {error.message}", trace=result, layer=error.layer, hint=error.hint
        ) from failure
    return result


def _with_sizes_that_work(model: nn.Module, result: Trace) -> Trace:
    """Add the solver's answer to a diagnosed failure: which square input sizes would work."""
    from shapetrace.solver import solve

    shape = result.input_shapes[0] if len(result.input_shapes) == 1 else ()
    if (
        len(shape) != 4
        or shape[-1] != shape[-2]
        or any(tensor.dtype != "float32" for tensor in result.inputs.tensors())
    ):
        return result
    try:
        solution = solve(model, shape, 1, max(256, 2 * shape[-1]))
    except Exception:  # the suggestion is a courtesy: never let it hide the diagnosis
        return result
    return with_working_sizes(result, list(solution.working), solution.lo, solution.hi)


def _runs_own_code(named_modules: list[tuple[str, nn.Module]], opaque: set[int]) -> bool:
    """Whether some forward is user code (which may call torch functions directly): a user-written
    module, or a torch.nn container whose forward is overridden."""
    for _, module in named_modules:
        if id(module) not in opaque:
            base, custom = specs.base_type_of(type(module))
            if not base or custom:
                return True
    return False


def _failed_outside_leaves(result: Trace) -> bool:
    """Whether the failure happened in a forward's own code (a torch function, or plain Python),
    not in a leaf module: then the function rows stay, to show where."""
    failing = [layer for layer in result.layers if layer.failed and layer.name == result.error.layer]
    return not failing or not failing[-1].is_leaf or failing[-1].type.startswith("function:")


def _without_functions(result: Trace) -> Trace:
    """The trace without its function rows (recorded for the graph, shown only on request)."""
    kept = [layer for layer in result.layers if not layer.type.startswith("function:")]
    if len(kept) == len(result.layers):
        return result
    renumbered = {layer.index: position for position, layer in enumerate(kept)}

    def source(old: Source | None) -> Source | None:
        if old is None or old.layer is None:
            return old
        return dataclasses.replace(old, layer=renumbered[old.layer]) if old.layer in renumbered else None

    layers = tuple(
        dataclasses.replace(
            layer,
            index=renumbered[layer.index],
            parent=renumbered.get(layer.parent) if layer.parent is not None else None,
            sources=tuple(source(item) for item in layer.sources),
        )
        for layer in kept
    )
    output_sources = tuple(source(item) for item in result.output_sources)
    return dataclasses.replace(result, layers=layers, output_sources=output_sources)


def _freeze(
    model: nn.Module,
    recorder: _Recorder,
    inputs: ValueInfo,
    output: Any,
    failure: BaseException | None,
    device: torch.device,
    model_name: str | None,
    output_edges: tuple = (),
) -> Trace:
    named_modules = list(model.named_modules())
    calls = recorder.calls
    attributes = {
        id(call[0]): () if isinstance(call[0], FunctionCall) else specs.attributes_of(call[0])
        for call in calls
    }
    macs = _call_macs(calls, attributes)
    layers, positions = _layer_records(model, named_modules, calls, attributes, macs)
    error = None
    if failure is not None:
        failing = recorder.failing_call(failure)
        error = _error_info(model, layers, positions.get(failing), failure)
    first = next(inputs.tensors(), None)
    root_macs = sum(macs[index] for index, call in enumerate(calls) if call[0] is model and call[1] is None)
    return Trace(
        model=model_name or type(model).__name__,
        inputs=inputs,
        outputs=describe(output) if failure is None else None,
        device=device.type,
        dtype=first.dtype if first is not None else "float32",
        layers=layers,
        totals=_totals(named_modules, layers, root_macs, _root_output_bytes(model, calls)),
        error=error,
        output_sources=tuple(_source(edge, positions) for edge in output_edges),
        shape_reads=recorder.shape_reads,
    )


def _call_macs(calls: list[list[Any]], attributes: dict[int, tuple[tuple[str, Any], ...]]) -> list[int]:
    """MACs of every call: by the rule for its layer where one applies (the rule covers the whole
    call: MultiheadAttention's own functions add nothing), else the sum of the calls inside it."""
    macs = []
    complete = []
    for module, _, inputs, outputs, _ in calls:
        if isinstance(module, FunctionCall):
            macs.append(specs.function_macs(module.name, inputs, outputs))
            complete.append(False)
            continue
        output_shapes = outputs.shapes if outputs is not None else ()
        own = specs.macs_of(type(module), attributes[id(module)], inputs, output_shapes)
        macs.append(own or 0)
        # a recurrent subclass that rewrites forward: its layer's work, plus the calls around it
        complete.append(own is not None and specs.is_torch_layer(type(module)))
    for index in range(len(calls) - 1, -1, -1):  # children come after their parent
        parent = calls[index][1]
        if parent is not None and not complete[parent]:
            macs[parent] += macs[index]
    return macs


def _layer_records(
    model: nn.Module,
    named_modules: list[tuple[str, nn.Module]],
    calls: list[list[Any]],
    attributes: dict[int, tuple[tuple[str, Any], ...]],
    macs: list[int],
) -> tuple[tuple[LayerRecord, ...], dict[int, int]]:
    """The records of every call but the root's, and each call's position among them."""
    names = {id(module): name for name, module in named_modules}
    params = specs.subtree_param_counts(model)
    positions: dict[int, int] = {}  # call index -> record index; the root's calls have none
    call_numbers: dict[int, int] = {}
    bases: dict[type, tuple[str, bool]] = {}
    records = []
    for index, (module, parent, inputs, outputs, edges) in enumerate(calls):
        if module is model:
            continue
        sources = tuple(_source(edge, positions) for edge in edges)
        if isinstance(module, FunctionCall):
            positions[index] = len(records)
            record = _function_record(
                module, len(records), parent, positions, records, inputs, outputs, model
            )
            records.append(evolve(record, sources=sources, macs=macs[index]))
            continue
        key = id(module)
        call_numbers[key] = call_numbers.get(key, 0) + 1
        positions[index] = len(records)
        name = names[key]
        total, trainable = params[key]
        if type(module) not in bases:
            bases[type(module)] = specs.base_type_of(type(module))
        base_type, custom_forward = bases[type(module)]
        records.append(
            LayerRecord(
                index=len(records),
                name=name,
                type=type(module).__name__,
                depth=name.count(".") + 1,
                is_leaf=all(child is None for child in module._modules.values()),
                inputs=inputs,
                outputs=outputs,
                params=total,
                trainable_params=trainable,
                macs=macs[index],
                parent=positions.get(parent) if parent is not None else None,
                call_number=call_numbers[key],
                attributes=attributes[key],
                base_type=base_type,
                custom_forward=custom_forward,
                parameters=specs.forward_parameters(type(module)),
                sources=sources,
            )
        )
    return tuple(records), positions


def _source(edge: tuple[int, int] | None, positions: dict[int, int]) -> Source | None:
    if edge is None:
        return None
    call, output = edge
    if call < 0:
        return Source(input=-1 - call)
    return Source(layer=positions[call], output=output) if call in positions else None


def _function_record(
    call: FunctionCall,
    index: int,
    parent: int | None,
    positions: dict[int, int],
    records: list[LayerRecord],
    inputs: ValueInfo,
    outputs: ValueInfo | None,
    model: nn.Module,
) -> LayerRecord:
    """A row for a torch function called in a forward: named after the module whose forward called it."""
    owner = records[positions[parent]] if parent is not None and parent in positions else None
    name = f"{owner.name}.{call.name}" if owner is not None else call.name
    return LayerRecord(
        index=index,
        name=name,
        type=f"function:{call.name}",
        depth=owner.depth + 1 if owner is not None else 1,
        is_leaf=True,
        inputs=inputs,
        outputs=outputs,
        params=0,
        trainable_params=0,
        macs=0,
        parent=owner.index if owner is not None else None,
        call_number=1,
        base_type=f"function:{call.name}",
        parameters=SIGNATURES.get(call.name, ()),
    )


def _root_output_bytes(model: nn.Module, calls: list[list[Any]]) -> int:
    """Bytes of the root's outputs when the root is itself a leaf (it is not listed as a layer)."""
    if any(child is not None for child in model._modules.values()):
        return 0
    return sum(call[3].nbytes for call in calls if call[0] is model and call[3] is not None)


def _totals(
    named_modules: list[tuple[str, nn.Module]],
    layers: tuple[LayerRecord, ...],
    macs: int,
    extra_activation_bytes: int = 0,
) -> Totals:
    unique = {}  # each parameter tensor once, tied or reused
    for _, module in named_modules:
        for parameter in module._parameters.values():
            if parameter is not None:
                unique[id(parameter)] = parameter
    params = trainable = param_bytes = 0
    for parameter in unique.values():
        count = parameter.numel()
        params += count
        param_bytes += count * parameter.element_size()
        if parameter.requires_grad:
            trainable += count
    return Totals(
        params=params,
        trainable_params=trainable,
        non_trainable_params=params - trainable,
        macs=macs,
        param_bytes=param_bytes,
        activation_bytes=extra_activation_bytes
        + sum(
            layer.outputs.nbytes
            for layer in layers
            if layer.is_leaf and layer.outputs is not None and not layer.type.startswith("function:")
        ),
    )


_LIBRARY_FILES = (
    os.path.dirname(torch.__file__) + os.sep,
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + "shapetrace" + os.sep,
)


def _user_location(failure: BaseException) -> str:
    """file:line of the innermost frame of the model's own code (not torch's, not ours) that raised."""
    location = ""
    traceback = failure.__traceback__
    while traceback is not None:
        path = os.path.abspath(traceback.tb_frame.f_code.co_filename)
        if not path.startswith(_LIBRARY_FILES) and not path.startswith("<"):
            shown = os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path
            location = f"{shown}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return location


def _error_info(
    model: nn.Module, layers: tuple[LayerRecord, ...], failing: int | None, failure: BaseException
) -> ErrorInfo:
    """Where the forward pass failed: the innermost module that did not return, or the root."""
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    message = " ".join(lines) or type(failure).__name__  # one line, whatever the exception said
    if isinstance(failure, SystemExit):
        message = f"forward called sys.exit({failure.code!r})"
    location = _user_location(failure)
    if failing is not None:
        layer = layers[failing]
        received = ", ".join(str(list(shape)) for shape in layer.input_shapes) or "no tensors"
        return ErrorInfo(
            layer=layer.name,
            message=message,
            hint=f"{layer.name} ({layer.type}) received {received}",
            exception_type=type(failure).__name__,
            layer_type=layer.type,
            location=location,
        )
    done = [layer for layer in layers if layer.outputs is not None]
    after = f" after {done[-1].name} returned" if done else ""
    return ErrorInfo(
        layer=f"{type(model).__name__}.forward",
        message=message,
        hint=f"the error is in {type(model).__name__}.forward itself{after}",
        exception_type=type(failure).__name__,
        location=location,
    )
