"""The command line: parse, dispatch, print. The only module that prints or chooses an exit code."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapetrace import __version__
from shapetrace.errors import ShapeError, UsageError

__all__ = ["build_parser", "main", "entry_point", "parse_shape"]

FORMATS = ("table", "json", "markdown", "html", "csv")
DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32")
DEVICES = ("cpu", "meta", "cuda")
_EXTENSIONS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "table",
    ".log": "table",
}

_DESCRIPTION = "Trace a PyTorch model: every layer's input and output shapes, parameters and MACs."
_EPILOG = """\
MODEL is a zoo name (lenet, alexnet, vgg11, nin, googlenet, resnet18; see --list),
torchvision:NAME (when torchvision is installed; no weights are downloaded),
FILE.py:NAME or package.module:NAME, where NAME is an nn.Module class or a function
returning one. Loading FILE.py or package.module runs its code: only load files you trust.

examples:
  shapetrace alexnet --input 1,1,224,224
  shapetrace examples/cifar_cnn.py:CifarCNN --input 1,3,32,32 --format json
  shapetrace vgg11 --device meta --input 1,1,8192,8192

exit status: 0 success, 1 the forward pass failed, 2 bad usage."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as a UsageError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; building it imports no torch."""
    parser = _Parser(
        prog="shapetrace",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("models", nargs="*", metavar="MODEL", help="the model(s) to trace")
    parser.add_argument("--list", action="store_true", help="list the zoo models and exit")
    parser.add_argument("--version", action="version", version=f"shapetrace {__version__}")
    parser.add_argument(
        "--input",
        action="append",
        metavar="SHAPE",
        help="input shape, e.g. 1,1,224,224, optionally with a dtype: 1,16:int64; "
        "repeat for a model with several inputs (default: the zoo model's own)",
    )
    parser.add_argument("--dtype", default="float32", choices=DTYPES, help="input dtype")
    parser.add_argument(
        "--device",
        default="cpu",
        choices=DEVICES,
        help="meta: build model and input on the meta device, allocating nothing",
    )
    parser.add_argument("--format", choices=FORMATS, help="output format (default: table)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    parser.add_argument(
        "--depth",
        type=int,
        metavar="N",
        help="show containers down to depth N and fold the rest into them "
        "(table, markdown, html; JSON and CSV keep every call)",
    )
    parser.add_argument("--kwargs", metavar="JSON", help="keyword arguments for the model's constructor")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add each layer's shape derivation from the formulas, numbers put in (with d2l's notation)",
    )
    parser.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the table and derivations"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when any layer's shapes disagree with the formulas"
    )
    parser.add_argument(
        "--solve",
        nargs="?",
        const="1:256",
        metavar="LO:HI",
        help="list the input sizes (spatial, square by default) for which the model runs (default 1:256)",
    )
    parser.add_argument(
        "--solve-dim", choices=("H", "W"), help="with --solve: vary only the height or only the width"
    )
    parser.add_argument(
        "--functional",
        action="store_true",
        help="also list the torch functions called inside forward (cat, +, flatten, F.relu, ...)",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="trace in train mode (default: eval mode, as for inference)",
    )
    return parser


def parse_shape(text: str) -> tuple[tuple[int, ...], str | None]:
    """'1,1,224,224' -> ((1, 1, 224, 224), None); '1,16:int64' -> ((1, 16), 'int64')."""
    body, _, dtype = text.partition(":")
    if dtype and dtype not in DTYPES:
        raise UsageError(f"--input {text!r}: unknown dtype {dtype!r} (choose from {', '.join(DTYPES)})")
    parts = [part.strip() for part in body.replace("x", ",").split(",")]
    if not body.strip() or not any(parts):
        raise UsageError("--input is empty: give sizes such as 1,1,224,224")
    sizes = []
    for part in parts:
        if not part:
            raise UsageError(
                f"--input {text!r} is malformed: a size is missing (two separators in a row, "
                "or one at an end); expected sizes such as 1,1,224,224"
            )
        try:
            size = int(part)
        except ValueError:
            raise UsageError(
                f"--input {text!r} is malformed: {part!r} is not a whole number "
                "(expected sizes such as 1,1,224,224)"
            ) from None
        if size < 1:
            raise UsageError(f"--input {text!r}: every size must be at least 1, got {size}")
        sizes.append(size)
    return tuple(sizes), dtype or None


@dataclass(frozen=True)
class _Request:
    inputs: list[tuple[tuple[int, ...], str]] | None
    kwargs: dict[str, Any]
    output_format: str


