"""Exceptions users see: bad usage (exit 2) and a failed forward pass (exit 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shapetrace.messages import msg, render

if TYPE_CHECKING:
    from shapetrace.records import TraceRecord

__all__ = ["UsageError", "ShapeError", "ExportError", "TraceWarning"]


class UsageError(ValueError):
    """Bad usage: an unknown model, a malformed shape, a file that cannot be loaded. One line.

    Carries its words as a message (`.message`): `str()` gives them in English, in the Python API's
    terms; the command line shows them in its own terms and the language asked for."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(code)

    def __str__(self) -> str:
        return render(self.message)


class ShapeError(Exception):
    """The model's forward pass failed; carries the layers that ran, the failing module and a hint."""

    def __init__(self, message: str, *, trace: TraceRecord, layer: str, hint: str | None = None):
        super().__init__(message)
        self.trace = trace
        self.layer = layer
        self.hint = hint


class ExportError(Exception):
    """The ONNX exporter could not export the model: the op it refused and the module it came from.
    Carries its words as a message (`.message`), like UsageError."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(code)

    def __str__(self) -> str:
        return render(self.message)


class TraceWarning(RuntimeWarning):
    """Something a trace could not leave as it found it (a forward that writes its parameters)."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(render(self.message))
