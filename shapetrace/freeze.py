"""Freezing: the recorder's calls, read once more with the model at hand, become plain records: names,
settings, parameter counts, MACs (by the rule table), totals, and where a failed pass broke."""

from __future__ import annotations

import os
from typing import Any

from shapetrace import introspect, rules
from shapetrace._torch import nn, torch
from shapetrace.calls import CallLog, RecordedCall
from shapetrace.lazy import defaults, made
from shapetrace.messages import Message, Seq, msg
from shapetrace.records import ErrorInfo, LayerRecord, Source, Totals, TraceRecord, ValueInfo, bind
from shapetrace.values import describe, exception_text

__all__ = ["freeze"]

Attributes = tuple[tuple[str, Any], ...]


def freeze(
    model: nn.Module,
    log: CallLog,
    inputs: ValueInfo,
    output: Any,
    failure: BaseException | None,
    device: torch.device,
    model_name: str | None,
    *,
    operator_macs: int | None = None,
    notes: tuple[Message, ...] = (),
) -> TraceRecord:
    """The TraceRecord of the calls in `log`; the root module's own calls are not rows. `operator_macs`,
    counted per operator over the whole pass, replaces the total of the rules' MACs."""
    named_modules = list(model.named_modules())
    calls = log.calls
    attributes = _attributes(calls)
    macs = _call_macs(calls, attributes)
    layers, positions = _layer_records(model, named_modules, calls, attributes, macs, log.leaves)
    error = None
    if failure is not None:
        error = _error_info(model, layers, positions.get(log.failing_call(failure)), failure)
    output_edges = log.dataflow.edges((output,), {}) if failure is None else ()
    first = next(inputs.tensors(), None)
    root_macs = sum(
        macs[index] for index, call in enumerate(calls) if call.target is model and call.parent is None
    )
    if operator_macs is not None:
        root_macs = operator_macs
    return TraceRecord(
        model=model_name or introspect.type_name(model),
        inputs=inputs,
        outputs=describe(output) if failure is None else None,
        device=device.type,
        dtype=first.dtype if first is not None else "float32",
        layers=layers,
        totals=_totals(named_modules, layers, root_macs, _root_output_bytes(model, calls)),
        error=error,
        output_sources=tuple(_source(edge, positions) for edge in output_edges),
        shape_reads=log.shape_reads,
        notes=notes,
    )


def _attributes(calls: list[RecordedCall]) -> list[Attributes]:
    """Each call's settings: a module's constructor arguments, a function's relevant torch settings."""
    state = introspect.torch_state()
    by_target: dict[int, Attributes] = {}
    found = []
    for call in calls:
        key = id(call.target)
        if key not in by_target:
            if call.is_function:
                by_target[key] = introspect.function_attributes(rules.function_key(call.target), state)
            else:
                by_target[key] = introspect.attributes_of(call.target)
        found.append(by_target[key])
    return found


def _rule_call(call: RecordedCall, attributes: Attributes, parameters: tuple[str, ...]) -> rules.Call:
    """What the MAC rule sees: shapes in the order of the callee's parameters (out= is where a result
    goes, not an operand), the other arguments, the output shapes."""
    inputs = call.inputs
    if any(key == "out" for key, _ in inputs.items):
        inputs = ValueInfo(
            inputs.kind, inputs.type_name, items=tuple(i for i in inputs.items if i[0] != "out")
        )
    if call.is_function or any(key is not None for key, _ in inputs.items):
        shapes, arguments = bind(inputs, parameters)
    else:  # a module called with positional tensors only: already in parameter order
        shapes, arguments = inputs.shapes, {}
    outputs = call.outputs.shapes if call.outputs is not None else ()
    return rules.Call(dict(attributes), shapes, arguments, outputs)


