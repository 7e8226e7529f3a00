"""The one place that reads module attributes: module -> plain attributes, and MAC rules by type."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace._torch import nn, torch
from shapetrace.functional import SIGNATURES
from shapetrace.records import Shape, ValueInfo, bind

__all__ = [
    "attributes_of",
    "macs_of",
    "mac_rule",
    "function_macs",
    "is_torch_layer",
    "count_params",
    "subtree_param_counts",
    "base_type_of",
    "smallest_embedding",
    "forward_parameters",
]

# Constructor arguments that shape arithmetic and the table need; read when a module has them.
_ATTRIBUTE_NAMES = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "output_padding",
    "padding_mode",
    "ceil_mode",
    "count_include_pad",
    "divisor_override",
    "return_indices",
    "norm_type",
    "output_size",
    "include_last_offset",
    "kdim",
    "vdim",
    "in_features",
    "out_features",
    "in1_features",
    "in2_features",
    "start_dim",
    "end_dim",
    "dim",
    "unflattened_size",
    "num_features",
    "normalized_shape",
    "num_groups",
    "num_channels",
    "eps",
    "affine",
    "num_embeddings",
    "embedding_dim",
    "padding_idx",
    "p",
    "scale_factor",
    "size",
    "mode",
    "align_corners",
    "upscale_factor",
    "downscale_factor",
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "batch_first",
    "bidirectional",
    "proj_size",
    "embed_dim",
    "num_heads",
    "add_zero_attn",
    "negative_slope",
)

MacRule = Callable[[Mapping[str, Any], Sequence[Shape], Sequence[Shape]], int]
_MAC_RULES: dict[type, MacRule] = {}


_SCALARS = frozenset((bool, int, float, str, type(None)))
_ORDER = {name: position for position, name in enumerate(_ATTRIBUTE_NAMES)}


def _plain(value: Any) -> Any:
    """A module attribute as a JSON-friendly value: tuples, numbers, strings, booleans or None."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple and all(type(item) in _SCALARS for item in value):
        return value
    if isinstance(value, torch.Size | tuple | list):
        return tuple(_plain(item) for item in value)
    return repr(value)


def attributes_of(module: nn.Module) -> tuple[tuple[str, Any], ...]:
    """The module's shape-relevant constructor arguments, as (name, plain value) pairs."""
    state = module.__dict__  # constructor arguments are plain instance attributes
    found = []
    for name in sorted(_ORDER.keys() & state.keys(), key=_ORDER.__getitem__):
        value = state[name]
        if not callable(value) or isinstance(value, torch.Tensor):
            found.append((name, _plain(value)))
    if "bias" in module._parameters and "bias" not in state:
        found.append(("bias", module._parameters["bias"] is not None))  # Linear, Conv: is there one
    if "bias_k" in module._parameters:  # MultiheadAttention(add_bias_kv=True): one more key position
        found.append(("add_bias_kv", module._parameters["bias_k"] is not None))
    return tuple(found)


def base_type_of(module_type: type) -> tuple[str, bool]:
    """(name of the nearest torch.nn layer class in the MRO, whether `module_type` overrides its forward).

    Classes built by torch.nn.utils (the Parametrized* wrappers of weight_norm and friends) are
    skipped, so a parametrized Conv2d is still checked as a Conv2d; "" for user-defined containers.
    """
    for cls in module_type.__mro__:
        if cls.__module__.startswith("torch.nn.modules.") and cls is not nn.Module:
            return cls.__name__, module_type.forward is not cls.forward
    return "", False


@functools.cache
def forward_parameters(module_type: type) -> tuple[str, ...]:
    """The names of forward's parameters, in order (self, *args and **kwargs left out)."""
    try:
        parameters = inspect.signature(module_type.forward).parameters.values()
    except (TypeError, ValueError):  # builtins, TorchScript
        return ()
    named = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return tuple(p.name for p in parameters if p.name != "self" and p.kind in named)


