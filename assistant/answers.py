"""Compose answers from the per-language templates in ``prompts/answers/`` — values only from tool results."""

from __future__ import annotations

import math
from typing import Any

from assistant.prompts import available_languages, load_layered, load_yaml


def templates(language: str) -> dict[str, Any]:
    lang = language if language in available_languages("answers") else "en"
    return load_layered("answers", lang)


def render(key: str, language: str, **fields: Any) -> str:
    return str(templates(language)[key]).format(**fields)


def format_number(value: float, language: str) -> str:
    """Readable precision (4 significant digits, at most 2 decimals), decimal comma where the language uses one."""
    if value == 0 or not math.isfinite(value):
        text = f"{value:g}"
    else:
        magnitude = math.floor(math.log10(abs(value)))
        decimals = max(0, min(2, 3 - magnitude))
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    if templates(language).get("decimal_comma"):
        text = text.replace(".", ",")
    return text


def format_value(value: Any, language: str) -> str:
    if isinstance(value, bool):
        return str(templates(language)["yes" if value else "no"])
    if isinstance(value, int | float):
        return format_number(float(value), language)
    return str(value)


def quantity_label(quantity: str | None, fallback: str, language: str) -> str:
    """The word for a quantity in ``language`` (from the lexicon), else the signal's own name; a signal that is
    more specific than its quantity keeps its name beside the word ("temperature (BearingTemperature)")."""
    from tools.opcua.resolve import words as name_words

    if quantity:
        lex = load_yaml("lexicon/quantities.yaml").get(quantity, {})
        words = lex.get("words", {}).get(language) or lex.get("words", {}).get("en")
        if words:
            word = str(words[0])
            word = word[:1].upper() + word[1:] if templates(language).get("capitalize_nouns") else word
            english = [str(w) for w in lex.get("words", {}).get("en", [])]
            if fallback and name_words(fallback) not in [name_words(w) for w in english]:
                return f"{word} ({fallback})"
            return word
    return fallback


def format_time(iso: str | None) -> str:
    if not iso:
        return "?"
    return iso.replace("T", " ").replace("Z", " UTC")
