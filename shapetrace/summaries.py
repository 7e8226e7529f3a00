"""`shapetrace.summary()`: torchinfo's `summary()` signature on top of `trace()`. A thin layer: the
arguments are checked and turned into a trace's, the trace into torchinfo-style rows and totals
(`shapetrace.views`), and the frozen result renders them (`shapetrace.render.summary`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shapetrace import introspect
from shapetrace._torch import nn, torch
from shapetrace.errors import UsageError
from shapetrace.messages import Lang, Message, Seq
from shapetrace.pipeline import Trace, trace
from shapetrace.render import svg
from shapetrace.render.summary import COLUMNS, ROW_SETTINGS, SummaryOptions, render_summary, summary_html
from shapetrace.summary_records import ParamTensor, SummaryRow, SummaryTotals
from shapetrace.views import summary_rows, summary_totals

__all__ = ["summary", "Summary", "COLUMNS", "ROW_SETTINGS"]


@dataclass(frozen=True)
class Summary:
    """What `summary()` returns: the rows (`summary_list`), the totals, and the trace they come from
    (None without an input). `str()` is the table; Jupyter shows `_repr_html_`."""

    summary_list: tuple[SummaryRow, ...]
    totals: SummaryTotals
    options: SummaryOptions
    trace: Trace | None = None
    lang: Lang = "en"

    @property
    def total_params(self) -> int:
        return self.totals.params

    @property
    def trainable_params(self) -> int:
        return self.totals.trainable_params

    @property
    def total_mult_adds(self) -> int:
        """Multiply-accumulates of the whole pass; 0 without an input, as torchinfo."""
        return self.totals.mult_adds or 0

    @property
    def total_input(self) -> int:
        """Bytes of the inputs (0 without one)."""
        return self.totals.input_bytes or 0

    @property
    def total_output_bytes(self) -> int:
        """torchinfo's forward/backward pass size in bytes: twice the outputs of the leaf calls that hold
        parameters (0 without an input)."""
        return self.totals.pass_bytes or 0

    @property
    def total_param_bytes(self) -> int:
        return self.totals.param_bytes

    def __str__(self) -> str:
        return render_summary(self.summary_list, self.totals, self.options, self.lang, self._notes())

    def _notes(self) -> tuple[Message, ...]:
        """How the trace counted what hooks could not see (a compiled or TorchScript model, ...)."""
        return self.trace.notes if self.trace is not None else ()

    def __repr__(self) -> str:  # torchinfo's result reprs as its table too
        return str(self)

    def _repr_html_(self) -> str:
        """The summary as an HTML table with its totals, and the trace's diagram (inline SVG)."""
        diagram = svg.render_svg(self.trace, lang=self.lang) if self.trace is not None else ""
        return summary_html(self.summary_list, self.totals, self.options, self.lang, diagram, self._notes())


def _choices(
    values: Any, allowed: tuple[str, ...], code: str, key: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    if values is None:
        return default
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, Iterable):
        raise UsageError(code, **{key: repr(values)}, choices=Seq(allowed))
    chosen = []
    for value in values:
        name = getattr(value, "name", value)  # torchinfo's enums (ColumnSettings.NUM_PARAMS) by name too
        name = str(name).lower()
        if name not in allowed:
            raise UsageError(code, **{key: repr(value)}, choices=Seq(allowed))
        chosen.append(name)
    return tuple(chosen)


def options_of(
    col_names: Iterable[str] | None = None,
    row_settings: Iterable[str] | None = None,
    depth: int = 3,
    verbose: int = 1,
    col_width: int = 25,
    has_input: bool = True,
) -> SummaryOptions:
    """The checked display options; torchinfo's defaults (output shape and params; with no input,
    params only; rows labelled with their depth-index)."""
    default_columns = ("output_size", "num_params") if has_input else ("num_params",)
    columns = _choices(col_names, COLUMNS, "usage.summary_column", "column", default_columns)
    settings = _choices(row_settings, ROW_SETTINGS, "usage.summary_row_setting", "setting", ("depth",))
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise UsageError("usage.summary_depth", depth=repr(depth))
    if verbose not in (0, 1, 2):  # False and True too, as torchinfo takes them
        raise UsageError("usage.summary_verbose", verbose=repr(verbose))
    if not isinstance(col_width, int) or isinstance(col_width, bool) or col_width < 1:
        raise UsageError("usage.summary_col_width", col_width=repr(col_width))
    return SummaryOptions(columns, settings, depth, int(verbose), col_width)


