"""The function recorder: torch functions called directly in a forward (torch.cat, +, F.relu, flatten,
...), seen through torch.overrides.TorchFunctionMode, which is active only during the trace."""

from __future__ import annotations

from typing import Any, Protocol

from torch.overrides import TorchFunctionMode

__all__ = ["FunctionLog", "FunctionRecorder"]

# Calls that only ask about a tensor; they are never rows.
_QUERIES = frozenset(
    {
        "__get__", "__set__", "size", "dim", "numel", "__len__", "__format__", "__repr__", "item",
        "tolist", "__bool__", "__index__", "__int__", "__float__", "is_floating_point", "is_complex",
        "element_size", "data_ptr", "stride", "is_contiguous", "__hash__", "__eq__", "__ne__",
        "storage_offset", "__iter__", "unbind",
    }
)  # fmt: skip
_SHAPE_QUERIES = frozenset({"size", "__get__", "dim", "numel"})  # forward code that may branch on a shape


class FunctionLog(Protocol):
    """What the recorder offers the function recorder."""

    in_hook: bool  # shapetrace's own hooks are running: their torch calls are not the model's

    def inside_torch_layer(self) -> bool:
        """Whether the innermost running module is a torch.nn layer (its functions are its own)."""

    def note_shape_read(self) -> None: ...

    def add_function(
        self, name: str, args: tuple, kwargs: dict[str, Any], output: Any, error: BaseException | None
    ) -> None: ...


class FunctionRecorder(TorchFunctionMode):
    """Record the torch functions a forward calls outside torch.nn layers, each as one call.

    Functions that run inside a torch.nn leaf layer (Conv2d's F.conv2d) belong to its row, and
    functions called by a recorded function are its own business: neither becomes a row."""

    def __init__(self, log: FunctionLog) -> None:
        super().__init__()
        self.log = log
        self.busy = False  # a recorded function is running

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        log = self.log
        if log.in_hook:
            return func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if self.busy or name in _QUERIES or not name or log.inside_torch_layer():
            if name in _SHAPE_QUERIES and not self.busy and not log.inside_torch_layer():
                log.note_shape_read()
            return func(*args, **kwargs)
        self.busy = True
        try:
            output = func(*args, **kwargs)
        except BaseException as error:
            log.add_function(name, args, kwargs, None, error)
            raise
        finally:
            self.busy = False
        log.add_function(name, args, kwargs, output, None)
        return output
