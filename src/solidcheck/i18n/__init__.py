"""Every word a person reads, in English and Chinese.

Findings and other messages are data — a message id and its parameters — rendered here from
the catalogue (``messages.toml``) in the language asked for: English (``en``), simplified
Chinese (``zh``), traditional Chinese (``zh-Hant``, from the simplified text with OpenCC), or
``both``. Numbers are written by :func:`format_quantity` with the digits they support.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import InvalidInputError, Problem
from .catalogue import Catalogue, Display, Param, load_catalogue, traditional
from .numbers import Language, format_quantity

__all__ = [
    "DISPLAYS",
    "LANG_ENV",
    "Catalogue",
    "Display",
    "Language",
    "Param",
    "display_language",
    "format_quantity",
    "load_catalogue",
    "message",
    "traditional",
]

#: the environment variable giving the default language of the command line's text
LANG_ENV = "SOLIDCHECK_LANG"
DISPLAYS: tuple[Display, ...] = ("en", "zh", "zh-Hant", "both")

_ALIASES: dict[str, Display] = {
    "en": "en", "english": "en", "zh": "zh", "zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh",
    "zh-hant": "zh-Hant", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
    "both": "both",
}


def message(message_id: str, params: Mapping[str, Param] | None = None,
            lang: Display = "en") -> str:
    """Message ``message_id`` of solidcheck's catalogue with ``params``, in ``lang``."""
    return load_catalogue().render(message_id, params or {}, lang)


def display_language(value: str | None = None, *, env: Mapping[str, str] = os.environ
                     ) -> Display:
    """The language asked for: ``value`` (e.g. ``--lang``), else ``SOLIDCHECK_LANG``, else
    English. Accepts the usual tags (``zh-CN``, ``zh-TW`` …); anything else is refused."""
    given = value if value is not None else env.get(LANG_ENV)
    if not given:
        return "en"
    found = _ALIASES.get(given.strip().lower().replace("_", "-"))
    if found is None:
        where = "--lang" if value is not None else LANG_ENV
        raise InvalidInputError([Problem(where, f"unknown language {given!r}",
                                    "use en, zh, zh-Hant or both")], source=where)
    return found
