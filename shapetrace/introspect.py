"""The one place that reads torch modules: which rule-table entry a module type takes, its settings
(through that entry's reader), forward's parameter names, parameter counts and the model's device."""

from __future__ import annotations

import copy
import functools
import inspect
import itertools
import sys
from collections.abc import Iterable
from typing import Any

from shapetrace import rules
from shapetrace._torch import nn, torch

__all__ = [
    "own_parameters",
    "rule_key",
    "meta_copy",
    "is_torch_layer",
    "is_leaf",
    "packs_weights",
    "attributes_of",
    "function_attributes",
    "torch_state",
    "forward_parameters",
    "smallest_embedding",
    "count_params",
    "numel",
    "subtree_param_counts",
    "unique_parameters",
    "model_device",
    "is_scripted",
    "type_name",
    "compiled_original",
    "compiler_loaded",
]


def rule_key(module_type: type) -> tuple[str, bool]:
    """(the rule table's key for `module_type`: the name of the nearest torch.nn layer class in its MRO,
    or the key of the nearest class of the user's with a registered rule (its module and qualified
    name), whichever comes first; whether `module_type` overrides that class's forward).

    Classes built by torch.nn.utils (the Parametrized* wrappers of weight_norm and friends) are skipped,
    so a parametrized Conv2d is still checked as a Conv2d; the quantized, QAT and fused layers of
    torch.ao.nn take the entry of their float counterpart (a dynamic-quantized Linear is a "Linear", a
    quantized ConvReLU2d a "Conv2d"), forward and all; "" for user-defined containers."""
    return _rule_key(module_type, rules.generation())


@functools.cache
def _rule_key(module_type: type, generation: int) -> tuple[str, bool]:
    """rule_key, remembered until a class of the user's is registered (`generation` changes)."""
    for cls in module_type.__mro__:
        key = rules.user_key(cls)
        if key is not None:
            return key, module_type.forward is not cls.forward
        if cls.__module__.startswith("torch.ao.nn.") and cls.__name__ in rules.RULES:
            return cls.__name__, False
        if cls.__module__.startswith("torch.nn.modules.") and cls is not nn.Module:
            return cls.__name__, module_type.forward is not cls.forward
    return "", False


def is_torch_layer(module_type: type) -> bool:
    """A torch.nn class, or a subclass that keeps its forward: its work happens inside torch's own code
    (Conv2d's F.conv2d), which its MAC rule accounts for. A subclass that rewrites forward is user code,
    like any module the user writes."""
    key, custom = rule_key(module_type)
    return bool(key) and not custom


def _holds_weights_only(module: nn.Module) -> bool:
    """A quantized layer's packed weights (LinearPackedParams, ...): a submodule that is never called."""
    cls = type(module)
    return cls.__module__.startswith("torch.ao.nn.") and cls.__name__.endswith("PackedParams")


def definition(model: nn.Module | None) -> str:
    """print(model), or "" where a module's repr fails (or the model is gone)."""
    if model is None:
        return ""
    try:
        return repr(model)
    except Exception:
        return ""


def is_leaf(module: nn.Module) -> bool:
    """A module without children (the packed weights of a quantized layer are not children that run)."""
    return all(child is None or _holds_weights_only(child) for child in module._modules.values())


def packs_weights(module: nn.Module) -> bool:
    """A quantized layer of torch.ao.nn: its weights are packed (read through `weight()`), not
    parameters, so parameters() and the parameter counts leave them out."""
    return _packs_weights(type(module))


@functools.lru_cache(maxsize=1024)
def _packs_weights(cls: type) -> bool:
    quantized = any(base.__module__.startswith("torch.ao.nn.quantized.") for base in cls.__mro__)
    return quantized and callable(getattr(cls, "weight", None))


def attributes_of(module: nn.Module) -> tuple[tuple[str, Any], ...]:
    """The module's shape-relevant settings, as (name, plain value) pairs; for a layer of the user's,
    the attributes its rule names (properties and class attributes too)."""
    present = {name: parameter is not None for name, parameter in module._parameters.items()}
    key = rule_key(type(module))[0]
    entry = rules.rule_for(key)
    state = module.__dict__
    if entry is not None and entry.attributes is not None:
        state = {}
        for name in entry.attributes:
            try:
                state[name] = getattr(module, name)
            except Exception:  # absent, or a property that raises: the rule finds it missing
                continue
    return rules.read_attributes(key, state, present)


def torch_state() -> dict[str, Any]:
    """The global torch settings that change what a function call costs (einsum's contraction order)."""
    backend = torch.backends.opt_einsum
    return {"opt_einsum": backend.strategy if backend.is_available() and backend.enabled else None}


