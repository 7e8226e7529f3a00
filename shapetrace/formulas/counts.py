"""Parameter and multiply-accumulate counts of layers, from their settings and shapes."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from shapetrace.formulas.sizes import require

__all__ = [
    "numel", "conv_macs", "conv_transpose_macs", "linear_macs", "bilinear_macs", "conv_params",
    "linear_params",
    "embedding_params", "norm_params", "recurrent_params", "attention_params",
    "multihead_attention_macs", "matrix_chain_macs", "recurrent_macs",
]  # fmt: skip


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
        require(len(shape) in (1, 2), "formula.multi_dot_rank", shape=tuple(shape))
    for position, shape in enumerate(shapes):
        if position == 0 and len(shape) == 1:
            dims = [1, shape[0]]
            continue
        require(shape[0] == dims[-1], "formula.multi_dot_follow", shape=tuple(shape), columns=dims[-1])
        dims.append(shape[1] if len(shape) == 2 else 1)
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
