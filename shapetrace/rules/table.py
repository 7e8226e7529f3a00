"""The rule table itself: its entries, the registrar, and the lookups by key. Pure Python."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shapetrace.formulas.closed import SizeForm
from shapetrace.messages import Message, msg
from shapetrace.records import Shape

__all__ = [
    "Call",
    "Derivation",
    "Rule",
    "RULES",
    "NotCheckable",
    "register_rule",
    "rule_for",
    "derive",
    "count_macs",
    "read_attributes",
    "parameters_of",
    "function_key",
    "field_effect",
    "user_key",
    "generation",
    "put_user_rule",
]


@dataclass(frozen=True)
class Call:
    """What a rule sees of one call: the layer's attributes, its tensor shapes in the order of the
    callee's parameters, its other arguments by name, and (for MAC rules) its output shapes."""

    attributes: Mapping[str, Any]
    inputs: tuple[Shape, ...]
    arguments: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[Shape, ...] = ()


@dataclass(frozen=True)
class Derivation:
    """What a shape rule concludes: the output shapes, the arithmetic in PyTorch's terms, and the
    textbook's (d2l) form where it differs."""

    shapes: tuple[Shape, ...]
    formula: Message | str | None = None  # a str: a user's rule's own words, shown as given
    textbook: Message | str | None = None
    values: Mapping[str, Any] | None = None  # a user's rule: the numbers its explain= text names


class NotCheckable(Exception):
    """Raised by a shape rule for a call whose shapes it cannot derive (a PackedSequence input, say)."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)


ShapeRule = Callable[[Call], Derivation]
MacRule = Callable[[Call], int]
# the closed forms of the output's spatial sizes (last dims), from the call and its input's forms; None
# for a dim where the size is no longer a form of the input size
FormRule = Callable[[Call, tuple[SizeForm | None, ...]], tuple[SizeForm | None, ...]]
AttributeReader = Callable[[Mapping[str, Any], Mapping[str, bool]], dict[str, Any]]
FieldEffect = Literal["window", "keep"]  # a conv/pool window; or each unit keeps its inputs' field


@dataclass(frozen=True)
class Rule:
    """One entry of the table."""

    key: str
    shape: ShapeRule | None = None  # output shapes and derivation; raises Refusal where the call cannot work
    macs: MacRule | None = None  # multiply-accumulates of the whole call, bias excluded
    read: AttributeReader | None = None  # attributes beyond the common ones (read_attributes)
    parameters: tuple[str, ...] = ()  # a function's parameter names ("*rest" takes the remaining ones)
    field: FieldEffect | None = None
    hidden_work: bool = False  # its work runs where torch functions cannot be seen (recurrent kernels):
    # the MAC rule applies to a subclass that rewrites forward too
    form: FormRule | None = None  # the output sizes as closed forms of the input size (a "keep" field
    # passes them through unchanged)
    attributes: tuple[str, ...] | None = None  # a user's layer (rules.user): exactly these module
    # attributes are its settings, instead of the common ones and a reader


RULES: dict[str, Rule] = {}
# The user's own layer classes (shapetrace.custom), each with its key: module and qualified name
_CLASSES: dict[type, str] = {}
_GENERATION = [0]  # bumped by every such registration: introspect.rule_key's cache follows it


def user_key(cls: type) -> str | None:
    """The table's key of a registered class of the user's; None for any other class."""
    return _CLASSES.get(cls)


def generation() -> int:
    """How many registrations of user classes there have been."""
    return _GENERATION[0]


def put_user_rule(cls: type, entry: Rule) -> None:
    """Make `entry` the rule of the user's class `cls`, in place of any rule under the same key (an older
    definition of the class, or this one registered again)."""
    for known in [known for known, key in _CLASSES.items() if key == entry.key]:
        del _CLASSES[known]
    RULES[entry.key] = entry
    _CLASSES[cls] = entry.key
    _GENERATION[0] += 1


def register_rule(
    *keys: str,
    shape: ShapeRule | None = None,
    macs: MacRule | None = None,
    read: AttributeReader | None = None,
    parameters: tuple[str, ...] = (),
    field: FieldEffect | None = None,
    hidden_work: bool = False,
    form: FormRule | None = None,
) -> Rule:
    """Put one entry into the table under each key; a key registered twice is an error."""
    for key in keys:
        if key in RULES:
            raise ValueError(f"a rule for {key} is already registered")
    entry = None
    for key in keys:
        entry = Rule(key, shape, macs, read, parameters, field, hidden_work, form)
        RULES[key] = entry
    if entry is None:
        raise ValueError("register_rule needs at least one key")
    return entry


def function_key(name: str) -> str:
    """The table's key of a torch function: "function:cat"."""
    return f"function:{name}"


