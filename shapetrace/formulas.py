"""The analytic calculator: shape, parameter and MAC arithmetic in pure Python (never imports torch).

Each size function works on one spatial dimension and agrees with PyTorch for every argument
PyTorch accepts; where PyTorch refuses, it raises ValueError with a message in the user's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

__all__ = [
    "conv_out",
    "conv_transpose_out",
    "pool_out",
    "avg_pool_out",
    "adaptive_out",
    "same_padding",
    "numel",
    "conv_macs",
    "conv_transpose_macs",
    "linear_macs",
    "bilinear_macs",
    "conv_params",
    "linear_params",
    "embedding_params",
    "norm_params",
    "recurrent_params",
    "attention_params",
    "matmul_shape",
    "matmul_macs",
    "einsum_shape",
    "einsum_macs",
    "attention_macs",
    "multihead_attention_macs",
    "matrix_chain_macs",
    "recurrent_macs",
]

Shape = tuple[int, ...]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_window(kernel: int, stride: int, dilation: int) -> None:
    _require(kernel >= 1, f"kernel size must be at least 1, got {kernel}")
    _require(stride >= 1, f"stride must be at least 1, got {stride}")
    _require(dilation >= 1, f"dilation must be at least 1, got {dilation}")


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding of padding='same': the total d*(k-1), the extra element on the right."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_out(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> int:
    """Output size of a convolution: floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1.

    `padding` may be 'valid' (0) or 'same' (output = input; PyTorch allows it only with stride 1).
    """
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if padding == "valid":
        padding = 0
    if padding == "same":
        _require(stride == 1, "padding='same' is not supported for strided convolutions")
        return size
    _require(isinstance(padding, int), f"padding must be an integer, 'same' or 'valid', got {padding!r}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    _require(
        padded >= span,
        f"the padded input ({size} + 2*{padding} = {padded}) is smaller than the kernel's span "
        f"({dilation}*({kernel}-1) + 1 = {span})",
    )
    return (padded - span) // stride + 1


def conv_transpose_out(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size of a transposed convolution:
    (size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1."""
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(output_padding >= 0, f"negative output_padding is not supported, got {output_padding}")
    _require(
        output_padding < stride or output_padding < dilation,
        f"output_padding ({output_padding}) must be smaller than either stride ({stride}) "
        f"or dilation ({dilation})",
    )
    result = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    _require(
        result >= 1,
        f"output size ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 "
        f"= {result} is below 1",
    )
    return result


