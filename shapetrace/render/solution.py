"""The solver's answer: every range of input sizes with its outcome, as a table or a JSON document."""

from __future__ import annotations

from typing import Any

from shapetrace.messages import Lang, Seq, Terms
from shapetrace.render.common import format_shapes, say, words
from shapetrace.render.grid import tabulate
from shapetrace.solution import SizeRange, Solution

__all__ = ["render_solution", "solution_to_dict"]

_DIMS = {"square": "solve.dims_square", "H": "solve.dims_h", "W": "solve.dims_w", "L": "solve.dims_length"}


def _sizes(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _outcome(size_range: SizeRange, lang: Lang) -> str:
    if size_range.ok:
        return format_shapes(size_range.output_shapes or ())
    example = say("solve.example", lang, size=size_range.first) if size_range.first != size_range.last else ""
    reason = words(size_range.reason, lang)
    if size_range.layer and size_range.layer != "?":
        return say("solve.fails_at", lang, layer=size_range.layer, example=example, reason=reason)
    return say("solve.fails", lang, example=example, reason=reason)


_WHERE = {"meta": "solve.where_meta", "cpu": "solve.where_cpu", "cuda": "solve.where_cuda"}  # passes ran


def _found_by(solution: Solution, lang: Lang) -> str:
    where = say(_WHERE.get(solution.device.split(":")[0], "solve.where_cpu"), lang)
    if solution.method == "closed form":
        return say("solve.found_closed", lang, passes=solution.passes, where=where)
    if solution.method == "analytic":
        return say("solve.found_analytic", lang, passes=solution.passes, where=where)
    if not solution.complete:
        return say("solve.found_partial", lang, passes=solution.passes)
    if not solution.valid:
        return say("solve.found_nothing_ran", lang, passes=solution.passes, where=where)
    return say("solve.found_exhaustive", lang, passes=solution.passes, where=where)


def _checked(solution: Solution) -> int:
    return solution.checked_to if solution.checked_to is not None else solution.hi


def _verdict(solution: Solution, lang: Lang, terms: Terms) -> list[str]:
    """The sizes that work, or that none of those checked does; where the time budget stopped the
    search, which sizes were checked."""
    checked = _checked(solution)
    lines = []
    if solution.valid:
        works = Seq(tuple(_sizes(first, last) for first, last in solution.working))
        lines.append(say("solve.works", lang, works=works, smallest=solution.valid[0].first))
    elif checked >= solution.lo and solution.failure is not None:
        failure = words(solution.failure, lang, terms)
        lines.append(say("solve.none_at_input", lang, lo=solution.lo, hi=checked, failure=failure))
    elif checked >= solution.lo:
        lines.append(say("solve.none", lang, lo=solution.lo, hi=checked))
    if solution.complete:
        return lines
    budget = f"{solution.budget or 0:.1f}"
    if checked < solution.lo:
        return [*lines, say("solve.stopped_none", lang, budget=budget)]
    values = {"lo": solution.lo, "checked": checked, "rest": checked + 1, "hi": solution.hi}
    return [*lines, say("solve.stopped", lang, budget=budget, **values)]


def render_solution(solution: Solution, lang: Lang = "en", terms: Terms = "api") -> str:
    """Every range of sizes with its outcome, the smallest size that works, and how it was found."""
    rows = [(_sizes(r.first, r.last), _outcome(r, lang)) for r in solution.ranges]
    dims = say(_DIMS[solution.dims], lang)
    title = say(
        "solve.title",
        lang,
        model=solution.model,
        lo=solution.lo,
        hi=solution.hi,
        dims=dims,
        shape=solution.input_shape,
    )
    headers = (say("solve.sizes", lang), say("solve.output", lang))
    lines = [title, "", tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True), ""]
    lines += _verdict(solution, lang, terms)
    if solution.first_formula:
        lines.append(
            say("solve.first_formula", lang, layer=solution.first_layer, formula=solution.first_formula)
        )
    lines.append(_found_by(solution, lang))
    return "\n".join(lines) + "\n"


def solution_to_dict(solution: Solution, terms: Terms = "api") -> dict[str, Any]:
    """The `shapetrace/solve/1` document; its words in English."""
    return {
        "schema": "shapetrace/solve/1",
        "model": solution.model,
        "input_shape": list(solution.input_shape),
        "dims": solution.dims,
        "lo": solution.lo,
        "hi": solution.hi,
        "ranges": [
            {
                "first": size_range.first,
                "last": size_range.last,
                "output_shapes": None
                if size_range.output_shapes is None
                else [list(shape) for shape in size_range.output_shapes],
                "layer": size_range.layer,
                "reason": words(size_range.reason) or None,
            }
            for size_range in solution.ranges
        ],
        "method": solution.method,
        "passes": solution.passes,
        "device": solution.device,
        "budget": solution.budget,
        "checked_to": _checked(solution),
        "complete": solution.complete,
        "first_layer": solution.first_layer,
        "first_formula": solution.first_formula,
        "failure": words(solution.failure, "en", terms) or None,
    }
