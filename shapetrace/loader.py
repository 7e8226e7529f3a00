"""Turn a MODEL argument into a module: a zoo name, torchvision:NAME, FILE.py:NAME or package.module:NAME.

Loading FILE.py or package.module runs that code, as `python FILE.py` would.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapetrace import zoo
from shapetrace._torch import nn, torch
from shapetrace.errors import UsageError
from shapetrace.introspect import meta_copy
from shapetrace.messages import Message, Seq, msg

__all__ = ["LoadedModel", "load_model", "skip_init", "TORCHVISION_DEFAULT_INPUT"]

TORCHVISION_DEFAULT_INPUT = (1, 3, 224, 224)
_TORCHVISION_INPUTS = {"inception_v3": (1, 3, 299, 299)}


@dataclass(frozen=True)
class LoadedModel:
    """A built model, the name to show for it, and its default input (None: --input is required);
    `rebuild(device)` builds it again on another device without loading its file again."""

    name: str
    module: nn.Module
    default_input: tuple[int, ...] | None
    rebuild: Callable[[str], nn.Module] = field(default=lambda device: None, repr=False, compare=False)


def load_model(spec: str, kwargs: dict[str, Any], device: str, fallback: str | None = None) -> LoadedModel:
    """Build the model a MODEL argument names, on `device` (or, where it cannot be built there, on
    `fallback`, without loading its file again); UsageError when it cannot be built."""
    entry = zoo.zoo_entry(spec)
    if entry is not None:
        if kwargs:
            raise UsageError("usage.zoo_kwargs", name=entry.name)
        name = entry.name
        model = zoo.build(name, device)
        return LoadedModel(name, model, entry.default_input, lambda where: zoo.build(name, where))
    if spec.startswith("torchvision:"):
        return _torchvision(spec.partition(":")[2], kwargs, device)
    source, sep, attribute = spec.rpartition(":")
    if not sep or not source or not attribute:
        raise _unknown_model(spec)
    _import_dependencies()
    local = Path(*source.split(".")).with_suffix(".py")
    if source.endswith(".py") or "/" in source or "\\" in source or Path(source).is_file():
        namespace = _load_file(source)
    elif local.is_file():  # a module of the working directory, loaded as a file: it shadows nothing
        namespace = _load_file(str(local), source)
    else:
        namespace = _import_module(source)
    factory = _lookup(namespace, attribute, source)
    _check_callable(factory, attribute, namespace, source)

    def rebuild(where: str) -> nn.Module:
        return _instantiate(factory, attribute, kwargs, where)

    try:
        return LoadedModel(spec, rebuild(device), None, rebuild)
    except UsageError:
        if fallback is None:
            raise
        return LoadedModel(spec, rebuild(fallback), None, rebuild)


def _import_dependencies() -> None:
    """Import what shapetrace itself needs before any of the user's code runs, so that a file of theirs
    named like one of them (tabulate.py) cannot take its place."""
    import grandalf.layouts  # noqa: F401
    import jinja2  # noqa: F401
    import tabulate  # noqa: F401


def _did_you_mean(name: str, candidates: list[str], cutoff: float = 0.6) -> Message:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return msg("usage.did_you_mean", name=close[0]) if close else msg("usage.full_stop")


def _unknown_model(spec: str) -> UsageError:
    names = list(zoo.ZOO)
    return UsageError(
        "usage.unknown_model", spec=spec, close=_did_you_mean(spec.lower(), names), names=Seq(tuple(names))
    )


@contextmanager
def _on_path(folder: str) -> Iterator[None]:
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def _load_file(source: str, shown: str | None = None) -> Any:
    """Run a Python file as a module of its own name, outside sys.path's packages; `shown` is how the
    user named it (package.module), for the messages."""
    source, path = shown or source, Path(source)
    if not path.exists():
        raise UsageError("usage.no_file", path=source)
    if path.is_dir() or path.suffix != ".py":
        raise UsageError("usage.not_python", path=source)
    module_name = f"shapetrace_user_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError("usage.cannot_load", path=source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _on_path(str(path.resolve().parent)):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise _syntax_error(exc, source) from None
    except SystemExit as exc:
        del sys.modules[module_name]
        raise UsageError("usage.file_exit", path=source, code=repr(exc.code)) from None
    except Exception as exc:
        del sys.modules[module_name]
        raise UsageError(
            "usage.file_raised", path=source, exception=type(exc).__name__, detail=str(exc)
        ) from None
    return module


def _syntax_error(exc: SyntaxError, source: str) -> UsageError:
    line = msg("usage.line", line=exc.lineno) if exc.lineno else ""
    return UsageError("usage.syntax", file=exc.filename or source, line=line, detail=exc.msg)


def _import_module(source: str) -> Any:
    try:
        with _on_path(str(Path.cwd())):
            return importlib.import_module(source)
    except ImportError as exc:
        raise UsageError("usage.cannot_import", module=source, detail=str(exc)) from None
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except SystemExit as exc:
        raise UsageError("usage.import_exit", module=source, code=repr(exc.code)) from None
    except Exception as exc:
        raise UsageError(
            "usage.import_raised", module=source, exception=type(exc).__name__, detail=str(exc)
        ) from None


def _candidates(namespace: Any) -> list[str]:
    """Module classes and functions that the file or module itself defines."""
    found = []
    for name, value in vars(namespace).items():
        if name.startswith("_") or getattr(value, "__module__", None) != namespace.__name__:
            continue
        is_module_class = inspect.isclass(value) and issubclass(value, nn.Module)
        if is_module_class or inspect.isfunction(value):
            found.append(name)
    return found


def _kind(name: str, value: Any) -> Message:
    return msg("usage.kind_class" if inspect.isclass(value) else "usage.kind_function", name=name)


def _a(word: str) -> Message:
    """'an int', 'a list': a type name with its article (in English)."""
    return msg("word.an" if word[:1].lower() in "aeiou" else "word.a", type=word)


def _lookup(namespace: Any, attribute: str, source: str) -> Any:
    if hasattr(namespace, attribute):
        return getattr(namespace, attribute)
    candidates = _candidates(namespace)
    if candidates:
        kinds = tuple(_kind(name, getattr(namespace, name)) for name in candidates)
        defines = msg("usage.defines", names=Seq(kinds))
    else:
        defines = msg("usage.defines_nothing")
    close = _did_you_mean(attribute, candidates)
    raise UsageError("usage.no_attribute", source=source, name=attribute, close=close, defines=defines)


def _check_callable(factory: Any, attribute: str, namespace: Any, source: str) -> None:
    """Only an nn.Module (a class, or one already built) or a function the file or module itself defines
    is ever called: never a function a module merely imports (os:system), nor any of the standard
    library's (shutil:rmtree), whatever --kwargs says."""
    if isinstance(factory, nn.Module) or (inspect.isclass(factory) and issubclass(factory, nn.Module)):
        return
    if inspect.isclass(factory):
        raise UsageError("usage.class_not_module", name=attribute)
    if not callable(factory):
        raise UsageError("usage.not_callable", name=attribute, kind=_a(type(factory).__name__))
    defined_here = inspect.isfunction(factory) and factory.__module__ == namespace.__name__
    if not defined_here or namespace.__name__.partition(".")[0] in sys.stdlib_module_names:
        raise UsageError("usage.not_a_factory", name=attribute, source=source)


