"""``GET /v1/charging/risk`` (issue 18): the ports at risk the monitoring page shows, with the
model card's essentials and when they were scored (web/live/risk.py scores them)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from ...errors import InvalidInputError, Problem
from ...registry import ApiKeyRecord
from ..deps import require_role
from ..live.risk import RiskScorer, card_essentials
from ..problems import error_responses
from .openapi import KEY_REQUIRED
from .params import NO_CONTROL, v1_router

__all__ = ["RiskAnswer", "router"]

router = v1_router()
#: the longest the first request waits for the first scoring (a model's load and weeks of
#: logs take seconds): then it is answered "pending". A latency cap, not a threshold.
FIRST_WAIT_S = 20.0


async def _reader(request: Request) -> ApiKeyRecord:
    """Any valid key reads the list."""
    return require_role(request, "reader")


class RiskAnswer(BaseModel):
    """The list as ``charging risk score --format json`` writes it (``listing``: the top
    ports), and where the scoring stands."""

    status: Literal["off", "pending", "ready", "empty", "error"] = Field(
        description="off: SOLIDCHECK_RISK_MODEL is not set; pending: being scored; empty: "
        "no frame log to score; error: see problems")
    scored_at: str | None
    ports_scored: int = Field(description="ports in the last scoring (the list holds the "
                              "top ones)")
    listing: dict[str, Any] | None = Field(description="the risk list: format, day, horizon, "
                                           "training_window, score_kinds, method, ports")
    model: dict[str, Any] | None = Field(description="the model card's essentials")
    problems: list[dict[str, str]]


@router.get("/charging/risk", response_model=RiskAnswer, tags=["charging"],
            summary="The ports at highest risk of failing, with what drove each score",
            responses=error_responses(401, 403, 422), openapi_extra=KEY_REQUIRED)
async def ports_at_risk(
        request: Request, key: Annotated[ApiKeyRecord, Depends(_reader)],
        station: Annotated[str, Query(max_length=48, pattern=NO_CONTROL,
                                      description="only this station's ports (default: the "
                                      "top ports of all)")] = "",
) -> RiskAnswer:
    if len(request.query_params.getlist("station")) > 1:
        raise InvalidInputError([Problem("query.station", "given more than once",
                                         "give one station, or none for the top ports")])
    scorer: RiskScorer = request.app.state.risk
    try:
        state = await asyncio.wait_for(asyncio.shield(scorer.settled()), FIRST_WAIT_S)
    except TimeoutError:
        state = scorer.state
    listing, scored = state.listing, 0
    if listing is not None:
        ports = listing["ports"]
        scored = len(ports)
        ports = ([p for p in ports if p["station_id"] == station]
                 if station else ports[:scorer.shown()])
        listing = {**listing, "ports": ports}
    problems = [{"path": p.path, "message": p.message, "fix": p.fix} for p in state.problems]
    if state.missing is not None:
        problems.append({"path": state.missing, "message": "not installed",
                         "fix": "pip install 'solidcheck[risk]' and restart the server"})
    return RiskAnswer(status=state.status, ports_scored=scored, listing=listing,
                      scored_at=state.scored_at.isoformat() if state.scored_at else None,
                      model=card_essentials(state.card) if state.card else None,
                      problems=problems)
