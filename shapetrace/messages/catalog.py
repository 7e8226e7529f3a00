"""The catalog: every message code with its English and Chinese text, gathered from the areas below.
A code defined twice is an error."""

from __future__ import annotations

from typing import Any

from shapetrace.messages import (
    calculator,
    custom,
    device,
    diagnosis,
    forms,
    handout,
    notes,
    onnx,
    report,
    usage,
    workings,
)
from shapetrace.messages import summary as summary_words

__all__ = ["CATALOG"]


def _merged(*parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for code, texts in part.items():
            if code in merged:
                raise ValueError(f"message code {code} is defined twice")
            merged[code] = texts
    return merged


CATALOG = _merged(
    calculator.MESSAGES,
    custom.MESSAGES,
    device.MESSAGES,
    diagnosis.MESSAGES,
    forms.MESSAGES,
    handout.MESSAGES,
    notes.MESSAGES,
    onnx.MESSAGES,
    report.MESSAGES,
    summary_words.MESSAGES,
    usage.MESSAGES,
    workings.MESSAGES,
)
