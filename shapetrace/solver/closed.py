"""The solver's shortcut for a chain of layers: where the traced graph is one path of convolutions,
pools and shape-keeping layers (then, maybe, a Flatten and a Linear), the closed forms say at which
sizes anything can change, so only those sizes are replayed instead of every size. Pure Python over
records."""

from __future__ import annotations

from collections.abc import Callable

from shapetrace.closed_forms import spatial_dims, thresholds
from shapetrace.formulas.closed import SizeForm, first_where
from shapetrace.records import LayerRecord, Shape, TraceRecord
from shapetrace.solution import SizeRange
from shapetrace.solver.replay import Outcome

__all__ = ["closed_ranges"]

_NEVER = 1 << 62


def _chain(traced: TraceRecord) -> list[LayerRecord] | None:
    """The leaves in call order where each reads exactly the one before it (the first: the input)
    and the model returns the last; None for any other graph."""
    leaves = [layer for layer in traced.layers if layer.is_leaf]
    if not leaves or traced.error is not None or traced.shape_reads or len(traced.inputs.shapes) != 1:
        return None
    previous = None
    for layer in leaves:
        sources = [source for source in layer.sources if source is not None]
        if len(sources) != 1 or len(layer.sources) != len(layer.input_shapes):
            return None
        source = sources[0]
        follows = source.input == 0 if previous is None else (source.layer, source.output) == (previous, 0)
        if not follows:
            return None
        previous = layer.index
    output = traced.output_sources
    if len(output) != 1 or output[0] is None or output[0].layer != previous:
        return None
    return leaves


def _sizes_at(template: Shape, dims: str, size: int) -> tuple[int, ...]:
    """The spatial sizes of the input for solve size `size`."""
    spatial = list(template[2:])
    if dims == "square":
        return (size,) * len(spatial)
    spatial[-2 if dims == "H" else -1] = size
    return tuple(spatial)


def _value(forms: tuple[SizeForm, ...], sizes: tuple[int, ...]) -> int:
    """The flattened size: the product of the forms, none below 0 (below the sizes a window needs a form
    goes negative, and two negatives would make the product grow again)."""
    product = 1
    for form, size in zip(forms, sizes, strict=True):
        product *= max(0, form.at(size))
    return product


def _breaks(traced: TraceRecord, leaves: list[LayerRecord], at: Callable[[int], tuple[int, ...]],
            sizes: range) -> set[int] | None:  # fmt: skip
    """Every size where the outcome may change: where a window starts to fit, where the flattened size
    reaches and passes the Linear's features, where an output size changes; None where the chain has
    a layer the closed forms do not cover."""
    own = thresholds(traced)
    breaks = {sizes.start, sizes.stop}
    spatial = [layer for layer in leaves if layer.size_form is not None and None not in layer.size_form]
    if not spatial or leaves[: len(spatial)] != spatial:
        return None
    for layer in spatial:
        lowest = own.get(layer.index, ())
        breaks.add(
            first_where(
                sizes,
                lambda size, lowest=lowest: all(s >= low for s, low in zip(at(size), lowest, strict=True)),
            )
        )
    rest = leaves[len(spatial) :]
    found = traced.flatten_form
    if not rest:  # the output is the last map: it changes where any of its sizes does
        forms = spatial[-1].size_form
        size = sizes.start
        while size < sizes.stop:
            size = min(
                (form.solve(form.at(s)) or (0, _NEVER))[1] + 1 if form.n else _NEVER
                for form, s in zip(forms, at(size), strict=True)  # type: ignore[arg-type]
            )
            breaks.add(min(size, sizes.stop))
        return breaks
    if all(form.n == 0 for form in spatial[-1].size_form or ()):
        return breaks  # a map of fixed size (an adaptive pool's): what follows never sees the input size
    if (
        found is None
        or found.features is None
        or found.layer != rest[0].name
        or found.source != spatial[-1].name
    ):
        return None
    features = found.features
    breaks.add(first_where(sizes, lambda size: found.channels * _value(found.forms, at(size)) >= features))
    breaks.add(first_where(sizes, lambda size: found.channels * _value(found.forms, at(size)) > features))
    return breaks


def _same(outcome: Outcome, other: Outcome) -> bool:
    if outcome.ok or other.ok:
        return outcome.output_shapes == other.output_shapes
    codes = [item.reason.code if item.reason is not None else None for item in (outcome, other)]
    return outcome.layer == other.layer and codes[0] == codes[1]


def closed_ranges(
    traced: TraceRecord, template: Shape, dims: str, sizes: range, outcome_of: Callable[[int], Outcome]
) -> list[SizeRange] | None:
    """The ranges of `sizes` with their outcomes, replaying (`outcome_of`) only the two ends of each
    stretch the closed forms say cannot change; None where the graph is no such chain, or where the
    two ends of a stretch disagree (the caller then replays every size)."""
    leaves = _chain(traced)
    if leaves is None or spatial_dims(traced) != len(template) - 2 or not sizes:
        return None
    breaks = _breaks(traced, leaves, lambda size: _sizes_at(template, dims, size), sizes)
    if breaks is None:
        return None
    edges = sorted(size for size in breaks if sizes.start <= size <= sizes.stop)
    ranges: list[SizeRange] = []
    for first, stop in zip(edges, edges[1:], strict=False):
        start, end = outcome_of(first), outcome_of(stop - 1)
        if not _same(start, end):
            return None
        last = ranges[-1] if ranges else None
        if last is not None and _same(Outcome(last.output_shapes, last.layer, last.reason), start):
            ranges[-1] = SizeRange(last.first, stop - 1, last.output_shapes, last.layer, last.reason)
        else:
            ranges.append(SizeRange(first, stop - 1, start.output_shapes, start.layer, start.reason))
    return ranges
