"""Turn pydantic's validation errors into solidcheck Problems: where, what, how to fix."""

from __future__ import annotations

import difflib
import itertools
import reprlib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem

__all__ = ["path_of", "problems_from", "short_repr"]

_FIXES = {
    "missing": "add this key",
    "float_type": "write a number, without quotes",
    "int_type": "write a whole number, without quotes",
    "bool_type": "write true or false, without quotes",
    "string_type": "write text; quote it if it looks like a number or a date",
    "list_type": "write a list, e.g. [a, b]",
    "model_type": "write a mapping of keys to values",
    "dict_type": "write a mapping of keys to values",
    "literal_error": "use one of the values listed",
    "greater_than": "check the value and its unit",
    "greater_than_equal": "check the value and its unit",
    "less_than_equal": "check the value and its unit",
    "too_short": "add at least one entry",
    "too_long": "remove the extra entries",
    "finite_number": "write a finite number",
    "string_pattern_mismatch": "see the documented format of this key",
}


#: The longest key name echoed in a path; a longer one (a key of a megabyte) is cut.
MAX_KEY_CHARS = 60
#: The longest rendering of a bad value in a message.
MAX_VALUE_CHARS = 60
#: The longest message of one problem (pydantic's texts and ours are far shorter; a guard)
MAX_MESSAGE_CHARS = 300


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def path_of(loc: tuple[int | str, ...]) -> str:
    """``('specimens', 0, 'mass_g')`` → ``'specimens[0].mass_g'``.

    A key name longer than MAX_KEY_CHARS is cut, so a path is short whatever the input.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = _cut(str(part), MAX_KEY_CHARS)
            name = name if name.isprintable() else repr(name)  # one line per problem
            out += f".{name}" if out else name
    return out


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (for suggesting key names)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Optional[X], list[X] → X (the model a nested key lives in)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(models[0]) if len(models) == 1 else annotation
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


class _BoundedRepr(reprlib.Repr):
    """reprlib that looks at a few items of a container and a prefix of a string, so that
    rendering a value costs the same for a byte as for a megabyte. Unlike reprlib's own,
    mappings and sets are shown in their order, not sorted (sorting looks at every key)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 4
        self.maxstring = self.maxother = MAX_VALUE_CHARS
        self.maxlong = 40

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{" + self.fillvalue + "}"
        pieces = [f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}"
                  for key, value in itertools.islice(x.items(), self.maxdict)]
        if len(x) > self.maxdict:
            pieces.append(self.fillvalue)
        return "{" + ", ".join(pieces) + "}"

    def _items(self, x: set[Any] | frozenset[Any], level: int, limit: int) -> str:
        if level <= 0:
            return self.fillvalue
        pieces = [self.repr1(item, level - 1) for item in itertools.islice(x, limit)]
        if len(x) > limit:
            pieces.append(self.fillvalue)
        return ", ".join(pieces)

    def repr_set(self, x: set[Any], level: int) -> str:
        return "{" + self._items(x, level, self.maxset) + "}" if x else "set()"

    def repr_frozenset(self, x: frozenset[Any], level: int) -> str:
        return f"frozenset({{{self._items(x, level, self.maxfrozenset)}}})" if x else "frozenset()"

    def repr_bytes(self, x: bytes, level: int) -> str:  # YAML !!binary
        text = repr(x[:self.maxstring])
        return text if len(x) <= self.maxstring else text + self.fillvalue


_BOUNDED_REPR = _BoundedRepr()


def short_repr(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A value as Python writes it, cut to at most ``limit`` characters; the work done is
    bounded too, whatever the size of the value (a list of a million items, a 1 MB string).

    >>> short_repr([1.5] * 1_000_000)
    '[1.5, 1.5, 1.5, 1.5, ...]'
    >>> len(short_repr("x" * 1_000_000))
    60
    """
    return _cut(_BOUNDED_REPR.repr(value), limit)


#: list key → how to fix a list that is too long, where a general "remove entries" is not enough
_TOO_LONG_FIXES = {
    "specimens": "list each weighed specimen once; a weight-loss test weighs a handful, and a "
                 "dossier holds at most {max_length} (docs/dossier.md)",
}


def _too_long(loc: tuple[int | str, ...], ctx: dict[str, Any]) -> tuple[str, str]:
    """The message and fix of a list that is too long: "at most 1000 specimens are accepted,
    got 5000" rather than pydantic's "List should have at most 1000 items after…"."""
    name = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
    limit, actual = ctx["max_length"], ctx.get("actual_length")
    what = name.replace("_", " ") if name in _TOO_LONG_FIXES else "entries"
    message = f"at most {limit} {what} are accepted" + (f", got {actual}" if actual else "")
    fix = _TOO_LONG_FIXES.get(name, "remove the extra entries (at most {max_length})")
    return message, fix.format(max_length=limit)


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every error in ``error`` as a Problem, in document order."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        fix = _FIXES.get(kind, "")
        if kind == "too_long" and "max_length" in item.get("ctx", {}):
            message, fix = _too_long(loc, item["ctx"])
        elif kind == "extra_forbidden":
            key = _cut(str(loc[-1]), MAX_KEY_CHARS)  # difflib on a megabyte key is slow
            parent = _model_at(model, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = "unknown key"
            if close:
                fix = f"did you mean {close[0]!r}? (keys are checked, a misspelt key is an error)"
            else:
                fix = "remove it; allowed keys here: " + ", ".join(allowed)
        elif kind not in ("missing", "value_error", "assertion_error") and "input" in item:
            message = f"{message} (got {short_repr(item['input'])})"
        problems.append(Problem(path=path_of(loc), message=_cut(message, MAX_MESSAGE_CHARS),
                                fix=fix))
    return problems
