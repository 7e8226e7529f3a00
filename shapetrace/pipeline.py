"""The public way through: `trace()` records one forward pass, runs the analyses over the record, and
hands back a `Trace`, the record with its renderings. Data flows one way: model → record → analyses →
renderings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapetrace import inputs, introspect, solver
from shapetrace._torch import nn, torch
from shapetrace.analysis import analyse
from shapetrace.diagnose import with_working_sizes
from shapetrace.errors import ShapeError
from shapetrace.messages import Lang, Message, msg, render
from shapetrace.recorder import LOCK, record
from shapetrace.records import TraceRecord
from shapetrace.render import data, markup, svg, table
from shapetrace.views import without_function_rows

__all__ = ["Trace", "trace"]


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

    def to_dict(self) -> dict[str, Any]:
        return data.trace_to_dict(self)

    def to_json(self) -> str:
        return data.render_json(self)

    def to_table(self, depth: int | None = None, explain: bool = False, lang: Lang = "en") -> str:
        return table.render_table(self, depth=depth, explain=explain, lang=lang)

    def to_csv(self) -> str:
        return data.render_csv(self)

    def to_markdown(self, lang: Lang = "en", explain: bool = False, depth: int | None = None) -> str:
        return markup.render_markdown(self, lang=lang, explain=explain, depth=depth)

    def to_html(self, lang: Lang = "en", explain: bool = False, depth: int | None = None) -> str:
        return markup.render_html(self, lang=lang, explain=explain, depth=depth)

    def to_svg(self, depth: int | None = None, lang: Lang = "en") -> str:
        return svg.render_svg(self, depth=depth, lang=lang)

    def __str__(self) -> str:
        return self.to_table()

    def _repr_html_(self) -> str:
        """Jupyter shows the handout: the shapes with their derivations, the diagram, the totals."""
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
    budget: float | None = None,
) -> Trace:
    """Run one forward pass with hooks on every module; return the frozen, cross-checked trace.

    `functional=True` also lists the torch functions called directly in forwards (torch.cat, +, F.relu,
    ...). Raises ShapeError (carrying the partial trace) when the forward pass fails; when the failure
    is in a forward's own code, the function rows stay, so that the failing function can be named;
    `suggest_sizes` adds which square inputs would work where the failure is about sizes, looking for
    at most `budget` seconds (default `shapetrace.solver.HINT_BUDGET`) where the closed forms do not say.

    A module wrapped by torch.compile is traced through its original module, uncompiled; one trace
    runs at a time in the process, whatever the thread."""
    with LOCK:  # the inputs' random numbers too: the RNG state is the process's
        return _trace(
            model, input_size, input_data, dtypes, device, model_name, functional, suggest_sizes, budget
        )


def _trace(
    model: nn.Module,
    input_size: Any,
    input_data: Any,
    dtypes: Any,
    device: str | torch.device | None,
    model_name: str | None,
    functional: bool,
    suggest_sizes: bool,
    budget: float | None,
) -> Trace:
    notes: tuple[Message, ...] = ()
    original = introspect.compiled_original(model)
    if original is not None:
        notes = (msg("note.compiled_model", model=model_name or type(original).__name__),)
        model = original
    where = inputs.resolve_device(device, model)
    index_limit = introspect.smallest_embedding(model.modules())
    args, kwargs = inputs.arguments(input_size, input_data, dtypes, where, index_limit)
    inputs.check_arity(model, args, kwargs)
    recording = record(
        model, args, kwargs, device=where, model_name=model_name, functional=functional, notes=notes
    )
    result = analyse(recording.trace)
    failure = recording.failure
    if not functional and (failure is None or not _failed_outside_leaves(result)):
        result = without_function_rows(result)
    if (
        failure is not None
        and suggest_sizes
        and result.error is not None
        and result.error.kind in ("features", "window")
    ):
        found = solver.working_sizes(model, result, budget)
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
