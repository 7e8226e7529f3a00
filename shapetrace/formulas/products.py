"""Shapes and MACs of tensor products: matmul with broadcasting, and einsum in the order torch contracts."""

from __future__ import annotations

from collections.abc import Sequence

from shapetrace.formulas.counts import numel
from shapetrace.formulas.sizes import require

__all__ = ["broadcast_batch", "matmul_shape", "matmul_macs", "einsum_shape", "einsum_macs", "attention_macs"]

Shape = tuple[int, ...]


def broadcast_batch(first: Sequence[int], second: Sequence[int], what: str) -> Shape:
    rank = max(len(first), len(second))
    a = (1,) * (rank - len(first)) + tuple(first)
    b = (1,) * (rank - len(second)) + tuple(second)
    for size_a, size_b in zip(a, b, strict=True):
        require(
            size_a == size_b or 1 in (size_a, size_b),
            "formula.broadcast_batch", what=what, first=tuple(first), second=tuple(second),
        )  # fmt: skip
    return tuple(max(x, y) if 0 not in (x, y) else 0 for x, y in zip(a, b, strict=True))


def matmul_shape(a: Sequence[int], b: Sequence[int]) -> Shape:
    """Output shape of torch.matmul (a @ b): a 1-d operand is a row (a) or a column (b) vector,
    dims before the last two broadcast, and a's last size must equal b's rows."""
    require(len(a) >= 1 and len(b) >= 1, "formula.matmul_rank", a=tuple(a), b=tuple(b))
    rows = tuple(b) if len(b) > 1 else (b[0], 1)
    inner = rows[-2]
    require(
        a[-1] == inner,
        "formula.matmul_inner" if len(b) > 1 else "formula.matmul_inner_vector",
        a=tuple(a), b=tuple(b), last=a[-1], inner=inner,
    )  # fmt: skip
    if len(a) == 1 and len(b) == 1:
        return ()
    batch = broadcast_batch(a[:-2], b[:-2], "matmul")
    rows_a = (a[-2],) if len(a) > 1 else ()
    cols_b = (b[-1],) if len(b) > 1 else ()
    return (*batch, *rows_a, *cols_b)


def matmul_macs(a: Sequence[int], b: Sequence[int]) -> int:
    """MACs of a @ b: every output element is a dot product of length a[-1]."""
    return numel(matmul_shape(a, b)) * a[-1]


def _einsum_terms(equation: str, shapes: Sequence[Sequence[int]]) -> tuple[list[list[str]], list[str]]:
    """Each operand's labels, one per dim (an ellipsis expands to labels '.0', '.1', ... counted
    from the right), and the output's labels (implicit output: ellipsis, then the labels seen once,
    in alphabetical order, capitals first)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    require(len(terms) == len(shapes), "formula.einsum_operands", terms=len(terms), tensors=len(shapes))
    labelled = []
    ellipsis_rank = 0
    for term, shape in zip(terms, shapes, strict=True):
        letters = term.replace("...", "")
        require(letters.isalpha() and letters.isascii() or not letters, "formula.einsum_bad", term=repr(term))
        require(term.count("...") <= 1, "formula.einsum_ellipses", term=repr(term))
        if "..." in term:
            extra = len(shape) - len(letters)
            require(extra >= 0, "formula.einsum_too_many", term=repr(term), rank=len(shape))
            before, _, after = term.partition("...")
            labels = [*before, *(f".{extra - 1 - i}" for i in range(extra)), *after]
            ellipsis_rank = max(ellipsis_rank, extra)
        else:
            require(
                len(letters) == len(shape),
                "formula.einsum_count", term=repr(term), count=len(letters), rank=len(shape),
            )  # fmt: skip
            labels = list(letters)
        labelled.append(labels)
    ellipsis = [f".{i}" for i in range(ellipsis_rank - 1, -1, -1)]
    if arrow:
        letters = output.replace("...", "")
        require(
            letters.isalpha() and letters.isascii() or not letters,
            "formula.einsum_bad_output",
            output=repr(output),
        )
        require(len(set(letters)) == len(letters), "formula.einsum_output_repeat", output=repr(output))
        seen = {label for labels in labelled for label in labels}
        for letter in letters:
            require(letter in seen, "formula.einsum_output_unknown", letter=letter)
        before, has_ellipsis, after = output.partition("...")
        out = [*before, *(ellipsis if has_ellipsis else ()), *after]
    else:
        counts: dict[str, int] = {}
        for labels in labelled:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        out = ellipsis + sorted(label for label, count in counts.items() if count == 1 and label[0] != ".")
    return labelled, out


def _einsum_sizes(labelled: list[list[str]], shapes: Sequence[Sequence[int]]) -> list[dict[str, int]]:
    """Each operand's size per label (after taking diagonals); sizes of 1 broadcast."""
    seen: dict[str, int] = {}
    sizes = []
    for position, (labels, shape) in enumerate(zip(labelled, shapes, strict=True)):
        own: dict[str, int] = {}
        for label, size in zip(labels, shape, strict=True):
            name = "..." if label[0] == "." else label
            require(
                own.get(label, size) == size,
                "formula.einsum_repeated", name=name, position=position, first=own.get(label), size=size,
            )  # fmt: skip
            own[label] = size
            require(
                size == 1 or seen.get(label, 1) in (1, size),
                "formula.einsum_broadcast", name=name, size=size, position=position, seen=seen.get(label),
            )  # fmt: skip
            if size != 1 or label not in seen:
                seen[label] = size
        sizes.append(own)
    return sizes


