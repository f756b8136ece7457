"""The message catalogue: every sentence solidcheck says to a person, by id, in English and
simplified Chinese (traditional Chinese is derived with OpenCC's s2t unless a template gives
its own), with named parameters formatted by kind (``numbers.py``).

The catalogue is data (``messages.toml``; its grammar is the comment at its top) and is
checked when it is read: every message has every language, and each template uses each of its
parameters — so a translation cannot silently drop a number.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any, Literal

from ..errors import Problem, RulesetError
from .numbers import KINDS, Language, QuantityKind, format_quantity

__all__ = ["Catalogue", "Display", "Param", "ParamSpec", "load_catalogue", "parse_catalogue",
           "traditional"]

Display = Literal["en", "zh", "zh-Hant", "both"]
#: what a finding's parameter may hold (JSON: numbers, text, lists of text)
Param = float | int | str | bool | list[str] | None

_TEXT_KINDS = ("text", "word", "list")
_SEPARATOR = {"en": ", ", "zh": "、", "zh-Hant": "、"}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """How one parameter is written: its kind, and optionally the parameter it is compared
    with (enough digits to show the side) or the one giving the instrument's resolution."""

    kind: str
    against: str | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class _Message:
    params: dict[str, ParamSpec]
    templates: dict[Language, str]


@dataclass(frozen=True, slots=True)
class Catalogue:
    messages: dict[str, _Message]
    words: dict[str, dict[Language, str]]

    def ids(self) -> frozenset[str]:
        return frozenset(self.messages)

    def render(self, message_id: str, params: Mapping[str, Param], lang: Display = "en") -> str:
        """The message in ``lang`` (``both``: English, then " / ", then Chinese)."""
        if lang == "both":
            english, chinese = (self.render(message_id, params, lang) for lang in ("en", "zh"))
            return f"{english} / {chinese}"
        try:
            message = self.messages[message_id]
        except KeyError:
            raise KeyError(f"no message {message_id!r} in the catalogue "
                           "(src/solidcheck/i18n/messages.toml)") from None
        missing = sorted(set(message.params) - set(params))
        if missing:
            raise KeyError(f"message {message_id!r} needs the parameters {', '.join(missing)}")
        shown = {name: self._value(spec, params, name, lang)
                 for name, spec in message.params.items()}
        return message.templates[lang].format_map(shown)

    def word(self, key: str, lang: Language) -> str:
        """A word of the catalogue's ``[words]`` (a category, an application …), or the key."""
        entry = self.words.get(key)
        return entry[lang] if entry else key.replace("_", "-")

    def _value(self, spec: ParamSpec, params: Mapping[str, Param], name: str,
               lang: Language) -> str:
        value = params[name]
        if spec.kind == "text":
            return str(value)
        if spec.kind == "word":
            return self.word(str(value), lang)
        if spec.kind == "list":
            items = value if isinstance(value, list) else [str(value)]
            return _SEPARATOR[lang].join(items)
        if not isinstance(value, (int, float, Fraction)) or isinstance(value, bool):
            raise TypeError(f"parameter {name!r} is a {spec.kind}: give a number, not "
                            f"{value!r}")
        against = params.get(spec.against) if spec.against else None
        resolution = params.get(spec.resolution) if spec.resolution else None
        return format_quantity(
            value, _quantity(spec.kind), lang,
            against=against if isinstance(against, (int, float, Fraction)) else None,
            resolution=float(resolution) if isinstance(resolution, (int, float)) else None)


def _quantity(kind: str) -> QuantityKind:
    return kind  # type: ignore[return-value]  # checked against KINDS when the file is read


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _spec(value: Any) -> ParamSpec | str:
    if isinstance(value, str):
        return ParamSpec(value)
    if isinstance(value, dict) and isinstance(value.get("kind"), str) and set(value) <= {
            "kind", "against", "resolution"}:
        return ParamSpec(value["kind"], value.get("against"), value.get("resolution"))
    return "write the kind (\"percent\") or { kind = …, against = …, resolution = … }"


