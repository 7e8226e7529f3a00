"""The recorder's raw material: the hook callbacks that note each call of one forward pass (its inputs,
outputs, place in the call tree and where its input tensors came from) as it happens."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from shapetrace._torch import nn, torch
from shapetrace.dataflow import Dataflow, Edge
from shapetrace.records import ValueInfo
from shapetrace.values import OPAQUE, SCALARS, describe, describe_arguments

__all__ = ["RecordedCall", "CallLog"]

_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction


@dataclass(slots=True, eq=False)
class RecordedCall:
    """One call as the hooks saw it; `outputs` stays None when the call raised."""

    target: Any  # the nn.Module, or the name of a torch function
    parent: int | None  # index of the call it ran inside
    inputs: ValueInfo
    edges: tuple[Edge, ...]  # where each input tensor came from
    outputs: ValueInfo | None = None

    @property
    def is_function(self) -> bool:
        return isinstance(self.target, str)


class CallLog:
    """Hook callbacks: keep only shapes and the call nesting; everything else is derived later.

    The forward hook runs with always_call=True, so a call that raises is closed too (its outputs stay
    None) even when the model catches the exception and goes on."""

    def __init__(self, leaves: set[int], torch_layers: set[int]) -> None:
        self.calls: list[RecordedCall] = []
        self.stack: list[int] = []  # indexes of the calls running now, outermost first
        self.leaves = leaves  # ids of leaf modules: they, and functions, make tensors
        # ids of torch.nn leaf layers: the torch calls inside them are their own (Conv2d's F.conv2d); a
        # user-written leaf's calls (its matmuls) are recorded like any forward code's
        self.torch_layers = torch_layers
        self.shape_reads = 0  # shape queries made by forward code outside torch.nn layers
        self.in_hook = False
        self.watching = False  # whether the function recorder is active
        self.dataflow = Dataflow()
        self.raised: list[tuple[int, BaseException]] = []  # (call index, exception), in order
        self._quiet: list[Any] = []  # open DisableTorchFunction contexts, one per running torch.nn layer
        self._active: list[BaseException | None] = []  # exception being handled when each call began
        self._tensor_infos: dict[tuple, ValueInfo] = {}  # records are immutable: share equal ones
        self._tensor_args: dict[tuple, ValueInfo] = {}  # tensor-only arguments, and plain keywords
        self._plain_infos: dict[tuple, ValueInfo] = {}  # scalars, slices: (type, value) -> description

    def before_wrapped(self, module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        """The recorder's wrapped call, before: `before`, straight to the record where no function
        recorder runs."""
        if self.watching:
            self.before(module, args, kwargs)
        else:
            self._open(module, args, kwargs)

    def after_wrapped(self, module: nn.Module, args: tuple, output: Any) -> None:
        if self.watching:
            self.after(module, args, output)
        else:
            self._close(module, output)

    def _tensor(self, tensor: torch.Tensor) -> ValueInfo:
        key = (tensor.shape, tensor.dtype)
        info = self._tensor_infos.get(key)
        if info is None:
            info = self._tensor_infos[key] = describe(tensor)
        return info

    def before(self, module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        if not self.watching:  # no function recorder to keep out of our own reads
            self._open(module, args, kwargs)
            return
        self.in_hook = True
        try:
            with _NO_TORCH_FUNCTION():  # our own .shape and .dtype reads skip the function recorder
                self._open(module, args, kwargs)
        finally:
            self.in_hook = False
        if id(module) in self.torch_layers:  # a layer's torch calls are its row
            quiet = _NO_TORCH_FUNCTION()
            quiet.__enter__()
            self._quiet.append(quiet)

    def after(self, module: nn.Module, args: tuple, output: Any) -> None:
        if not self.watching:
            self._close(module, output)
            return
        if id(module) in self.torch_layers and self._quiet:
            self._quiet.pop().__exit__(None, None, None)
        self.in_hook = True
        try:
            with _NO_TORCH_FUNCTION():
                self._close(module, output)
        finally:
            self.in_hook = False

    def _arguments(self, args: tuple, kwargs: dict[str, Any]) -> ValueInfo:
        """describe_arguments, sharing the description of equal tensor-only arguments (the common case)."""
        if not all(type(arg) is torch.Tensor for arg in args) or (
            kwargs and not all(type(value) in SCALARS for value in kwargs.values())
        ):
            return self._mixed_arguments(args, kwargs)
        tensors = tuple(self._tensor(arg) for arg in args)
        key = (  # a float with its sign: 0.0 == -0.0 (a NaN equals only itself: never shared)
            tuple(map(id, tensors)),
            tuple(
                (name, type(value), (value, math.copysign(1.0, value)) if type(value) is float else value)
                for name, value in kwargs.items()
            ),
        )
        inputs = self._tensor_args.get(key)
        if inputs is None:
            items = tuple((None, tensor) for tensor in tensors)
            if kwargs:
                items += describe_arguments((), kwargs).items
            inputs = self._tensor_args[key] = ValueInfo("sequence", "args", items=items)
        return inputs

    def _mixed_arguments(self, args: tuple, kwargs: dict[str, Any]) -> ValueInfo:
        """describe_arguments where the arguments are tensors, plain scalars, slices and flat tuples or
        lists of them (torch.cat's, x[:, 0]'s), from shared descriptions; anything else the long way."""
        items = []
        for arg in args:
            info = self._plain(arg)
            if info is None:
                return describe_arguments(args, kwargs)
            items.append((None, info))
        for key, value in kwargs.items():
            info = self._plain(value) if type(value) in SCALARS else None
            if info is None:
                return describe_arguments(args, kwargs)
            items.append((key, info))
        return ValueInfo("sequence", "args", items=tuple(items))

    def _plain(self, value: Any, nested: bool = False) -> ValueInfo | None:
        """The description of a tensor, scalar, slice or ..., or (not `nested`) of a tuple or list of
        them, as describe() gives it; None for anything else."""
        kind = type(value)
        if kind is torch.Tensor:
            return self._tensor(value)
        if kind is float:  # not shared: 0.0 == -0.0
            return describe(value)
        if kind in SCALARS or kind in OPAQUE:
            key = (kind, value) if kind in SCALARS else (kind, None)
            info = self._plain_infos.get(key)
            if info is None:
                info = self._plain_infos[key] = describe(value)
            return info
        if (kind is tuple or kind is list) and not nested:
            items = []
            for item in value:
                info = self._plain(item, True)
                if info is None:
                    return None
                items.append((None, info))
            return ValueInfo("sequence", kind.__name__, items=tuple(items))
        return None

    def _open(self, module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.calls.append(
            RecordedCall(module, parent, self._arguments(args, kwargs), self.dataflow.edges(args, kwargs))
        )
        self.stack.append(len(self.calls) - 1)
        self._active.append(sys.exc_info()[1])

    def _close(self, module: nn.Module, output: Any) -> None:
        index = self.stack.pop()
        handling = sys.exc_info()[1]
        if handling is not self._active.pop():  # called from _call_impl's except: this call raised
            self.raised.append((index, handling))
            return
        self.calls[index].outputs = self._tensor(output) if type(output) is torch.Tensor else describe(output)
        if id(module) in self.leaves:
            self.dataflow.produce(index, output)

    def abandon(self, failure: BaseException) -> None:
        """Close the calls a failure left open: torch runs always_call hooks only for an Exception, so a
        SystemExit, GeneratorExit or other BaseException leaves the calls it passed through open."""
        while self._quiet:
            self._quiet.pop().__exit__(None, None, None)
        while self.stack:
            self.raised.append((self.stack.pop(), failure))
            self._active.pop()

    def inside_torch_layer(self) -> bool:
        return bool(self.stack) and id(self.calls[self.stack[-1]].target) in self.torch_layers

    def note_shape_read(self) -> None:
        self.shape_reads += 1

    def add_function(
        self, name: str, args: tuple, kwargs: dict[str, Any], output: Any, error: BaseException | None
    ) -> None:
        """A torch function call made directly in a forward: a row only when it returns tensors."""
        if error is not None:
            outputs = None
        elif type(output) is torch.Tensor:
            outputs = self._tensor(output)
        else:
            outputs = describe(output)
            if next(outputs.tensors(), None) is None:
                return
        parent = self.stack[-1] if self.stack else None
        call = RecordedCall(
            name, parent, self._arguments(args, kwargs), self.dataflow.edges(args, kwargs), outputs
        )
        self.calls.append(call)
        if error is None:
            self.dataflow.produce(len(self.calls) - 1, output)
        else:
            self.raised.append((len(self.calls) - 1, error))

    def failing_call(self, failure: BaseException) -> int | None:
        """The first call that raised `failure` or an exception it was raised from."""
        chain = set()
        error: BaseException | None = failure
        while error is not None and id(error) not in chain:
            chain.add(id(error))
            error = error.__cause__ or error.__context__
        for index, exception in self.raised:
            if id(exception) in chain:
                return index
        return None
