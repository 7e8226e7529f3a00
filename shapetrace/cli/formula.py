"""`shapetrace formula KIND ...` (alias `calc`): the workings of one layer's output size, for learners,
in PyTorch's notation and the textbook's, in English or Chinese. Imports no torch. `shapetrace.cli.main`
dispatches it before the main parser, so that "formula" is never taken for a MODEL."""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from typing import Any

from shapetrace.cli.options import help_formatter, translated_parser
from shapetrace.errors import UsageError
from shapetrace.formulas.workings import KINDS, LABELS, Layer, Workings, workings
from shapetrace.messages import Lang, Refusal, Seq, msg, render

__all__ = ["COMMANDS", "build_formula_parser", "run_formula", "render_workings"]

COMMANDS = ("formula", "calc")

# (flags, argparse settings, the catalog's help)
_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any], str], ...] = (
    (("--h",), {"metavar": "N"}, "help.formula_h"),
    (("--w",), {"metavar": "N"}, "help.formula_w"),
    (("--size",), {"metavar": "SIZES"}, "help.formula_size"),
    (("-k", "--k", "--kernel"), {"metavar": "K", "dest": "kernel"}, "help.formula_kernel"),
    (("-s", "--s", "--stride"), {"metavar": "S", "dest": "stride"}, "help.formula_stride"),
    (("-p", "--p", "--padding"), {"metavar": "P", "dest": "padding"}, "help.formula_padding"),
    (("--d", "--dilation"), {"metavar": "D", "dest": "dilation"}, "help.formula_dilation"),
    (
        ("--op", "--output-padding"),
        {"metavar": "OP", "dest": "output_padding"},
        "help.formula_output_padding",
    ),
    (("--ceil", "--ceil-mode"), {"action": "store_true", "dest": "ceil_mode"}, "help.formula_ceil_mode"),
    (("--out", "--output-size"), {"metavar": "O", "dest": "output_size"}, "help.formula_output_size"),
    (("--groups",), {"metavar": "G"}, "help.formula_groups"),
    (("--lang",), {"choices": ("en", "zh"), "default": "en"}, "help.formula_lang"),
)
_WINDOWS = {"conv", "convtranspose", "pool", "avgpool"}
# setting -> (the flag its messages name, the kinds that take it)
_APPLIES: dict[str, tuple[str, set[str]]] = {
    "kernel": ("--kernel", _WINDOWS),
    "stride": ("--stride", _WINDOWS),
    "padding": ("--padding", _WINDOWS),
    "dilation": ("--dilation", {"conv", "convtranspose", "pool"}),
    "output_padding": ("--output-padding", {"convtranspose"}),
    "ceil_mode": ("--ceil-mode", {"pool", "avgpool"}),
    "output_size": ("--output-size", {"adaptive"}),
    "groups": ("--groups", {"conv", "convtranspose"}),
}


def build_formula_parser(lang: Lang = "en") -> argparse.ArgumentParser:
    """The parser of `shapetrace formula`, its help in `lang`."""

    def words(code: str) -> str:
        return render(msg(code), lang, "cli")

    class Formatter(help_formatter(lang)):  # type: ignore[misc]
        def _format_action_invocation(self, action: argparse.Action) -> str:  # "-k, --k, --kernel K"
            if not action.option_strings or action.nargs == 0:
                return super()._format_action_invocation(action)
            metavar = self._format_args(action, self._get_default_metavar_for_optional(action))
            return f"{', '.join(action.option_strings)} {metavar}"

    parser = translated_parser(
        "shapetrace formula", lang, "help.formula_description", "help.formula_epilog", Formatter,
        allow_abbrev=False,
    )  # fmt: skip
    parser.add_argument("kind", choices=KINDS, metavar="KIND", help=words("help.formula_kind"))
    parser.add_argument("-h", "--help", action="help", help=words("help.help"))
    for flags, settings, code in _OPTIONS:
        parser.add_argument(*flags, help=words(code), **settings)
    return parser


def _numbers(text: str, flag: str) -> tuple[int, ...]:
    """'3' -> (3,); '3,5' (or '3x5') -> (3, 5); negative numbers pass, for the formulas to refuse."""
    try:
        return tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise UsageError("usage.formula_number", flag=flag, text=repr(text)) from None


