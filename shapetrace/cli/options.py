"""The command line's options: the parser (its help in the catalog, in English or Chinese), --input's
shape syntax, and the checked request the commands run on."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapetrace import __version__
from shapetrace.errors import UsageError
from shapetrace.messages import Lang, Seq, msg, render

__all__ = ["FORMATS", "DTYPES", "DEVICES", "build_parser", "parse_shape", "Request", "resolve"]

FORMATS = ("table", "json", "markdown", "html", "csv", "svg")
DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32")
DEVICES = ("auto", "cpu", "meta", "cuda")
_EXTENSIONS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".svg": "svg",
    ".txt": "table",
    ".log": "table",
}

# (flags, argparse settings); the help of each is the catalog's "help.<dest>"
_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--list",), {"action": "store_true"}),
    (("--input",), {"action": "append", "metavar": "SHAPE"}),
    (("--dtype",), {"default": "float32", "choices": DTYPES}),
    (("--device",), {"default": "auto", "choices": DEVICES}),
    (("--format",), {"choices": FORMATS}),
    (("-o", "--output"), {"metavar": "FILE"}),
    (("--depth",), {"type": int, "metavar": "N"}),
    (("--kwargs",), {"metavar": "JSON"}),
    (("--explain",), {"action": "store_true"}),
    (("--lang",), {"choices": ("en", "zh"), "default": "en"}),
    (("--strict",), {"action": "store_true"}),
    (("--solve",), {"nargs": "?", "const": "1:256", "metavar": "LO:HI"}),
    (("--solve-dim",), {"choices": ("H", "W")}),
    (("--budget",), {"type": float, "metavar": "SECONDS"}),
    (("-q", "--quiet"), {"action": "store_true"}),
    (("--functional",), {"action": "store_true"}),
    (("--train",), {"action": "store_true"}),
    (("--style",), {"choices": ("table", "d2l"), "default": "table"}),
    (("--quiz",), {"nargs": "?", "const": "shapes", "choices": ("shapes", "params")}),
    (("--onnx",), {"metavar": "FILE"}),
    (("--onnx-dynamic",), {"metavar": "NAMES"}),  # the symbolic names of the input's spatial dims
    (("--columns",), {"metavar": "LIST"}),  # the torchinfo-style summary (shapetrace.summary's columns)
    (("--ascii",), {"action": "store_true"}),
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as a UsageError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError("usage.argparse", detail=message)


def help_formatter(lang: Lang) -> type[argparse.RawDescriptionHelpFormatter]:
    """argparse's help layout with its "usage:" in `lang`."""
    prefix = render(msg("help.usage"), lang, "cli")

    class Formatter(argparse.RawDescriptionHelpFormatter):
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix_: str | None = None) -> None:
            super().add_usage(usage, actions, groups, prefix=prefix)

    return Formatter


def translated_parser(
    prog: str, lang: Lang, description: str, epilog: str, formatter: type | None = None, **settings: Any
) -> argparse.ArgumentParser:
    """A parser whose description, epilog, usage and section titles are the catalog's, in `lang`
    (`description` and `epilog` are message codes); -h is the caller's to add."""

    def words(code: str) -> str:
        return render(msg(code), lang, "cli")

    parser = _Parser(
        prog=prog,
        description=words(description),
        epilog=words(epilog),
        formatter_class=formatter or help_formatter(lang),
        add_help=False,
        **settings,
    )
    parser._positionals.title = words("help.positionals")
    parser._optionals.title = words("help.optionals")
    return parser


def build_parser(lang: Lang = "en") -> argparse.ArgumentParser:
    """The argument parser, its help in `lang`; building it imports no torch."""

    def words(code: str) -> str:
        return render(msg(code), lang, "cli")

    parser = translated_parser("shapetrace", lang, "help.description", "help.epilog")
    parser.add_argument("models", nargs="*", metavar="MODEL", help=words("help.models"))
    parser.add_argument("-h", "--help", action="help", help=words("help.help"))
    parser.add_argument(
        "--version", action="version", version=f"shapetrace {__version__}", help=words("help.version")
    )
    for flags, settings in _OPTIONS:
        dest = flags[-1].lstrip("-").replace("-", "_")
        parser.add_argument(*flags, help=words(f"help.{dest}"), **settings)
    return parser


