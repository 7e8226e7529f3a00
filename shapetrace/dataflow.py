"""Which call produced each tensor a call receives: the edges of the traced graph, kept with weak
references so that no activation outlives its use."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from shapetrace._torch import torch
from shapetrace.values import SCALARS, flat_tensors

__all__ = ["Dataflow", "Edge"]

Tensor = torch.Tensor
Edge = tuple[int, int] | None  # (call index, output position); call index -1-k is model input k


class Dataflow:
    """Maps live tensors to the call (and output position) that made them."""

    def __init__(self) -> None:
        self._made: dict[int, tuple[weakref.ref, int, int]] = {}

    def produce(self, index: int, output: Any) -> None:
        tensors = (output,) if type(output) is Tensor else flat_tensors(output)
        for position, tensor in enumerate(tensors):
            try:
                self._made[id(tensor)] = (weakref.ref(tensor), index, position)
            except TypeError:  # a tensor subclass without weak references
                continue

    def model_inputs(self, args: tuple, kwargs: Mapping[str, Any]) -> None:
        """The model's own input tensors: input k is call index -1-k."""
        for position, tensor in enumerate(_arguments_tensors(args, kwargs)):
            self.produce(-1 - position, tensor)

    def edges(self, args: tuple, kwargs: Mapping[str, Any]) -> tuple[Edge, ...]:
        """Where each input tensor came from: a call's output, a model input, or unknown (None)."""
        found = []
        plain = all(type(arg) is Tensor for arg in args) and (  # the common case: no walk
            not kwargs or all(type(value) in SCALARS for value in kwargs.values())
        )
        for tensor in args if plain else _arguments_tensors(args, kwargs):
            made = self._made.get(id(tensor))
            found.append((made[1], made[2]) if made is not None and made[0]() is tensor else None)
        return tuple(found)


def _arguments_tensors(args: tuple, kwargs: Mapping[str, Any]) -> tuple[Tensor, ...]:
    """The tensors of a call's arguments in the order describe_arguments lists them (each argument
    one level down, as it describes them)."""
    return (*flat_tensors(args), *flat_tensors(kwargs))
