"""Which call produced each tensor a call receives: the edges of the traced graph, kept with weak
references so that no activation outlives its use."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from shapetrace._torch import torch

__all__ = ["Dataflow", "flat_tensors"]

Edge = tuple[int, int] | None  # (call index, output position); call index -1-k is model input k


def flat_tensors(value: Any, depth: int = 0) -> Iterator[torch.Tensor]:
    """The tensors inside a value, in the order `tracer.describe` lists them."""
    if isinstance(value, torch.Tensor):
        yield value
    elif depth >= 16:
        return
    elif isinstance(value, tuple | list):
        for item in value:
            yield from flat_tensors(item, depth + 1)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from flat_tensors(item, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from flat_tensors(getattr(value, field.name, None), depth + 1)


class Dataflow:
    """Maps live tensors to the call (and output position) that made them."""

    def __init__(self) -> None:
        self._made: dict[int, tuple[weakref.ref, int, int]] = {}

    def produce(self, index: int, output: Any) -> None:
        for position, tensor in enumerate(flat_tensors(output)):
            try:
                self._made[id(tensor)] = (weakref.ref(tensor), index, position)
            except TypeError:  # a tensor subclass without weak references
                continue

    def model_inputs(self, args: tuple, kwargs: Mapping[str, Any]) -> None:
        """The model's own input tensors: input k is call index -1-k."""
        for position, tensor in enumerate(flat_tensors((args, kwargs))):
            self.produce(-1 - position, tensor)

    def edges(self, args: tuple, kwargs: Mapping[str, Any]) -> tuple[Edge, ...]:
        """Where each input tensor came from: a call's output, a model input, or unknown (None)."""
        found = []
        for tensor in flat_tensors((args, kwargs)):
            made = self._made.get(id(tensor))
            found.append((made[1], made[2]) if made is not None and made[0]() is tensor else None)
        return tuple(found)
