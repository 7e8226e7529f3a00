"""Two or more models side by side, as d2l sets LeNet beside AlexNet: the totals, the stages aligned one
against another (convolutions, pools, the flatten, each Linear, blocks), what changed from one model to
the next, and the diagrams. Plain views here; `compare` and the templates lay them out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from shapetrace.messages import Lang, Message, Seq, msg
from shapetrace.records import LayerRecord, TraceRecord
from shapetrace.render.common import format_count, format_value, say, words
from shapetrace.render.diagram import Box, build_diagram

__all__ = ["Stage", "stages", "align", "changes", "STAGE_BOXES"]

STAGE_BOXES = 40  # models are compared at the depth whose diagram needs at most this many boxes


@dataclass(frozen=True)
class Stage:
    """One step of a model as the comparison shows it: a layer with what follows it pointwise, or a block."""

    kind: str  # "conv", "pool", "reshape", "linear", "norm", "concat", "add", "other", or "block:Inception"
    text: str  # "Conv2d k=5 p=2 + Sigmoid"
    output: str  # its output shape
    formula: str  # how its main layer's output size follows (in the language asked for)
    layers: tuple[int, ...]


def _stage(trace: TraceRecord, box: Box, lang: Lang) -> Stage:
    main: LayerRecord = trace.graph[box.layers[0]]
    last: LayerRecord = trace.graph[max(box.layers)]
    head = f"{box.label} × {box.count}" if box.count > 1 else box.label
    text = " ".join((head, *box.details)).strip()
    kind = f"block:{box.label}" if box.kind == "block" else box.kind
    output = say("report.failed_here", lang) if last.failed else format_value(last.outputs)
    formula = words(main.derivation, lang) if box.kind != "block" else ""
    return Stage(kind, text, output, formula, box.layers)


def stages(trace: TraceRecord, lang: Lang = "en") -> list[Stage]:
    """The model's stages in call order, at the depth its diagram uses for at most STAGE_BOXES boxes."""
    diagram = build_diagram(trace, None, lang, max_boxes=STAGE_BOXES)
    return [_stage(trace, box, lang) for box in diagram.boxes if box.kind not in ("input", "output")]


_MATCH, _MISMATCH, _GAP = 2, -2, -1


