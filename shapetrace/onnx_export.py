"""ONNX export: torch.onnx's TorchScript-based exporter (`dynamo=False`: no torch._dynamo, and 3-4x
faster than the dynamo exporter on the zoo), then `onnx.shape_inference.infer_shapes` so that every
value carries its shape, `onnx.checker.check_model`, and the file saved: ready for Netron.

Needs the `onnx` extra (`pip install "shapetrace[onnx]"`); without it every entry point says so."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

from shapetrace import inputs, introspect
from shapetrace._torch import nn, torch
from shapetrace.errors import ExportError, UsageError
from shapetrace.onnx_check import check_onnx, scope_of
from shapetrace.records import OnnxGraph, OnnxNode, OnnxReport, OnnxShape, TraceRecord, evolve

__all__ = ["OPSET", "require_onnx", "export_graph", "export_trace"]

OPSET = 17
_HEAVY = 64  # float initializers with more elements leave the copy that shape inference reads
_FLOATS = (1, 11, 10, 16)  # onnx.TensorProto's FLOAT, DOUBLE, FLOAT16, BFLOAT16


def require_onnx() -> Any:
    """The onnx module, or a UsageError naming the command that installs it."""
    try:
        import onnx
    except ImportError:
        raise UsageError("usage.onnx_missing") from None
    return onnx


def _scope_name(model: nn.Module, scope: tuple[str, ...]) -> str | None:
    """The qualified module name whose exporter scope this is."""
    for name, _ in model.named_modules():
        if name and scope_of(name) == scope:
            return name
    return None


def _failure(model: nn.Module, exc: Exception, log: str) -> ExportError:
    """The exporter's failure as one line: the op it refused and the module that called it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    found = re.search(r"operator '([\w:.]+)'", text)
    if found is None:
        return ExportError("onnx.export_failed", message=text[:300])
    op = found.group(1)
    module = None
    for line in log.splitlines():
        if f"= {op}(" in line and "scope: " in line:
            scope_text = line.split("scope: ", 1)[1].split(" # ", 1)[0]
            scope = tuple(part.rsplit("::", 1)[-1] for part in scope_text.split("/")[1:])
            module = _scope_name(model, scope) if scope else None
    if module is None:
        return ExportError("onnx.op_refused_top", op=op, opset=OPSET)
    kind = type(model.get_submodule(module)).__name__
    return ExportError("onnx.op_refused", op=op, module=module, type=kind, opset=OPSET)


@contextlib.contextmanager
def _without_torch_shape_pass() -> Iterator[None]:
    """Skip the exporter's own per-node shape inference, which serialises every weight once per node
    that reads it (half of AlexNet's export, 4 of 5 s of GoogLeNet's): onnx.shape_inference runs on the
    result anyway, strictly, and fails loudly where a shape is missing. The switch is private to
    torch.onnx; where it is gone, the exporter runs as it is."""
    try:
        from torch.onnx._internal.torchscript_exporter._globals import GLOBALS
    except ImportError:
        yield
        return
    before = GLOBALS.onnx_shape_inference
    GLOBALS.onnx_shape_inference = False
    try:
        yield
    finally:
        GLOBALS.onnx_shape_inference = before


def _run_exporter(
    model: nn.Module, args: tuple, kwargs: dict[str, Any], weights: bool, dynamic: tuple[str, ...] = ()
) -> bytes:
    """The exported model's bytes; `dynamic` names the first input's spatial dims, exported symbolic.
    The exporter's own log (the TorchScript graph, which it writes to file descriptor 1 on a failure)
    is kept to find the module of a refused op, never shown."""
    import io
    import sys

    names = ["input"] if len(args) == 1 else [f"input{index}" for index in range(len(args))]
    rank = len(args[0].shape) if dynamic else 0
    axes = (
        {names[0]: {rank - len(dynamic) + axis: name for axis, name in enumerate(dynamic)}}
        if dynamic
        else None
    )
    buffer = io.BytesIO()
    with tempfile.TemporaryFile(mode="w+b") as log:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = (os.dup(1), os.dup(2))
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        failure: Exception | None = None
        try:
            with warnings.catch_warnings(), _without_torch_shape_pass():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    model,
                    (*args, kwargs) if kwargs else args,
                    buffer,
                    dynamo=False,
                    opset_version=OPSET,
                    export_params=weights,
                    input_names=names,
                    output_names=["output"],
                    dynamic_axes=axes,
                )
        except Exception as exc:  # noqa: BLE001 - every exporter failure becomes one line
            failure = exc
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
        if failure is not None:
            log.seek(0)
            raise _failure(model, failure, log.read().decode("utf-8", "replace")) from None
    return buffer.getvalue()


def _dims(value: Any) -> OnnxShape | None:
    kind = value.type.tensor_type
    if not kind.HasField("shape"):
        return None
    return tuple(
        dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None) for dim in kind.shape.dim
    )


