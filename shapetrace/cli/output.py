"""What the command line writes: each format's document for one model or a comparison, the quiz and
its key, and the files beside a Markdown page; written whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from shapetrace.cli.options import Request
from shapetrace.errors import UsageError
from shapetrace.render.common import Document

__all__ = ["documents", "emit"]

Output = list[tuple[str | None, str]]  # (file, or None for standard output; text)


def _figure_base(args: argparse.Namespace) -> str | None:
    """Where a Markdown page's diagrams go: beside the page, named after it."""
    return str(Path(args.output).with_suffix("")) if args.output else None


def _single(trace: Any, output_format: str, args: argparse.Namespace) -> Document:
    words = {"lang": args.lang, "terms": "cli"}
    if output_format == "table":  # each format imports only its own renderer (jinja2, grandalf: not here)
        if args.style == "d2l":
            from shapetrace.render import worksheet

            return Document(worksheet.render_d2l(trace, args.lang, args.explain, args.depth))
        from shapetrace.render import table

        return Document(table.render_table(trace, depth=args.depth, explain=args.explain, **words))
    if output_format in ("json", "csv"):
        from shapetrace.render import data

        return Document(
            data.render_json(trace, terms="cli") if output_format == "json" else data.render_csv(trace)
        )
    if output_format == "svg":
        from shapetrace.render import svg

        return Document(svg.render_svg(trace, args.depth, args.lang))
    from shapetrace.render import markup

    if output_format == "markdown":
        return markup.markdown_document([trace], figure_base=_figure_base(args), depth=args.depth, **words)
    return Document(markup.render_html(trace, depth=args.depth, **words))


def _summaries(traces: list[Any], request: Request, args: argparse.Namespace) -> Document:
    """--columns / --ascii: each model's torchinfo-style summary, one after another."""
    from shapetrace.render.summary import SummaryOptions, render_summary
    from shapetrace.views import summary_rows, summary_totals

    assert request.columns is not None
    settings = ("depth", "ascii_only") if args.ascii else ("depth",)
    options = SummaryOptions(request.columns, settings, args.depth)
    texts = [
        render_summary(summary_rows(trace), summary_totals(trace), options, args.lang, trace.notes)
        for trace in traces
    ]
    return Document("\n".join(texts))


def _comparison(traces: list[Any], output_format: str, args: argparse.Namespace) -> Document:
    from shapetrace.render import compare, data, markup, svg

    if output_format == "json":
        return Document(data.dumps(compare.comparison_to_dict(traces, terms="cli")) + "\n")
    if output_format == "markdown":
        return markup.comparison_markdown(traces, args.lang, args.explain, _figure_base(args))
    if output_format == "html":
        return Document(markup.comparison_html(traces, args.lang, args.explain))
    if output_format == "svg":
        return Document(svg.render_side_by_side(traces, args.depth, args.lang))
    if output_format == "csv":
        return Document(compare.render_stages_csv(traces))
    return Document(compare.render_comparison(traces, args.lang, "cli", args.explain))


def _quiz(traces: list[Any], output_format: str, args: argparse.Namespace) -> Output:
    from shapetrace.render import markup, worksheet

    if len(traces) != 1:
        raise UsageError("usage.quiz_one_model")
    if not args.output or output_format not in ("markdown", "html"):
        raise UsageError("usage.quiz_output")
    name = "quiz.md.j2" if output_format == "markdown" else "quiz.html.j2"
    hide_params = args.quiz == "params"
    path = Path(args.output)
    key_path = path.with_name(f"{path.stem}.key{path.suffix}")
    pages = []
    for key, target in ((False, path), (True, key_path)):
        view = worksheet.quiz_view(traces[0], args.lang, hide_params=hide_params, key=key)
        pages.append((str(target), markup.template(name).render(**view)))
    return pages


def documents(traces: list[Any], request: Request, args: argparse.Namespace) -> Output:
    """The texts to write, and where."""
    from shapetrace.render import grid

    grid.lean()  # this process is the command line's: wcwidth only for a table that needs it
    output_format = request.output_format
    if args.quiz:
        return _quiz(traces, output_format, args)
    if request.columns is not None:
        return [(args.output, _summaries(traces, request, args).text)]
    if args.style == "d2l" and (output_format != "table" or len(traces) > 1):
        raise UsageError("usage.d2l_table")
    document = (
        _single(traces[0], output_format, args)
        if len(traces) == 1
        else _comparison(traces, output_format, args)
    )
    return [(args.output, document.text), *document.figures.items()]


def _mode(target: Path) -> int:
    """The permissions the file keeps, or a new file's (0o666 less the umask), not mkstemp's 0o600."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(path: str, text: str) -> None:
    """Write through a temporary file in the same folder, renamed over the target once complete: a
    write that fails half-way leaves the old file as it was."""
    target = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}."
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temporary, _mode(target))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError("usage.write", path=path, detail=exc.strerror or str(exc)) from None


def emit(outputs: Output) -> None:
    for path, text in outputs:
        if path is None:
            sys.stdout.write(text)
        else:
            _write(path, text)
