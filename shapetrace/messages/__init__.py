"""Every word shapetrace says, as data: a Message is a code and its values; the catalog holds each
code's English and Chinese text, in the Python API's terms and, where the command line says it
otherwise, in its flags' terms. Words are looked up only where text is made (a renderer, `str()`).

Pure Python: importing it imports no torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["LANGUAGES", "Lang", "Terms", "Message", "Seq", "msg", "render", "Refusal", "entries"]

Lang = Literal["en", "zh"]
Terms = Literal["api", "cli"]  # how an input is named: input_size=(1, 3, 32, 32), or --input 1,3,32,32
LANGUAGES: tuple[Lang, ...] = ("en", "zh")


@dataclass(frozen=True)
class Message:
    """A code from the catalog and the values its text needs; `str()` gives the English text."""

    code: str
    values: tuple[tuple[str, Any], ...] = ()

    def value(self, key: str, default: Any = None) -> Any:
        return dict(self.values).get(key, default)

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Seq:
    """Values shown one after another: `sep` joins them (a Message where the joining word differs
    between languages, such as ' and ')."""

    items: tuple[Any, ...]
    sep: str | Message = ", "


def msg(code: str, /, **values: Any) -> Message:
    """A Message; values may be numbers, strings, shapes (tuples, shown as [1, 3]), Seqs or Messages."""
    return Message(code, tuple(values.items()))


def _text(value: Any, lang: Lang, terms: Terms) -> Any:
    if isinstance(value, Message):
        return render(value, lang, terms)
    if isinstance(value, Seq):
        sep = _text(value.sep, lang, terms)
        return sep.join(str(_text(item, lang, terms)) for item in value.items)
    if isinstance(value, tuple):
        return str(list(value))
    return value


def entries() -> dict[str, dict[str, Any]]:
    """Every code with its texts: {"en": ..., "zh": ...}, plus "cli": {"en": ..., "zh": ...} where the
    command line says it in its own terms."""
    from shapetrace.messages.catalog import CATALOG

    return CATALOG


def render(message: Message, lang: Lang = "en", terms: Terms = "api") -> str:
    """The message's text in `lang`, in the API's or the command line's terms."""
    entry = entries()[message.code]
    if terms == "cli" and "cli" in entry:
        entry = entry["cli"]
    template = entry.get(lang) or entry["en"]
    return template.format(**{key: _text(value, lang, terms) for key, value in message.values})


class Refusal(ValueError):
    """A computation the formulas refuse, with the reason as a Message; `str()` is its English text."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.message = msg(code, **values)
        super().__init__(code)

    def __str__(self) -> str:
        return render(self.message)