def _own_macs(call: RecordedCall, attributes: Attributes) -> tuple[int | None, bool]:
    """(MACs of the call by its rule, or None where none applies; whether the rule covers the whole
    call, so that the calls inside it add nothing)."""
    if call.is_function:
        key = rules.function_key(call.target)
        entry = rules.rule_for(key)
        if entry is None or entry.macs is None:  # cat, relu, ...: no arithmetic to count
            return 0, False
        return rules.count_macs(key, _rule_call(call, attributes, entry.parameters)) or 0, False
    module_type = type(call.target)
    key, custom = introspect.rule_key(module_type)
    entry = rules.rule_for(key)
    if entry is None or entry.macs is None or (custom and not entry.hidden_work):
        return None, False  # a subclass that rewrites forward is costed by the calls inside it
    own = rules.count_macs(key, _rule_call(call, attributes, introspect.forward_parameters(module_type)))
    return own, own is not None and not custom


def _call_macs(calls: list[RecordedCall], attributes: list[Attributes]) -> list[int]:
    """MACs of every call: by the rule for its layer where one applies (the rule covers the whole call:
    MultiheadAttention's own functions add nothing), else the sum of the calls inside it."""
    macs, complete = [], []
    seen: dict[tuple, tuple[int | None, bool]] = {}  # equal calls (a stack of equal blocks) cost alike
    for call, attrs in zip(calls, attributes, strict=True):
        key = (type(call.target), call.target if call.is_function else None, attrs)
        key += (id(call.inputs), id(call.outputs))  # shared where equal; alive while `calls` is
        try:
            found = seen.get(key)
        except TypeError:  # an unhashable setting
            key, found = None, None
        if found is None:
            found = _own_macs(call, attrs)
            if key is not None:
                seen[key] = found
        own, covers = found
        macs.append(own or 0)
        complete.append(covers)
    for index in range(len(calls) - 1, -1, -1):  # children come after their parent
        parent = calls[index].parent
        if parent is not None and not complete[parent]:
            macs[parent] += macs[index]
    return macs


def _layer_records(
    model: nn.Module,
    named_modules: list[tuple[str, nn.Module]],
    calls: list[RecordedCall],
    attributes: list[Attributes],
    macs: list[int],
    leaves: set[int],
) -> tuple[tuple[LayerRecord, ...], dict[int, int]]:
    """The records of every call but the root's, and each call's position among them."""
    names = {id(module): name for name, module in named_modules}
    params = introspect.subtree_param_counts(model, named_modules)
    positions: dict[int, int] = {}  # call index -> record index; the root's calls have none
    call_numbers: dict[int, int] = {}
    kinds: dict[type, tuple[str, bool, tuple[str, ...]]] = {}
    sources: dict[tuple[int, int] | None, Source | None] = {None: None}  # one record per source
    records: list[LayerRecord] = []
    template = defaults(LayerRecord)
    for index, call in enumerate(calls):
        target = call.target
        if target is model:
            continue
        found = []
        for edge in call.edges:
            source = sources.get(edge, _UNSEEN)
            if source is _UNSEEN:
                source = sources[edge] = _source(edge, positions)
            found.append(source)
        parent = positions.get(call.parent) if call.parent is not None else None
        position = positions[index] = len(records)
        if call.is_function:
            state = {**template, **_function_state(target, records[parent] if parent is not None else None)}
        else:
            key = id(target)
            module_type = type(target)
            kind = kinds.get(module_type)
            if kind is None:
                kind = kinds[module_type] = (
                    *introspect.rule_key(module_type),
                    introspect.forward_parameters(module_type),
                )
            name, (count, trainable) = names[key], params[key]
            number = call_numbers[key] = call_numbers.get(key, 0) + 1
            state = {
                **template, "name": name, "type": module_type.__name__, "depth": name.count(".") + 1,
                "is_leaf": key in leaves, "params": count, "trainable_params": trainable, "parent": parent,
                "call_number": number, "base_type": kind[0], "custom_forward": kind[1], "parameters": kind[2],
            }  # fmt: skip
        state["index"] = position
        state["inputs"] = call.inputs
        state["outputs"] = call.outputs
        state["sources"] = tuple(found)
        state["macs"] = macs[index]
        state["attributes"] = attributes[index]
        records.append(made(LayerRecord, state))
    return tuple(records), positions


