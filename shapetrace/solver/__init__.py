"""Which input sizes does a model run on? Replay the traced graph with the shape rules for every
candidate size, then confirm the answer at the edges of each range with real meta-device passes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from shapetrace._torch import nn, torch
from shapetrace.analysis import analyse
from shapetrace.errors import UsageError
from shapetrace.formulas import per_dim
from shapetrace.inputs import make_inputs
from shapetrace.introspect import compiled_original, meta_copy, model_device
from shapetrace.messages import Message, msg
from shapetrace.recorder import LOCK, record
from shapetrace.records import Shape, TraceRecord, WorkingSizes
from shapetrace.restore import preserved
from shapetrace.solution import SizeRange, Solution
from shapetrace.solver.closed import closed_ranges
from shapetrace.solver.replay import NotReplayable, Outcome, Replayer
from shapetrace.values import exception_text, flat_tensors

__all__ = ["SizeRange", "Solution", "solve", "working_sizes"]


def _shape_for(template: Shape, dims: str, size: int) -> Shape:
    spatial = len(template) - 2
    if dims == "square":
        return (*template[:2], *(size,) * spatial)
    shape = list(template)
    shape[{"H": -2, "W": -1, "L": -1}[dims]] = size
    return tuple(shape)


class _Clock:
    """A search's time budget: `out` once it is spent (never, without a budget); `tick(size)` tells the
    caller's progress callback the last size looked at."""

    def __init__(self, budget: float | None, progress: Callable[[int], None] | None = None) -> None:
        self.budget = budget
        self.deadline = None if budget is None else time.perf_counter() + budget
        self.progress = progress

    def tick(self, size: int) -> None:
        if self.progress is not None:
            self.progress(size)

    @property
    def out(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline


def _same_failure(last: SizeRange, outcome: Outcome) -> bool:
    """Two failures are one range only at the same layer and for the same kind of reason."""
    code = outcome.reason.code if outcome.reason is not None else None
    return last.layer == outcome.layer and (last.reason.code if last.reason is not None else None) == code


def _runs(sizes: range, outcome_of: Callable[[int], Outcome], clock: _Clock | None = None) -> list[SizeRange]:
    """Consecutive sizes with the same outcome as ranges; where the clock runs out, the sizes checked."""
    ranges: list[SizeRange] = []
    for size in sizes:
        if clock is not None and clock.out:
            break
        outcome = outcome_of(size)
        if clock is not None:
            clock.tick(size)
        last = ranges[-1] if ranges else None
        if (
            last is not None
            and last.output_shapes == outcome.output_shapes
            and (outcome.ok or _same_failure(last, outcome))
        ):
            ranges[-1] = SizeRange(last.first, size, last.output_shapes, last.layer, last.reason)
        else:
            ranges.append(SizeRange(size, size, outcome.output_shapes, outcome.layer, outcome.reason))
    return ranges


class _Passes:
    """Real forward passes (on the meta device where the model allows), counted."""

    def __init__(self, model: nn.Module, template: Shape, dims: str, dtype: torch.dtype, device: str) -> None:
        self.model, self.template, self.dims, self.dtype, self.device = model, template, dims, dtype, device
        self.count = 0

    def __call__(self, size: int) -> Outcome:
        self.count += 1
        shape = _shape_for(self.template, self.dims, size)
        try:
            (inputs,) = make_inputs([shape], [self.dtype], self.device)
            with torch.no_grad():
                output = self.model(inputs)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # the pass fails at this size (SystemExit, GeneratorExit too)
            text = exception_text(error).strip()
            text = text.splitlines()[0] if text else type(error).__name__
            return Outcome(None, "?", msg("solve.exception", text=text))
        return Outcome(tuple(tuple(tensor.shape) for tensor in flat_tensors(output)))


def _check_range(input_size: Shape, lo: int, hi: int) -> None:
    if not 1 <= lo <= hi:
        raise UsageError("usage.solve_range", lo=lo, hi=hi)
    if len(input_size) < 3:
        raise UsageError("usage.solve_spatial", shape=tuple(input_size))


def solve(
    model: nn.Module,
    input_size: Shape,
    lo: int = 1,
    hi: int = 256,
    dims: str = "square",
    dtype: torch.dtype = torch.float32,
    model_name: str | None = None,
    budget: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> Solution:
    """The ranges of sizes lo..hi (square spatial sizes, or one of H/W) on which the model runs; a
    module wrapped by torch.compile is solved through its original module. One solve (or trace) runs at
    a time in the process.

    `budget`: seconds the search may take (None: no limit); when they run out the search stops, and
    the Solution says how far it got (`complete`, `checked_to`). A pass under way is never cut short.
    `progress(size)`, where given, is called with each size as far as the search has looked."""
    with LOCK:
        original = compiled_original(model) or model
        return _solve(original, input_size, lo, hi, dims, dtype, model_name, _Clock(budget, progress))


def _solve(
    model: nn.Module,
    input_size: Shape,
    lo: int,
    hi: int,
    dims: str,
    dtype: torch.dtype,
    model_name: str | None,
    clock: _Clock,
) -> Solution:
    template, budget = tuple(input_size), clock.budget
    _check_range(template, lo, hi)
    if budget is not None and not budget > 0:
        raise UsageError("usage.budget_positive", budget=budget)
    dims = "L" if len(template) == 3 and dims in ("square", "H", "W") else dims
    started = time.perf_counter()
    axis = {"square": -1, "H": -2, "W": -1, "L": -1}[dims]
    candidates = list(dict.fromkeys([template[axis], hi, lo, (lo + hi) // 2, 224, 96, 32]))
    traced, runner, device, failures = _traced(model, template, (dims, dtype), candidates, (lo, hi), clock)
    # Passes on the model itself must leave it as it was: train-mode BatchNorm would otherwise keep the
    # statistics of every size tried.
    keep = preserved(list(model.named_modules()), torch.device(device), warn=False)
    with keep if runner is model else contextlib.nullcontext():
        passes = _Passes(runner, template, dims, dtype, device)
        ranges, method = _solve_ranges(traced, passes, range(lo, hi + 1), clock)
    first = _first_formula(traced, dims, len(template) - 2) if traced is not None else None
    failure = failures[0] if failures and not any(size_range.ok for size_range in ranges) else None
    checked_to = ranges[-1].last if ranges else lo - 1
    return Solution(
        model_name or type(model).__name__, template, dims, lo, hi, tuple(ranges), method, passes.count,
        time.perf_counter() - started, *(first or (None, None)), failure,
        budget=budget, checked_to=checked_to, complete=checked_to == hi, device=device,
    )  # fmt: skip


def _traced(
    model: nn.Module, template: Shape, how: tuple[str, torch.dtype], candidates: list[int],
    bounds: tuple[int, int], clock: _Clock,
) -> tuple[TraceRecord | None, nn.Module, str, list[Message]]:  # fmt: skip
    """A successful trace at one of the candidates, the model and device to run the passes on, and
    the diagnoses of the candidates that failed, the given input's first.

    The meta copy costs nothing to run; a model that cannot run on meta (.item(), CPU tensors made in
    forward, lazy parameters) is solved on its own device instead. Where no candidate runs on either,
    yet the meta copy failed exactly as the model did, the passes run on meta: they cost far less."""
    attempts: list[tuple[nn.Module, str, list[Message]]] = []
    traced = None
    for runner, device in [(meta_copy(model), "meta"), (model, str(model_device(model)))]:
        if runner is None:
            continue
        failures: list[Message] = []
        traced = _first_trace(runner, template, (*how, device), candidates, bounds, failures, clock)
        attempts.append((runner, device, failures))
        if traced is not None or clock.out:
            break
    if not attempts:
        return None, model, str(model_device(model)), []
    runner, device, _ = attempts[-1]
    if traced is None and len(attempts) == 2 and attempts[0][2] == attempts[1][2]:
        runner, device, _ = attempts[0]
    return traced, runner, device, [failure for *_, failures in attempts for failure in failures]


def _confirmed(ranges: list[SizeRange], passes: _Passes, clock: _Clock) -> list[SizeRange] | None:
    """The replayed ranges that real passes confirm at both edges, in order, as far as the clock
    allows; None where a pass contradicts the replay."""
    kept: list[SizeRange] = []
    for size_range in ranges:
        for size in dict.fromkeys((size_range.first, size_range.last)):
            if clock.out:
                return kept
            if passes(size).output_shapes != size_range.output_shapes:
                return None
        clock.tick(size_range.last)
        kept.append(size_range)
    return kept


def _solve_ranges(
    traced: TraceRecord | None, passes: _Passes, sizes: range, clock: _Clock
) -> tuple[list[SizeRange], str]:
    """The ranges from the closed forms (a chain of layers: only the sizes where something can change
    are replayed) or by replaying the traced graph at every size, confirmed at both edges of every range
    by a real pass; by a real pass at every size where the replay cannot be had or is contradicted.
    Each stops where the clock runs out."""
    if traced is not None:
        template, dims = passes.template, passes.dims
        try:
            replayer = Replayer(traced)
            closed = closed_ranges(
                traced, template, dims, sizes, lambda size: replayer((_shape_for(template, dims, size),))
            )
            confirmed = _confirmed(closed, passes, clock) if closed is not None else None
            if confirmed is not None:
                return confirmed, "closed form"
            replayed = _runs(sizes, lambda size: replayer((_shape_for(template, dims, size),)), clock)
        except NotReplayable:
            replayed = None
        confirmed = _confirmed(replayed, passes, clock) if replayed is not None else None
        if confirmed is not None:
            return confirmed, "analytic"
    return _runs(sizes, passes, clock), "exhaustive"


def _first_trace(
    model: nn.Module, template: Shape, how: tuple[str, torch.dtype, str], candidates: list[int],
    bounds: tuple[int, int], failures: list[Message], clock: _Clock,
) -> TraceRecord | None:  # fmt: skip
    """A successful functional trace at one of the candidate sizes, or None (also where the clock runs
    out); `failures` gets the diagnosis of each size that failed, the given input's first. `how`:
    the dims that vary, the dtype and the device."""
    dims, dtype, device = how
    lo, hi = bounds
    for size in candidates:  # grows by a size the closed forms say fits, where a trace tells one
        if clock.out:
            return None
        if not (lo <= size <= hi or size == candidates[0]):
            continue
        try:
            (inputs,) = make_inputs([_shape_for(template, dims, size)], [dtype], device)
        except (RuntimeError, ValueError, TypeError, OverflowError):
            continue
        recording = record(model, (inputs,), {}, device=torch.device(device), functional=True)
        result = analyse(recording.trace)
        if result.error is None:
            return result
        error = result.error
        failures.append(msg("solve.failure", layer=error.layer, hint=error.advice or error.message))
        fitting = _fitting_size(result, template, dims)
        if fitting is not None and fitting not in candidates:
            candidates.insert(candidates.index(size) + 1, fitting)
    return None


def _fitting_size(result: TraceRecord, template: Shape, dims: str) -> int | None:
    """The first size at which the flattened map fits the Linear after it, by the closed forms of a
    failed trace (the fixed dims as in the template); None where they do not say."""
    found = result.flatten_form
    if found is None:
        return None
    axis = {"square": None, "H": -2, "W": -1, "L": -1}[dims]
    for fit in found.fits:
        if axis is None or len(fit.spans) == 1:
            if fit.square is not None:
                return fit.square[0]
            continue
        fixed = [
            (span, size)
            for position, (span, size) in enumerate(zip(fit.spans, template[2:], strict=True))
            if position != len(fit.spans) + axis
        ]
        if all(span[0] <= size and (span[1] is None or size <= span[1]) for span, size in fixed):
            return fit.spans[axis][0]
    return None


def _first_formula(traced: TraceRecord, dims: str, spatial: int) -> tuple[str, str] | None:
    """The first convolution or pool on the model input, and its output size as a formula of the input
    size: AlexNet's first conv gives ⌊(H − 9)/4⌋ + 1."""
    symbol = {"square": "H", "H": "H", "W": "W", "L": "L"}[dims]
    axis = -2 if dims == "H" else -1
    for layer in traced.layers:
        windowed = (
            layer.base_type.startswith(("Conv", "MaxPool", "AvgPool")) and "Transpose" not in layer.base_type
        )
        if not windowed or not layer.sources or layer.sources[0] is None or layer.sources[0].input is None:
            continue
        if layer.attribute("ceil_mode") or layer.check == "mismatch":
            return None  # a ceil, or a layer that does not do what its settings say
        padding = layer.attribute("padding", 0)
        if isinstance(padding, str):
            return None
        kernel = per_dim(layer.attribute("kernel_size"), spatial)[axis]
        stride = per_dim(layer.attribute("stride") or kernel, spatial)[axis]
        dilation = per_dim(layer.attribute("dilation", 1), spatial)[axis]
        shrink = dilation * (kernel - 1) + 1 - 2 * per_dim(padding, spatial)[axis]
        term = f"{symbol} − {shrink}" if shrink > 0 else (f"{symbol} + {-shrink}" if shrink < 0 else symbol)
        formula = f"{term} + 1" if stride == 1 else f"⌊({term})/{stride}⌋ + 1"
        return f"{layer.name} ({layer.type})", formula.replace(" − 1 + 1", "").replace(
            f"{symbol} + 1 − 1", symbol
        )
    return None


HINT_SIZES = 1024  # the sizes-that-work hint looks this far at most, whatever the input: it stays cheap
HINT_BUDGET = 5.0  # and stops after this many seconds (a model that runs only on its own device is slow)


def working_sizes(model: nn.Module, trace: TraceRecord, budget: float | None = None) -> WorkingSizes | None:
    """Which square inputs (1 to twice the given size, at least 256, at most HINT_SIZES) the model runs
    on, as spans, for a failed trace of a 4-d float32 input, as far as `budget` seconds (default
    HINT_BUDGET) allow; None where that question does not apply or cannot be answered."""
    shape = trace.input_shapes[0] if len(trace.input_shapes) == 1 else ()
    if len(shape) != 4 or shape[-1] != shape[-2] or any(t.dtype != "float32" for t in trace.inputs.tensors()):
        return None
    closed = _closed_hint(model, trace, shape)
    if closed is not None:
        return closed
    try:
        hi = max(256, min(2 * shape[-1], HINT_SIZES))
        solution = solve(model, shape, 1, hi, budget=HINT_BUDGET if budget is None else budget)
    except Exception:  # the suggestion is a courtesy: never let it hide the diagnosis
        return None
    if solution.checked_to < solution.lo:
        return None  # the budget ran out before any size was checked: nothing to say
    return WorkingSizes(solution.working, solution.lo, solution.hi, solution.checked_to, solution.budget)


def _closed_hint(model: nn.Module, trace: TraceRecord, shape: Shape) -> WorkingSizes | None:
    """Where the Linear after a Flatten is what failed, the square sizes its closed forms say fit, each
    span confirmed at both ends by a real pass on the model's own device; None where they do not say,
    or a pass disagrees (the search then looks)."""
    found, error = trace.flatten_form, trace.error
    if found is None or error is None or error.kind != "features" or error.layer != found.linear:
        return None
    spans = found.square
    if not spans or len(spans) > 3 or any(last is None for _, last in spans):
        return None
    device = str(model_device(model))
    keep = preserved(list(model.named_modules()), torch.device(device), warn=False)
    with keep:
        passes = _Passes(model, shape, "square", torch.float32, device)
        if not all(passes(size).ok for span in spans for size in dict.fromkeys(span)):
            return None
    hi = max(256, min(2 * shape[-1], HINT_SIZES), spans[-1][1])  # type: ignore[type-var]
    return WorkingSizes(tuple(spans), 1, hi)  # type: ignore[arg-type]
