"""Closed forms of a trace's spatial sizes: each layer's output size as ⌊(n·H + a)/m⌋ of the input size
(`shapetrace.formulas.closed`), carried along the traced graph by the rule table's form rules; the
smallest input each window needs; and, where a Flatten feeds a Linear, the exact set of inputs whose
flattened size is the Linear's in_features. Pure Python over records."""

from __future__ import annotations

from dataclasses import replace

from shapetrace import rules
from shapetrace.formulas.closed import IDENTITY, SizeForm, first_where
from shapetrace.messages import Message, Refusal, msg
from shapetrace.records import Fit, FlattenForm, LayerRecord, Shape, TraceRecord, bind
from shapetrace.rules.spatial_forms import NoForm
from shapetrace.views import input_spatial_dims as spatial_dims
from shapetrace.views import with_leaf_values

__all__ = ["closed_forms", "spatial_dims", "thresholds"]

Forms = tuple[SizeForm | None, ...]
_BOX_LIMIT = 64  # ways to split the in_features among the dims shown at most


def _incoming(layer: LayerRecord, dims: int, forms: dict[int, Forms]) -> list[Forms] | None:
    """The forms of a layer's spatial inputs (rank dims + 2); None where one of them is not known."""
    incoming = []
    for source, shape in zip(layer.sources, layer.input_shapes, strict=False):
        if len(shape) != dims + 2:
            continue
        if source is not None and source.input == 0:
            incoming.append((IDENTITY,) * dims)
        elif source is not None and source.layer in forms and source.output == 0:
            incoming.append(forms[source.layer])
        else:
            return None
    return incoming or None


def _call(layer: LayerRecord, replaced: Shape | None = None) -> rules.Call:
    """The rule's view of the call; `replaced`: another shape for its first tensor input."""
    shapes, arguments = bind(layer.inputs, layer.parameters)
    if replaced is not None:
        shapes = (replaced, *shapes[1:])
    return rules.Call(dict(layer.attributes), shapes, arguments, layer.output_shapes)


def _output_forms(layer: LayerRecord, incoming: list[Forms]) -> tuple[Forms | None, Message | None]:
    """The forms of the layer's first output, or None and why there are none."""
    entry = rules.rule_for(layer.base_type)
    if entry is not None and entry.form is not None:
        try:
            return entry.form(_call(layer), incoming[0]), None
        except NoForm as reason:
            return None, reason.message
        except (Refusal, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError):
            return None, msg("form.no_rule", type=layer.type)
    if rules.field_effect(layer.base_type) == "keep":  # +, BN, ReLU: the same sizes pass through
        joined = tuple(
            forms[0] if all(form == forms[0] for form in forms) else None
            for forms in zip(*incoming, strict=True)
        )
        return joined, (msg("form.no_merge") if None in joined and None not in incoming[0] else None)
    return None, msg("form.no_rule", type=layer.type)


def _layer_forms(trace: TraceRecord, dims: int) -> tuple[dict[int, Forms], Message | None]:
    """The forms of every leaf call's first output that is a spatial map of the input, by layer index,
    and where and why the forms first stop; a form that does not give the traced size is dropped (the
    layer does not do what its rule says)."""
    sizes = trace.input_shapes[0][2:]
    forms: dict[int, Forms] = {}
    stop: Message | None = None
    for layer in trace.layers:
        if layer.failed or not layer.is_leaf or layer.check == "mismatch":
            continue
        if not layer.output_shapes or len(layer.output_shapes[0]) != dims + 2:
            continue
        incoming = _incoming(layer, dims, forms)
        if incoming is None:
            continue
        found, reason = _output_forms(layer, incoming)
        if reason is not None and stop is None:
            stop = msg("form.stop", name=layer.name, type=layer.type, reason=reason)
        if found is None or len(found) != dims:
            continue
        traced = layer.output_shapes[0][2:]
        found = tuple(
            form if form is not None and form.at(sizes[axis]) == traced[axis] else None
            for axis, form in enumerate(found)
        )
        if any(form is not None for form in found):
            forms[layer.index] = found
    return forms, stop


