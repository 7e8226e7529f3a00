"""The message table: every code has English and Chinese text with the same placeholders, every code
the source uses exists, every code exists for a reason, and library words speak the API's terms."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from shapetrace import zoo
from shapetrace.cli.options import _OPTIONS
from shapetrace.messages import LANGUAGES, Message, Refusal, Seq, entries, msg, render
from shapetrace.render.compare import _ROWS

PACKAGE = Path(__file__).resolve().parents[1] / "shapetrace"
CATALOG = entries()
PREFIXES = (
    "formula", "refuse", "derive", "check", "hint", "word", "report", "compare", "solve", "diagram", "usage",
    "cli", "warn", "list", "zoo", "help", "neutral", "handout", "lineage", "quiz", "d2l", "note", "form",
    "calc", "testing", "onnx", "summary", "device",
)  # fmt: skip
CODE = re.compile(r"""["']((?:""" + "|".join(PREFIXES) + r""")\.[a-z0-9_]+)["']""")


def _variants(code: str) -> list[dict[str, str]]:
    entry = CATALOG[code]
    return [entry] + ([entry["cli"]] if "cli" in entry else [])


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _source_files() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if "messages" not in path.parts]


def _used_codes() -> set[str]:
    used = set()
    for path in _source_files():
        used |= set(CODE.findall(path.read_text()))
    used |= {f"zoo.{name}" for name in zoo.ZOO}  # codes the source builds from names
    used |= {"help." + flags[-1].lstrip("-").replace("-", "_") for flags, _ in _OPTIONS}
    used |= {f"compare.{row}" for row in _ROWS}
    used |= {f"lineage.{name}" for name in zoo.ZOO}
    changes = ("linears", "activations", "pools", "concat", "add", "params", "macs")
    used |= {f"compare.change_{key}" for key in changes}
    words = ("totals", "stages", "stages_intro", "changes", "side_by_side", "stage_column")
    used |= {f"compare.{code}" for code in words}
    return used


def test_every_code_has_both_languages_with_the_same_placeholders():
    assert len(CATALOG) > 200
    for code in CATALOG:
        for variant in _variants(code):
            assert set(variant) >= set(LANGUAGES), code
            assert _placeholders(variant["en"]) == _placeholders(variant["zh"]), code


def test_chinese_text_is_chinese_where_the_english_has_words():
    for code in CATALOG:
        for variant in _variants(code):
            english = string.Formatter().vformat(variant["en"], (), _Blank())
            english_words = re.findall(r"[A-Za-z]{4,}", english)
            chinese = string.Formatter().vformat(variant["zh"], (), _Blank())
            if variant["en"] == variant["zh"]:  # the same text in both: only code, names and arithmetic
                assert all(word in _NAMES for word in english_words), (code, english_words)
            elif re.search(r"[A-Za-z]{4,}", chinese):
                assert re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", chinese), code


_NAMES = {"padding", "same", "valid", "Unflatten", "shapetrace", "bias", "attn", "zero", "ONNX"}


class _Blank(dict):
    def __missing__(self, key: str) -> int:
        return 1


def test_every_code_the_source_uses_is_in_the_catalog_and_every_entry_is_used():
    used = _used_codes()
    assert sorted(used - CATALOG.keys()) == []
    assert sorted(CATALOG.keys() - used) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_renders(lang):
    for code in CATALOG:
        for terms in ("api", "cli"):
            names = set().union(*(_placeholders(variant[lang]) for variant in _variants(code)))
            assert render(msg(code, **dict.fromkeys(names, 1)), lang, terms)


def test_library_messages_speak_the_apis_terms():
    """Codes raised outside the command line never name a flag in their API text; where the command
    line says it otherwise, the entry has its own "cli" text."""
    cli_files = {PACKAGE / "loader.py", *(PACKAGE / "cli").glob("*.py")}
    library_codes = set()
    for path in _source_files():
        if path not in cli_files:
            library_codes |= set(CODE.findall(path.read_text()))
    flag = re.compile(r"(?<![\w-])--[a-z]")
    offenders = [code for code in library_codes if flag.search(CATALOG[code]["en"])]
    assert offenders == []
    assert flag.search(CATALOG["hint.channels_input"]["cli"]["en"])  # the CLI's own words keep the flag


def test_values_render_inside_messages():
    nested = msg("hint.with_sizes", hint=msg("derive.same_shape"), sizes=msg("hint.sizes_none", lo=1, hi=9))
    assert render(nested) == "same shape No square input from 1 to 9 works."
    assert render(nested, "zh") == "形状不变 从 1 到 9 的正方形输入都无法运行。"
    shapes = Seq(((1, 2), (3,)), msg("word.and"))
    listing = msg("refuse.broadcast", shapes=shapes, dim=1, sizes=Seq((2, 3), " vs "))
    assert render(listing) == "[1, 2] and [3] cannot be broadcast: dim 1 has sizes 2 vs 3"
    assert render(listing, "zh").startswith("[1, 2] 与 [3] 无法广播")


def test_a_refusal_is_a_value_error_with_its_english_text():
    refusal = Refusal("formula.stride_min", stride=0)
    assert isinstance(refusal, ValueError) and str(refusal) == "stride must be at least 1, got 0"
    assert isinstance(refusal.message, Message) and render(refusal.message, "zh") == "步幅至少为 1, 实际为 0"
