"""The command line: parse, dispatch, print. The only module that prints or chooses an exit code."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shapetrace.cli.options import Request, build_parser, dynamic_names, language_of, parse_shape, resolve
from shapetrace.errors import ShapeError, TraceWarning, UsageError
from shapetrace.messages import Lang, Message, Seq, msg, render

if TYPE_CHECKING:
    from shapetrace.cli import output

__all__ = ["build_parser", "main", "entry_point", "parse_shape", "SOLVE_BUDGET"]

SOLVE_BUDGET = 60.0  # seconds --solve may take unless --budget says otherwise


def _list_zoo(lang: Lang) -> str:
    from tabulate import tabulate

    from shapetrace import zoo
    from shapetrace.introspect import count_params

    rows = []
    for entry in zoo.ZOO.values():
        params, _ = count_params(zoo.build(entry.name, "meta"))
        summary = render(msg(f"zoo.{entry.name}"), lang)
        rows.append((entry.name, ",".join(map(str, entry.default_input)), f"{params:,}", summary))
    headers = tuple(
        render(msg(code), lang) for code in ("list.model", "list.default_input", "list.params", "list.what")
    )
    table = tabulate(rows, headers=headers, colalign=("left", "left", "right", "left"), disable_numparse=True)
    return table + "\n"


@dataclass(frozen=True)
class _Loaded:
    """A model ready to trace: built, in the mode asked for, in the inputs' float dtype."""

    name: str
    module: Any
    inputs: list[tuple[tuple[int, ...], str]]


def _prepared(module: Any, inputs: list[tuple[tuple[int, ...], str]], args: argparse.Namespace) -> Any:
    """The model in the mode asked for, in the inputs' float dtype."""
    from shapetrace._torch import torch

    model = module.train(args.train)
    float_dtypes = {dtype for _, dtype in inputs if dtype.startswith(("float", "bfloat"))}
    if len(float_dtypes) == 1 and float_dtypes != {"float32"}:
        model = model.to(getattr(torch, float_dtypes.pop()))
    return model


def _load(
    spec: str, request: Request, args: argparse.Namespace, device: str, fallback: str | None = None
) -> _Loaded:
    return _load_raw(spec, request, args, device, fallback)[0]


def _load_raw(
    spec: str, request: Request, args: argparse.Namespace, device: str, fallback: str | None = None
) -> tuple[_Loaded, Any]:
    """The model ready to trace, and the loader's answer (to build it again on another device)."""
    from shapetrace.loader import load_model

    loaded = load_model(spec, request.kwargs, device, fallback)
    inputs = request.inputs
    if inputs is None:
        if loaded.default_input is None:
            raise UsageError("usage.no_default_input", spec=spec)
        inputs = [(loaded.default_input, args.dtype)]
    return _Loaded(loaded.name, _prepared(loaded.module, inputs, args), inputs), loaded


def _run_trace(loaded: _Loaded, args: argparse.Namespace, device: str) -> Any:
    from shapetrace._torch import torch
    from shapetrace.pipeline import trace

    try:
        result = trace(
            loaded.module,
            [shape for shape, _ in loaded.inputs],
            dtypes=[getattr(torch, dtype) for _, dtype in loaded.inputs],
            device=device,
            model_name=loaded.name,
            functional=args.functional,
            budget=args.budget,
        )
    except ShapeError as exc:
        return exc.trace
    if args.onnx:  # the export and its cross-check; an exporter failure stays in result.onnx.error
        from shapetrace.onnx_export import export_trace

        dynamic = dynamic_names(args.onnx_dynamic)
        return result.of(export_trace(result, loaded.module, args.onnx, dynamic=dynamic))
    return result


_SIZE_KINDS = ("batch", "layout", "features", "window", "channels", "dtype")  # a diagnosis of shapes


