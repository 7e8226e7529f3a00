"""A shape rule against PyTorch: trace the layer on a real input, as `shapetrace.trace` does, and hold
the cross-check to it: every layer with a shape rule that PyTorch ran checks "ok", and the layer where
PyTorch raised is one whose rule refuses the call. Anything else is an AssertionError that names the
layer, its input and both outcomes."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from shapetrace import rules
from shapetrace._torch import nn, torch
from shapetrace.analysis import analyse
from shapetrace.messages import Message, Seq, msg, render
from shapetrace.recorder import record
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.testing.strategies import Case

__all__ = ["assert_rule_matches_torch", "check_rule"]


def _has_shape_rule(key: str) -> bool:
    entry = rules.rule_for(key)
    return entry is not None and entry.shape is not None


def _shown(model: nn.Module, row: LayerRecord) -> str:
    """The layer as its repr shows it; a bare `Blur()` with the attributes its rule reads."""
    module = model.get_submodule(row.name)
    text = repr(module)
    if text == f"{type(module).__name__}()" and row.attributes:
        text = f"{row.type}({', '.join(f'{name}={value!r}' for name, value in row.attributes)})"
    return text


def _rule_outcome(row: LayerRecord) -> Any:
    """What the rule says about the row's call: shapes and derivation, a refusal, or why it cannot tell."""
    finding = row.finding
    if finding is not None and finding.code in ("check.refused", "check.formulas_explain"):
        return msg("testing.refuses", refusal=row.derivation)
    if row.expected_shapes is not None:
        shapes = Seq(row.expected_shapes, "; ")
        derivation = row.derivation
        if derivation is None or derivation.code == "derive.user_rule":  # it only repeats the shapes
            return shapes
        return msg("testing.gives", shapes=shapes, derivation=derivation)
    if finding is not None:
        return msg("testing.cannot_tell", finding=finding)
    return msg("testing.no_rule", type=row.type)


def _disagreement(model: nn.Module, trace: TraceRecord, row: LayerRecord) -> Message:
    name = row.name.removeprefix("0").removeprefix(".")  # the probe's Sequential is not the user's
    layer = row.type if not name else msg("testing.layer_at", type=row.type, name=name)
    if row.failed:
        assert trace.error is not None
        theirs: Any = msg("testing.raises", error=f"{trace.error.exception_type}: {trace.error.message}")
    else:
        theirs = Seq(row.output_shapes, "; ")
    return msg(
        "testing.disagrees",
        layer=layer,
        input=Seq(row.input_shapes, ", "),
        module=_shown(model, row),
        torch=theirs,
        rule=_rule_outcome(row),
    )


def _problem(model: nn.Module, trace: TraceRecord) -> Message | None:
    """The first layer whose rule disagrees with what PyTorch did; None where all agree."""
    failing = trace.error.layer if trace.error is not None else None
    for row in trace.layers:
        if row.is_function:
            continue
        if row.name == failing:  # PyTorch raised here: the rule must refuse
            refused = row.finding is not None and row.finding.code == "check.formulas_explain"
            return None if refused else _disagreement(model, trace, row)
        if row.failed:
            continue  # a container around the failing layer
        checked = _has_shape_rule(row.base_type) or (row.name == "0" and row.is_leaf)
        if checked and row.check != "ok":
            return _disagreement(model, trace, row)
    return None


def assert_rule_matches_torch(layer: nn.Module, input_shape: tuple[int, ...], *, dtype: Any = None) -> None:
    """Trace `layer` on a tensor of `input_shape` (float32 unless `dtype`) and raise AssertionError
    unless its shape rule (and that of every layer inside it that has one) agrees with PyTorch: the
    same shapes where PyTorch runs it, a refusal exactly where PyTorch raises."""
    __tracebackhide__ = True  # pytest shows the user's test and the message, not these frames
    model = nn.Sequential(layer)
    threads = torch.get_num_threads()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's notes ('same' padding with an even kernel, ...)
            torch.set_num_threads(1)  # tiny tensors: threads cost more than they save, on a busy machine
            inputs = torch.zeros(tuple(input_shape), dtype=dtype or torch.float32)
            recording = record(model, (inputs,), {}, device=torch.device("cpu"))
    finally:
        torch.set_num_threads(threads)
    problem = _problem(model, analyse(recording.trace))
    if problem is not None:
        raise AssertionError(render(problem))


def _build(layer_factory: Callable[..., nn.Module], config: Any) -> nn.Module:
    return layer_factory(**config) if isinstance(config, Mapping) else layer_factory(config)


def check_rule(
    layer_factory: Callable[..., nn.Module],
    strategy: st.SearchStrategy[Any],
    *,
    settings: Settings | None = None,
    dtype: Any = None,
) -> None:
    """Property-test a shape rule: for every case `strategy` draws (a `Case`, or a (config, input
    shape) pair), build the layer with `layer_factory(**config)` and `assert_rule_matches_torch`.
    Hypothesis shrinks a failure to a smallest case and raises its AssertionError. Runs under
    `settings`, by default the current profile's without a deadline; never with hypothesis's
    explanation of which lines only failing cases ran (shapetrace's own, here: slow and no help)."""
    __tracebackhide__ = True

    def run(case: Any) -> None:
        __tracebackhide__ = True
        config, shape = (case.config, case.input_shape) if isinstance(case, Case) else case
        assert_rule_matches_torch(_build(layer_factory, config), shape, dtype=dtype)

    name = getattr(layer_factory, "__qualname__", type(layer_factory).__name__)
    run._hypothesis_internal_add_digest = f"{name} {strategy!r}".encode()  # type: ignore[attr-defined]
    if settings is None:
        settings = Settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    phases = [phase for phase in settings.phases if phase is not Phase.explain]
    chosen = Settings(settings, phases=phases)
    chosen(given(strategy)(run))()