def _own(model: nn.Module) -> dict[str, tuple[ParamTensor, ...]]:
    return {
        name: tuple(ParamTensor(key, shape, count) for key, shape, count in tensors)
        for name, tensors in introspect.own_parameters(model).items()
    }


def _static(model: nn.Module) -> tuple[tuple[SummaryRow, ...], SummaryTotals]:
    """Without an input: the module tree, each module's parameters (no shapes, no MACs)."""
    own = _own(model)
    counts = introspect.subtree_param_counts(model)
    counters: dict[int, int] = {}
    rows = []
    for name, module in model.named_modules():
        depth = name.count(".") + 1 if name else 0
        counters[depth] = counters.get(depth, 0) + 1
        total, trainable = counts[id(module)]
        rows.append(
            SummaryRow(
                var_name=name, class_name=introspect.type_name(module), depth=depth,
                depth_index=counters[depth], is_leaf_layer=introspect.is_leaf(module), num_params=total,
                trainable_params=trainable, own_params=sum(tensor.count for tensor in own.get(name, ())),
                params=own.get(name, ()), kernel_size=getattr(module, "kernel_size", None),
                groups=getattr(module, "groups", None),
            )
        )  # fmt: skip
    parameters = introspect.unique_parameters(model.modules())
    total, trainable = counts[id(model)]
    param_bytes = sum(introspect.numel(parameter) * parameter.dtype.itemsize for parameter in parameters)
    return tuple(rows), SummaryTotals(params=total, trainable_params=trainable, param_bytes=param_bytes)


def summary(
    model: nn.Module,
    input_size: Any = None,
    input_data: Any = None,
    batch_dim: int | None = None,
    cache_forward_pass: bool | None = None,
    col_names: Iterable[str] | None = None,
    col_width: int = 25,
    depth: int = 3,
    device: str | torch.device | None = None,
    dtypes: Sequence[Any] | None = None,
    mode: str = "same",
    row_settings: Iterable[str] | None = None,
    verbose: int | None = None,
    **kwargs: Any,
) -> Summary:
    """torchinfo's `summary()`, with shapetrace's counts: every parameter tensor once, MACs as PyTorch
    counts them. The arguments mean what they mean in torchinfo (docs/from-torchinfo.md); `**kwargs`
    go to forward. Without an input the summary lists parameters only. `verbose` 1 (the default in a
    script) prints the table, 2 with a row per parameter tensor, 0 prints nothing; the result holds
    the numbers either way. `cache_forward_pass` is accepted and has no effect: every call traces."""
    if verbose is None:
        verbose = 0 if getattr(sys, "ps1", None) else 1  # quiet at an interactive prompt, as torchinfo
    has_input = input_size is not None or input_data is not None
    options = options_of(col_names, row_settings, depth, verbose, col_width, has_input)
    if has_input:
        recorded = trace(
            model, input_size, input_data=input_data, dtypes=dtypes, device=device, batch_dim=batch_dim,
            forward_kwargs=kwargs, mode=mode,
        )  # fmt: skip
        traced = introspect.compiled_original(model) or model  # torch.compile's wrapper: the module inside
        lazy = any(nn.parameter.is_lazy(parameter) for parameter in traced.parameters())
        own = None if lazy else _own(traced)  # a lazy model is traced as a copy: its counts are the trace's
        result = Summary(summary_rows(recorded, own), summary_totals(recorded), options, recorded)
    else:
        rows, totals = _static(model)
        result = Summary(rows, totals, options)
    if verbose:
        sys.stdout.write(str(result))
    return result
