"""`--device auto`: before anything is allocated, what a CPU pass would cost (weights, the largest
activations held at once, MACs) and whether to run it there or on the meta device.

The estimate comes from the module tree (weights) and, for a chain of layers the rule table knows, from
the calculator (each layer's output shape and MACs, without running anything); where the structure does
not allow that, from a pass on the meta device. `choose` is a pure function of the estimate and the
limits, so the decision is testable without allocating anything."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from shapetrace import introspect, rules
from shapetrace._torch import nn, torch
from shapetrace.messages import Message, Refusal, msg
from shapetrace.records import TraceRecord

__all__ = [
    "Estimate",
    "Limits",
    "Choice",
    "LIMITS",
    "choose",
    "estimate_model",
    "estimate_trace",
    "available_memory",
    "memory_limit",
    "cpu_seconds",
    "weight_bytes",
]


@dataclass(frozen=True)
class Estimate:
    """What a CPU pass would cost. `peak_bytes`: the most bytes of activations held at once (a layer's
    inputs and outputs); `macs`; both None where the module tree does not tell. `traced`: the numbers
    come from a pass on the meta device, which has then already given the answer."""

    weight_bytes: int  # parameters and buffers
    input_elements: int
    input_bytes: int
    peak_bytes: int | None = None
    macs: int | None = None
    traced: bool = False

    @property
    def cpu_bytes(self) -> int:
        return self.weight_bytes + self.input_bytes + (self.peak_bytes or 0)


@dataclass(frozen=True)
class Limits:
    """Where the line is. `memory`: bytes a CPU pass may take (None: read from the machine when asked);
    `seconds`: the CPU work worth doing rather than pay the meta device's one-off start (PyTorch imports
    its meta kernels on the first meta pass: about a second); `mac_rate` and `byte_rate`: what a CPU
    does per second, on the slow side, so that a doubt goes to meta, which gives the same shapes;
    `small_input` / `small_weights`: a model whose structure the tree does not tell runs on the CPU
    without a meta pass to size it when its input and weights are at most this big."""

    memory: int | None = None
    seconds: float = 1.0
    mac_rate: float = 50e9
    byte_rate: float = 4e9
    small_input: int = 1 << 20  # elements
    small_weights: int = 256 << 20  # bytes


LIMITS = Limits()


@dataclass(frozen=True)
class Choice:
    """The device to run on and why; `sized` False: the estimate did not tell, a meta pass is to size it."""

    device: str
    reason: Message
    sized: bool = True


def _gib(count: float) -> str:
    """Bytes as a short binary size: '9.10 GiB', '312.5 MiB'."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= factor:
            return f"{count / factor:.1f} {unit}"
    return f"{int(count)} B"


def memory_limit(limits: Limits | None = None) -> int:
    """The bytes a CPU pass may take: the limits' own, else half the memory free."""
    limits = limits or LIMITS
    return limits.memory if limits.memory is not None else available_memory()


def cpu_seconds(estimate: Estimate, limits: Limits | None = None) -> float | None:
    """The time a CPU pass would take by the estimate's MACs and bytes; None where they are unknown."""
    limits = limits or LIMITS
    if estimate.macs is None or estimate.peak_bytes is None:
        return None
    return estimate.macs / limits.mac_rate + estimate.cpu_bytes / limits.byte_rate


def choose(estimate: Estimate, limits: Limits | None = None) -> Choice:
    """CPU or meta for this estimate: meta where a CPU pass would not fit in `limits.memory` or would
    take longer than the meta device's start costs; the CPU where it is cheap (real values: a forward
    whose control flow reads them runs too)."""
    limits = limits or LIMITS  # read at the call, so that a test can move the line
    memory = memory_limit(limits)
    if estimate.weight_bytes + estimate.input_bytes > memory:
        need = _gib(estimate.weight_bytes + estimate.input_bytes)
        return Choice("meta", msg("device.weights", need=need))
    seconds = cpu_seconds(estimate, limits)
    if seconds is None:
        if estimate.input_elements <= limits.small_input and estimate.weight_bytes <= limits.small_weights:
            return Choice("cpu", msg("device.small", weights=_gib(estimate.weight_bytes)))
        return Choice("meta", msg("device.unsized", weights=_gib(estimate.weight_bytes)), sized=False)
    need = _gib(estimate.cpu_bytes)
    if seconds > limits.seconds:  # first: its words do not depend on the machine's free memory
        return Choice("meta", msg("device.slow", need=need, seconds=f"{seconds:.0f}"))
    if estimate.cpu_bytes > memory:
        return Choice("meta", msg("device.memory", need=need))
    if estimate.traced:  # the meta pass has given the answer already: running it again costs more
        return Choice("meta", msg("device.traced", need=need, seconds=f"{seconds:.1f}"))
    return Choice("cpu", msg("device.cheap", need=need, seconds=f"{seconds:.2f}"))