def _pooled(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode the last window must start inside the input
    or the left padding, else it is dropped."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    result = numerator // stride + 1
    if ceil_mode and (result - 1) * stride >= size + padding:
        result -= 1
    _require(
        result >= 1,
        f"output size floor(({size} + 2*{padding} - {span}{f' + {stride - 1}' if ceil_mode else ''})"
        f"/{stride}) + 1 = {result} is below 1: the window ({span}) does not fit in the padded input "
        f"({size + 2 * padding})",
    )
    return result


def pool_out(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size of a max pool (stride defaults to the kernel size, as in PyTorch).

    PyTorch's CPU and CUDA kernels require padding <= kernel // 2, whatever the dilation.
    """
    stride = kernel if stride is None else stride
    _check_window(kernel, stride, dilation)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(
        padding <= kernel // 2, f"padding ({padding}) should be at most half of the kernel size ({kernel})"
    )
    return _pooled(size, kernel, stride, padding, dilation, ceil_mode)


def avg_pool_out(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    kernel_must_fit: bool = False,
) -> int:
    """Output size of an average or power-average pool: no dilation, padding <= kernel // 2.

    `kernel_must_fit`: AvgPool3d also refuses an (unpadded) input smaller than the kernel.
    """
    stride = kernel if stride is None else stride
    _check_window(kernel, stride, 1)
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if kernel_must_fit:
        _require(size >= kernel, f"the input ({size}) is smaller than the kernel ({kernel})")
    _require(padding >= 0, f"negative padding is not supported, got {padding}")
    _require(
        padding <= kernel // 2, f"padding ({padding}) should be at most half of the kernel size ({kernel})"
    )
    return _pooled(size, kernel, stride, padding, 1, ceil_mode)


def adaptive_out(size: int, output_size: int | None) -> int:
    """Output size of an adaptive pool: the requested size, or the input's where it is None."""
    _require(size >= 1, f"input size must be at least 1, got {size}")
    if output_size is None:
        return size
    _require(output_size >= 0, f"output size must not be negative, got {output_size}")
    return output_size


def numel(shape: Sequence[int]) -> int:
    """Number of elements of a tensor of this shape."""
    return prod(shape)


def conv_macs(output_shape: Sequence[int], in_channels: int, groups: int, kernel_size: Sequence[int]) -> int:
    """MACs of a convolution: each output element sums (in_channels / groups) * kernel products."""
    return numel(output_shape) * (in_channels // groups) * prod(kernel_size)


def conv_transpose_macs(
    input_shape: Sequence[int], out_channels: int, groups: int, kernel_size: Sequence[int]
) -> int:
    """MACs of a transposed convolution: each input element scatters into (out/groups)*kernel outputs."""
    return numel(input_shape) * (out_channels // groups) * prod(kernel_size)


def linear_macs(output_shape: Sequence[int], in_features: int) -> int:
    """MACs of a Linear layer on input of any rank: each output element is a dot of length in_features."""
    return numel(output_shape) * in_features


def bilinear_macs(output_shape: Sequence[int], in1_features: int, in2_features: int) -> int:
    """MACs of x1^T A x2 per output element, counted as in1 * in2 (the x1^T A step dominates)."""
    return numel(output_shape) * in1_features * in2_features


def conv_params(
    in_channels: int, out_channels: int, kernel_size: Sequence[int], groups: int = 1, bias: bool = True
) -> int:
    """Parameters of a Conv layer: out * (in / groups) * prod(kernel) weights, plus out biases."""
    return out_channels * (in_channels // groups) * prod(kernel_size) + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a Linear layer: in * out weights, plus out biases."""
    return in_features * out_features + (out_features if bias else 0)


def embedding_params(num_embeddings: int, embedding_dim: int) -> int:
    """Parameters of an Embedding (or EmbeddingBag): one vector per index."""
    return num_embeddings * embedding_dim


def norm_params(num_features: int, affine: bool = True) -> int:
    """Parameters of BatchNorm/InstanceNorm/GroupNorm: a scale and a shift per channel when affine."""
    return 2 * num_features if affine else 0


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent_params(
    mode: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> int:
    """Parameters of RNN/GRU/LSTM: per layer and direction, W_ih (gates·H × in), W_hh (gates·H × H_out),
    two bias vectors of gates·H, and LSTM's projection W_hr (proj × H) when proj_size is set."""
    gates = _GATES[mode] * hidden_size
    out_size = proj_size or hidden_size
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else directions * out_size
        per_direction = gates * layer_input + gates * out_size + (2 * gates if bias else 0)
        per_direction += proj_size * hidden_size if proj_size else 0
        total += directions * per_direction
    return total


def attention_params(
    embed_dim: int, kdim: int | None = None, vdim: int | None = None, bias: bool = True
) -> int:
    """Parameters of MultiheadAttention: query/key/value projections to embed_dim, the output
    projection, and their biases."""
    kdim, vdim = kdim or embed_dim, vdim or embed_dim
    weights = embed_dim * (embed_dim + kdim + vdim) + embed_dim * embed_dim
    return weights + (4 * embed_dim if bias else 0)


def _broadcast(first: Sequence[int], second: Sequence[int], what: str) -> Shape:
    rank = max(len(first), len(second))
    a = (1,) * (rank - len(first)) + tuple(first)
    b = (1,) * (rank - len(second)) + tuple(second)
    for size_a, size_b in zip(a, b, strict=True):
        _require(
            size_a == size_b or 1 in (size_a, size_b),
            f"{what}: batch dims {list(first)} and {list(second)} cannot be broadcast",
        )
    return tuple(max(x, y) if 0 not in (x, y) else 0 for x, y in zip(a, b, strict=True))


def matmul_shape(a: Sequence[int], b: Sequence[int]) -> Shape:
    """Output shape of torch.matmul (a @ b): a 1-d operand is a row (a) or a column (b) vector,
    dims before the last two broadcast, and a's last size must equal b's rows."""
    _require(
        len(a) >= 1 and len(b) >= 1, f"matmul needs tensors of at least 1 dim, got {list(a)} and {list(b)}"
    )
    rows = tuple(b) if len(b) > 1 else (b[0], 1)
    inner = rows[-2]
    _require(
        a[-1] == inner,
        f"matmul: {list(a)} @ {list(b)} needs the last size of the first ({a[-1]}) to equal "
        f"the {'second-to-last' if len(b) > 1 else 'only'} size of the second ({inner})",
    )
    if len(a) == 1 and len(b) == 1:
        return ()
    batch = _broadcast(a[:-2], b[:-2], "matmul")
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
    _require(
        len(terms) == len(shapes),
        f"einsum: the equation has {len(terms)} operand(s) but {len(shapes)} tensor(s) were given",
    )
    labelled = []
    ellipsis_rank = 0
    for term, shape in zip(terms, shapes, strict=True):
        letters = term.replace("...", "")
        _require(letters.isalpha() and letters.isascii() or not letters, f"einsum: bad subscripts {term!r}")
        _require(term.count("...") <= 1, f"einsum: more than one ellipsis in {term!r}")
        if "..." in term:
            extra = len(shape) - len(letters)
            _require(
                extra >= 0, f"einsum: {term!r} has more subscripts than the {len(shape)} dims of its operand"
            )
            before, _, after = term.partition("...")
            labels = [*before, *(f".{extra - 1 - i}" for i in range(extra)), *after]
            ellipsis_rank = max(ellipsis_rank, extra)
        else:
            _require(
                len(letters) == len(shape),
                f"einsum: {term!r} has {len(letters)} subscripts for an operand of {len(shape)} dims",
            )
            labels = list(letters)
        labelled.append(labels)
    ellipsis = [f".{i}" for i in range(ellipsis_rank - 1, -1, -1)]
    if arrow:
        letters = output.replace("...", "")
        _require(letters.isalpha() and letters.isascii() or not letters, f"einsum: bad output {output!r}")
        _require(len(set(letters)) == len(letters), f"einsum: a subscript repeats in the output {output!r}")
        seen = {label for labels in labelled for label in labels}
        for letter in letters:
            _require(letter in seen, f"einsum: output subscript {letter} appears in no operand")
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
            _require(
                own.get(label, size) == size,
                f"einsum: subscript {name} is repeated for operand {position} with sizes {own.get(label)} "
                f"and {size}",
            )
            own[label] = size
            _require(
                size == 1 or seen.get(label, 1) in (1, size),
                f"einsum: subscript {name} has size {size} for operand {position}, which does not "
                f"broadcast with the size {seen.get(label)} seen before",
            )
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
    batch = _broadcast(
        query_shape[:-keep], _broadcast(key_shape[:-keep], value_shape[:-keep], "attention"), "attention"
    )
    heads = (query_shape[-3],) if enable_gqa else ()
    return numel((*batch, *heads)) * length * source * (embed + value_embed)


def multihead_attention_macs(
    batch: int,
    target: int,
    source: int,
    embed_dim: int,
    kdim: int | None = None,
    vdim: int | None = None,
    extra_keys: int = 0,
) -> int:
    """MACs of nn.MultiheadAttention: the query/key/value projections, the attention (L·S·E twice,
    summed over heads), and the output projection. `extra_keys` (add_bias_kv, add_zero_attn) are
    positions appended to the projected keys and values: attended to, not projected."""
    kdim, vdim = kdim or embed_dim, vdim or embed_dim
    projections = target * embed_dim * embed_dim + source * (kdim + vdim) * embed_dim
    attention = 2 * target * (source + extra_keys) * embed_dim
    return batch * (projections + attention + target * embed_dim * embed_dim)


def matrix_chain_macs(shapes: Sequence[Sequence[int]]) -> int:
    """MACs of torch.linalg.multi_dot: the cheapest order of the matrix products (a first 1-d
    operand is a row vector, a last one a column), found as PyTorch finds it."""
    dims = [shapes[0][0] if len(shapes[0]) == 2 else 1]
    for shape in shapes:
        _require(len(shape) in (1, 2), f"multi_dot takes 1-d or 2-d tensors, got {list(shape)}")
    for position, shape in enumerate(shapes):
        if len(shape) == 2:
            _require(
                shape[0] == dims[-1], f"multi_dot: {list(shape)} does not follow a {dims[-1]}-column matrix"
            )
            dims.append(shape[1])
        elif position == 0:
            dims = [1, shape[0]]
        else:
            _require(
                shape[0] == dims[-1], f"multi_dot: {list(shape)} does not follow a {dims[-1]}-column matrix"
            )
            dims.append(1)
    count = len(dims) - 1
    cost = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for first in range(count - length):
            last = first + length
            cost[first][last] = min(
                cost[first][split] + cost[split + 1][last] + dims[first] * dims[split + 1] * dims[last + 1]
                for split in range(first, last)
            )
    return cost[0][count - 1]


def recurrent_macs(
    mode: str,
    steps: int,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> int:
    """MACs of RNN/GRU/LSTM over `steps` time steps (batch × sequence length): per step, layer and
    direction, W_ih·x and W_hh·h (gates·H rows each) and LSTM's projection; gate products and
    biases are not counted: one multiply-accumulate per weight and step."""
    weights = recurrent_params(mode, input_size, hidden_size, num_layers, False, bidirectional, proj_size)
    return steps * weights