def _trace_auto(spec: str, request: Request, args: argparse.Namespace) -> Any:
    """--device auto: build the model on meta (no weights), estimate a CPU pass from the module tree,
    and run on the CPU where that is cheap, else on meta; where the tree does not tell, a meta pass
    sizes it (and, having given the answer, is kept unless meta cannot run the forward)."""
    import itertools
    from dataclasses import replace

    from shapetrace import device_choice
    from shapetrace._torch import torch

    loaded, raw = _load_raw(spec, request, args, "meta", fallback="cpu")
    tensors = itertools.chain(loaded.module.parameters(), loaded.module.buffers())
    if any(tensor.device.type != "meta" for tensor in tensors):
        result = _run_trace(loaded, args, "cpu")  # it could not be built on meta
        return replace(result, device_reason=msg("device.not_on_meta"))
    shapes = [shape for shape, _ in loaded.inputs]
    dtypes = [getattr(torch, dtype) for _, dtype in loaded.inputs]
    choice = device_choice.choose(device_choice.estimate_model(loaded.module, shapes, dtypes))
    if choice.device == "cpu":
        on_cpu = _Loaded(loaded.name, _prepared(raw.rebuild("cpu"), loaded.inputs, args), loaded.inputs)
        return replace(_run_trace(on_cpu, args, "cpu"), device_reason=choice.reason)
    result = _run_trace(loaded, args, "meta")
    if choice.sized:
        return replace(result, device_reason=choice.reason)
    estimate = device_choice.estimate_trace(result, device_choice.weight_bytes(loaded.module))
    meta_cannot = result.error is not None and result.error.kind not in _SIZE_KINDS
    if meta_cannot and estimate.cpu_bytes <= device_choice.memory_limit():  # the CPU can
        on_cpu = _Loaded(loaded.name, _prepared(raw.rebuild("cpu"), loaded.inputs, args), loaded.inputs)
        reason = msg("device.meta_failed", detail=result.error.message.splitlines()[0][:120])
        return replace(_run_trace(on_cpu, args, "cpu"), device_reason=reason)
    return replace(result, device_reason=device_choice.choose(estimate).reason)


def _trace_one(spec: str, request: Request, args: argparse.Namespace) -> Any:
    if args.device == "auto" and not args.onnx:
        return _trace_auto(spec, request, args)
    device = "cpu" if args.device == "auto" else args.device  # an ONNX export needs real weights
    return _run_trace(_load(spec, request, args, device), args, device)


def _solve_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition(":")
    try:
        lo, hi = int(low), int(high if sep else low)
    except ValueError:
        raise UsageError("usage.solve_format", text=repr(text)) from None
    if not 1 <= lo <= hi:
        raise UsageError("usage.solve_order", text=repr(text))
    if hi - lo > 100_000:
        raise UsageError("usage.solve_many", text=repr(text))
    return lo, hi


def _run_solve(spec: str, request: Request, args: argparse.Namespace) -> tuple[str, int]:
    from shapetrace._torch import torch
    from shapetrace.cli.progress import Progress, wanted
    from shapetrace.render.data import dumps
    from shapetrace.render.solution import render_solution, solution_to_dict
    from shapetrace.solver import solve

    lo, hi = _solve_range(args.solve)
    loaded = _load(spec, request, args, "meta", fallback="cpu")  # no weights needed; else real tensors
    if len(loaded.inputs) != 1:
        raise UsageError("usage.solve_one_input")
    shape, dtype = loaded.inputs[0]
    if args.solve_dim and len(shape) != 4:
        raise UsageError("usage.solve_dim_shape")
    with Progress(wanted(args.quiet), f"{loaded.name}: sizes {lo}..{hi}", hi - lo + 1, "size") as bar:
        solution = solve(
            loaded.module,
            shape,
            lo,
            hi,
            args.solve_dim or "square",
            dtype=getattr(torch, dtype),
            model_name=loaded.name,
            budget=SOLVE_BUDGET if args.budget is None else args.budget,
            progress=lambda size: bar.reach(size - lo + 1),
        )
    if request.output_format == "json":
        return dumps(solution_to_dict(solution, terms="cli")) + "\n", 0 if solution.valid else 1
    return render_solution(solution, lang=args.lang, terms="cli"), 0 if solution.valid else 1


def _check_device(device: str) -> None:
    if device == "cuda":
        from shapetrace._torch import torch

        if not torch.cuda.is_available():
            raise UsageError("usage.cuda")


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """['--input', '-1,3'] -> ['--input=-1,3'], so a negative size gets its own clear message."""
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] == "--input" and token[:1] == "-" and token[1:2].isdigit():
            joined[-1] = f"--input={token}"
        else:
            joined.append(token)
    return joined


def _parse(argv: Sequence[str], lang: Lang) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status of --help / --version (which print and exit)."""
    try:
        return build_parser(lang).parse_args(_join_negative_values(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def _say(code: str, lang: Lang, /, **values: Any) -> None:
    """One line on stderr, in the command line's terms."""
    print(render(msg(code, **values), lang, "cli"), file=sys.stderr)


