"""Aligned text tables through tabulate. The command line loads tabulate without its wide-character
support (wcwidth, a large import) and switches that on when a table holds non-ASCII text (Chinese):
an English table is plain ASCII. A library user's process gets tabulate as installed."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["tabulate", "lean"]

_LEAN = False  # set by the command line, which owns its process


def lean() -> None:
    """Load tabulate without wcwidth from now on, where it is not loaded yet (the command line)."""
    global _LEAN
    _LEAN = True


def _module() -> ModuleType:
    loaded = sys.modules.get("tabulate")
    if loaded is not None:
        return loaded
    blocked = _LEAN and "wcwidth" not in sys.modules
    if blocked:
        sys.modules["wcwidth"] = None  # type: ignore[assignment]  # tabulate's import of it fails
    try:
        import tabulate
    finally:
        if blocked:
            del sys.modules["wcwidth"]
    return tabulate


def _plain(rows: Iterable[Sequence[Any]], headers: Sequence[Any]) -> bool:
    return all(str(cell).isascii() for row in rows for cell in row) and all(str(h).isascii() for h in headers)


def tabulate(rows: Iterable[Sequence[Any]], headers: Sequence[Any] = (), **options: Any) -> str:
    """tabulate.tabulate, with wide characters measured wherever the table holds any."""
    rows = [list(row) for row in rows]
    module = _module()
    if getattr(module, "wcwidth", True) is None and not _plain(rows, headers):
        try:
            import wcwidth
        except ImportError:  # tabulate without its widechars extra: as tabulate itself would do
            pass
        else:
            module.wcwidth = wcwidth
            module.WIDE_CHARS_MODE = True
    return module.tabulate(rows, headers=headers, **options)