def _resolve(args: argparse.Namespace) -> _Request:
    inputs = None
    if args.input:
        inputs = [(shape, dtype or args.dtype) for shape, dtype in map(parse_shape, args.input)]
    kwargs: dict[str, Any] = {}
    if args.kwargs is not None:
        try:
            kwargs = json.loads(args.kwargs)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--kwargs is not valid JSON: {exc}") from None
        if not isinstance(kwargs, dict):
            raise UsageError("--kwargs must be a JSON object, e.g. '{\"num_classes\": 100}'")
    if args.solve_dim and args.solve is None:
        raise UsageError("--solve-dim needs --solve")
    if args.depth is not None and args.depth < 1:
        raise UsageError(f"--depth must be at least 1, got {args.depth}")
    if args.output is not None and not args.output.strip():
        raise UsageError("-o/--output needs a file name")
    output_format = args.format
    if output_format is None and args.output:
        suffix = Path(args.output).suffix.lower()
        if suffix not in _EXTENSIONS:
            raise UsageError(f"cannot tell the format of {args.output!r}; add --format")
        output_format = _EXTENSIONS[suffix]
    return _Request(inputs, kwargs, output_format or "table")


def _list_zoo() -> str:
    from tabulate import tabulate

    from shapetrace import zoo
    from shapetrace.specs import count_params

    rows = []
    for entry in zoo.ZOO.values():
        params, _ = count_params(zoo.build(entry.name, "meta"))
        rows.append((entry.name, ",".join(map(str, entry.default_input)), f"{params:,}", entry.summary))
    headers = ("model", "default input", "params", "what it is")
    return (
        tabulate(rows, headers=headers, colalign=("left", "left", "right", "left"), disable_numparse=True)
        + "\n"
    )


def _trace_one(spec: str, request: _Request, args: argparse.Namespace) -> Any:
    from shapetrace import tracer
    from shapetrace._torch import torch
    from shapetrace.loader import load_model

    loaded = load_model(spec, request.kwargs, args.device)
    inputs = request.inputs
    if inputs is None:
        if loaded.default_input is None:
            raise UsageError(f"{spec} has no default input: give one with --input, e.g. --input 1,3,32,32")
        inputs = [(loaded.default_input, args.dtype)]
    model = loaded.module.train(args.train)
    float_dtypes = {getattr(torch, dtype) for _, dtype in inputs if dtype.startswith(("float", "bfloat"))}
    if len(float_dtypes) == 1 and float_dtypes != {torch.float32}:
        model = model.to(float_dtypes.pop())
    try:
        return tracer.trace(
            model,
            [shape for shape, _ in inputs],
            dtypes=[getattr(torch, dtype) for _, dtype in inputs],
            device=args.device,
            model_name=loaded.name,
            functional=args.functional,
        )
    except ShapeError as exc:
        return exc.trace


def _solve_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition(":")
    try:
        lo, hi = int(low), int(high if sep else low)
    except ValueError:
        raise UsageError(f"--solve {text!r}: expected LO:HI, e.g. 1:256") from None
    if not 1 <= lo <= hi:
        raise UsageError(f"--solve {text!r}: need 1 <= LO <= HI")
    if hi - lo > 100_000:
        raise UsageError(f"--solve {text!r}: at most 100,000 sizes at once")
    return lo, hi


def _run_solve(spec: str, request: _Request, args: argparse.Namespace) -> tuple[str, int]:
    from shapetrace._torch import torch
    from shapetrace.loader import load_model
    from shapetrace.render.data import dumps
    from shapetrace.render.solved import render_solution, solution_to_dict
    from shapetrace.solver import solve

    lo, hi = _solve_range(args.solve)
    try:
        loaded = load_model(spec, request.kwargs, "meta")  # no weights needed to solve
    except UsageError:
        loaded = load_model(spec, request.kwargs, "cpu")  # a constructor that needs real tensors
    inputs = request.inputs or ([(loaded.default_input, args.dtype)] if loaded.default_input else None)
    if inputs is None:
        raise UsageError(f"{spec} has no default input: give one with --input, e.g. --input 1,3,32,32")
    if len(inputs) != 1:
        raise UsageError("--solve takes a model with one input")
    shape, dtype = inputs[0]
    if args.solve_dim and len(shape) != 4:
        raise UsageError("--solve-dim needs an input with two spatial sizes (N, C, H, W)")
    model = loaded.module.train(args.train)
    if dtype.startswith(("float", "bfloat")) and dtype != "float32":
        model = model.to(getattr(torch, dtype))
    solution = solve(
        model, shape, lo, hi, args.solve_dim or "square",
        dtype=getattr(torch, dtype), model_name=loaded.name,
    )  # fmt: skip
    text = (
        dumps(solution_to_dict(solution)) + "\n"
        if request.output_format == "json"
        else render_solution(solution)
    )
    return text, 0 if solution.valid else 1


