"""The JSON files the charging commands read back (a metrics result, a risk list): read,
decompressed when gzipped, validated against their pydantic model; anything wrong is one
ChargingInputError naming every problem and how to fix it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ChargingInputError, Problem

__all__ = ["read_json_model"]

_GZIP_MAGIC = b"\x1f\x8b"
Model = TypeVar("Model", bound=BaseModel)


def read_json_model(path: Path, model: type[Model], *, field: str, fix: str) -> Model:
    """``model`` from the JSON file at ``path`` (UTF-8, a BOM allowed, gzip as results are
    often kept); ``field`` names the file in a problem it cannot be read at all, ``fix`` says
    which file to give instead."""
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        data = json.loads(raw.decode("utf-8-sig"))
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ChargingInputError([Problem(field, f"cannot be read ({reason})",
                                          "check the path")], source=str(path)) from None
    except UnicodeDecodeError:
        raise ChargingInputError([Problem(field, "is not UTF-8 text", fix)],
                                 source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ChargingInputError([Problem(f"line {exc.lineno}", f"not JSON ({exc.msg})", fix)],
                                 source=str(path)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in error["loc"]) or "(top)", error["msg"],
                            fix) for error in exc.errors()]
        raise ChargingInputError(problems, source=str(path)) from None