def function_attributes(key: str, state: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A torch function call's settings, read by its rule from the torch settings in `state`."""
    entry = rules.rule_for(key)
    if entry is None or entry.read is None:
        return ()
    return tuple(entry.read(state, {}).items())


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
    """The fewest rows of any Embedding or EmbeddingBag: integer inputs below it are valid indices for
    every table they may reach; None where the model has no embedding."""
    sizes = [m.num_embeddings for m in modules if isinstance(m, (nn.Embedding, nn.EmbeddingBag))]
    return min(sizes) if sizes and min(sizes) > 0 else None


def unique_parameters(modules: Iterable[nn.Module]) -> list[nn.Parameter]:
    """Every parameter tensor of these modules once, tied or reused."""
    unique = {}
    for module in modules:
        for parameter in module._parameters.values():
            if parameter is not None:
                unique[id(parameter)] = parameter
    return list(unique.values())


def numel(parameter: torch.Tensor) -> int:
    """How many numbers a parameter holds: 0 for one a lazy module has not initialised yet."""
    if type(parameter) is nn.Parameter:  # the common case, never lazy
        return parameter.numel()
    return 0 if nn.parameter.is_lazy(parameter) else parameter.numel()


def own_parameters(model: nn.Module) -> dict[str, tuple[tuple[str, tuple[int, ...], int], ...]]:
    """Each module's own parameter tensors (not its children's), by qualified name: (name, shape,
    count); a pruned weight is its `weight_orig`, as parameters() yields it; a lazy one has no shape yet."""
    return {
        name: tuple(
            (key, () if nn.parameter.is_lazy(parameter) else tuple(parameter.shape), numel(parameter))
            for key, parameter in module._parameters.items()
            if parameter is not None
        )
        for name, module in model.named_modules()
    }


def count_params(module: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameters of a module and its children, each tensor counted once."""
    parameters = unique_parameters(module.modules())
    return (
        sum(numel(parameter) for parameter in parameters),
        sum(numel(parameter) for parameter in parameters if parameter.requires_grad),
    )


def subtree_param_counts(
    model: nn.Module, named_modules: list[tuple[str, nn.Module]] | None = None
) -> dict[int, tuple[int, int]]:
    """(all, trainable) for every module in the model, keyed by id, in one bottom-up pass over
    `named_modules` (the model's, walked again where not given).

    Sums children's counts; where a parameter is reachable twice (tied weights, a shared submodule)
    the modules above it are counted with `count_params`, which deduplicates."""
    if named_modules is None:
        named_modules = list(model.named_modules())
    reach: dict[int, int] = {}  # parameters and modules: how many places hold each
    for _, module in named_modules:
        for child in module._modules.values():
            if child is not None:
                reach[id(child)] = reach.get(id(child), 0) + 1
        for parameter in module._parameters.values():
            if parameter is not None:
                reach[id(parameter)] = reach.get(id(parameter), 0) + 1
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
                size = numel(parameter)
                all_params += size
                trainable += size if parameter.requires_grad else 0
                has_shared = has_shared or reach[id(parameter)] > 1
        for child in module._modules.values():
            if child is not None:
                child_all, child_trainable = total(child)
                all_params += child_all
                trainable += child_trainable
                has_shared = has_shared or shared[id(child)] or reach[id(child)] > 1
        shared[key] = has_shared
        counts[key] = count_params(module) if has_shared else (all_params, trainable)
        return counts[key]

    total(model)
    return counts


def model_device(model: nn.Module) -> torch.device:
    """Where the model's first parameter (or buffer) lives; the CPU for a model without tensors."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def meta_copy(model: nn.Module) -> nn.Module | None:
    """A copy of the model on the meta device whose weights are never copied (deepcopy's memo);
    None where the model cannot be copied so (lazy parameters, objects deepcopy refuses)."""
    try:
        memo: dict[int, Any] = {}
        for tensor in itertools.chain(model.parameters(), model.buffers()):
            empty = torch.empty_like(tensor, device="meta")
            memo[id(tensor)] = (
                nn.Parameter(empty, tensor.requires_grad) if isinstance(tensor, nn.Parameter) else empty
            )
        return copy.deepcopy(model, memo)
    except Exception:
        return None


def is_scripted(module: nn.Module) -> bool:
    """A TorchScript module (torch.jit.script or torch.jit.trace): it takes no hooks, nor do the
    modules inside it, and its ops run where no Python hook sees them."""
    return isinstance(module, torch.jit.ScriptModule)


def type_name(module: nn.Module) -> str:
    """The module's class name; for a TorchScript module, the name of the class it was made from."""
    if is_scripted(module):
        return str(getattr(module, "original_name", "") or type(module).__name__)
    return type(module).__name__


def compiler_loaded() -> bool:
    """Whether torch.compile's machinery (torch._dynamo) has been imported: nothing was compiled before."""
    return "torch._dynamo" in sys.modules


def compiled_original(module: nn.Module) -> nn.Module | None:
    """The module torch.compile wrapped (an OptimizedModule's `_orig_mod`), unwrapped all the way down;
    None for a module torch.compile did not wrap. Never imports torch._dynamo."""
    eval_frame = sys.modules.get("torch._dynamo.eval_frame")
    wrapper = getattr(eval_frame, "OptimizedModule", None)
    if wrapper is None or not isinstance(module, wrapper):
        return None
    while isinstance(module, wrapper):
        module = module._orig_mod
    return module
