"""The public way through: `trace()` records one forward pass, runs the analyses over the record, and
hands back a `Trace`, the record with its renderings. Data flows one way: model → record → analyses →
renderings."""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shapetrace import inputs, introspect
from shapetrace._torch import nn, torch
from shapetrace.analysis import analyse, analyse_later
from shapetrace.diagnose import with_working_sizes
from shapetrace.errors import ExportError, ShapeError, UsageError
from shapetrace.messages import Lang, Message, msg, render
from shapetrace.recorder import LOCK, record
from shapetrace.records import TraceRecord, evolve
from shapetrace.restore import gc_paused
from shapetrace.views import without_function_rows

__all__ = ["Trace", "trace", "export_onnx"]


@dataclass(frozen=True)
class Trace(TraceRecord):
    """A finished trace (see TraceRecord for its fields), with its renderings as methods."""

    @classmethod
    def of(cls, record_: TraceRecord) -> Trace:
        """The record, with its renderings (no copy of the layers)."""
        if isinstance(record_, cls):
            return record_
        public = object.__new__(cls)
        public.__dict__.update(record_.__dict__)
        return public

    # Each rendering imports its renderer when first asked: a trace alone loads none (jinja2, grandalf).
    def to_dict(self) -> dict[str, Any]:
        from shapetrace.render import data

        return data.trace_to_dict(self)

    def to_json(self) -> str:
        from shapetrace.render import data

        return data.render_json(self)

    def to_table(self, depth: int | None = None, explain: bool = False, lang: Lang = "en") -> str:
        from shapetrace.render import table

        return table.render_table(self, depth=depth, explain=explain, lang=lang)

    def to_csv(self) -> str:
        from shapetrace.render import data

        return data.render_csv(self)

    def to_markdown(self, lang: Lang = "en", explain: bool = False, depth: int | None = None) -> str:
        from shapetrace.render import markup

        return markup.render_markdown(self, lang=lang, explain=explain, depth=depth)

    def to_html(self, lang: Lang = "en", explain: bool = False, depth: int | None = None) -> str:
        from shapetrace.render import markup

        return markup.render_html(self, lang=lang, explain=explain, depth=depth)

    def to_svg(self, depth: int | None = None, lang: Lang = "en") -> str:
        from shapetrace.render import svg

        return svg.render_svg(self, depth=depth, lang=lang)

    def to_onnx(
        self,
        path: str | os.PathLike[str] | None = None,
        model: nn.Module | None = None,
        *,
        dynamic: tuple[str, ...] | None = None,
    ) -> Trace:
        """Export the traced model (or `model`) to ONNX at `path`, every value shaped and checked, and
        return the trace with each layer's `onnx` cross-check. `dynamic` ("H", "W"): the input's
        spatial dims exported symbolic under these names. Needs the onnx extra; raises ExportError (the
        op and its module) when the exporter fails, UsageError on the meta device."""
        from shapetrace.onnx_export import export_trace

        if model is None:
            reference = self.__dict__.get("_model")
            model = reference() if reference is not None else None
        if model is None:
            raise UsageError("usage.onnx_no_model")
        result = Trace.of(export_trace(self, model, path, dynamic=dynamic))
        if result.onnx is not None and result.onnx.error is not None:
            raise ExportError(result.onnx.error.code, **dict(result.onnx.error.values))
        return result

    def __getstate__(self) -> dict[str, Any]:
        """A pickled trace is its record, analysed: the weak reference to the traced model stays behind."""
        return {key: value for key, value in super().__getstate__().items() if key != "_model"}

    def __str__(self) -> str:
        return self.to_table()

    def _repr_html_(self) -> str:
        """Jupyter shows the handout: the shapes with their derivations, the diagram, the totals."""
        from shapetrace.render import markup

        return markup.render_fragment(self)


