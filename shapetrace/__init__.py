"""shapetrace: every layer's shapes, parameters and MACs of a PyTorch model, checked against the formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shapetrace.errors import ShapeError, UsageError

if TYPE_CHECKING:
    from shapetrace.custom import Call, Derivation, Refusal, register_rule, shape_rule
    from shapetrace.errors import ExportError
    from shapetrace.pipeline import Trace, export_onnx, trace
    from shapetrace.records import LayerRecord
    from shapetrace.solver import solve
    from shapetrace.summaries import Summary, summary

__all__ = [
    "trace", "summary", "Summary", "solve", "ShapeError", "UsageError", "Trace", "LayerRecord",
    "register_rule", "shape_rule", "Call", "Derivation", "Refusal", "export_onnx", "ExportError",
    "__version__",
]  # fmt: skip
__version__ = "0.1.0"

_LAZY = {
    "solve": "shapetrace.solver",
    "trace": "shapetrace.pipeline",
    "Trace": "shapetrace.pipeline",
    "export_onnx": "shapetrace.pipeline",
    "ExportError": "shapetrace.errors",
    "summary": "shapetrace.summaries",
    "Summary": "shapetrace.summaries",
    "LayerRecord": "shapetrace.records",
    # rules for layers of your own (pure Python)
    "register_rule": "shapetrace.custom",
    "shape_rule": "shapetrace.custom",
    "Call": "shapetrace.custom",
    "Derivation": "shapetrace.custom",
    "Refusal": "shapetrace.custom",
}


def __getattr__(name: str) -> Any:
    """Import the torch side only when it is used, so `shapetrace.formulas` stays torch-free."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shapetrace' has no attribute {name!r}")
