"""Regenerate the example handouts: every zoo model in English and Chinese (Markdown with its diagrams
beside it, and one self-contained HTML page), one SVG diagram per zoo model, the LeNet/AlexNet
comparison, and an AlexNet quiz with its answer key: what the command lines below write.
`tests/test_handout_examples.py` fails when a file here differs from what this script makes.

    python examples/handouts/regenerate.py
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from shapetrace.cli import output
from shapetrace.cli.options import build_parser, resolve
from shapetrace.pipeline import trace
from shapetrace.zoo import ZOO, build

HERE = Path(__file__).resolve().parent


def commands() -> list[list[str]]:
    """The shapetrace command lines, each writing its file(s) with -o (relative to the folder)."""
    runs = []
    for name in ZOO:
        runs.append([name, "-o", f"{name}.svg"])
        for lang in ("en", "zh"):
            runs.append([name, "--lang", lang, "-o", f"{name}.{lang}.md"])
            runs.append([name, "--lang", lang, "-o", f"{name}.{lang}.html"])
    for lang in ("en", "zh"):
        runs.append(["lenet", "alexnet", "--explain", "--lang", lang, "-o", f"lenet-alexnet.{lang}.md"])
        runs.append(["lenet", "alexnet", "--explain", "--lang", lang, "-o", f"lenet-alexnet.{lang}.html"])
        runs.append(["alexnet", "--quiz", "--lang", lang, "-o", f"alexnet-quiz.{lang}.html"])
        runs.append(["alexnet", "--quiz", "params", "--lang", lang, "-o", f"alexnet-quiz.{lang}.md"])
    return runs


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """Run with `folder` as the working directory (contextlib.chdir, for Python 3.10 too)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def generate(folder: Path) -> list[Path]:
    """Write every example into `folder`: each command line is parsed and written by the command line's
    own code, each zoo model traced once for all of them. The files written, sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    traces: dict[str, object] = {}
    for argv in commands():
        args = build_parser().parse_args(argv)
        request = resolve(args)
        for name in args.models:
            if name not in traces:
                traces[name] = trace(build(name), ZOO[name].default_input, model_name=name)
        with contextlib.redirect_stdout(io.StringIO()), _inside(folder):
            output.emit(output.documents([traces[name] for name in args.models], request, args))
    return sorted(path for path in folder.iterdir() if path not in before or path.suffix != ".py")


if __name__ == "__main__":
    written = generate(HERE)
    print(f"{len(written)} files in {HERE}", file=sys.stderr)
