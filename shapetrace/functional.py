"""The functional view: torch functions called directly in a forward (torch.cat, +, F.relu, flatten,
...), recorded through torch.overrides.TorchFunctionMode, which is active only during the trace."""

from __future__ import annotations

from typing import Any

from torch.overrides import TorchFunctionMode

__all__ = ["FunctionCall", "FunctionRecorder", "SIGNATURES"]

# Calls that only ask about a tensor; they are never rows.
_QUERIES = frozenset(
    {
        "__get__", "__set__", "size", "dim", "numel", "__len__", "__format__", "__repr__", "item",
        "tolist", "__bool__", "__index__", "__int__", "__float__", "is_floating_point", "is_complex",
        "element_size", "data_ptr", "stride", "is_contiguous", "__hash__", "__eq__", "__ne__",
        "storage_offset", "__iter__", "unbind",
    }
)  # fmt: skip

# Parameter names of common functions, so positional arguments reach the shape rules by name.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "cat": ("tensors", "dim"),
    "concat": ("tensors", "dim"),
    "concatenate": ("tensors", "dim"),
    "stack": ("tensors", "dim"),
    "flatten": ("input", "start_dim", "end_dim"),
    "add": ("input", "other", "alpha"),
    "add_": ("input", "other", "alpha"),
    "sub": ("input", "other", "alpha"),
    "sub_": ("input", "other", "alpha"),
    "mul": ("input", "other"),
    "mul_": ("input", "other"),
    "div": ("input", "other"),
    "div_": ("input", "other"),
    "matmul": ("input", "other"),
    "__rmatmul__": ("input", "other"),
    "inner": ("input", "other"),
    "tensordot": ("a", "b", "dims"),
    "multi_dot": ("tensors",),
    "linalg_multi_dot": ("tensors",),
    "multi_head_attention_forward": (
        "query", "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight", "in_proj_bias",
        "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight", "out_proj_bias",
    ),
    "mm": ("input", "mat2"),
    "bmm": ("input", "mat2"),
    "addmm": ("input", "mat1", "mat2", "beta", "alpha"),
    "baddbmm": ("input", "batch1", "batch2", "beta", "alpha"),
    "addbmm": ("input", "batch1", "batch2", "beta", "alpha"),
    "addmv": ("input", "mat", "vec", "beta", "alpha"),
    "linear": ("input", "weight", "bias"),
    "bilinear": ("input1", "input2", "weight", "bias"),
    **{f"conv{n}d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups") for n in "123"},
    **{
        f"conv_transpose{n}d": ("input", "weight", "bias", "stride", "padding", "output_padding", "groups")
        for n in "123"
    },
    "einsum": ("equation", "*operands"),
    "scaled_dot_product_attention": (
        "query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa",
    ),
    "view": ("input", "*size"),
    "reshape": ("input", "*shape"),
    "expand": ("input", "*size"),
    "repeat": ("input", "*repeats"),
    "permute": ("input", "*dims"),
    "transpose": ("input", "dim0", "dim1"),
    "swapaxes": ("input", "dim0", "dim1"),
    "unsqueeze": ("input", "dim"),
    "squeeze": ("input", "dim"),
    "softmax": ("input", "dim"),
    "log_softmax": ("input", "dim"),
    "mean": ("input", "dim", "keepdim"),
    "sum": ("input", "dim", "keepdim"),
    "amax": ("input", "dim", "keepdim"),
    "amin": ("input", "dim", "keepdim"),
}  # fmt: skip


class FunctionCall:
    """A torch function's place in the recorder's call list (where modules stand for module calls)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class FunctionRecorder(TorchFunctionMode):
    """Record the torch functions a forward calls outside leaf modules, each as one call.

    Functions that run inside a torch.nn leaf layer (Conv2d's F.conv2d) belong to its row, and
    functions called by a recorded function are its own business: neither becomes a row."""

    def __init__(self, recorder: Any, opaque: set[int]) -> None:
        super().__init__()
        self.recorder = recorder
        self.opaque = opaque  # torch.nn leaf layers: their functions are theirs
        self.busy = False

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        stack = self.recorder.stack
        inside_leaf = bool(stack) and id(self.recorder.calls[stack[-1]][0]) in self.opaque
        if self.recorder.in_hook:
            return func(*args, **kwargs)
        if self.busy or inside_leaf or name in _QUERIES or not name:
            if name in ("size", "__get__", "dim", "numel") and not self.busy and not inside_leaf:
                self.recorder.shape_reads += 1  # forward code reads a shape: it may branch on it
            return func(*args, **kwargs)
        self.busy = True
        try:
            output = func(*args, **kwargs)
        except BaseException as error:
            self.recorder.add_function(name, args, kwargs, None, error)
            raise
        finally:
            self.busy = False
        self.recorder.add_function(name, args, kwargs, output, None)
        return output
