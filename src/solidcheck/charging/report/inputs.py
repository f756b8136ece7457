"""What ``charging report`` reads: a metrics JSON (``charging metrics --format json``) and a
folder of canonical tables (``charging ingest -o DIR``); a wrong file is one
ChargingInputError naming every problem and how to fix it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from pydantic import ValidationError

from ...errors import ChargingInputError, Problem
from ..results import ChargingMetrics

__all__ = ["read_metrics_json"]

_GZIP_MAGIC = b"\x1f\x8b"
_FIX = ("give the JSON `solidcheck charging metrics --format json` wrote "
        "(schema: `solidcheck schema charging-metrics`)")


def read_metrics_json(path: Path) -> ChargingMetrics:
    """A ChargingMetrics from its JSON file, validated against the published model."""
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:  # metrics.json.gz, as results are often kept
            raw = gzip.decompress(raw)
        data = json.loads(raw.decode("utf-8-sig"))
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ChargingInputError([Problem("file", f"cannot be read ({reason})",
                                          "check the path")], source=str(path)) from None
    except UnicodeDecodeError:
        raise ChargingInputError([Problem("file", "is not UTF-8 text", _FIX)],
                                 source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ChargingInputError([Problem(f"line {exc.lineno}", f"not JSON ({exc.msg})",
                                          _FIX)], source=str(path)) from None
    try:
        return ChargingMetrics.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in error["loc"]) or "(top)", error["msg"],
                            _FIX) for error in exc.errors()]
        raise ChargingInputError(problems, source=str(path)) from None