def smallest_embedding(modules: Iterable[nn.Module]) -> int | None:
    """The fewest rows of any Embedding or EmbeddingBag: integer inputs below it are valid indices
    for every table they may reach; None where the model has no embedding."""
    sizes = [m.num_embeddings for m in modules if isinstance(m, nn.Embedding | nn.EmbeddingBag)]
    return min(sizes) if sizes and min(sizes) > 0 else None


def _registrar(table: dict[Any, Any], keys: tuple[Any, ...]) -> Callable[[Any], Any]:
    """A decorator putting a rule into `table` under each key; a key registered twice is an error."""

    def register(rule: Any) -> Any:
        for key in keys:
            if key in table:
                raise ValueError(f"a MAC rule for {getattr(key, '__name__', key)} is already registered")
            table[key] = rule
        return rule

    return register


def mac_rule(*module_types: type) -> Callable[[MacRule], MacRule]:
    """Register a MAC rule for these module types; registering a type twice is an error."""
    return _registrar(_MAC_RULES, module_types)


def _rule_for(module_type: type) -> MacRule | None:
    for cls in module_type.__mro__:
        rule = _MAC_RULES.get(cls)
        if rule is not None:
            return rule
    return None


def is_torch_layer(module_type: type) -> bool:
    """A torch.nn class, or a subclass that keeps its forward: its work happens inside torch's own
    code (Conv2d's F.conv2d), which its MAC rule accounts for. A subclass that rewrites forward is
    user code, like any module the user writes."""
    base, custom = base_type_of(module_type)
    return bool(base) and not custom


def _bound_shapes(inputs: ValueInfo, parameters: tuple[str, ...]) -> tuple[Shape, ...]:
    if all(key is None for key, _ in inputs.items):  # positional only: already in parameter order
        return inputs.shapes
    return bind(inputs, parameters)[0]


_RULE_ERRORS = (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError)


def macs_of(
    module_type: type,
    attributes: tuple[tuple[str, Any], ...],
    inputs: ValueInfo,
    output_shapes: Sequence[Shape],
) -> int | None:
    """MACs of one whole call by the rule of its torch.nn layer, or None where no rule applies (no
    rule; a subclass that rewrites forward, except recurrent layers, whose work torch functions do
    not show; a call the rule cannot read): then the calls inside it are what it costs.

    The rule sees the input shapes in the order of forward's parameters."""
    rule = _rule_for(module_type)
    if rule is None:
        return None
    if not is_torch_layer(module_type) and not issubclass(module_type, nn.RNNBase | nn.RNNCellBase):
        return None
    if not inputs.shapes or not output_shapes:
        return 0
    try:
        return rule(dict(attributes), _bound_shapes(inputs, forward_parameters(module_type)), output_shapes)
    except _RULE_ERRORS:
        return None


FunctionMacRule = Callable[[Sequence[Shape], Mapping[str, Any], Sequence[Shape]], int]
_FUNCTION_MAC_RULES: dict[str, FunctionMacRule] = {}


def function_mac_rule(*names: str) -> Callable[[FunctionMacRule], FunctionMacRule]:
    """Register a MAC rule for torch functions of these names (torch.matmul, F.linear, ...)."""
    return _registrar(_FUNCTION_MAC_RULES, names)


def function_macs(name: str, inputs: ValueInfo, outputs: ValueInfo | None) -> int:
    """MACs of one torch function call (matmul, bmm, einsum, F.linear, F.conv2d, attention); 0 for
    other functions (elementwise arithmetic and activations are not multiply-accumulates)."""
    rule = _FUNCTION_MAC_RULES.get(name)
    if rule is None or outputs is None or not outputs.shapes:
        return 0
    if any(key == "out" for key, _ in inputs.items):  # out= is where the result goes, not an operand
        inputs = ValueInfo(
            inputs.kind, inputs.type_name, items=tuple(i for i in inputs.items if i[0] != "out")
        )
    shapes, arguments = bind(inputs, SIGNATURES.get(name, ()))
    try:
        return rule(shapes, arguments, outputs.shapes)
    except (ValueError, IndexError, KeyError, TypeError):  # a call the rule does not understand: no MACs
        return 0