def available_memory() -> int:
    """Half the memory this process can still take: the machine's MemAvailable, or its control group's
    limit where that is lower."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available = 8 << 30
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(available, 0) // 2


def weight_bytes(model: nn.Module) -> int:
    """Bytes of the model's parameters and buffers, each counted once."""
    tensors = {id(t): t for t in (*model.parameters(), *model.buffers())}
    lazy = nn.parameter.UninitializedTensorMixin  # a lazy layer's: no size until its first call
    return sum(t.numel() * t.element_size() for t in tensors.values() if not isinstance(t, lazy))


def _chain(module: nn.Module) -> list[nn.Module] | None:
    """The leaves of a model that is Sequentials all the way down, in the order they run; None for any
    other structure (a forward of the user's decides the order, and what else happens)."""
    if introspect.is_leaf(module):
        return [module]
    if type(module) is not nn.Sequential:
        return None
    leaves: list[nn.Module] = []
    for child in module:
        inner = _chain(child)
        if inner is None:
            return None
        leaves.extend(inner)
    return leaves


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for size in shape:
        count *= size
    return count


def estimate_model(model: nn.Module, shapes: list[tuple[int, ...]], dtypes: list[torch.dtype]) -> Estimate:
    """The cost of a CPU pass from the module tree (a model built on the meta device will do): the
    weights always; activations and MACs where the model is a chain of layers with rules, each
    output derived by the calculator (a layer the formulas refuse ends the pass there, as it would)."""
    itemsize = [torch.empty((), dtype=dtype).element_size() for dtype in dtypes]
    elements = sum(_numel(shape) for shape in shapes)
    estimate = Estimate(
        weight_bytes(model), elements, sum(_numel(s) * size for s, size in zip(shapes, itemsize, strict=True))
    )
    leaves = _chain(model)
    if leaves is None or len(shapes) != 1 or not dtypes[0].is_floating_point:
        return estimate
    current, size = tuple(shapes[0]), itemsize[0]
    peak = macs = 0
    for leaf in leaves:
        key, custom = introspect.rule_key(type(leaf))
        if not key or custom:
            return estimate
        call = rules.Call(dict(introspect.attributes_of(leaf)), (current,))
        try:
            derivation = rules.derive(key, call)
        except Refusal:
            break  # the pass stops here
        except Exception:  # a rule that cannot tell (NotCheckable), or cannot read these settings
            return estimate
        if derivation is None or len(derivation.shapes) != 1:
            return estimate
        output = tuple(derivation.shapes[0])
        counted = rules.count_macs(key, replace(call, outputs=(output,)))
        macs += counted or 0
        peak = max(peak, (_numel(current) + _numel(output)) * size)
        current = output
    return replace(estimate, peak_bytes=peak, macs=macs)


def estimate_trace(trace: TraceRecord, weight_bytes: int) -> Estimate:
    """The cost of a CPU pass from a pass on the meta device: the largest inputs and outputs of one
    leaf call held at once, the MACs counted."""
    peak = 0
    for layer in trace.layers:
        if layer.is_leaf and layer.outputs is not None:
            peak = max(peak, layer.inputs.nbytes + layer.outputs.nbytes)
    tensors = list(trace.inputs.tensors())
    elements = sum(_numel(tensor.shape) for tensor in tensors)
    return Estimate(weight_bytes, elements, trace.inputs.nbytes, peak, trace.totals.macs, traced=True)