def parse_shape(text: str) -> tuple[tuple[int, ...], str | None]:
    """'1,1,224,224' -> ((1, 1, 224, 224), None); '1,16:int64' -> ((1, 16), 'int64')."""
    body, _, dtype = text.partition(":")
    if dtype and dtype not in DTYPES:
        raise UsageError("usage.input_dtype", text=repr(text), dtype=repr(dtype), choices=Seq(DTYPES))
    parts = [part.strip() for part in body.replace("x", ",").split(",")]
    if not body.strip() or not any(parts):
        raise UsageError("usage.input_empty")
    sizes = []
    for part in parts:
        if not part:
            raise UsageError("usage.input_missing_size", text=repr(text))
        try:
            size = int(part)
        except ValueError:
            raise UsageError("usage.input_not_number", text=repr(text), part=repr(part)) from None
        if size < 1:
            raise UsageError("usage.input_below_one", text=repr(text), size=size)
        sizes.append(size)
    return tuple(sizes), dtype or None


@dataclass(frozen=True)
class Request:
    """What to trace it with: the inputs (shape, dtype), the constructor's keyword arguments, the format."""

    inputs: list[tuple[tuple[int, ...], str]] | None
    kwargs: dict[str, Any]
    output_format: str
    columns: tuple[str, ...] | None = None  # --columns / --ascii: the summary's columns (None: the table)


def _check_onnx(args: argparse.Namespace) -> None:
    """--onnx exports one traced model, with real weights."""
    if args.device == "meta":
        raise UsageError("usage.onnx_meta")
    if len(args.models) > 1:
        raise UsageError("usage.onnx_one_model")
    if args.solve is not None:
        raise UsageError("usage.onnx_solve")


def dynamic_names(text: str | None) -> tuple[str, ...] | None:
    """--onnx-dynamic H,W as the names ("H", "W"); the export checks that they fit the input."""
    if text is None:
        return None
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        raise UsageError("usage.onnx_dynamic_names", names=text)
    return names


def resolve(args: argparse.Namespace) -> Request:
    inputs = None
    if args.input:
        inputs = [(shape, dtype or args.dtype) for shape, dtype in map(parse_shape, args.input)]
    kwargs: dict[str, Any] = {}
    if args.kwargs is not None:
        try:
            kwargs = json.loads(args.kwargs)
        except json.JSONDecodeError as exc:
            raise UsageError("usage.kwargs_json", detail=str(exc)) from None
        except RecursionError:
            raise UsageError("usage.kwargs_deep") from None
        if not isinstance(kwargs, dict):
            raise UsageError("usage.kwargs_object")
    if args.solve_dim and args.solve is None:
        raise UsageError("usage.solve_dim_needs_solve")
    if args.budget is not None and not 0 < args.budget < math.inf:  # nan too
        raise UsageError("usage.budget_positive", budget=args.budget)
    if args.depth is not None and args.depth < 1:
        raise UsageError("usage.depth", depth=args.depth)
    if args.onnx is not None:
        _check_onnx(args)
    if args.onnx_dynamic is not None and args.onnx is None:
        raise UsageError("usage.onnx_dynamic_needs_onnx")
    dynamic_names(args.onnx_dynamic)  # empty names fail before the trace
    if args.output is not None and not args.output.strip():
        raise UsageError("usage.output_empty")
    output_format = args.format
    if output_format is None and args.output:
        suffix = Path(args.output).suffix.lower()
        if suffix not in _EXTENSIONS:
            raise UsageError("usage.output_format", path=repr(args.output))
        output_format = _EXTENSIONS[suffix]
    return Request(inputs, kwargs, output_format or "table", _columns(args, output_format or "table"))


def _columns(args: argparse.Namespace, output_format: str) -> tuple[str, ...] | None:
    """--columns as a checked tuple (--ascii alone: torchinfo's default columns); None: neither given."""
    if args.columns is None and not args.ascii:
        return None
    if output_format != "table" or args.style == "d2l" or args.quiz:
        raise UsageError("usage.summary_table")
    from shapetrace.render.summary import COLUMNS, DEFAULT_COLUMNS

    if args.columns is None:
        return DEFAULT_COLUMNS
    names = tuple(name.strip() for name in args.columns.split(",") if name.strip())
    for name in names or ("",):
        if name not in COLUMNS:
            raise UsageError("usage.summary_column", column=repr(name), choices=Seq(COLUMNS))
    return names


def language_of(argv: Sequence[str]) -> Lang:
    """The --lang asked for, read before parsing so that parse errors are in it too."""
    for position, token in enumerate(argv):
        if (
            token == "--lang"
            and position + 1 < len(argv)
            and argv[position + 1] == "zh"
            or token == "--lang=zh"
        ):
            return "zh"
    return "en"
