"""Which input sizes does a model run on? Replay the traced graph with the shape rules for every
candidate size, then confirm the answer at the edges of each range with real meta-device passes."""

from __future__ import annotations

import contextlib
import copy
import itertools
import time
from dataclasses import dataclass
from typing import Any

from shapetrace._torch import nn, torch
from shapetrace.errors import ShapeError, UsageError
from shapetrace.records import Shape
from shapetrace.replay import NotReplayable, Outcome, Replayer
from shapetrace.restore import preserved

__all__ = ["SizeRange", "Solution", "solve"]


@dataclass(frozen=True)
class SizeRange:
    """Consecutive input sizes with the same outcome: the output shapes, or where the pass fails."""

    first: int
    last: int
    output_shapes: tuple[Shape, ...] | None  # None: the forward pass fails
    layer: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.output_shapes is not None


@dataclass(frozen=True)
class Solution:
    """The input sizes lo..hi of `dims` (H and W together for 'square') and what each gives."""

    model: str
    input_shape: Shape  # the template; the solved dimensions vary
    dims: str  # "square", "H", "W" or "L" (1-d)
    lo: int
    hi: int
    ranges: tuple[SizeRange, ...]
    method: str  # "analytic" (replay confirmed by passes) or "exhaustive"
    passes: int  # real forward passes run
    seconds: float
    first_layer: str | None = None  # the first conv or pool on the input, and its size formula
    first_formula: str | None = None
    failure: str | None = None  # the diagnosis at the given input, when no size works

    @property
    def valid(self) -> tuple[SizeRange, ...]:
        return tuple(size_range for size_range in self.ranges if size_range.ok)

    @property
    def working(self) -> tuple[tuple[int, int], ...]:
        """The sizes that work as (first, last) spans, adjacent ranges (split by output shape) joined."""
        joined: list[tuple[int, int]] = []
        for size_range in self.valid:
            if joined and joined[-1][1] + 1 == size_range.first:
                joined[-1] = (joined[-1][0], size_range.last)
            else:
                joined.append((size_range.first, size_range.last))
        return tuple(joined)


def _shape_for(template: Shape, dims: str, size: int) -> Shape:
    spatial = len(template) - 2
    if dims == "square":
        return (*template[:2], *(size,) * spatial)
    axis = {"H": -2, "W": -1, "L": -1}[dims]
    shape = list(template)
    shape[axis] = size
    return tuple(shape)


def _meta_shadow(model: nn.Module) -> nn.Module | None:
    """A copy of the model on the meta device whose weights are never copied (deepcopy's memo);
    None where the model cannot be copied so (lazy parameters, objects deepcopy refuses)."""
    try:
        return _meta_copy(model)
    except Exception:
        return None


def _meta_copy(model: nn.Module) -> nn.Module:
    memo: dict[int, Any] = {}
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        empty = torch.empty_like(tensor, device="meta")
        memo[id(tensor)] = (
            nn.Parameter(empty, tensor.requires_grad) if isinstance(tensor, nn.Parameter) else empty
        )
    return copy.deepcopy(model, memo)


def _runs(sizes: range, outcome_of: Any) -> list[SizeRange]:
    ranges: list[SizeRange] = []
    for size in sizes:
        outcome: Outcome = outcome_of(size)
        last = ranges[-1] if ranges else None
        if (
            last is not None
            and last.output_shapes == outcome.output_shapes
            and (outcome.ok or last.layer == outcome.layer)
        ):
            ranges[-1] = SizeRange(last.first, size, last.output_shapes, last.layer, last.reason)
        else:
            ranges.append(SizeRange(size, size, outcome.output_shapes, outcome.layer, outcome.reason))
    return ranges


class _Passes:
    """Real forward passes on the meta device, counted."""

    def __init__(
        self, model: nn.Module, template: Shape, dims: str, dtype: torch.dtype, device: str = "meta"
    ) -> None:
        self.model, self.template, self.dims, self.dtype, self.count = model, template, dims, dtype, 0
        self.device = device

    def __call__(self, size: int) -> Outcome:
        from shapetrace.tracer import make_inputs

        self.count += 1
        shape = _shape_for(self.template, self.dims, size)
        try:
            (inputs,) = make_inputs([shape], [self.dtype], self.device)
            with torch.no_grad():
                output = self.model(inputs)
        except (Exception, SystemExit) as error:  # the pass fails at this size
            return Outcome(None, "?", str(error).splitlines()[0] if str(error) else type(error).__name__)
        shapes = tuple(tuple(t.shape) for t in _tensors(output))
        return Outcome(shapes)


def _tensors(value: Any) -> list[torch.Tensor]:
    from shapetrace.dataflow import flat_tensors

    return list(flat_tensors(value))