def _infer(onnx: Any, proto: Any) -> None:
    """Give every intermediate value of `proto` its shape. Inference runs on a copy without the large
    weights (they become graph inputs of the same shape: the shapes are the same, and a 500 MB model
    is not serialised again), and the shapes it finds are copied back."""
    light = onnx.ModelProto()
    light.CopyFrom(proto)
    keep, heavy = [], []
    for tensor in light.graph.initializer:
        count = 1
        for size in tensor.dims:
            count *= size
        floating = tensor.data_type in (
            onnx.TensorProto.FLOAT,
            onnx.TensorProto.DOUBLE,
            onnx.TensorProto.FLOAT16,
        )
        (heavy if floating and count > _HEAVY else keep).append(tensor)
    declared = {value.name for value in light.graph.input}
    light.graph.ClearField("initializer")
    light.graph.initializer.extend(keep)
    for tensor in heavy:
        if tensor.name not in declared:
            light.graph.input.append(
                onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, tensor.dims)
            )
    inferred = onnx.shape_inference.infer_shapes(light, check_type=True, strict_mode=True)
    proto.graph.ClearField("value_info")
    proto.graph.value_info.extend(inferred.graph.value_info)


def _graph(proto: Any, path: str | None, dynamic: tuple[str, ...] = ()) -> OnnxGraph:
    graph = proto.graph
    weights = {tensor.name for tensor in graph.initializer}
    values = [*graph.input, *graph.value_info, *graph.output]
    nodes = tuple(
        OnnxNode(
            node.name,
            node.op_type,
            tuple(node.name.split("/")[1:-1]) if node.name.startswith("/") else (),
            tuple(node.input),
            tuple(node.output),
        )
        for node in graph.node
    )
    return OnnxGraph(
        nodes=nodes,
        shapes=tuple((value.name, _dims(value)) for value in values),
        inputs=tuple(value.name for value in graph.input if value.name not in weights),
        outputs=tuple(value.name for value in graph.output),
        opset=OPSET,
        path=path,
        dynamic=dynamic,
    )


def _dynamic_names(dynamic: tuple[str, ...] | None, args: tuple) -> tuple[str, ...]:
    """The symbolic names, one per spatial dim of the first input (a tensor of rank 3 or more), distinct."""
    if not dynamic:
        return ()
    names = tuple(dynamic)
    first = args[0] if args else None
    spatial = len(first.shape) - 2 if isinstance(first, torch.Tensor) else 0
    if spatial < 1 or len(names) != spatial:
        raise UsageError("usage.onnx_dynamic_dims", names=",".join(names), spatial=max(spatial, 0))
    if len(set(names)) != len(names) or not all(name.isidentifier() for name in names):
        raise UsageError("usage.onnx_dynamic_names", names=",".join(names))
    return names


def export_graph(
    model: nn.Module,
    input_size: Any = None,
    path: str | os.PathLike[str] | None = None,
    *,
    input_data: Any = None,
    dtypes: Any = None,
    device: str | torch.device | None = None,
    weights: bool = True,
    dynamic: tuple[str, ...] | None = None,
) -> OnnxGraph:
    """Export `model` run on inputs of `input_size` (or on `input_data`) to ONNX, every value shaped,
    checked, saved to `path` where given; the graph as plain data. Raises UsageError without the onnx
    extra or on the meta device (export needs real weights) or for `dynamic` names that do not fit the
    first input's spatial dims, ExportError when the exporter fails. `dynamic` ("H", "W"): the names of
    the first input's spatial dims (its dims after batch and channels), exported symbolic, so that the
    file accepts other sizes where the model allows."""
    onnx = require_onnx()
    where = inputs.resolve_device(device, model)
    if where.type == "meta" or introspect.model_device(model).type == "meta":
        raise UsageError("usage.onnx_meta")
    limit = introspect.smallest_embedding(model.modules())
    args, kwargs = inputs.arguments(input_size, input_data, dtypes, where, limit)
    dynamic = _dynamic_names(dynamic, args)
    proto = onnx.load_from_string(_run_exporter(model, args, kwargs, weights, dynamic))
    try:
        _infer(onnx, proto)
        onnx.checker.check_model(proto)
    except Exception as exc:  # noqa: BLE001 - an inference or checker failure, said in one line
        raise ExportError("onnx.check_failed", message=" ".join(str(exc).split())[:300]) from None
    if path is not None:
        try:
            onnx.save(proto, os.fspath(path))
        except OSError as exc:
            raise UsageError(
                "usage.onnx_write", path=os.fspath(path), detail=exc.strerror or str(exc)
            ) from None
    return _graph(proto, os.fspath(path) if path is not None else None, dynamic)


def export_trace(
    trace: TraceRecord,
    model: nn.Module,
    path: str | os.PathLike[str] | None = None,
    weights: bool = True,
    dynamic: tuple[str, ...] | None = None,
) -> TraceRecord:
    """The trace with the exported graph and each call's cross-check; an exporter failure is kept in
    `trace.onnx.error` (the trace itself stands). Raises UsageError as export_graph does."""
    sizes = [tensor.shape for tensor in trace.inputs.tensors()]
    kinds = [getattr(torch, tensor.dtype) for tensor in trace.inputs.tensors()]
    try:
        graph = export_graph(
            model, sizes, path, dtypes=kinds, device=trace.device, weights=weights, dynamic=dynamic
        )
    except ExportError as exc:
        return evolve(trace, onnx=OnnxReport(None, exc.message))
    return check_onnx(trace, graph)
