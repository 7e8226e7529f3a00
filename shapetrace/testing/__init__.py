"""Property tests of shape rules, yours and shapetrace's, against PyTorch, in a few lines:

    from shapetrace.testing import check_rule, conv_cases
    check_rule(nn.Conv2d, conv_cases(2))   # shapes equal where PyTorch runs, a refusal where it raises

Hypothesis strategies of configurations PyTorch accepts and of inputs for them (`strategies`), the
check (`check`), and a pytest plugin with the `shape_rules` fixture (`plugin`). The names load on
first use, so that the plugin imports neither torch nor hypothesis; they need hypothesis
(`pip install hypothesis`), which shapetrace itself does not."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shapetrace.testing.check import assert_rule_matches_torch, check_rule
    from shapetrace.testing.strategies import (
        Case,
        cases,
        conv_cases,
        conv_configs,
        dilations,
        input_shapes,
        kernels,
        layer_stacks,
        paddings,
        pool_cases,
        pool_configs,
        sizes,
        stack,
        strides,
        tensor_shapes,
    )

__all__ = [
    "check_rule", "assert_rule_matches_torch", "Case", "cases", "conv_cases", "pool_cases", "layer_stacks",
    "stack", "conv_configs", "pool_configs", "input_shapes", "tensor_shapes", "sizes", "kernels", "strides",
    "paddings", "dilations",
]  # fmt: skip
_CHECK = ("check_rule", "assert_rule_matches_torch")


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'shapetrace.testing' has no attribute {name!r}")
    try:
        module = importlib.import_module(
            "shapetrace.testing." + ("check" if name in _CHECK else "strategies")
        )
    except ImportError as error:
        if (error.name or "").split(".")[0] != "hypothesis":
            raise
        from shapetrace.messages import msg, render

        raise ImportError(render(msg("testing.needs_hypothesis"))) from None
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
