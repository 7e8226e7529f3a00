"""The solver's answer as text or as a JSON document."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from shapetrace.render.common import format_shapes

__all__ = ["render_solution", "solution_to_dict"]

_DIMS = {"square": "H = W", "H": "H", "W": "W", "L": "length"}


def _sizes(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def render_solution(solution: Any) -> str:
    """Every range of sizes with its outcome, the smallest size that works, and how it was found."""
    rows = []
    for size_range in solution.ranges:
        if size_range.ok:
            outcome = format_shapes(size_range.output_shapes)
        else:
            where = (
                f"fails at {size_range.layer}" if size_range.layer and size_range.layer != "?" else "fails"
            )
            example = f" (at {size_range.first})" if size_range.first != size_range.last else ""
            outcome = f"{where}{example}: {size_range.reason}"
        rows.append((_sizes(size_range.first, size_range.last), outcome))
    lines = [
        f"shapetrace: {solution.model}: input sizes {solution.lo}..{solution.hi} "
        f"({_DIMS[solution.dims]}; input {list(solution.input_shape)} otherwise)",
        "",
        tabulate(rows, headers=("sizes", "output"), tablefmt="simple", disable_numparse=True),
        "",
    ]
    valid = solution.valid
    if valid:
        works = ", ".join(_sizes(first, last) for first, last in solution.working)
        lines.append(f"Works for {works}; the smallest is {valid[0].first}.")
    elif solution.failure:
        lines.append(f"No size in {solution.lo}..{solution.hi} works. At the given input: {solution.failure}")
    else:
        lines.append(f"No size in {solution.lo}..{solution.hi} works.")
    if solution.first_formula:
        lines.append(f"Output size of {solution.first_layer}: {solution.first_formula}")
    if solution.method == "analytic":
        how = f"replayed with the formulas, confirmed by {solution.passes} meta-device passes"
    elif not valid:
        how = f"{solution.passes} meta-device passes (no size ran, so there was nothing to replay)"
    else:
        how = f"{solution.passes} meta-device passes (the formulas could not replay this model)"
    lines.append(f"Found by: {how}.")
    return "\n".join(lines) + "\n"


def solution_to_dict(solution: Any) -> dict[str, Any]:
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
                "reason": size_range.reason,
            }
            for size_range in solution.ranges
        ],
        "method": solution.method,
        "passes": solution.passes,
        "first_layer": solution.first_layer,
        "first_formula": solution.first_formula,
        "failure": solution.failure,
    }
