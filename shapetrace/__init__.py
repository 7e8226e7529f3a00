"""shapetrace: every layer's shapes, parameters and MACs of a PyTorch model, checked against the formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shapetrace.errors import ShapeError, UsageError

if TYPE_CHECKING:
    from shapetrace.pipeline import Trace, trace
    from shapetrace.records import LayerRecord
    from shapetrace.solver import solve

__all__ = ["trace", "solve", "ShapeError", "UsageError", "Trace", "LayerRecord", "__version__"]
__version__ = "0.1.0"

_LAZY = {
    "solve": "shapetrace.solver",
    "trace": "shapetrace.pipeline",
    "Trace": "shapetrace.pipeline",
    "LayerRecord": "shapetrace.records",
}


def __getattr__(name: str) -> Any:
    """Import the torch side only when it is used, so `shapetrace.formulas` stays torch-free."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shapetrace' has no attribute {name!r}")
