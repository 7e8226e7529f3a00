"""Turn a MODEL argument into a module: a zoo name, torchvision:NAME, FILE.py:NAME or package.module:NAME.

Loading FILE.py or package.module runs that code, as `python FILE.py` would.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapetrace import zoo
from shapetrace._torch import nn, torch
from shapetrace.errors import UsageError

__all__ = ["LoadedModel", "load_model", "TORCHVISION_DEFAULT_INPUT"]

TORCHVISION_DEFAULT_INPUT = (1, 3, 224, 224)
_TORCHVISION_INPUTS = {"inception_v3": (1, 3, 299, 299)}


@dataclass(frozen=True)
class LoadedModel:
    """A built model, the name to show for it, and its default input (None: --input is required)."""

    name: str
    module: nn.Module
    default_input: tuple[int, ...] | None


def load_model(spec: str, kwargs: dict[str, Any], device: str) -> LoadedModel:
    """Build the model a MODEL argument names, on `device`; UsageError when it cannot be built."""
    entry = zoo.zoo_entry(spec)
    if entry is not None:
        if kwargs:
            raise UsageError(f"zoo model '{entry.name}' takes no --kwargs")
        return LoadedModel(entry.name, zoo.build(entry.name, device), entry.default_input)
    if spec.startswith("torchvision:"):
        return _torchvision(spec.partition(":")[2], kwargs, device)
    source, sep, attribute = spec.rpartition(":")
    if not sep or not source or not attribute:
        raise UsageError(_unknown_model_message(spec))
    if source.endswith(".py") or "/" in source or "\\" in source or Path(source).is_file():
        namespace = _load_file(source)
    else:
        namespace = _import_module(source)
    factory = _lookup(namespace, attribute, source)
    return LoadedModel(spec, _instantiate(factory, attribute, kwargs, device), None)


def _unknown_model_message(spec: str) -> str:
    names = list(zoo.ZOO)
    close = difflib.get_close_matches(spec.lower(), names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "."
    return (
        f"unknown model '{spec}'{hint} Give a zoo name ({', '.join(names)}), "
        "torchvision:NAME, FILE.py:NAME or package.module:NAME"
    )


@contextmanager
def _on_path(folder: str) -> Iterator[None]:
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def _load_file(source: str) -> Any:
    path = Path(source)
    if not path.exists():
        raise UsageError(f"no such file: {source}")
    if path.is_dir() or path.suffix != ".py":
        raise UsageError(f"{source} is not a Python file (expected FILE.py:NAME)")
    module_name = f"shapetrace_user_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {source} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _on_path(str(path.resolve().parent)):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        line = f", line {exc.lineno}" if exc.lineno else ""
        raise UsageError(f"{exc.filename or source}{line}: syntax error: {exc.msg}") from None
    except SystemExit as exc:
        del sys.modules[module_name]
        raise UsageError(f"running {source} called sys.exit({exc.code!r})") from None
    except Exception as exc:
        del sys.modules[module_name]
        raise UsageError(f"running {source} raised {type(exc).__name__}: {exc}") from None
    return module


def _import_module(source: str) -> Any:
    try:
        with _on_path(str(Path.cwd())):
            return importlib.import_module(source)
    except ImportError as exc:
        raise UsageError(f"cannot import {source}: {exc}") from None
    except SyntaxError as exc:
        line = f", line {exc.lineno}" if exc.lineno else ""
        raise UsageError(f"{exc.filename or source}{line}: syntax error: {exc.msg}") from None
    except SystemExit as exc:
        raise UsageError(f"importing {source} called sys.exit({exc.code!r})") from None
    except Exception as exc:
        raise UsageError(f"importing {source} raised {type(exc).__name__}: {exc}") from None


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


def _kind(value: Any) -> str:
    return "nn.Module class" if inspect.isclass(value) else "function"


def _a(word: str) -> str:
    """'an int', 'a list': the article for a type name."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _lookup(namespace: Any, attribute: str, source: str) -> Any:
    if hasattr(namespace, attribute):
        return getattr(namespace, attribute)
    candidates = _candidates(namespace)
    close = difflib.get_close_matches(attribute, candidates, n=1)
    message = f"{source} has no '{attribute}'"
    message += f"; did you mean '{close[0]}'?" if close else "."
    if candidates:
        kinds = [f"{name} ({_kind(getattr(namespace, name))})" for name in candidates]
        message += f" It defines: {', '.join(kinds)}"
    else:
        message += " It defines no nn.Module class or function"
    raise UsageError(message)


def _instantiate(factory: Any, attribute: str, kwargs: dict[str, Any], device: str) -> nn.Module:
    if isinstance(factory, nn.Module):
        if kwargs:
            raise UsageError(f"{attribute} is an already built module; it takes no --kwargs")
        return factory.to(device)  # built at import on the CPU: move it where the input will be
    if not callable(factory):
        raise UsageError(
            f"{attribute} is {_a(type(factory).__name__)}, not an nn.Module class or a function returning one"
        )
    if inspect.isclass(factory) and not issubclass(factory, nn.Module):
        raise UsageError(f"{attribute} is a class but not an nn.Module subclass")
    call = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    try:
        with torch.device(device):
            model = factory(**kwargs)
    except SystemExit as exc:
        raise UsageError(f"{attribute}({call}) called sys.exit({exc.code!r})") from None
    except Exception as exc:
        raise UsageError(f"{attribute}({call}) raised {type(exc).__name__}: {exc}") from None
    if not isinstance(model, nn.Module):
        raise UsageError(f"{attribute}() returned {_a(type(model).__name__)}, not an nn.Module")
    return model


def _torchvision(name: str, kwargs: dict[str, Any], device: str) -> LoadedModel:
    try:
        import torchvision.models
    except ImportError:
        raise UsageError(
            "torchvision is not installed (pip install torchvision); it is needed for torchvision:NAME"
        ) from None
    available = torchvision.models.list_models()
    if name not in available:
        close = difflib.get_close_matches(name, available, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"torchvision has no model '{name}'{hint}")
    factory = torchvision.models.get_model_builder(name)
    model = _instantiate(lambda **kw: factory(weights=None, **kw), name, kwargs, device)
    return LoadedModel(
        f"torchvision:{name}",
        model.eval(),
        _TORCHVISION_INPUTS.get(name, TORCHVISION_DEFAULT_INPUT),
    )
