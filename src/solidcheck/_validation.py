"""Turn pydantic's validation errors into solidcheck Problems: where, what, how to fix."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem

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


def path_of(loc: tuple[int | str, ...]) -> str:
    """``('specimens', 0, 'mass_g')`` → ``'specimens[0].mass_g'``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if part.isprintable() else repr(part)  # one line per problem
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every error in ``error`` as a Problem, in document order."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        fix = _FIXES.get(kind, "")
        if kind == "extra_forbidden":
            key = str(loc[-1])
            parent = _model_at(model, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = "unknown key"
            if close:
                fix = f"did you mean {close[0]!r}? (keys are checked, a misspelt key is an error)"
            else:
                fix = "remove it; allowed keys here: " + ", ".join(allowed)
        elif kind not in ("missing", "value_error", "assertion_error") and "input" in item:
            message = f"{message} (got {_short(item['input'])})"
        problems.append(Problem(path=path_of(loc), message=message, fix=fix))
    return problems