def _own_guess(layer: LayerRecord, axis: int, dims: int) -> int | None:
    """Where the layer's own closed form (of its input size) first reaches 1: the smallest input its
    window fits, if its rule has a form; None where it has none."""
    entry = rules.rule_for(layer.base_type)
    if entry is None or entry.form is None:
        return None
    try:
        own = entry.form(_call(layer), (IDENTITY,) * dims)
    except Exception:  # no form (NoForm), or a rule that cannot tell: the bisection decides
        return None
    form = own[axis] if own is not None and len(own) == dims else None
    return form.first_at_least(1) if form is not None else None


def _smallest(layer: LayerRecord, axis: int, dims: int) -> int:
    """The smallest size of the first input's spatial dim `axis` the layer's rule accepts (others as
    traced): windows accept every size from some size on, so the size where the layer's own form
    first reaches 1 (1 for a layer without one), confirmed by the rule on both sides, or else a
    bisection, finds it."""
    shape = list(layer.input_shapes[0])
    position = 2 + axis

    def accepts(size: int) -> bool:
        shape[position] = size
        try:
            rules.derive(layer.base_type, _call(layer, tuple(shape)))
        except (Refusal, rules.NotCheckable):
            return False
        except Exception:
            return True  # the rule cannot tell: no bound from it
        return True

    low, high = 1, layer.input_shapes[0][position]
    guess = _own_guess(layer, axis, dims)
    if guess is not None and low <= guess <= high and "." not in layer.base_type:
        return guess  # torch.nn's windows: their forms and rules agree (tests/test_closed_forms.py)
    if guess is None:
        guess = 1  # a layer without a form keeps sizes (ReLU, BatchNorm): most accept any
    if low <= guess <= high and accepts(guess) and (guess == 1 or not accepts(guess - 1)):
        return guess
    return first_where(range(low, high), accepts)  # high where no smaller size is accepted


def thresholds(trace: TraceRecord, only: set[int] | None = None) -> dict[int, tuple[int, ...]]:
    """For each layer with a closed form and one input that varies with the input size: the smallest
    input size per spatial dim at which its own rule accepts its input (its sizes as forms give them).
    `only`: the indexes of the layers wanted (all where None)."""
    dims = spatial_dims(trace)
    found: dict[int, tuple[int, ...]] = {}
    memo: dict[tuple, int] = {}
    layers = trace.layers
    for layer in layers if only is None else (layers[index] for index in sorted(only)):
        if layer.size_form is None or not layer.is_leaf:
            continue
        entry = rules.rule_for(layer.base_type)
        if entry is None or entry.form is None and len(layer.input_shapes) > 1:
            continue  # + of equal forms: its inputs' sizes always agree
        source = layer.sources[0] if layer.sources else None
        if source is None:
            continue
        incoming = (IDENTITY,) * dims if source.input == 0 else layers[source.layer].size_form
        if incoming is None:
            continue
        lowest = []
        for axis, form in enumerate(incoming):
            if form is None:
                lowest.append(1)
                continue
            key = (layer.base_type, layer.attributes, layer.inputs, axis)
            try:
                size = memo[key]
            except KeyError:
                size = memo[key] = _smallest(layer, axis, dims)
            except TypeError:  # an unhashable setting
                size = _smallest(layer, axis, dims)
            lowest.append(form.first_at_least(size) or 1)
        found[layer.index] = tuple(lowest)
    return found


def _path_lowest(trace: TraceRecord, end: int, dims: int) -> tuple[int, ...]:
    """The smallest input size per dim every formed layer up to layer `end`, along its sources, needs
    (the thresholds of those layers alone)."""
    stack, seen = [end], set()
    while stack:
        index = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        stack.extend(
            source.layer for source in trace.layers[index].sources if source and source.layer is not None
        )
    lowest = [1] * dims
    for own in thresholds(trace, seen).values():
        for axis, size in enumerate(own):
            lowest[axis] = max(lowest[axis], size)
    return tuple(lowest)


def _flattened(layer: LayerRecord, dims: int) -> int | None:
    """The constant factor (channels) where a leaf flattens channels and all spatial dims of a map into
    its last dim, keeping the batch: (N, C, H, W) -> (N, C·H·W); None for any other call."""
    if layer.failed or len(layer.input_shapes) < 1 or len(layer.output_shapes) != 1:
        return None
    source_shape, shape = layer.input_shapes[0], layer.output_shapes[0]
    if len(source_shape) != dims + 2 or shape[:-1] != source_shape[:1] or len(shape) != 2:
        return None
    product = 1
    for size in source_shape[1:]:
        product *= size
    return source_shape[1] if product == shape[-1] else None