def _sizes(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(labels, input sizes) from --h/--w or --size."""
    named = [(label, getattr(args, label)) for label in ("h", "w") if getattr(args, label) is not None]
    if args.size is not None:
        if named:
            raise UsageError("usage.formula_both_sizes")
        sizes = _numbers(args.size, "--size")
        if not 1 <= len(sizes) <= 3:
            raise UsageError("usage.formula_dims", text=repr(args.size))
        return LABELS[len(sizes)], sizes
    if not named:
        raise UsageError("usage.formula_no_size")
    sizes = tuple(_numbers(text, f"--{label}") for label, text in named)
    for (label, text), size in zip(named, sizes, strict=True):
        if len(size) != 1:
            raise UsageError("usage.formula_count", flag=f"--{label}", text=repr(text), dims=1)
    return tuple(label for label, _ in named), tuple(size[0] for size in sizes)


def _groups(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise UsageError("usage.formula_groups", text=repr(text))
    return int(text)


def _layer(args: argparse.Namespace, dims: int) -> Layer:
    """The layer the options describe, each setting checked against the kind and the sizes."""
    kind = args.kind
    for dest, (flag, kinds) in _APPLIES.items():
        if getattr(args, dest) not in (None, False) and kind not in kinds:
            raise UsageError("usage.formula_option", flag=flag, kind=kind)
    needed = "output_size" if kind == "adaptive" else "kernel"
    if getattr(args, needed) is None:
        raise UsageError("usage.formula_needs", kind=kind, flag=_APPLIES[needed][0])

    def values(dest: str, default: tuple) -> tuple:
        text = getattr(args, dest)
        if text is None:
            return default
        numbers = _numbers(text, _APPLIES[dest][0])
        if len(numbers) not in (1, dims):
            raise UsageError("usage.formula_count", flag=_APPLIES[dest][0], text=repr(text), dims=dims)
        return numbers

    padding: tuple[int, ...] | str = args.padding
    if padding not in ("same", "valid"):
        padding = values("padding", (0,))
    elif kind != "conv":
        raise UsageError("usage.formula_padding_word", text=padding)
    return Layer(
        kind,
        kernel=values("kernel", (1,)),
        stride=values("stride", ()),
        padding=padding,
        dilation=values("dilation", (1,)),
        output_padding=values("output_padding", (0,)),
        output_size=values("output_size", (None,)),
        ceil_mode=args.ceil_mode,
        groups=_groups(args.groups),
    )


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def render_workings(sheet: Workings, lang: Lang = "en") -> str:
    """Each dimension's lines, the output sizes, notes, then the formulas in symbols and what each
    symbol is; the notations' names aligned."""
    names = {"torch": render(msg("calc.torch"), lang), "d2l": render(msg("calc.d2l"), lang)}
    width = max(map(_width, names.values()))

    def row(notation: str, line: Any) -> str:
        return names[notation] + " " * (width + 1 - _width(names[notation])) + render(line, lang)

    between = msg("calc.output", inputs=Seq(sheet.inputs, " × "), outputs=Seq(sheet.outputs, " × "))
    lines = [*(row(*each) for each in sheet.rows), render(between, lang)]
    lines += [render(note, lang) for note in sheet.notes]
    lines += ["", *(row(*each) for each in sheet.general), render(sheet.legend, lang)]
    return "\n".join(lines) + "\n"


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """['-p', '-1,2'] -> ['-p=-1,2'], so that argparse takes a negative list for a value, and the formulas
    say what is wrong with it."""
    takes_value = {flag for flags, settings, _ in _OPTIONS if "action" not in settings for flag in flags}
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] in takes_value and token[:1] == "-" and token[1:2].isdigit():
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def run_formula(argv: Sequence[str], lang: Lang) -> tuple[str, int]:
    """(what to print on standard output, exit status) of `shapetrace formula ARGV`; bad usage and
    settings PyTorch refuses raise UsageError (one line, exit 2)."""
    try:
        args = build_formula_parser(lang).parse_args(_join_negative_values(argv))
    except SystemExit as exc:  # --help
        return "", int(exc.code or 0)
    labels, sizes = _sizes(args)
    layer = _layer(args, len(sizes))
    try:
        sheet = workings(layer, sizes, labels)
    except Refusal as refusal:
        raise UsageError(refusal.message.code, **dict(refusal.message.values)) from None
    return render_workings(sheet, args.lang), 0
