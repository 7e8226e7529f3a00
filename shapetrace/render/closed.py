"""The closed forms in words: a layer's size as a form of the input size ("⌊(H − 33)/32⌋"), the
flattened size, and the inputs that fit the Linear after it."""

from __future__ import annotations

from shapetrace.formulas.closed import SizeForm
from shapetrace.messages import Lang
from shapetrace.records import Fit, FlattenForm, LayerRecord, TraceRecord
from shapetrace.render.common import say, words

__all__ = [
    "SYMBOLS",
    "symbols_of",
    "forms_text",
    "layer_form_text",
    "expression",
    "closed_lines",
    "BOXES_SHOWN",
]

SYMBOLS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
BOXES_SHOWN = 6


def symbols_of(dims: int) -> tuple[str, ...]:
    return SYMBOLS.get(dims, tuple(f"X{axis}" for axis in range(dims)))


def forms_text(forms: tuple[SizeForm | None, ...]) -> str:
    """One form where every dim has the same ("⌊(H − 33)/32⌋"), else one per dim joined by ×."""
    symbols = symbols_of(len(forms))
    if len(set(forms)) == 1 and forms[0] is not None:
        return forms[0].text(symbols[0])
    return " × ".join(
        form.text(symbol) if form is not None else "?" for form, symbol in zip(forms, symbols, strict=True)
    )


def layer_form_text(layer: LayerRecord) -> str:
    return forms_text(layer.size_form) if layer.size_form is not None else ""


def expression(found: FlattenForm, symbols: tuple[str, ...] | None = None) -> str:
    """The flattened size as the reader writes it: 256·⌊(H − 33)/32⌋·⌊(W − 33)/32⌋ (in `symbols`)."""
    symbols = symbols or symbols_of(len(found.forms))
    factors = [
        f"({form.text(symbol)})" if form.m == 1 and form.n and form.a else form.text(symbol)
        for form, symbol in zip(found.forms, symbols, strict=True)
    ]  # a sum in a product needs its brackets: 16·(H − 4)·(W − 4)
    return "·".join([str(found.channels), *factors])


def _span(first: int, last: int | None) -> str:
    return f"{first}–{last}" if last is not None and last != first else (str(first) if last else f"{first}+")


def _box(fit: Fit, symbols: tuple[str, ...]) -> str:
    return " × ".join(f"{symbol} {_span(*span)}" for symbol, span in zip(symbols, fit.spans, strict=True))


def _equations(found: FlattenForm, fit: Fit) -> tuple[str, str]:
    """The equations the square fit solves, and the symbol its range is about."""
    symbols = symbols_of(len(found.forms))
    if len(set(found.forms)) == 1 and len(set(fit.values)) == 1:
        return f"{found.forms[0].text(symbols[0])} = {fit.values[0]}", symbols[0]
    equations = ", ".join(
        f"{form.text(symbol)} = {value}"
        for form, symbol, value in zip(found.forms, symbols, fit.values, strict=True)
    )
    return equations, " = ".join(symbols)


def _square_line(found: FlattenForm, lang: Lang) -> str | None:
    """The square inputs that fit, from the equations they solve."""
    fits = [fit for fit in found.fits if fit.square is not None]
    if not fits:
        return None
    fit = fits[0]
    first, last = fit.square  # type: ignore[misc]
    equations, symbol = _equations(found, fit)
    if last is None:
        return say("form.square_open", lang, equations=equations, symbol=symbol, first=first)
    code = "form.square_one" if first == last else "form.square"
    line = say(code, lang, equations=equations, symbol=symbol, first=first, last=last)
    solved = [form.solve(value) for form, value in zip(found.forms, fit.values, strict=True) if form.n]
    if any(span is not None and span[0] < first for span in solved):
        line += say("form.lowest", lang, symbol=symbol, lowest=max(found.lowest))
    return line


def _fit_lines(found: FlattenForm, lang: Lang) -> list[str]:
    symbols = symbols_of(len(found.forms))
    if found.features is None:
        return []
    if not found.fits:
        if found.features % found.channels:
            return [say("form.none_multiple", lang, features=found.features, channels=found.channels)]
        return [say("form.none", lang, expression=expression(found), features=found.features)]
    if all(form.n == 0 for form in found.forms):
        bounds = ", ".join(f"{symbol} ≥ {low}" for symbol, low in zip(symbols, found.lowest, strict=True))
        return [say("form.constant", lang, expression=expression(found), bounds=bounds)]
    boxes = [_box(fit, symbols) for fit in found.fits[:BOXES_SHOWN]]
    if len(found.fits) > BOXES_SHOWN:
        boxes.append("…")
    square = _square_line(found, lang)
    if square is None:
        return [say("form.no_square", lang, boxes="; ".join(boxes))]
    if len(symbols) == 1:
        return [square]
    return [square, say("form.boxes", lang, boxes="; ".join(boxes))]


def _jump_line(found: FlattenForm, lang: Lang) -> list[str]:
    """The link between the forms' divisor and the receptive field's jump, where they are one number."""
    divisors = {form.m for form in found.forms if form.n}
    if found.jump is None or len(divisors) != 1 or set(found.jump) != divisors or divisors == {1}:
        return []
    return [say("form.jump", lang, m=divisors.pop(), name=found.source)]


def closed_lines(trace: TraceRecord, lang: Lang = "en", legend: bool = True) -> list[str]:
    """The lines under an explained table: what the closed-form column means, the flattened size, the
    inputs that fit, and the jump behind the divisor."""
    formed = [layer for layer in trace.layers if layer.size_form is not None]
    if not formed:
        return []
    dims = len(formed[0].size_form or ())
    lines = [say("form.legend", lang, symbols=", ".join(symbols_of(dims)))] if legend else []
    if trace.form_stop is not None:
        lines.append(words(trace.form_stop, lang))
    found = trace.flatten_form
    if found is None:
        return lines
    if found.linear is None:
        lines.append(say("form.flatten_alone", lang, name=found.layer, expression=expression(found)))
        return lines
    lines.append(
        say(
            "form.flatten", lang,
            name=found.layer, expression=expression(found), linear=found.linear, features=found.features,
        )
    )  # fmt: skip
    return lines + _fit_lines(found, lang) + _jump_line(found, lang)
