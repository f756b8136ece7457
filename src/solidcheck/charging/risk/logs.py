"""Scoring the ports of a live endpoint's frame logs (one JSON Lines file per UTC day,
charging/frame_log.py): the monitoring page's risk list.

The features look back up to 28 days, so the last ``history_days`` day files are read (what the
folder holds, fewer when it holds fewer) and the last complete UTC day before ``today`` is
scored (today's, when the folder holds nothing earlier: a partial day scores lower than a full
one, and a new server has nothing else).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ...errors import ChargingInputError, Problem
from ..monitor import LogTables
from .listing import risk_list
from .model import CONTRIBUTION_METHOD, RiskModel
from .problems import risk_problem

__all__ = ["day_files", "score_frame_logs"]

_DAY_FILE = re.compile(r"^ocpp-frames-(\d{4}-\d{2}-\d{2})\.jsonl$")


def day_files(folder: Path, *, today: date, history_days: int) -> list[tuple[date, Path]]:
    """The last ``history_days`` non-empty day files up to ``today``, oldest first."""
    found = []
    for path in folder.glob("ocpp-frames-*.jsonl") if folder.is_dir() else ():
        matched = _DAY_FILE.match(path.name)
        if matched is None:
            continue
        day = date.fromisoformat(matched.group(1))
        if day <= today and path.stat().st_size > 0:
            found.append((day, path))
    return sorted(found)[-history_days:]


def score_frame_logs(folder: Path, model: RiskModel, *, now: datetime, history_days: int,
                     logs: LogTables | None = None, max_log_bytes: int | None = None
                     ) -> dict[str, Any] | None:
    """The risk list (:func:`~.listing.risk_list`) of every port in the frame logs, highest
    first, each with its drivers; None when the folder holds no frame yet. One
    ChargingInputError for a model the logs cannot be scored with."""
    from ..metrics_inputs import rulesets_named
    from .features import port_day_features
    from .score import score

    files = day_files(folder, today=now.date(), history_days=history_days)
    if not files:
        return None
    size = sum(path.stat().st_size for _, path in files)
    if max_log_bytes is not None and size > max_log_bytes:
        raise ChargingInputError([risk_problem(
            str(folder), "logs_too_large", days=len(files), size_mb=round(size / 1e6),
            limit_mb=round(max_log_bytes / 1e6), setting="SOLIDCHECK_RISK_MAX_LOG_MB",
            ingest="solidcheck charging ingest LOGS -o TABLES",
            score="solidcheck charging risk score MODEL TABLES --engine partitioned "
            "--format json -o scores.json")])
    problems: list[Problem] = []
    rulesets = rulesets_named([model.card["ruleset"]], problems)
    if problems:
        raise ChargingInputError(problems)
    tables = (logs or LogTables()).tables([path for _, path in files])
    if tables["port_events"].num_rows == 0:
        return None
    earlier = [day for day, _ in files if day < now.date()]
    day = earlier[-1] if earlier else files[-1][0]
    # frame logs name no operator: score() puts their ports in the unnamed operator's group,
    # or the pooled model's
    features = port_day_features(tables, rulesets[0], start_day=day, end_day=day)
    if features.height == 0:
        return None
    rule = rulesets[0].rules.risk_model
    scored = score(model, features, drivers=rule.drivers_listed if rule is not None else 5)
    rows = scored.with_columns(scored.get_column("day").cast(str)).to_dicts()
    return risk_list(rows, day=day.isoformat(), card=model.card, method=CONTRIBUTION_METHOD,
                     scored_at=now)
