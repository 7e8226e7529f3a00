"""The one rule table: for each torch.nn layer type and each torch function, one entry holding its
shape rule (output shapes with the derivation, numbers put in), its MAC rule, its attribute reader,
the names of its call's parameters and how it moves a receptive field. Pure Python over shapes and
plain values; never imports torch.

Keys: a torch.nn class name ("Conv2d"; a subclass finds its nearest torch.nn class in its MRO),
"function:" and a torch function's name ("function:cat"), as the trace names its calls, or the module
and qualified name of a class of the user's ("mypkg.layers.Blur", registered by shapetrace.custom).
The entries live in `spatial` (convolutions, pools, resampling; their closed forms in `spatial_forms`),
`rearrange` (padding, pixel shuffle, Unfold, Fold), `dense` (Linear, Flatten, embeddings,
shape-preserving layers), `sequence` (recurrent layers, attention), `functions` (concatenation,
arithmetic, views, reductions) and `products` (matrix products, einsum, attention functions); the
table itself in `table`."""

from __future__ import annotations

from shapetrace.rules import (  # each registers its entries
    dense,
    functions,
    products,
    rearrange,
    sequence,
    spatial,
)
from shapetrace.rules.table import (
    COMMON_ATTRIBUTES,
    RULES,
    Call,
    Derivation,
    NotCheckable,
    Rule,
    count_macs,
    derive,
    field_effect,
    function_key,
    generation,
    parameters_of,
    plain,
    put_user_rule,
    read_attributes,
    register_rule,
    rule_for,
    user_key,
)

__all__ = [
    "Call",
    "Derivation",
    "Rule",
    "RULES",
    "COMMON_ATTRIBUTES",
    "NotCheckable",
    "register_rule",
    "rule_for",
    "derive",
    "count_macs",
    "read_attributes",
    "plain",
    "parameters_of",
    "function_key",
    "field_effect",
    "user_key",
    "generation",
    "put_user_rule",
    "dense",
    "functions",
    "products",
    "rearrange",
    "sequence",
    "spatial",
]
