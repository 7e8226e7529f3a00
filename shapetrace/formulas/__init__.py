"""The analytic calculator: shape, parameter and MAC arithmetic in pure Python (never imports torch).

Each size function works on one spatial dimension and agrees with PyTorch for every argument PyTorch
accepts; where PyTorch refuses, it raises ValueError (a `shapetrace.messages.Refusal`, carrying the
reason as a message) in the user's terms. `sizes` holds the output sizes of convolutions and pools,
`counts` parameter and MAC counts, `products` matmul, einsum and attention."""

from __future__ import annotations

from shapetrace.formulas.counts import (
    attention_params,
    bilinear_macs,
    conv_macs,
    conv_params,
    conv_transpose_macs,
    embedding_params,
    linear_macs,
    linear_params,
    matrix_chain_macs,
    multihead_attention_macs,
    norm_params,
    numel,
    recurrent_macs,
    recurrent_params,
)
from shapetrace.formulas.products import attention_macs, einsum_macs, einsum_shape, matmul_macs, matmul_shape
from shapetrace.formulas.sizes import (
    adaptive_out,
    avg_pool_out,
    conv_out,
    conv_transpose_out,
    per_dim,
    pool_out,
    same_padding,
)

__all__ = [
    "conv_out",
    "conv_transpose_out",
    "pool_out",
    "avg_pool_out",
    "adaptive_out",
    "same_padding",
    "per_dim",
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