def parse_catalogue(text: str, *, source: str = "<string>") -> Catalogue:
    """Read and check a catalogue; a RulesetError names every bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError([Problem("", f"not valid TOML: {exc}", "fix the TOML syntax")],
                           source=source) from None
    problems: list[Problem] = []
    messages: dict[str, _Message] = {}
    for message_id, entry in data.get("messages", {}).items():
        where = f"messages.{message_id}"
        specs: dict[str, ParamSpec] = {}
        for name, raw in entry.get("params", {}).items():
            spec = _spec(raw)
            if isinstance(spec, str):
                problems.append(Problem(f"{where}.params.{name}", "not a parameter kind", spec))
            elif spec.kind not in (*KINDS, *_TEXT_KINDS):
                problems.append(Problem(f"{where}.params.{name}", f"unknown kind {spec.kind!r}",
                                        f"use one of {', '.join((*KINDS, *_TEXT_KINDS))}"))
            else:
                specs[name] = spec
        for name, spec in specs.items():
            for other in (spec.against, spec.resolution):
                if other is not None and other not in entry.get("params", {}):
                    problems.append(Problem(f"{where}.params.{name}",
                                            f"refers to {other!r}, which is not a parameter",
                                            "declare it in params or remove the reference"))
        templates: dict[Language, str] = {}
        for lang in ("en", "zh"):
            if not isinstance(entry.get(lang), str):
                problems.append(Problem(f"{where}.{lang}", "missing",
                                        f"write the message in {lang}"))
                continue
            templates[lang] = entry[lang]
        if "zh" in templates:
            templates["zh-Hant"] = entry.get("zh-Hant") or traditional(templates["zh"])
        declared = set(entry.get("params", {}))
        for lang, template in templates.items():
            try:
                used = _fields(template)
            except ValueError as exc:
                problems.append(Problem(f"{where}.{lang}", f"not a template: {exc}",
                                        "write {name} for a parameter, {{ for a brace"))
                continue
            if used != declared:
                extra, unused = sorted(used - declared), sorted(declared - used)
                detail = "; ".join(part for part in (
                    f"uses undeclared {', '.join(extra)}" if extra else "",
                    f"does not use {', '.join(unused)}" if unused else "") if part)
                problems.append(Problem(f"{where}.{lang}", detail,
                                        "use each declared parameter once in every language"))
        messages[message_id] = _Message(specs, templates)
    words: dict[str, dict[Language, str]] = {}
    for key, entry in data.get("words", {}).items():
        if not (isinstance(entry, dict) and isinstance(entry.get("en"), str)
                and isinstance(entry.get("zh"), str)):
            problems.append(Problem(f"words.{key}", "needs en and zh", 'write { en = "…", '
                                    'zh = "…" }'))
            continue
        words[key] = {"en": entry["en"], "zh": entry["zh"],
                      "zh-Hant": entry.get("zh-Hant") or traditional(entry["zh"])}
    if problems:
        raise RulesetError(problems, source=source)
    return Catalogue(messages, words)


@functools.cache
def _s2t() -> Any:
    import opencc  # a compiled dictionary: loaded once, when Chinese is first written

    return opencc.OpenCC("s2t")


def traditional(text: str) -> str:
    """Simplified Chinese in traditional characters (OpenCC s2t): how every zh-Hant text of
    solidcheck is made unless one is written out."""
    return str(_s2t().convert(text))


@functools.cache
def load_catalogue() -> Catalogue:
    """solidcheck's own catalogue, read and checked once: every ``*.toml`` file of this
    package (``messages.toml`` for findings, one file per further area), one id in one file."""
    parts = [parse_catalogue(entry.read_text("utf-8"), source=entry.name)
             for entry in sorted(resources.files(__package__).iterdir(),
                                 key=lambda entry: entry.name)
             if entry.name.endswith(".toml")]
    messages: dict[str, _Message] = {}
    words: dict[str, dict[Language, str]] = {}
    problems: list[Problem] = []
    for part in parts:
        for table, found, into in (("messages", part.messages, messages),
                                   ("words", part.words, words)):
            for key, value in found.items():
                if key in into:
                    problems.append(Problem(f"{table}.{key}", "defined in two catalogue files",
                                            "define it in one file only"))
                into[key] = value  # type: ignore[assignment]
    if problems:
        raise RulesetError(problems, source="solidcheck/i18n")
    return Catalogue(messages, words)