_RANDOM_FILLS = {
    getattr(torch.Tensor, name)
    for name in ("uniform_", "normal_", "random_", "exponential_", "log_normal_", "cauchy_", "geometric_")
} | {
    getattr(nn.init, name)
    for name in (
        "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
        "kaiming_normal_", "orthogonal_", "sparse_",
    )
}  # fmt: skip
_RANDOM_TENSORS = {torch.rand: torch.zeros, torch.randn: torch.zeros, torch.rand_like: torch.zeros_like,
                   torch.randn_like: torch.zeros_like}  # fmt: skip


class skip_init(torch.overrides.TorchFunctionMode):  # noqa: N801 (used as a context, like torch.no_grad)
    """While a model is built only to be traced, random initialisation writes zeros instead (a memset:
    PyTorch's default init of a VGG-sized model takes seconds); shapes never depend on weight values,
    and zeros keep a pass free of NaNs and denormals. What a constructor computes (a causal mask, a
    table of positions) is computed as usual."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func in _RANDOM_FILLS:
            tensor = args[0] if args else kwargs.get("tensor")  # nn.init passes it by name
            if isinstance(tensor, torch.Tensor):
                if tensor.is_meta:  # nothing to fill (PyTorch's meta fills import torch._dynamo: seconds)
                    return tensor
                with torch.no_grad():
                    return tensor.zero_()
        if func in _RANDOM_TENSORS:
            kwargs.pop("generator", None)
            return _RANDOM_TENSORS[func](*args, **kwargs)
        return func(*args, **kwargs)


def _instantiate(factory: Any, attribute: str, kwargs: dict[str, Any], device: str) -> nn.Module:
    if isinstance(factory, nn.Module):
        if kwargs:
            raise UsageError("usage.built_kwargs", name=attribute)
        if device == "meta":  # a copy without weights: the instance stays as it is for another device
            copied = meta_copy(factory)
            if copied is not None:
                return copied
        return factory.to(device)  # built at import on the CPU: move it where the input will be
    call = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    try:
        with torch.device(device), skip_init():
            model = factory(**kwargs)
    except SystemExit as exc:
        raise UsageError("usage.factory_exit", name=attribute, call=call, code=repr(exc.code)) from None
    except Exception as exc:
        raise UsageError(
            "usage.factory_raised", name=attribute, call=call, exception=type(exc).__name__, detail=str(exc)
        ) from None
    if not isinstance(model, nn.Module):
        raise UsageError("usage.returned_not_module", name=attribute, kind=_a(type(model).__name__))
    return model


def _torchvision(name: str, kwargs: dict[str, Any], device: str) -> LoadedModel:
    try:
        import torchvision.models
    except ImportError:
        raise UsageError("usage.no_torchvision") from None
    available = torchvision.models.list_models()
    if name not in available:
        close = difflib.get_close_matches(name, available, n=3)
        hint = msg("usage.did_you_mean_any", names=Seq(tuple(close))) if close else ""
        raise UsageError("usage.torchvision_unknown", name=name, close=hint)
    factory = torchvision.models.get_model_builder(name)

    def rebuild(where: str) -> nn.Module:
        return _instantiate(lambda **kw: factory(weights=None, **kw), name, kwargs, where).eval()

    default = _TORCHVISION_INPUTS.get(name, TORCHVISION_DEFAULT_INPUT)
    return LoadedModel(f"torchvision:{name}", rebuild(device), default, rebuild)