_UNSEEN = object()


def _function_state(name: str, owner: LayerRecord | None) -> dict[str, Any]:
    """A row for a torch function called in a forward: named after the module whose forward called it."""
    key = rules.function_key(name)
    return {
        "name": f"{owner.name}.{name}" if owner is not None else name,
        "type": key,
        "depth": owner.depth + 1 if owner is not None else 1,
        "is_leaf": True,
        "params": 0,
        "trainable_params": 0,
        "parent": owner.index if owner is not None else None,
        "call_number": 1,
        "base_type": key,
        "parameters": rules.parameters_of(key),
        "is_function": True,
    }


def _source(edge: tuple[int, int] | None, positions: dict[int, int]) -> Source | None:
    if edge is None:
        return None
    call, output = edge
    if call < 0:
        return made(Source, {"layer": None, "output": 0, "input": -1 - call})
    if call not in positions:
        return None
    return made(Source, {"layer": positions[call], "output": output, "input": None})


def _root_output_bytes(model: nn.Module, calls: list[RecordedCall]) -> int:
    """Bytes of the root's outputs when the root is itself a leaf (it is not listed as a layer)."""
    if not introspect.is_leaf(model):
        return 0
    return sum(call.outputs.nbytes for call in calls if call.target is model and call.outputs is not None)


def _totals(
    named_modules: list[tuple[str, nn.Module]], layers: tuple[LayerRecord, ...], macs: int, root_bytes: int
) -> Totals:
    parameters = introspect.unique_parameters(module for _, module in named_modules)
    sizes = [introspect.numel(parameter) for parameter in parameters]
    params = sum(sizes)
    trainable = sum(
        size for size, parameter in zip(sizes, parameters, strict=True) if parameter.requires_grad
    )
    leaf_bytes = sum(
        layer.outputs.nbytes
        for layer in layers
        if layer.is_leaf and layer.outputs is not None and not layer.is_function
    )
    return Totals(
        params=params,
        trainable_params=trainable,
        non_trainable_params=params - trainable,
        macs=macs,
        param_bytes=sum(
            size * parameter.dtype.itemsize for size, parameter in zip(sizes, parameters, strict=True)
        ),
        activation_bytes=root_bytes + leaf_bytes,
    )


_LIBRARY_FILES = (
    os.path.dirname(torch.__file__) + os.sep,
    os.path.dirname(os.path.abspath(__file__)) + os.sep,
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


def received_hint(layer: LayerRecord) -> Message:
    """What the failing layer received: its input shapes."""
    received = Seq(layer.input_shapes) if layer.input_shapes else msg("word.no_tensors")
    return msg("hint.received", layer=layer.name, type=layer.type, received=received)


def _error_info(
    model: nn.Module, layers: tuple[LayerRecord, ...], failing: int | None, failure: BaseException
) -> ErrorInfo:
    """Where the forward pass failed: the innermost module that did not return, or the root."""
    lines = [line.strip() for line in exception_text(failure).splitlines() if line.strip()]
    message = " ".join(lines) or type(failure).__name__  # one line, whatever the exception said
    if isinstance(failure, SystemExit):
        message = f"sys.exit({failure.code!r})"
    common = {
        "message": message,
        "exception_type": type(failure).__name__,
        "location": _user_location(failure),
    }
    if failing is not None:
        layer = layers[failing]
        return ErrorInfo(layer=layer.name, layer_type=layer.type, hint=received_hint(layer), **common)
    done = [layer for layer in layers if layer.outputs is not None]
    model_name = introspect.type_name(model)
    hint = (
        msg("hint.in_forward_after", model=model_name, layer=done[-1].name)
        if done
        else msg("hint.in_forward", model=model_name)
    )
    return ErrorInfo(layer=f"{model_name}.forward", hint=hint, **common)