def _render(traces: list[Any], output_format: str, args: argparse.Namespace) -> str:
    from shapetrace.render import compare, data, markup, table

    if len(traces) > 1:
        if output_format == "json":
            return data.dumps([trace.to_dict() for trace in traces]) + "\n"
        if output_format != "table":
            raise UsageError(f"--format {output_format} takes one model; compare with table or json")
        return compare.render_comparison(traces)
    trace = traces[0]
    renderers = {
        "table": lambda: table.render_table(trace, depth=args.depth, explain=args.explain, lang=args.lang),
        "json": lambda: data.render_json(trace),
        "csv": lambda: data.render_csv(trace),
        "markdown": lambda: markup.render_markdown(
            trace, lang=args.lang, depth=args.depth, explain=args.explain
        ),
        "html": lambda: markup.render_html(trace, lang=args.lang, depth=args.depth, explain=args.explain),
    }
    return renderers[output_format]()


def _check_device(device: str) -> None:
    if device == "cuda":
        from shapetrace._torch import torch

        if not torch.cuda.is_available():
            raise UsageError("--device cuda: CUDA is not available on this machine")


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """['--input', '-1,3'] -> ['--input=-1,3'], so a negative size gets its own clear message."""
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] == "--input" and token[:1] == "-" and token[1:2].isdigit():
            joined[-1] = f"--input={token}"
        else:
            joined.append(token)
    return joined


def _parse(argv: Sequence[str]) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status of --help / --version (which print and exit)."""
    try:
        return build_parser().parse_args(_join_negative_values(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def _trace_all(specs: list[str], request: _Request, args: argparse.Namespace) -> list[Any]:
    """Trace each model with the model's own prints sent to stderr, so stdout holds only the output;
    warnings (a forward that writes its parameters) become one line each."""
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        traces = [_trace_one(spec, request, args) for spec in specs]
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning) and "shapetrace" in str(warning.message):
            print(f"shapetrace: warning: {warning.message}", file=sys.stderr)
    return traces


def _solve_all(args: argparse.Namespace, request: _Request) -> int:
    if request.output_format not in ("table", "json"):
        raise UsageError("--solve prints a table or JSON")
    status = 0
    texts = []
    with contextlib.redirect_stdout(sys.stderr):
        for spec in args.models:
            text, code = _run_solve(spec, request, args)
            texts.append(text)
            status = max(status, code)
    _emit("".join(texts), args)
    return status


def _emit(text: str, args: argparse.Namespace) -> None:
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def _run(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    if isinstance(args, int):
        return args
    if args.list:
        sys.stdout.write(_list_zoo())
        return 0
    if not args.models:
        raise UsageError("give a MODEL to trace, e.g. shapetrace alexnet (see --list)")
    request = _resolve(args)
    _check_device(args.device)
    if args.solve is not None:
        return _solve_all(args, request)
    traces = _trace_all(args.models, request, args)
    _emit(_render(traces, request.output_format, args), args)
    failed = [trace for trace in traces if trace.error is not None]
    for trace in failed:
        if args.output or request.output_format != "table":
            print(
                f"shapetrace: {trace.model}: forward pass failed in {trace.error.layer}: "
                f"{trace.error.message.splitlines()[0]}",
                file=sys.stderr,
            )
    mismatched = [trace for trace in traces if trace.checks["mismatch"]]
    if args.strict:
        for trace in mismatched:
            names = ", ".join(layer.name for layer in trace.layers if layer.check == "mismatch")
            print(
                f"shapetrace: {trace.model}: --strict: shapes differ from the formulas at {names}",
                file=sys.stderr,
            )
    return 1 if failed or (args.strict and mismatched) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 forward failed, 2 bad usage)."""
    try:
        return _run(argv)
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        print("shapetrace: error: PyTorch is not installed: pip install torch", file=sys.stderr)
        return 2
    except UsageError as exc:
        message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"shapetrace: error: {message}", file=sys.stderr)  # one line, whatever a constructor said
        return 2
    except KeyboardInterrupt:
        print("shapetrace: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    raise SystemExit(main())
