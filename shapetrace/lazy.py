"""How frozen records are made and copied cheaply (`made`, `evolve`), and analyses that wait until
read: a trace's records carry a `Pending` run of the analyses, and the fields the analyses fill
(`Analysed`) read its result on first access. Plain Python: the records' module uses it, and it knows
nothing of what the analyses are."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Pending", "Analysed", "once", "settled", "made", "defaults", "evolve"]


def made(record_type: type, state: dict[str, Any]) -> Any:
    """A frozen record whose state is `state`, every field in it but the analysed ones (see
    `defaults`)."""
    record = object.__new__(record_type)
    object.__setattr__(record, "__dict__", state)
    return record


@functools.cache
def defaults(record_type: type) -> dict[str, Any]:
    """The defaults of a record type's fields that have one (not to be changed: it is shared), but for
    its analysed fields, which read theirs where a record's state lacks them."""
    analysed = _analysed_fields(record_type)
    return {
        field.name: field.default
        for field in dataclasses.fields(record_type)
        if field.default is not dataclasses.MISSING and field.name not in analysed
    }


def evolve(record: Any, **changes: Any) -> Any:
    """A copy of a frozen record with some fields changed, like dataclasses.replace but without
    re-running __init__ (about 5x faster; the cross-check and receptive fields copy every layer)."""
    clone = object.__new__(type(record))
    clone.__dict__.update(record.__dict__)
    clone.__dict__.update(changes)
    return clone


class once:  # noqa: N801 (a decorator, like functools.cached_property)
    """functools.cached_property without its lock (Python 3.11 takes one on every first read, about a
    third of the cost of these small sums): computing a value twice in a race does no harm."""

    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


class Pending:
    """Analyses not run yet over a trace (the cross-check, receptive fields, closed forms): run once, on
    the first read of a field they fill, so that a trace nobody asks those of never pays for them. The
    records of such a trace carry it as `_pending` (and a layer its index in the analysed trace as
    `_origin`); their analysed fields read the result."""

    __slots__ = ("_run", "_result", "_lock")

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run: Callable[[], Any] | None = run
        self._result: Any | None = None
        self._lock = threading.Lock()

    def tag(self, record: Any, origin: int | None = None) -> Any:
        """A copy of `record` (a layer, with its index `origin` in the analysed trace; or the trace)
        whose analysed fields are read from the result."""
        clone = object.__new__(type(record))
        state = clone.__dict__
        state.update(record.__dict__)
        for name in _analysed_fields(type(record)):
            state.pop(name, None)
        state["_pending"] = self
        if origin is not None:
            state["_origin"] = origin
        return clone

    def result(self) -> Any:
        with self._lock:
            if self._result is None:
                assert self._run is not None
                self._result, self._run = self._run(), None
        return self._result


class Analysed:
    """A field an analysis fills: a record still pending reads it from its analysed counterpart (once,
    then keeps it); every other record has its own value or the default."""

    __slots__ = ("default", "name")

    def __init__(self, default: Any) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, record: Any, owner: type | None = None) -> Any:
        if record is None:  # the class's: the dataclass's default
            return self.default
        state = record.__dict__
        pending = state.get("_pending")
        if pending is None:
            return self.default
        analysed = pending.result()
        origin = state.get("_origin")
        value = getattr(analysed if origin is None else analysed.layers[origin], self.name)
        state[self.name] = value
        return value


@functools.cache
def _analysed_fields(record_type: type) -> frozenset[str]:
    return frozenset(
        name
        for klass in record_type.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, Analysed)
    )


_TAGS = ("_pending", "_origin")


def settled(record: Any) -> dict[str, Any]:
    """A record's state with every analysed field read (what pickling and copying keep)."""
    for name in _analysed_fields(type(record)):
        getattr(record, name)
    return {key: value for key, value in record.__dict__.items() if key not in _TAGS}
