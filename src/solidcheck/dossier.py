"""Reading dossiers: YAML or JSON (chosen by content), strict keys, every problem at once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ._validation import problems_from
from .errors import DossierError, Problem
from .model import Dossier

__all__ = [
    "dossier_from_mapping",
    "load_dossier",
    "load_mapping",
    "parse_dossier",
    "parse_mapping",
]

MAX_DOSSIER_BYTES = 1_000_000


class _KeyError(yaml.constructor.ConstructorError):
    """A mapping key YAML accepts but a dossier does not, with how to fix it."""

    def __init__(self, problem: str, fix: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader for which a repeated key is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                raise _KeyError("a key must be a plain value, not a list or mapping",
                                "write each key as plain text", key_node.start_mark) from None
            if repeated:
                raise _KeyError(f"key {key!r} appears twice", "remove the repeated key",
                                key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class RepeatedKeyError(ValueError):
    """A JSON object names a key twice (json.loads would silently keep the last)."""


def reject_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for json.loads that refuses repeated keys."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise RepeatedKeyError(f"key {key!r} appears twice")
        out[key] = value
    return out


def _parse(text: str, source: str) -> Any:
    try:
        return _parse_syntax(text, source)
    except DossierError:
        raise
    except RecursionError:
        problem = Problem("", "nested too deeply to read", "a dossier is a few levels deep")
    except ValueError as exc:  # e.g. an integer with thousands of digits
        problem = Problem("", f"cannot be read: {exc}", "check the values in the file")
    raise DossierError([problem], source=source)


def _parse_syntax(text: str, source: str) -> Any:
    body = text.removeprefix("\ufeff")
    if body.lstrip(" \t\r\n").startswith(("{", "[")):
        try:
            return json.loads(body, object_pairs_hook=reject_repeated_keys)
        except json.JSONDecodeError as exc:
            raise DossierError([Problem(f"line {exc.lineno}, column {exc.colno}",
                f"not valid JSON: {exc.msg}", "fix the JSON syntax")], source=source) from None
        except RepeatedKeyError as exc:
            raise DossierError([Problem("", str(exc), "remove the repeated key")],
                               source=source) from None
    try:
        return yaml.load(body, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "syntax error"
        fix = getattr(exc, "fix", "fix the YAML syntax (indentation, colons, quotes)")
        raise DossierError([Problem(where, f"not valid YAML: {what}", fix)],
                           source=source) from None
    except yaml.YAMLError as exc:
        raise DossierError([Problem("", f"not valid YAML: {exc}", "fix the YAML syntax")],
                           source=source) from None


def dossier_from_mapping(data: Any, *, source: str | None = None) -> Dossier:
    """Validate already-parsed data (a mapping) as a dossier."""
    if not isinstance(data, Mapping):
        kind = "nothing" if data is None else type(data).__name__
        raise DossierError([Problem("", f"a dossier is a mapping of keys, got {kind}",
                                    "start from an example in examples/")], source=source)
    try:
        return Dossier.model_validate(dict(data))
    except ValidationError as exc:
        raise DossierError(problems_from(exc, Dossier), source=source) from None


def parse_mapping(text: str | bytes, *, source: str = "<string>") -> Any:
    """Parse dossier text, YAML or JSON by its content, without validating it as a dossier.

    For inputs that are completed before validation (``solidcheck dossier build``).
    """
    if isinstance(text, bytes):
        if len(text) > MAX_DOSSIER_BYTES:
            raise DossierError([Problem("", f"larger than {MAX_DOSSIER_BYTES} bytes",
                                        "a dossier is a small text file")], source=source)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DossierError([Problem("", f"not UTF-8 text (byte {exc.start})",
                                        "save the file as UTF-8")], source=source) from None
    return _parse(text, source)


def parse_dossier(text: str | bytes, *, source: str = "<string>") -> Dossier:
    """Parse dossier text, YAML or JSON by its content, and validate it."""
    return dossier_from_mapping(parse_mapping(text, source=source), source=source)


def read_dossier_bytes(path: str | Path) -> bytes:
    """A dossier file's bytes; an unreadable file is a DossierError like any other problem."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DossierError([Problem("", f"cannot read the file: {exc.strerror}",
                                    "check the path")], source=str(path)) from None


def load_mapping(path: str | Path) -> Any:
    """Read a dossier file's data, not yet validated."""
    return parse_mapping(read_dossier_bytes(path), source=str(path))


def load_dossier(path: str | Path) -> Dossier:
    """Read and validate a dossier file."""
    return dossier_from_mapping(load_mapping(path), source=str(path))