@contextlib.contextmanager
def _model_output_to_stderr() -> Iterator[None]:
    """While models run, what they print goes to stderr, so that stdout holds only shapetrace's output:
    Python's prints, and native code's writes to file descriptor 1 too."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no file descriptors to move (an embedding host): Python's prints only
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 1)
            os.close(saved)


def _trace_all(specs: list[str], request: Request, args: argparse.Namespace) -> list[Any]:
    """Trace each model with the model's own output sent to stderr; shapetrace's warnings (a forward
    that writes its parameters) become one line each."""
    from shapetrace.cli.progress import Progress, wanted

    traces = []
    with (
        Progress(wanted(args.quiet), specs[0], len(specs), "model") as bar,
        _model_output_to_stderr(),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", TraceWarning)
        for spec in specs:  # the bar names the model under way and shows the time a long one takes
            bar.describe(spec)
            traces.append(_trace_one(spec, request, args))
            bar.update()
    for warning in caught:
        if isinstance(warning.message, TraceWarning):
            _say("cli.warning", args.lang, message=warning.message.message)
    return traces


def _solve_all(args: argparse.Namespace, request: Request) -> int:
    if request.output_format not in ("table", "json"):
        raise UsageError("usage.solve_output")
    status = 0
    texts = []
    with _model_output_to_stderr():
        for spec in args.models:
            text, code = _run_solve(spec, request, args)
            texts.append(text)
            status = max(status, code)
    _emit([(args.output, "".join(texts))])
    return status


def _report_failures(traces: list[Any], request: Request, args: argparse.Namespace) -> int:
    """Lines on stderr for failed passes (when the output does not show them) and --strict mismatches;
    the exit status."""
    failed = [trace for trace in traces if trace.error is not None]
    if args.output or request.output_format != "table":
        for trace in failed:
            message = trace.error.message.splitlines()[0]
            _say("cli.failed", args.lang, model=trace.model, layer=trace.error.layer, message=message)
    for trace in traces:  # the table shows it; other outputs get the line on stderr
        if (
            trace.onnx is not None
            and trace.onnx.error is not None
            and (args.output or request.output_format != "table")
        ):
            _say("cli.error", args.lang, message=trace.onnx.error)
    unexported = [trace for trace in traces if trace.onnx is not None and trace.onnx.error is not None]
    mismatched = [trace for trace in traces if trace.checks["mismatch"]]
    if args.strict:
        for trace in mismatched:
            names = Seq(tuple(layer.name for layer in trace.layers if layer.check == "mismatch"))
            _say("cli.strict", args.lang, model=trace.model, names=names)
    return 1 if failed or unexported or (args.strict and mismatched) else 0


def _run(argv: Sequence[str], lang: Lang) -> int:
    if argv[:1] and argv[0] in ("formula", "calc"):  # before the parser, which would take it for a MODEL
        from shapetrace.cli.formula import run_formula

        text, status = run_formula(argv[1:], lang)
        sys.stdout.write(text)
        return status
    from shapetrace.cli import output  # the renderers, loaded only for a trace

    args = _parse(argv, lang)
    if isinstance(args, int):
        return args
    if args.list:
        sys.stdout.write(_list_zoo(args.lang))
        return 0
    if not args.models:
        raise UsageError("usage.no_model")
    request = resolve(args)
    _check_device(args.device)
    if args.onnx:
        from shapetrace.onnx_export import require_onnx

        require_onnx()
    _settle_imports()
    if args.solve is not None:
        return _solve_all(args, request)
    traces = _trace_all(args.models, request, args)
    _emit(output.documents(traces, request, args))
    return _report_failures(traces, request, args)


def _emit(outputs: output.Output) -> None:
    """Write the output; a reader that stops early (shapetrace lenet | head -3) is no error of ours."""
    from shapetrace.cli import output

    try:
        output.emit(outputs)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # the interpreter's last flush must not fail either
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _one_line(message: Message, lang: Lang) -> str:
    text = render(message, lang, "cli")
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 forward failed, 2 bad usage)."""
    argv = sys.argv[1:] if argv is None else argv
    lang = language_of(argv)
    try:
        return _run(argv, lang)
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        _say("cli.error", lang, message=msg("usage.no_torch"))
        return 2
    except UsageError as exc:  # one line, whatever a constructor said
        _say("cli.error", lang, message=msg("neutral.text", text=_one_line(exc.message, lang)))
        return 2
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the exit
        _say("cli.interrupted", lang)
        return 130


_OWN_PROCESS = False  # set by entry_point: the process runs the command alone, not a program's main()


def _settle_imports() -> None:
    """Import torch; in the command's own process, the cyclic collector then skips what exists by now
    (torch's objects, alive until exit: each full collection over them costs about 0.1 s)."""
    from shapetrace._torch import torch  # noqa: F401

    if _OWN_PROCESS:
        gc.freeze()


def entry_point() -> None:
    """The `shapetrace` command: runs the command line as the process's own (see _settle_imports)."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    try:
        status = main()
    finally:
        _OWN_PROCESS = False  # a program that called this and goes on calls main() as its own
    raise SystemExit(status)