def _failed_outside_leaves(result: TraceRecord) -> bool:
    """Whether the failure happened in a forward's own code (a torch function, or plain Python), not in
    a leaf module: then the function rows stay, to show where."""
    error = result.error
    failing = [
        layer for layer in result.layers if layer.failed and error is not None and layer.name == error.layer
    ]
    return not failing or not failing[-1].is_leaf or failing[-1].is_function


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
    batch_dim: int | None = None,
    forward_kwargs: Mapping[str, Any] | None = None,
    mode: str = "same",
    budget: float | None = None,
) -> Trace:
    """Run one forward pass with hooks on every module; return the frozen, cross-checked trace.

    `functional=True` also lists the torch functions called directly in forwards (torch.cat, +, F.relu,
    ...). Raises ShapeError (carrying the partial trace) when the forward pass fails; when the failure
    is in a forward's own code, the function rows stay, so that the failing function can be named;
    `suggest_sizes` adds which square inputs would work where the failure is about sizes, looking for
    at most `budget` seconds (default `shapetrace.solver.HINT_BUDGET`) where the closed forms do not say.

    As in torchinfo: `batch_dim` inserts a batch of one at that dim of every `input_size` (which then
    leaves the batch out); `forward_kwargs` go to forward beside the inputs; `mode` "train" or "eval"
    runs the pass in that mode (the model's own flags are restored after it), "same" as it is.

    A module wrapped by torch.compile is traced through its original module, uncompiled; one trace
    runs at a time in the process, whatever the thread."""
    # the inputs' random numbers too: the RNG state is the process's; no cyclic collection while the
    # trace allocates its many small records (the analyses too)
    with LOCK, gc_paused():
        options = _Options(functional, suggest_sizes, batch_dim, forward_kwargs, _mode(mode), budget)
        result = _trace(model, input_size, input_data, dtypes, device, model_name, options)
    result.__dict__["_model"] = weakref.ref(model)  # for to_onnx(); not a field, never rendered
    return result


def export_onnx(
    model: nn.Module,
    input_size: Any = None,
    path: str | os.PathLike[str] | None = None,
    *,
    dtypes: Any = None,
    device: str | torch.device | None = None,
    model_name: str | None = None,
    dynamic: tuple[str, ...] | None = None,
) -> Trace:
    """Trace `model`, export it to ONNX at `path` (every intermediate value shaped, checked: ready for
    Netron) and cross-check the exported shapes against the trace: `trace().to_onnx(path)` in one call;
    `dynamic` ("H", "W") exports the input's spatial dims symbolic under these names."""
    traced = trace(model, input_size, dtypes=dtypes, device=device, model_name=model_name)
    return traced.to_onnx(path, model, dynamic=dynamic)


@dataclass(frozen=True)
class _Options:
    functional: bool
    suggest_sizes: bool
    batch_dim: int | None
    forward_kwargs: Mapping[str, Any] | None
    mode: str
    budget: float | None = None


def _mode(mode: Any) -> str:
    if mode not in ("same", "train", "eval"):
        raise UsageError("usage.mode", mode=repr(mode))
    return mode


def _trace(
    model: nn.Module,
    input_size: Any,
    input_data: Any,
    dtypes: Any,
    device: str | torch.device | None,
    model_name: str | None,
    options: _Options,
) -> Trace:
    functional, suggest_sizes = options.functional, options.suggest_sizes
    notes: tuple[Message, ...] = ()
    original = introspect.compiled_original(model)
    if original is not None:
        notes = (msg("note.compiled_model", model=model_name or type(original).__name__),)
        model = original
    where = inputs.resolve_device(device, model)
    named_modules = list(model.named_modules())  # one walk for the inputs and the recorder
    index_limit = introspect.smallest_embedding(module for _, module in named_modules)
    args, kwargs = inputs.arguments(
        input_size, input_data, dtypes, where, index_limit,
        batch_dim=options.batch_dim, forward_kwargs=options.forward_kwargs,
    )  # fmt: skip
    inputs.check_arity(model, args, kwargs)
    recording = record(
        model, args, kwargs, device=where, model_name=model_name, functional=functional, notes=notes,
        mode=options.mode, named_modules=named_modules,
    )  # fmt: skip
    failure = recording.failure
    recorded = evolve(recording.trace, definition=introspect.definition(model))
    # the analyses wait until read where the pass ran: many callers of trace() read few of them
    result = analyse_later(recorded) if failure is None else analyse(recorded)
    if not functional and (failure is None or not _failed_outside_leaves(result)):
        result = without_function_rows(result)
    if (
        failure is not None
        and suggest_sizes
        and result.error is not None
        and result.error.kind in ("features", "window")
    ):
        from shapetrace import solver  # only for a failure about sizes

        found = solver.working_sizes(model, result, options.budget)
        if found is not None:
            result = with_working_sizes(result, found)
    public = Trace.of(result)
    if failure is None:
        return public
    error = public.error
    assert error is not None
    hint = render(error.advice) if error.advice is not None else None
    raise ShapeError(
        f"{error.layer}: {error.message}", trace=public, layer=error.layer, hint=hint
    ) from failure