def count_params(module: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameters of a module and its children, each tensor counted once."""
    total = trainable = 0
    for parameter in module.parameters():
        count = parameter.numel()
        total += count
        if parameter.requires_grad:
            trainable += count
    return total, trainable


def subtree_param_counts(model: nn.Module) -> dict[int, tuple[int, int]]:
    """(all, trainable) for every module in the model, keyed by id, in one bottom-up pass.

    Sums children's counts; where a parameter is reachable twice (tied weights, a shared
    submodule) the modules above it are counted with `count_params`, which deduplicates.
    """
    reach: dict[int, int] = {}

    def walk(module: nn.Module) -> None:
        for parameter in module._parameters.values():
            if parameter is not None:
                reach[id(parameter)] = reach.get(id(parameter), 0) + 1
        for child in module._modules.values():
            if child is not None:
                walk(child)

    walk(model)
    counts: dict[int, tuple[int, int]] = {}
    shared: dict[int, bool] = {}

    def total(module: nn.Module) -> tuple[int, int]:
        key = id(module)
        if key in counts:
            return counts[key]
        all_params = trainable = 0
        has_shared = False
        for parameter in module._parameters.values():
            if parameter is not None:
                all_params += parameter.numel()
                trainable += parameter.numel() if parameter.requires_grad else 0
                has_shared = has_shared or reach[id(parameter)] > 1
        for child in module._modules.values():
            if child is not None:
                child_all, child_trainable = total(child)
                all_params += child_all
                trainable += child_trainable
                has_shared = has_shared or shared[id(child)]
        shared[key] = has_shared
        counts[key] = count_params(module) if has_shared else (all_params, trainable)
        return counts[key]

    total(model)
    return counts


def _tuple(value: Any) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


@mac_rule(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def _conv(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    return formulas.conv_macs(outputs[0], attrs["in_channels"], attrs["groups"], _tuple(attrs["kernel_size"]))


@mac_rule(nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
def _conv_transpose(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    return formulas.conv_transpose_macs(
        inputs[0], attrs["out_channels"], attrs["groups"], _tuple(attrs["kernel_size"])
    )


@mac_rule(nn.Linear)
def _linear(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    return formulas.linear_macs(outputs[0], attrs["in_features"])


@mac_rule(nn.Bilinear)
def _bilinear(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    return formulas.bilinear_macs(outputs[0], attrs["in1_features"], attrs["in2_features"])


def _sequence_input(inputs: Sequence[Shape], input_size: int) -> Shape:
    """The input sequence among a recurrent call's tensors: the first with input_size features (a
    subclass may take the hidden state first)."""
    for shape in inputs:
        if 1 <= len(shape) <= 3 and shape[-1] == input_size:
            return shape
    raise ValueError(f"no input with {input_size} features")


@mac_rule(nn.RNNBase)
def _recurrent(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    sequence = _sequence_input(inputs, attrs["input_size"])
    steps = formulas.numel(sequence) // attrs["input_size"]  # batch × length; a PackedSequence's data too
    return formulas.recurrent_macs(
        attrs["mode"],
        steps,
        attrs["input_size"],
        attrs["hidden_size"],
        attrs["num_layers"],
        attrs["bidirectional"],
        attrs.get("proj_size") or 0,
    )


def _cell_rule(mode: str) -> MacRule:
    def rule(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
        steps = formulas.numel(_sequence_input(inputs, attrs["input_size"])) // attrs["input_size"]
        return formulas.recurrent_macs(mode, steps, attrs["input_size"], attrs["hidden_size"])

    return rule


for _cell_type, _mode in ((nn.RNNCell, "RNN"), (nn.LSTMCell, "LSTM"), (nn.GRUCell, "GRU")):
    mac_rule(_cell_type)(_cell_rule(_mode))


@mac_rule(nn.MultiheadAttention)
def _multihead_attention(attrs: Mapping[str, Any], inputs: Sequence[Shape], outputs: Sequence[Shape]) -> int:
    query, key = inputs[0], inputs[1]
    if len(query) == 2:
        batch, target, source = 1, query[0], key[0]
    elif attrs.get("batch_first"):
        batch, target, source = query[0], query[1], key[1]
    else:
        batch, target, source = query[1], query[0], key[0]
    extra = int(bool(attrs.get("add_bias_kv"))) + int(bool(attrs.get("add_zero_attn")))
    return formulas.multihead_attention_macs(
        batch, target, source, attrs["embed_dim"], attrs.get("kdim"), attrs.get("vdim"), extra
    )


@function_mac_rule("matmul", "mm", "bmm", "mv", "dot")
def _matmul(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.numel(outputs[0]) * shapes[0][-1]


@function_mac_rule("__rmatmul__")
def _rmatmul(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.numel(outputs[0]) * shapes[1][-1]  # b.__rmatmul__(a) is a @ b


@function_mac_rule("inner")
def _inner(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    if not shapes[0] or not shapes[1]:
        return 0  # with a scalar it is an elementwise product
    return formulas.numel(outputs[0]) * shapes[0][-1]


@function_mac_rule("tensordot")
def _tensordot(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    out = formulas.numel(outputs[0])
    contracted = math.isqrt(formulas.numel(shapes[0]) * formulas.numel(shapes[1]) // out) if out else 0
    return out * contracted  # numel(a)·numel(b) = out · contracted²


@function_mac_rule("multi_dot", "linalg_multi_dot")
def _multi_dot(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.matrix_chain_macs(shapes)


@function_mac_rule("multi_head_attention_forward")
def _mha_forward(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    query, key, value = shapes[0], shapes[1], shapes[2]  # sequence first: (L, N, E), or (L, E)
    batch = query[1] if len(query) == 3 else 1
    extra = int(arguments.get("bias_k", "a tensor") is not None) + int(bool(arguments.get("add_zero_attn")))
    embed = arguments.get("embed_dim_to_check") or query[-1]
    return formulas.multihead_attention_macs(batch, query[0], key[0], embed, key[-1], value[-1], extra)


@function_mac_rule("addmm", "addmv", "baddbmm", "addbmm")
def _add_matmul(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    first, second = shapes[1], shapes[2]
    if len(first) == 3:  # baddbmm, addbmm: a batch of products (summed over the batch by addbmm)
        return first[0] * first[1] * first[2] * second[2]
    return formulas.numel(first[:-1]) * first[-1] * (second[-1] if len(second) > 1 else 1)


@function_mac_rule("linear")
def _function_linear(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.numel(outputs[0]) * shapes[0][-1]


@function_mac_rule("bilinear")
def _function_bilinear(
    shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]
) -> int:
    return formulas.bilinear_macs(outputs[0], shapes[0][-1], shapes[1][-1])


@function_mac_rule("conv1d", "conv2d", "conv3d")
def _function_conv(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    weight = shapes[1]  # (out, in / groups, *kernel)
    return formulas.numel(outputs[0]) * weight[1] * formulas.numel(weight[2:])


@function_mac_rule("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
def _function_conv_transpose(
    shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]
) -> int:
    weight = shapes[1]  # (in, out / groups, *kernel)
    return formulas.numel(shapes[0]) * weight[1] * formulas.numel(weight[2:])


@function_mac_rule("einsum")
def _einsum(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.einsum_macs(arguments["equation"], shapes, _einsum_path(arguments["equation"], shapes))


def _einsum_path(equation: str, shapes: Sequence[Shape]) -> list[tuple[int, ...]] | None:
    """The contraction order PyTorch takes for three or more operands when opt_einsum is installed
    and enabled (its default); None: left to right."""
    backend = torch.backends.opt_einsum
    if len(shapes) < 3 or not (backend.is_available() and backend.enabled):
        return None
    import opt_einsum

    path, _ = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=backend.strategy)
    return [tuple(pair) for pair in path]


@function_mac_rule("scaled_dot_product_attention")
def _attention(shapes: Sequence[Shape], arguments: Mapping[str, Any], outputs: Sequence[Shape]) -> int:
    return formulas.attention_macs(shapes[0], shapes[1], shapes[2], bool(arguments.get("enable_gqa")))