def rule_for(key: str) -> Rule | None:
    return RULES.get(key)


def parameters_of(key: str) -> tuple[str, ...]:
    entry = RULES.get(key)
    return entry.parameters if entry is not None else ()


def field_effect(key: str) -> FieldEffect | None:
    entry = RULES.get(key)
    return entry.field if entry is not None else None


def derive(key: str, call: Call) -> Derivation | None:
    """The shape rule's derivation for this call; None where the table has no shape rule.

    Raises Refusal (a ValueError) where the formulas say the call cannot work, NotCheckable where
    the rule cannot tell."""
    entry = RULES.get(key)
    if entry is None or entry.shape is None or not call.inputs:
        return None
    return entry.shape(call)


_RULE_ERRORS = (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError)


def count_macs(key: str, call: Call) -> int | None:
    """MACs of one whole call by its MAC rule; None where the table has none or the rule cannot read
    the call (then the calls inside it are what it costs); 0 for a call without tensors."""
    entry = RULES.get(key)
    if entry is None or entry.macs is None:
        return None
    if not call.inputs or not call.outputs:
        return 0
    try:
        macs = entry.macs(call)
    except _RULE_ERRORS:
        return None
    # settings that are not numbers (a kernel_size the model replaced by an object of its own) can
    # multiply into something else
    return macs if isinstance(macs, int) and not isinstance(macs, bool) else None


# Constructor arguments that shape arithmetic and the table need; read when a module has them.
COMMON_ATTRIBUTES = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
    "output_padding", "padding_mode", "ceil_mode", "count_include_pad", "divisor_override",
    "return_indices", "norm_type", "output_size", "include_last_offset", "kdim", "vdim", "in_features",
    "out_features", "in1_features", "in2_features", "start_dim", "end_dim", "dim", "unflattened_size",
    "num_features", "normalized_shape", "num_groups", "num_channels", "eps", "affine", "num_embeddings",
    "embedding_dim", "padding_idx", "p", "scale_factor", "size", "mode", "align_corners", "upscale_factor",
    "downscale_factor", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
    "proj_size", "embed_dim", "num_heads", "add_zero_attn", "negative_slope",
)  # fmt: skip
_ORDER = {name: position for position, name in enumerate(COMMON_ATTRIBUTES)}
_SCALARS = (bool, str, type(None))


_PLAIN_TYPES = frozenset({bool, str, int, float, type(None)})


def plain(value: Any) -> Any:
    """A setting as a JSON-friendly value: tuples, whole and real numbers (NumPy's too), strings,
    booleans or None; anything else by its repr, or by its type's name where that repr raises."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is tuple and all(type(item) is int for item in value):  # kernel_size, stride, ...
        return value
    try:
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, tuple | list):  # torch.Size is a tuple
            return tuple(plain(item) for item in value)
        return repr(value)
    except Exception:  # an object of the model's whose __repr__ (or __int__) is broken
        return f"<{type(value).__name__}>"


@functools.lru_cache(maxsize=1024)
def _common_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The common constructor arguments among a module's attribute names, in the table's order (modules
    of one class mostly share their names: worked out once for them)."""
    return tuple(sorted(_ORDER.keys() & set(names), key=_ORDER.__getitem__))


def read_attributes(key: str, state: Mapping[str, Any], parameters: Mapping[str, bool]) -> tuple:
    """A module's shape-relevant settings as (name, plain value) pairs: the common constructor
    arguments found in its attributes (`state`), whether it has a bias (`parameters`: name -> present),
    then what its rule's reader adds; for a user's layer, exactly the attributes its rule names."""
    entry = RULES.get(key)
    if entry is not None and entry.attributes is not None:
        return tuple((name, plain(state[name])) for name in entry.attributes if name in state)
    found = [(name, plain(state[name])) for name in _common_names(tuple(state)) if not callable(state[name])]
    if "bias" in parameters and "bias" not in state:
        found.append(("bias", parameters["bias"]))  # Linear, Conv: is there one
    if entry is not None and entry.read is not None:
        found.extend(entry.read(state, parameters).items())
    return tuple(found)