def _features(layer: LayerRecord) -> int | None:
    """The feature count a Linear-like call needs on its input's last dim."""
    in_features = layer.attribute("in_features")
    if isinstance(in_features, int) and in_features > 0:
        return in_features
    if layer.base_type == "function:linear":
        shapes, _ = bind(layer.inputs, layer.parameters)
        return shapes[1][-1] if len(shapes) > 1 and shapes[1] else None
    return None


def _consumer(trace: TraceRecord, index: int) -> LayerRecord | None:
    """The first leaf that reads layer `index`'s output past shape-keeping leaves (Dropout, ReLU), if
    it is a Linear-like call."""
    for layer in trace.layers[index + 1 :]:
        if not layer.is_leaf or not any(s is not None and s.layer == index for s in layer.sources):
            continue
        if _features(layer) is not None:
            return layer
        if rules.field_effect(layer.base_type) == "keep" and len(layer.sources) == 1:
            return _consumer(trace, layer.index)
        return None
    return None


def _divisors(number: int) -> list[int]:
    small = [d for d in range(1, int(number**0.5) + 1) if number % d == 0]
    return sorted(set(small + [number // d for d in small]))


def _factorings(quotient: int, parts: int) -> list[tuple[int, ...]]:
    """Every ordered way to write `quotient` as a product of `parts` whole numbers ≥ 1."""
    if parts == 1:
        return [(quotient,)]
    return [
        (first, *rest) for first in _divisors(quotient) for rest in _factorings(quotient // first, parts - 1)
    ]


def _range(form: SizeForm, value: int, lowest: int) -> tuple[int, int | None] | None:
    """The input sizes ≥ lowest whose form gives `value`; last None: no upper end."""
    if form.n == 0:
        return (lowest, None) if form.at(0) == value else None
    span = form.solve(value)
    if span is None or span[1] < lowest:
        return None
    return max(span[0], lowest), span[1]


def _fits(
    forms: tuple[SizeForm, ...], channels: int, features: int | None, lowest: tuple[int, ...]
) -> tuple[Fit, ...]:
    """Every way channels·Π forms = features: per dim, the form's value and the input sizes giving it."""
    if features is None or features % channels:
        return ()
    fits = []
    for values in _factorings(features // channels, len(forms)):
        spans = tuple(
            _range(form, value, low) for form, value, low in zip(forms, values, lowest, strict=True)
        )
        if all(span is not None for span in spans):
            fits.append(Fit(values, spans))  # type: ignore[arg-type]
        if len(fits) >= _BOX_LIMIT:
            break
    return tuple(fits)


def _flatten_form(trace: TraceRecord, dims: int) -> FlattenForm | None:
    """The first flatten of a formed map whose output a Linear reads (or was to read, where it failed)."""
    for layer in trace.layers:
        channels = _flattened(layer, dims) if layer.is_leaf else None
        source = layer.sources[0] if channels is not None and layer.sources else None
        if source is None or source.layer is None:
            continue
        forms = trace.layers[source.layer].size_form
        if forms is None or any(form is None for form in forms):
            continue
        consumer = _consumer(trace, layer.index)
        if consumer is None and all(form.n == 0 for form in forms):
            return None  # a constant size read by no Linear: nothing to solve or show
        field = trace.layers[source.layer].receptive_field
        features = _features(consumer) if consumer is not None else None
        lowest = _path_lowest(trace, source.layer, dims)
        return FlattenForm(
            layer=layer.name,
            source=trace.layers[source.layer].name,
            linear=consumer.name if consumer is not None else None,
            channels=channels,
            forms=forms,  # type: ignore[arg-type]
            features=features,
            lowest=lowest,
            jump=field.jump if field is not None else None,
            fits=_fits(forms, channels, features, lowest),  # type: ignore[arg-type]
        )
    return None


def closed_forms(trace: TraceRecord) -> TraceRecord:
    """The trace with `size_form` on every layer whose output is a spatial map of the input with a
    closed form (containers: that of their last such descendant with the same output shape), and the
    flatten's form and solution where a Flatten feeds a Linear."""
    dims = spatial_dims(trace)
    if dims == 0:
        return trace
    forms, stop = _layer_forms(trace, dims)
    formed = with_leaf_values(trace, forms, "size_form")
    return replace(formed, flatten_form=_flatten_form(formed, dims), form_stop=stop)