def solve(
    model: nn.Module,
    input_size: Shape,
    lo: int = 1,
    hi: int = 256,
    dims: str = "square",
    dtype: torch.dtype = torch.float32,
    model_name: str | None = None,
) -> Solution:
    """The ranges of sizes lo..hi (square spatial sizes, or one of H/W) on which the model runs."""
    from shapetrace.tracer import trace

    if not 1 <= lo <= hi:
        raise UsageError(f"--solve needs 1 <= LO <= HI, got {lo}:{hi}")
    template = tuple(input_size)
    if len(template) < 3:
        raise UsageError(f"solving needs an input with spatial sizes (N, C, ...), got {list(template)}")
    dims = "L" if len(template) == 3 and dims in ("square", "H", "W") else dims
    started = time.perf_counter()
    sizes = range(lo, hi + 1)
    axis = {"square": -1, "H": -2, "W": -1, "L": -1}[dims]
    candidates = list(dict.fromkeys([template[axis], hi, lo, (lo + hi) // 2, 224, 96, 32]))
    traced = None
    failures: list[str] = []
    shadow = _meta_shadow(model)
    # The meta copy costs nothing to run; a model that cannot run on meta (.item(), CPU tensors
    # made in forward, lazy parameters) is solved on its own device instead.
    runner, device = (shadow, "meta") if shadow is not None else (model, _device_of(model))
    for runner, device in [(shadow, "meta"), (model, _device_of(model))]:
        if runner is None:
            continue
        traced = _first_trace(trace, runner, template, dims, dtype, candidates, lo, hi, device, failures)
        if traced is not None:
            break
    # Passes on the model itself (one that cannot run on the meta device) must leave it as it was:
    # train-mode BatchNorm would otherwise keep the statistics of every size tried.
    keep = preserved(list(model.named_modules()), torch.device(device), warn=False)
    with keep if runner is model else contextlib.nullcontext():
        passes = _Passes(runner, template, dims, dtype, device)
        method = "exhaustive"
        ranges: list[SizeRange] | None = None
        if traced is not None:
            try:
                replayer = Replayer(traced)
                ranges = _runs(sizes, lambda size: replayer((_shape_for(template, dims, size),)))
                method = "analytic"
            except NotReplayable:
                ranges = None
        if ranges is not None:
            for size_range in ranges:  # confirm both edges of every range with a real pass
                for size in {size_range.first, size_range.last}:
                    if passes(size).output_shapes != size_range.output_shapes:
                        ranges = None
                        break
                if ranges is None:
                    break
        if ranges is None:
            method = "exhaustive"
            ranges = _runs(sizes, passes)
    name = model_name or type(model).__name__
    elapsed = time.perf_counter() - started
    first = _first_formula(traced, dims) if traced is not None else None
    failure = failures[0] if failures and not any(size_range.ok for size_range in ranges) else None
    return Solution(
        name, template, dims, lo, hi, tuple(ranges), method, passes.count, elapsed, *(first or (None, None)),
        failure,
    )  # fmt: skip


def _device_of(model: nn.Module) -> str:
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        return str(tensor.device)
    return "cpu"


def _first_trace(
    trace: Any, model: nn.Module, template: Shape, dims: str, dtype: torch.dtype,
    candidates: list[int], lo: int, hi: int, device: str, failures: list[str],
) -> Any:  # fmt: skip
    """A successful functional trace at one of the candidate sizes, or None; `failures` gets the
    diagnosis of each size that failed, the given input's first."""
    for size in candidates:
        if lo <= size <= hi or size == candidates[0]:
            try:
                return trace(
                    model, _shape_for(template, dims, size), dtypes=dtype, device=device,
                    functional=True, suggest_sizes=False,
                )  # fmt: skip
            except ShapeError as error:
                failures.append(f"{error.layer}: {error.hint or error.trace.error.message}")
            except UsageError:
                continue
    return None


def _first_formula(traced: Any, dims: str) -> tuple[str, str] | None:
    """The first convolution or pool on the model input, and its output size as a formula of the
    input size: AlexNet's first conv gives ⌊(H − 9)/4⌋ + 1."""
    symbol = {"square": "H", "H": "H", "W": "W", "L": "L"}[dims]
    for layer in traced.layers:
        windowed = (
            layer.base_type.startswith(("Conv", "MaxPool", "AvgPool")) and "Transpose" not in layer.base_type
        )
        if not windowed or not layer.sources or layer.sources[0] is None or layer.sources[0].input is None:
            continue
        axis = -2 if dims == "H" else -1
        if layer.attribute("ceil_mode") or layer.check == "mismatch":
            return None  # a ceil, or a layer that does not do what its settings say
        kernel = layer.attribute("kernel_size")
        kernel = kernel[axis] if isinstance(kernel, tuple) else kernel
        stride = layer.attribute("stride") or kernel
        stride = stride[axis] if isinstance(stride, tuple) else stride
        padding = layer.attribute("padding", 0)
        if isinstance(padding, str):
            return None
        padding = padding[axis] if isinstance(padding, tuple) else padding
        dilation = layer.attribute("dilation", 1)
        dilation = dilation[axis] if isinstance(dilation, tuple) else dilation
        shrink = dilation * (kernel - 1) + 1 - 2 * padding
        term = f"{symbol} − {shrink}" if shrink > 0 else (f"{symbol} + {-shrink}" if shrink < 0 else symbol)
        formula = f"{term} + 1" if stride == 1 else f"⌊({term})/{stride}⌋ + 1"
        return f"{layer.name} ({layer.type})", formula.replace(" − 1 + 1", "").replace(
            f"{symbol} + 1 − 1", symbol
        )
    return None