def _pair(first: list[str], second: list[str]) -> list[tuple[int | None, int | None]]:
    """A global alignment (Needleman-Wunsch) of two kind sequences as index pairs, None for a gap;
    among equally good alignments, the one that matches earliest (LeNet's second convolution against
    AlexNet's second, as d2l draws them)."""
    rows, columns = len(first), len(second)
    score = [[0] * (columns + 1) for _ in range(rows + 1)]  # score[i][j]: first[i:] against second[j:]
    for i in range(rows, -1, -1):
        for j in range(columns, -1, -1):
            if i == rows or j == columns:
                score[i][j] = _GAP * ((rows - i) + (columns - j))
                continue
            same = _MATCH if first[i] == second[j] else _MISMATCH
            score[i][j] = max(same + score[i + 1][j + 1], _GAP + score[i + 1][j], _GAP + score[i][j + 1])
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < rows or j < columns:
        if i < rows and j < columns and first[i] == second[j] and score[i][j] == _MATCH + score[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif j == columns or (i < rows and score[i][j] == _GAP + score[i + 1][j]):
            pairs.append((i, None))
            i += 1
        elif i == rows or score[i][j] == _GAP + score[i][j + 1]:
            pairs.append((None, j))
            j += 1
        else:
            pairs.append((i, j))
            i, j = i + 1, j + 1
    return pairs


def align(per_model: list[list[Stage]]) -> list[tuple[Stage | None, ...]]:
    """Rows of stages, one cell per model, matching stages of the same kind in order: each model is
    aligned against the rows so far (the kind of a row is that of its first stage); a stage one model
    lacks leaves its cell empty."""
    rows: list[tuple[Stage | None, ...]] = [(stage,) for stage in per_model[0]]
    for position, model_stages in enumerate(per_model[1:], start=1):
        consensus = [next(cell.kind for cell in row if cell is not None) for row in rows]
        merged: list[tuple[Stage | None, ...]] = []
        for row, stage in _pair(consensus, [stage.kind for stage in model_stages]):
            cells = rows[row] if row is not None else (None,) * position
            merged.append((*cells, model_stages[stage] if stage is not None else None))
        rows = merged
    return rows


def _facts(trace: TraceRecord) -> dict[str, Any]:
    """What the changes compare: counts and kinds of layers, Linear widths, merges, totals."""
    leaves = [layer for layer in trace.graph if layer.is_leaf]
    types = Counter(layer.base_type for layer in leaves if not layer.reused)
    linears = tuple(
        layer.attribute("out_features") for layer in leaves if layer.base_type in ("Linear", "LazyLinear")
    )
    activations = sorted(
        {layer.type.removeprefix("function:") for layer in leaves if layer.base_type in _ACTIVATIONS}
    )
    pools = sorted({layer.type for layer in leaves if "Pool" in layer.base_type})
    dropout = sorted(
        {f"p={layer.attribute('p')}" for layer in leaves if layer.base_type.startswith("Dropout")}
    )
    blocks = Counter(layer.type for layer in trace.graph if not layer.is_leaf and layer.depth > 0)
    return {
        "convs": sum(count for key, count in types.items() if key.startswith("Conv")),
        "linears": linears,
        "activations": tuple(activations),
        "pools": tuple(pools),
        "dropout": (types["Dropout"], tuple(dropout)),
        "blocks": tuple(sorted(blocks.items())),
        "concat": sum(types[key] for key in ("function:cat", "function:concat", "function:stack")),
        "add": sum(types[key] for key in ("function:add", "function:add_")),
        "params": trace.totals.params,
        "macs": trace.totals.macs,
    }


_ACTIVATIONS = {"ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "ELU", "Mish", "Hardswish",
                "function:relu", "function:relu_", "function:gelu", "function:silu", "function:sigmoid",
                "function:tanh"}  # fmt: skip


def _listing(values: tuple, none: Message) -> object:
    return Seq(values) if values else none


def _change(code: str, before: object, after: object) -> Message:
    return msg(code, before=before, after=after)


def _pair_changes(first: dict[str, Any], second: dict[str, Any]) -> list[Message]:
    none = msg("word.none")
    found = []
    if first["convs"] != second["convs"]:
        found.append(_change("compare.change_convs", first["convs"], second["convs"]))
    for key in ("linears", "activations", "pools"):
        if first[key] != second[key]:
            found.append(
                _change(f"compare.change_{key}", _listing(first[key], none), _listing(second[key], none))
            )
    if first["dropout"] != second["dropout"]:
        before, after = (
            msg("compare.dropout", count=count, settings=Seq(settings)) if count else none
            for count, settings in (first["dropout"], second["dropout"])
        )
        found.append(_change("compare.change_dropout", before, after))
    if first["blocks"] != second["blocks"]:
        before, after = (
            Seq(tuple(f"{name} × {count}" for name, count in blocks)) if blocks else none
            for blocks in (first["blocks"], second["blocks"])
        )
        found.append(_change("compare.change_blocks", before, after))
    for key in ("concat", "add"):
        if first[key] != second[key]:
            found.append(_change(f"compare.change_{key}", first[key], second[key]))
    for key in ("params", "macs"):
        if first[key] != second[key]:
            ratio = second[key] / first[key] if first[key] else 0
            ratio = f"× {ratio:.1f}" if ratio >= 1 else (f"÷ {1 / ratio:.1f}" if ratio else "-")
            found.append(msg(f"compare.change_{key}", before=format_count(first[key]),
                             after=format_count(second[key]), ratio=ratio))  # fmt: skip
    return found


def changes(traces: list[TraceRecord]) -> list[tuple[str, str, list[Message]]]:
    """For each model after the first: (previous model, this model, what changed between them)."""
    facts = [_facts(trace) for trace in traces]
    return [
        (traces[i - 1].model, traces[i].model, _pair_changes(facts[i - 1], facts[i]))
        for i in range(1, len(traces))
    ]
