"""Exceptions users see: bad usage (exit 2) and a failed forward pass (exit 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapetrace.records import Trace

__all__ = ["UsageError", "ShapeError"]


class UsageError(ValueError):
    """Bad usage: an unknown model, a malformed shape, a file that cannot be loaded. One line."""


class ShapeError(Exception):
    """The model's forward pass failed; carries the layers that ran, the failing module and a hint."""

    def __init__(self, message: str, *, trace: Trace, layer: str, hint: str | None = None):
        super().__init__(message)
        self.trace = trace
        self.layer = layer
        self.hint = hint