def einsum_shape(equation: str, shapes: Sequence[Sequence[int]]) -> Shape:
    """Output shape of torch.einsum(equation, *operands)."""
    labelled, out = _einsum_terms(equation, shapes)
    sizes = _einsum_sizes(labelled, shapes)
    merged: dict[str, int] = {}
    for own in sizes:
        for label, size in own.items():
            if size != 1 or label not in merged:
                merged[label] = size
    return tuple(merged.get(label, 1) for label in out)


def einsum_macs(
    equation: str, shapes: Sequence[Sequence[int]], path: Sequence[Sequence[int]] | None = None
) -> int:
    """MACs of torch.einsum contracting the operands pairwise: from left to right (PyTorch's order
    without opt_einsum), or along `path` (opt_einsum's format: pairs of positions in the list of
    operands, each result appended at its end). Each step that sums a label both sides have is a
    batched product over every label of either side (a label only one side has is summed beforehand,
    for free); a step that sums nothing is an elementwise product, which, like `*`, is not a MAC;
    so is one operand."""
    labelled, out = _einsum_terms(equation, shapes)
    operands = [dict(own) for own in _einsum_sizes(labelled, shapes)]
    if path is None:
        count = len(operands)
        path = [(0, 1)] + [(0, count - 1 - step) for step in range(1, count - 1)] if count > 1 else []
    kept_labels = set(out)
    total = 0
    for pair in path:
        if len(pair) != 2:
            continue  # a single operand reduced: sums only
        first, second = sorted(pair)
        right, left = operands.pop(second), operands.pop(first)
        needed = kept_labels.union(*(own.keys() for own in operands))
        step, contracted = 1, False
        for label in left.keys() | right.keys():
            left_size, right_size = left.get(label, 1), right.get(label, 1)
            summed = label not in needed
            if summed and (left_size == 1 or right_size == 1):
                continue
            contracted = contracted or summed
            step *= max(left_size, right_size) if 0 not in (left_size, right_size) else 0
        total += step if contracted else 0  # nothing summed: an elementwise product, as `*` is
        operands.append(
            {
                label: max(left.get(label, 1), right.get(label, 1))
                for label in left.keys() | right.keys()
                if label in needed
            }
        )
    return total


def attention_macs(
    query_shape: Sequence[int], key_shape: Sequence[int], value_shape: Sequence[int], enable_gqa: bool = False
) -> int:
    """MACs of scaled dot-product attention: Q·Kᵀ (L·S·E per batch and head), then the weights
    times V (L·S·Ev); the softmax and the scaling are not multiply-accumulates. With grouped-query
    attention (enable_gqa) key and value have fewer heads, shared by groups of query heads."""
    length, embed = query_shape[-2], query_shape[-1]
    source, value_embed = key_shape[-2], value_shape[-1]
    keep = 3 if enable_gqa else 2
    batch = broadcast_batch(
        query_shape[:-keep], broadcast_batch(key_shape[:-keep], value_shape[:-keep], "attention"), "attention"
    )
    heads = (query_shape[-3],) if enable_gqa else ()
    return numel((*batch, *heads)) * length * source * (embed + value_embed)
