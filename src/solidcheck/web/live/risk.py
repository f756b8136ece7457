"""The ports at risk for the monitoring page and ``GET /v1/charging/risk`` (issue 18): the
model of ``SOLIDCHECK_RISK_MODEL`` scores the ports of the endpoint's frame logs at start and
again after each UTC midnight, in a worker thread (loading a model and reading weeks of logs
take seconds), and the pages read the cached result.

What can go wrong is a state the page explains, never a 500: no model set ("off"), a model
that cannot be loaded or scikit-learn missing ("error", with the problems and their fixes),
nothing to score yet ("empty").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ...charging.monitor import LogTables
from ...charging.risk.problems import TRAIN_COMMAND, risk_problem
from ...errors import ChargingInputError, MissingDependencyError, Problem, SolidcheckError
from .hub import cancel_task

__all__ = ["AFTER_MIDNIGHT_S", "RiskScorer", "RiskState", "card_essentials",
           "seconds_to_next_scoring"]

LOG = logging.getLogger("solidcheck.web.risk")
Status = Literal["off", "pending", "ready", "empty", "error"]
#: how long after a UTC midnight the day is scored again: the last frames of the day just
#: ended are on disk by then (the log is flushed at once; a minute is ample)
AFTER_MIDNIGHT_S = 60.0
#: the card's keys a reader of the list needs (the rest: the model folder's card.json)
_ESSENTIALS = ("horizon", "training_window", "ruleset", "seed", "rows", "positives",
               "model_sha256", "methods")


def seconds_to_next_scoring(now: datetime) -> float:
    """From ``now`` to :data:`AFTER_MIDNIGHT_S` past the next UTC midnight."""
    at = now.astimezone(UTC)
    midnight = datetime(at.year, at.month, at.day, tzinfo=UTC) + timedelta(days=1)
    return (midnight - at).total_seconds() + AFTER_MIDNIGHT_S


def card_essentials(card: dict[str, Any]) -> dict[str, Any]:
    """What the API says of the model: horizon, window, rule set, counts, hashes, methods,
    and each group's kind."""
    out = {key: card.get(key) for key in _ESSENTIALS}
    out["groups"] = {name: {"kind": g.get("kind"), "operators": g.get("operators")}
                     for name, g in (card.get("groups") or {}).items()}
    return out


@dataclass(frozen=True)
class RiskState:
    """The last scoring, as the pages and the API read it (replaced whole, never changed)."""

    status: Status
    #: the risk list (charging/risk/listing.py's file), every port scored, highest first
    listing: dict[str, Any] | None = None
    card: dict[str, Any] | None = None
    problems: tuple[Problem, ...] = ()
    #: "sklearn": scikit-learn is missing (the page names the extra to install)
    missing: str | None = None
    scored_at: datetime | None = None


@dataclass
class RiskScorer:
    """Scores in a worker thread at start and after each UTC midnight; ``state`` is the last
    result. ``folder``: the frame logs; ``model_folder``: None when the setting is absent."""

    model_folder: Path | None
    folder: Path
    history_days: int
    ports_shown: int | None
    #: the most frame-log bytes read to score: they are held in memory
    max_log_bytes: int | None = None
    state: RiskState = field(default_factory=lambda: RiskState("pending"))
    _task: asyncio.Task[None] | None = None
    _first: asyncio.Event | None = None
    _logs: LogTables = field(default_factory=LogTables)

    def __post_init__(self) -> None:
        if self.model_folder is None:
            self.state = RiskState("off")

    def shown(self) -> int:
        """How many ports the page lists: the setting, else the model's rule's
        ``crew_ports_per_day`` (the ports a crew visits a day), else 10."""
        if self.ports_shown is not None:
            return self.ports_shown
        rule = (self.state.card or {}).get("rule") or {}
        return int(rule.get("crew_ports_per_day") or 10)

    def start(self) -> None:
        """Start scoring on the running loop (the app's lifespan calls this)."""
        if self.model_folder is not None and self._task is None:
            self._first = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="solidcheck-risk")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_task(task)

    async def settled(self) -> RiskState:
        """The state once the first scoring is done (at once when it is, or is off)."""
        if self._first is not None:
            await self._first.wait()
        return self.state

    async def refresh(self) -> RiskState:
        """Score now (in a worker thread) and keep the result."""
        self.state = await asyncio.to_thread(self.compute, datetime.now(UTC))
        return self.state

    async def _run(self) -> None:
        assert self._first is not None
        while True:
            await self.refresh()
            self._first.set()
            await asyncio.sleep(seconds_to_next_scoring(datetime.now(UTC)))

    def compute(self, now: datetime) -> RiskState:
        """One scoring: load the model, score the logs; every failure a state."""
        assert self.model_folder is not None
        card = self.state.card
        try:
            from ...charging.risk.logs import score_frame_logs
            from ...charging.risk.store import load

            model = load(self.model_folder)
            card = model.card
            listing = score_frame_logs(self.folder, model, now=now,
                                       history_days=self.history_days, logs=self._logs,
                                       max_log_bytes=self.max_log_bytes)
        except MissingDependencyError as exc:
            return RiskState("error", missing=exc.package, scored_at=now)
        except ChargingInputError as exc:
            return RiskState("error", card=card, problems=tuple(exc.problems), scored_at=now)
        except (SolidcheckError, OSError, ValueError, KeyError) as exc:
            LOG.warning("the ports could not be scored", exc_info=True)
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return RiskState("error", card=card, scored_at=now, problems=(risk_problem(
                str(self.model_folder), "unusable", detail=detail, command=TRAIN_COMMAND),))
        if listing is None:
            return RiskState("empty", card=card, scored_at=now)
        return RiskState("ready", listing=listing, card=card, scored_at=now)
