"""Hypothesis strategies of layer configurations PyTorch accepts, and of inputs for them.

Configurations are dicts of constructor keyword arguments (`nn.Conv2d(**config)`); a `Case` is a
configuration with an input shape, which `check_rule` builds and runs. Inputs come valid for their
configuration, or not (too small for the window, the wrong number of channels, the wrong rank), so
that refusals are tested too. Pure Python: the layers are built by `stack` and the factories only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

__all__ = [
    "Case", "sizes", "kernels", "strides", "paddings", "dilations", "conv_configs", "pool_configs",
    "input_shapes", "tensor_shapes", "cases", "conv_cases", "pool_cases", "layer_stacks", "stack",
]  # fmt: skip

# One spatial setting each; shrinking goes to the smallest.
sizes = st.integers(1, 24)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)

Kind = Literal["conv", "transposed", "max", "avg"]
Inputs = Literal["valid", "invalid", "any"]


@dataclass(frozen=True)
class Case:
    """A layer's configuration (the factory's keyword arguments) and the shape of its input."""

    config: Mapping[str, Any]
    input_shape: tuple[int, ...]


def _setting(draw: Any, values: st.SearchStrategy[int], dims: int) -> int | tuple[int, ...]:
    """One value for every dimension, or a tuple of one per dimension."""
    return draw(values) if draw(st.booleans()) else tuple(draw(values) for _ in range(dims))


def _each(value: Any, dims: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,) * dims


def _groups_and_channels(draw: Any, in_channels: int | None) -> tuple[int, int]:
    if in_channels is None:
        groups = draw(st.sampled_from((1, 2, 3)))
        return groups, groups * draw(st.integers(1, 3))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if in_channels % g == 0]))
    return groups, in_channels


@st.composite
def conv_configs(draw: Any, dims: int, *, transposed: bool = False, in_channels: int | None = None) -> dict:
    """Keyword arguments of nn.ConvNd (nn.ConvTransposeNd where `transposed`) for `dims` = 1, 2 or 3:
    kernel, stride, dilation and padding per dimension or for all, padding 'same' (unit stride only)
    or 'valid', groups dividing both channel counts, output_padding below the stride or dilation."""
    groups, channels = _groups_and_channels(draw, in_channels)
    config = {
        "in_channels": channels,
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": _setting(draw, kernels, dims),
        "stride": _setting(draw, strides, dims),
        "dilation": _setting(draw, dilations, dims),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    if transposed:
        config["padding"] = _setting(draw, paddings, dims)
        limits = [
            max(s, d)
            for s, d in zip(_each(config["stride"], dims), _each(config["dilation"], dims), strict=True)
        ]
        config["output_padding"] = tuple(draw(st.integers(0, limit - 1)) for limit in limits)
        return config
    choices = ["numbers", "valid"] + (["same"] if set(_each(config["stride"], dims)) == {1} else [])
    choice = draw(st.sampled_from(choices))
    config["padding"] = _setting(draw, paddings, dims) if choice == "numbers" else choice
    return config


@st.composite
def pool_configs(draw: Any, dims: int, *, kind: Literal["max", "avg"] = "max") -> dict:
    """Keyword arguments of nn.MaxPoolNd or nn.AvgPoolNd: padding at most half the kernel, stride
    None (the kernel) or its own, ceil_mode; dilation for max pools, count_include_pad for average ones."""
    kernel = _setting(draw, kernels, dims)
    halves = tuple(draw(st.integers(0, k // 2)) for k in _each(kernel, dims))
    config = {
        "kernel_size": kernel,
        "stride": draw(st.none() | strides),
        "padding": halves if isinstance(kernel, tuple) or len(set(halves)) > 1 else halves[0],
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "max":
        config["dilation"] = _setting(draw, dilations, dims)
    else:
        config["count_include_pad"] = draw(st.booleans())
    return config


def _smallest(config: Mapping[str, Any], dims: int, kind: Kind) -> tuple[int, ...]:
    """The smallest input size, per dimension, at which PyTorch's output has at least one element."""
    kernel = _each(config["kernel_size"], dims)
    dilation = _each(config.get("dilation", 1), dims)
    padding = config.get("padding", 0)
    if padding in ("same", "valid"):
        padding = 0 if padding == "valid" else None
    smallest = []
    for axis in range(dims):
        k, d = kernel[axis], dilation[axis]
        p = _each(padding, dims)[axis] if padding is not None else None
        if p is None:  # 'same': every size works
            smallest.append(1)
        elif kind == "transposed":
            s, op = _each(config["stride"], dims)[axis], _each(config["output_padding"], dims)[axis]
            shortfall = 2 * p - d * (k - 1) - op  # (n - 1)·s must reach it
            smallest.append(1 + max(0, -(-shortfall // s)))
        elif kind == "avg" and dims == 3:  # PyTorch's 3d average pool wants the kernel inside the input
            smallest.append(k)
        else:
            span = k if kind == "avg" else d * (k - 1) + 1
            smallest.append(max(1, span - 2 * p))
    return tuple(smallest)


def _too_small(config: Mapping[str, Any], kind: Kind, smallest: tuple[int, ...]) -> list[int]:
    """The axes along which some size is too small (none with ceil_mode, which rounds windows up). A
    transposed convolution's output of size exactly 0 is no such size: PyTorch's CPU kernels return an
    empty tensor for it (the 1d one raises, for a batch of one), shapetrace refuses it; two below the
    smallest size, the output is negative."""
    if config.get("ceil_mode"):
        return []
    least = 2 if kind == "transposed" else 1
    return [axis for axis, size in enumerate(smallest) if size > least]


@st.composite
def input_shapes(
    draw: Any, config: Mapping[str, Any], dims: int, kind: Kind = "conv", inputs: Inputs = "valid"
) -> tuple[int, ...]:
    """An input shape for a layer of this kind and configuration: (batch, channels, *sizes), or
    unbatched (channels, *sizes). "valid": one it runs on; "invalid": one PyTorch refuses, too small
    where some size is, else with the wrong channels (convolutions) or the wrong rank; "any": mostly
    valid, now and then not."""
    if inputs == "any":
        inputs = draw(st.sampled_from(["valid", "valid", "valid", "invalid"]))
    smallest = _smallest(config, dims, kind)
    channels = config.get("in_channels") or draw(st.integers(1, 3))
    spatial = [draw(st.integers(size, size + 12)) for size in smallest]
    lead = (draw(st.integers(1, 2)),) if draw(st.integers(0, 3)) else ()  # now and then unbatched
    if inputs == "valid":
        return (*lead, channels, *spatial)
    axes = _too_small(config, kind, smallest)
    ways = (["small"] if axes else []) + (["channels"] if "in_channels" in config else []) + ["rank"]
    way = draw(st.sampled_from(ways))
    if way == "small":
        axis = draw(st.sampled_from(axes))
        spatial[axis] = draw(st.integers(1, smallest[axis] - (2 if kind == "transposed" else 1)))
    elif way == "channels":
        channels = draw(st.integers(1, channels + 3).filter(lambda c: c != config["in_channels"]))
    else:
        return tuple(spatial) if draw(st.booleans()) else (1, 1, channels, *spatial)
    return (*lead, channels, *spatial)


def tensor_shapes(
    dims: int = 2,
    *,
    channels: int | st.SearchStrategy[int] | None = None,
    batch: st.SearchStrategy[int] | None = None,
    spatial: st.SearchStrategy[int] = sizes,
) -> st.SearchStrategy[tuple[int, ...]]:
    """Input shapes (batch, channels, *sizes) with `dims` spatial sizes, for a layer of your own."""
    if channels is None:
        channels = st.integers(1, 4)
    elif isinstance(channels, int):
        channels = st.just(channels)
    return st.tuples(batch or st.integers(1, 2), channels, *(spatial for _ in range(dims)))


def cases(
    configs: st.SearchStrategy[Mapping[str, Any]],
    shapes: st.SearchStrategy[tuple[int, ...]]
    | Callable[[Mapping[str, Any]], st.SearchStrategy]
    | None = None,
) -> st.SearchStrategy[Case]:
    """Cases of your own layer: its configurations with input shapes, drawn from `shapes` (a strategy,
    or a function of the configuration that returns one; by default `tensor_shapes()`)."""
    shapes = tensor_shapes() if shapes is None else shapes
    if not callable(shapes):  # independent draws shrink best
        return st.builds(Case, configs, shapes.map(tuple))

    def with_input(config: Mapping[str, Any]) -> st.SearchStrategy[Case]:
        chosen = shapes(config) if callable(shapes) else shapes
        return st.builds(Case, st.just(config), chosen.map(tuple))

    return configs.flatmap(with_input)


def conv_cases(dims: int, *, transposed: bool = False, inputs: Inputs = "any") -> st.SearchStrategy[Case]:
    """nn.ConvNd (nn.ConvTransposeNd) cases: a configuration and an input for it."""
    kind: Kind = "transposed" if transposed else "conv"
    return cases(conv_configs(dims, transposed=transposed), lambda c: input_shapes(c, dims, kind, inputs))


def pool_cases(
    dims: int, *, kind: Literal["max", "avg"] = "max", inputs: Inputs = "any"
) -> st.SearchStrategy[Case]:
    """nn.MaxPoolNd or nn.AvgPoolNd cases: a configuration and an input for it."""
    return cases(pool_configs(dims, kind=kind), lambda c: input_shapes(c, dims, kind, inputs))


def _never_empty(config: dict, dims: int) -> dict:
    """A transposed convolution's padding cut to where every input size gives an output: one of size
    exactly 0 is an empty tensor for PyTorch's 2d and 3d CPU kernels, a refusal for shapetrace."""
    settings = zip(
        _each(config["kernel_size"], dims), _each(config["dilation"], dims), _each(config["padding"], dims),
        config["output_padding"], strict=True,
    )  # fmt: skip
    padding = tuple(min(p, (d * (k - 1) + op) // 2) for k, d, p, op in settings)
    return {**config, "padding": padding}


def _grown(config: Mapping[str, Any], dims: int, kind: str, sizes: list[int]) -> list[int]:
    """An upper bound of a layer's output sizes, to keep a stack's tensors small (not its arithmetic)."""
    if kind in ("batchnorm", "relu"):
        return sizes
    if kind == "adaptive":
        return list(_each(config["output_size"], dims))
    padding = config.get("padding", 0)
    padding = _each(0 if isinstance(padding, str) else padding, dims)
    if kind != "transposed":
        return [n + 2 * p for n, p in zip(sizes, padding, strict=True)]
    settings = zip(
        sizes, _each(config["kernel_size"], dims), _each(config["stride"], dims),
        _each(config["dilation"], dims), config["output_padding"], strict=True,
    )  # fmt: skip
    return [(n - 1) * s + d * (k - 1) + 1 + op for n, k, s, d, op in settings]


def _stack_layer(draw: Any, dims: int, channels: int) -> tuple[str, str, dict]:
    kind = draw(st.sampled_from(["conv", "max", "avg", "transposed", "adaptive", "batchnorm", "relu"]))
    if kind in ("conv", "transposed"):
        config = draw(conv_configs(dims, transposed=kind == "transposed", in_channels=channels))
        if kind == "transposed":
            return kind, f"ConvTranspose{dims}d", _never_empty(config, dims)
        return kind, f"Conv{dims}d", config
    if kind in ("max", "avg"):
        return kind, f"{kind.capitalize()}Pool{dims}d", draw(pool_configs(dims, kind=kind))
    if kind == "adaptive":
        return kind, f"AdaptiveAvgPool{dims}d", {"output_size": _setting(draw, st.integers(1, 6), dims)}
    if kind == "batchnorm":
        return kind, f"BatchNorm{dims}d", {"num_features": channels}
    return kind, "ReLU", {}


@st.composite
def layer_stacks(draw: Any, dims: int = 2, *, max_layers: int = 4) -> Case:
    """Random stacks of convolutions, transposed convolutions, max, average and adaptive average pools,
    BatchNorm and ReLU whose channels match, as Cases of `stack` (config {"layers": ((class name,
    arguments), ...)}), on a batched input of sizes 1 to 32 (1 to 12 in 3d): some run, some break at a
    layer that cannot fit. A layer that could grow the maps beyond 64 (24 in 3d) is left out."""
    limit = 24 if dims == 3 else 64
    channels = first = draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 2)), first, *(draw(st.integers(1, limit // 2)) for _ in range(dims)))
    bound, layers = list(shape[2:]), []
    for _ in range(draw(st.integers(1, max_layers))):
        kind, name, config = _stack_layer(draw, dims, channels)
        grown = _grown(config, dims, kind, bound)
        if max(grown) <= limit:
            layers.append((name, config))
            bound, channels = grown, config.get("out_channels", channels)
    return Case({"layers": tuple(layers) or (("ReLU", {}),)}, shape)


def stack(layers: tuple[tuple[str, Mapping[str, Any]], ...]) -> Any:
    """The nn.Sequential of these torch.nn layers (class name, keyword arguments), in eval mode."""
    from shapetrace._torch import nn

    return nn.Sequential(*(getattr(nn, name)(**config) for name, config in layers)).eval()
