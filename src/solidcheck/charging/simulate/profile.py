"""The simulator's numbers, read from ``profile.toml`` with the provenance of each.

They are behaviour, not alert thresholds: the alert rules the simulated faults must trip live in
the charging rule sets. Keeping them as data means a reader sees where every number comes from.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Profile", "profile"]

RangeName = Literal["meter_interval_s", "ports", "session_gap_s", "session_length_s",
                    "authorize_to_start_s", "power_kw", "faulted_s", "disconnect_s",
                    "reboot_gap_s", "attempt_gap_s", "reconnect_backoff_ms"]
CountName = Literal["reboot_loop_boots", "silent_start_attempts", "callerror_burst_frames",
                    "no_energy_s", "fallback_heartbeat_s", "fault_margin_s",
                    "silent_start_stop_s", "derating_s", "derating_percent",
                    "derating_celsius", "normal_celsius"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Sourced(_Data):
    provenance: str = Field(min_length=1)
    why: str | None = None

    @model_validator(mode="after")
    def _assumption_says_why(self) -> _Sourced:
        if self.provenance == "assumption" and not self.why:
            raise ValueError("an assumption says why")
        return self


class Range(_Sourced):
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError("min above max")
        return self


class Count(_Sourced):
    value: int = Field(ge=1)


class Codes(_Sourced):
    ocpp16_error_codes: list[str] = Field(min_length=1)
    ocpp201_tech_codes: list[str] = Field(min_length=1)


class Profile(_Data):
    format: Literal[1]
    ranges: dict[RangeName, Range]
    counts: dict[CountName, Count]
    codes: Codes

    @model_validator(mode="after")
    def _complete(self) -> Profile:
        missing = [n for n in get_args(RangeName) if n not in self.ranges]
        missing += [n for n in get_args(CountName) if n not in self.counts]
        if missing:
            raise ValueError(f"missing {missing}")
        return self

    def span(self, name: RangeName) -> tuple[int, int]:
        """The inclusive (min, max) of a range."""
        r = self.ranges[name]
        return r.min, r.max

    def count(self, name: CountName) -> int:
        return self.counts[name].value


@functools.cache
def profile() -> Profile:
    """The installed profile, read once per process."""
    text = resources.files(__package__).joinpath("profile.toml").read_text(encoding="utf-8")
    return Profile.model_validate(tomllib.loads(text), strict=False)
