"""The handouts as Markdown and as one self-contained HTML file (inline CSS and SVG, nothing fetched),
laid out by the jinja2 templates in `templates/` from the plain view `handout.handout_view` prepares."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jinja2

from shapetrace.messages import Lang, Terms
from shapetrace.records import TraceRecord
from shapetrace.render.common import say
from shapetrace.render.handout import Document, handout_view

__all__ = [
    "render_markdown",
    "render_html",
    "markdown_document",
    "template",
    "comparison_html",
    "comparison_markdown",
]


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("shapetrace.render", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["cell"] = lambda text: str(text).replace("|", "\\|")  # a Markdown table cell
    return environment


def template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


def _views(
    traces: Sequence[TraceRecord], lang: Lang, terms: Terms, depth: int | None
) -> list[dict[str, Any]]:
    return [handout_view(trace, lang, terms, depth) for trace in traces]


def _page(views: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    return {"handouts": views, "lang": lang, "models": [view["model"] for view in views],
            "generated": say("handout.generated", lang)}  # fmt: skip


def markdown_document(
    traces: Sequence[TraceRecord],
    lang: Lang = "en",
    terms: Terms = "api",
    depth: int | None = None,
    figure_base: str | None = None,
) -> Document:
    """The Markdown handout of each trace; its diagrams inline as SVG, or, with `figure_base`, as image
    links to files named from it (returned in `figures`, for the caller to write beside the page)."""
    views = _views(traces, lang, terms, depth)
    figures: dict[str, str] = {}
    for view in views:
        figure = view["figures"]
        stem = f"{figure_base}.{view['model']}" if figure_base and len(views) > 1 else figure_base
        onnx = view["onnx"]
        for key, svg, title in (
            [("overview", figure["overview"], view["model"])]
            + [(block["key"], block["svg"], block["title"]) for block in figure["blocks"]]
            + ([("onnx", onnx["svg"], onnx["title"])] if onnx else [])
        ):
            if stem is None:
                markdown = svg.strip()
            else:
                name = f"{stem}.svg" if key == "overview" else f"{stem}.{key}.svg"
                figures[name] = svg
                markdown = f"![{title}]({name.rpartition('/')[2]})"
            if key == "overview":
                figure["overview_markdown"] = markdown
            elif key == "onnx":
                onnx["markdown"] = markdown
            else:
                next(block for block in figure["blocks"] if block["key"] == key)["markdown"] = markdown
    return Document(template("handout.md.j2").render(**_page(views, lang)), figures)


def render_markdown(
    trace: TraceRecord,
    lang: Lang = "en",
    depth: int | None = None,
    explain: bool = True,
    terms: Terms = "api",
) -> str:
    """The Markdown handout, diagrams inline (`explain` is accepted for compatibility: a handout always
    shows the derivations)."""
    return markdown_document([trace], lang, terms, depth).text


def render_fragment(trace: TraceRecord, lang: Lang = "en", terms: Terms = "api") -> str:
    """The handout as an HTML fragment whose styles apply inside it alone (for Jupyter)."""
    return template("fragment.html.j2").render(**_page(_views([trace], lang, terms, None), lang))


def render_html(
    trace: TraceRecord | Sequence[TraceRecord],
    lang: Lang = "en",
    depth: int | None = None,
    explain: bool = True,
    terms: Terms = "api",
) -> str:
    """The HTML handout: one self-contained page that prints on A4."""
    traces = [trace] if isinstance(trace, TraceRecord) else list(trace)
    return template("handout.html.j2").render(**_page(_views(traces, lang, terms, depth), lang))


def _comparison_page(
    traces: Sequence[TraceRecord], lang: Lang, explain: bool, figure_base: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    from shapetrace.render.compare import comparison_view
    from shapetrace.render.diagram import OVERVIEW_BOXES, build_diagram
    from shapetrace.render.layout import lay_out
    from shapetrace.render.svg import paint

    figures, files = [], {}
    for trace in traces:
        svg = paint(
            lay_out(build_diagram(trace, None, lang, max_boxes=OVERVIEW_BOXES)), prefix=f"m{len(figures)}-"
        )
        name = f"{figure_base}.{trace.model}.svg" if figure_base else ""
        if name:
            files[name] = svg
        markdown = f"![{trace.model}]({name.rpartition('/')[2]})" if name else svg.strip()
        figures.append({"title": trace.model, "svg": svg, "markdown": markdown})
    codes = ("totals", "stages", "stages_intro", "changes", "side_by_side", "stage_column")
    page = {
        "view": comparison_view(traces, lang, explain),
        "words": {code: say(f"compare.{code}", lang) for code in codes},
        "figures": figures,
        "lang": lang,
        "generated": say("handout.generated", lang),
    }
    return page, files


def comparison_html(traces: Sequence[TraceRecord], lang: Lang = "en", explain: bool = False) -> str:
    """The comparison handout: totals, stages side by side, what changed, the diagrams side by side."""
    page, _ = _comparison_page(traces, lang, explain, None)
    return template("compare.html.j2").render(**page)


def comparison_markdown(
    traces: Sequence[TraceRecord], lang: Lang = "en", explain: bool = False, figure_base: str | None = None
) -> Document:
    page, files = _comparison_page(traces, lang, explain, figure_base)
    return Document(template("compare.md.j2").render(**page), files)
