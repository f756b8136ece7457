"""The open report's words in its language: every label is a catalogue message
(``i18n/charging.toml``, the ``charging.report.*`` section) and every number is written by
:func:`~solidcheck.i18n.format_quantity`, so English and Chinese say the same figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from markupsafe import Markup, escape

from ...i18n import Display, format_quantity, load_catalogue, message, traditional
from ...i18n.numbers import Language, QuantityKind

__all__ = ["LANGS", "Words", "html_lang"]

#: the report's languages (``both``: "English / 中文")
LANGS: tuple[Display, ...] = ("en", "zh", "zh-Hant", "both")
_HTML_LANG: dict[Display, str] = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-Hant",
                                  "both": "en"}
_PREFIX = "charging.report."
Unit = Literal["percent", "minutes", "seconds", "hours", "count", "per_1000_sessions",
               "per_port_day", "per_day"]


def html_lang(lang: Display) -> str:
    """The page's ``lang`` attribute."""
    return _HTML_LANG[lang]


class Words:
    """The page's words; every method escapes what it is given."""

    def __init__(self, lang: Display) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        self.lang = lang
        #: numbers on a "both" page are written the English way (the units are the same)
        self.number_lang: Language = "en" if lang == "both" else lang

    def plain(self, key: str, **params: object) -> str:
        """A label as plain text (for <title>, attributes and plots' alternatives)."""
        return message(_PREFIX + key, params, self.lang)  # type: ignore[arg-type]

    def __call__(self, key: str, **params: object) -> Markup:
        if self.lang != "both":
            return escape(self.plain(key, **params))
        english = message(_PREFIX + key, params, "en")  # type: ignore[arg-type]
        chinese = message(_PREFIX + key, params, "zh")  # type: ignore[arg-type]
        return self.pair(english, chinese)

    def word_or_english(self, key: str, english: str) -> Markup:
        """A catalogue label when there is one (a canonical state, an excluded cause), else
        ``english`` as given, marked as English (an operator's own word)."""
        if _PREFIX + key in load_catalogue().ids():
            return self(key)
        return self.english(english)

    def rendered(self, render: Callable[[Display], str]) -> Markup:
        """Text another part renders in a language (a finding, a clause); on a "both" page
        the English and the Chinese, the Chinese marked as such."""
        if self.lang == "both":
            return self.pair(render("en"), render("zh"))
        return escape(render(self.lang))

    def pair(self, en: str, zh: str) -> Markup:
        """English, Chinese, or "English / 中文" with the Chinese part marked as such."""
        if self.lang == "en":
            return escape(en)
        if self.lang == "zh":
            return escape(zh)
        if self.lang == "zh-Hant":
            return escape(traditional(zh))
        return Markup('{} / <span lang="zh-CN">{}</span>').format(en, zh)

    def english(self, text: str) -> Markup:
        """Text only available in English (a rule set's document), marked on a Chinese
        page."""
        if self.lang in ("zh", "zh-Hant"):
            return Markup('<span lang="en">{}</span>').format(text)
        return escape(text)

    def percent(self, value: float | None, *, against: float | None = None) -> str:
        """A rate in %, as :meth:`number` writes it."""
        return self.number(value, kind="percent", against=against)

    def number(self, value: float | int | None, *, kind: QuantityKind = "number",
               against: float | None = None, decimals: int = 2) -> str:
        """A number to the digits it supports: ``decimals`` at most, more only when needed
        to show on which side of ``against`` it lies; "—" for a figure with no value."""
        if value is None:
            return "—"
        if kind == "count":
            return format_quantity(value, "count", self.number_lang)
        shown = value if against is not None else round(float(value), decimals)
        return format_quantity(shown, kind, self.number_lang, against=against)

    def quantity(self, value: float | None, unit: Unit, *, against: float | None = None
                 ) -> str:
        """A metric's value with its unit, as the rule set names the unit."""
        if value is None:
            return "—"
        if unit == "percent":
            return self.percent(value, against=against)
        if unit == "count":
            return self.number(value, kind="count")
        return f"{self.number(value, against=against)} {self.plain('unit.' + unit)}"
