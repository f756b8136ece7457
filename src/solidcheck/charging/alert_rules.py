"""The grammar of ``[rules.alerts.*]``: every count, window, limit and severity of the live
alerts (charging/live/alerts.py) as rule-set data, each with its provenance and certainty.

Kept apart from charging/rules.py so the metric grammar stays readable; ``Rules.alerts``
holds an :class:`AlertRules`. Offline takes its k × heartbeat from ``rules.offline_detection``
(the same threshold the metrics use after the fact), so only its severity is here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .rules_base import ChargingRule

__all__ = ["AlertRule", "AlertRules", "BurstAlertRule", "FaultAlertRule", "RunAlertRule",
           "SilenceAlertRule", "TemperatureAlertRule"]


class AlertRule(ChargingRule):
    """An alert kind and the SLA severity tier its alerts carry."""

    severity: str = Field(pattern=r"^[a-z0-9_]+$")


class FaultAlertRule(AlertRule):
    """Faulted status, an OCPP 1.6 errorCode other than NoError, a 2.0.1 NotifyEvent that is
    Alerting or sets a Problem variable; ``chargex_codes`` names each OCPP error code's ChargeX
    minimum required error code (CX001 …) where ChargeX gives one."""

    chargex_codes: dict[str, str] = Field(default_factory=dict)


class BurstAlertRule(AlertRule):
    """``count`` events within ``window_s`` (both ends included); resolved once a whole window
    passes without one."""

    count: int = Field(ge=2)
    window_s: float = Field(gt=0)
    #: the boot reasons that count (reboot loop); a 1.6 boot has none and counts as Unknown
    reasons: list[str] | None = None


class RunAlertRule(AlertRule):
    """``count`` failed starts in a row on a port that still reports Available; a remote
    start the station accepted that is no transaction ``remote_start_timeout_s`` later is a
    failed start too (not counted when the rule leaves it out)."""

    count: int = Field(ge=1)
    remote_start_timeout_s: float | None = Field(default=None, gt=0)


class SilenceAlertRule(AlertRule):
    """A port charging with no energy-register increase for at least ``duration_s``."""

    duration_s: float = Field(gt=0)


class TemperatureAlertRule(AlertRule):
    """A MeterValues Temperature sample above ``limit_c`` (°C); and, when the derating keys
    are given, a charging port whose reported power (Power.Active.Import, else Power.Offered)
    falls below ``derating_fraction`` of its session's peak while its temperature is above
    ``derating_limit_c`` (the charger protecting itself by giving the driver less power)."""

    limit_c: float
    derating_fraction: float | None = Field(default=None, gt=0, lt=1)
    derating_limit_c: float | None = None

    @model_validator(mode="after")
    def _derating_whole(self) -> TemperatureAlertRule:
        if (self.derating_fraction is None) != (self.derating_limit_c is None):
            raise ValueError("derating_fraction and derating_limit_c go together")
        return self


class AlertRules(BaseModel):
    """The live alert kinds a rule set defines; a kind left out is not raised."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    fault: FaultAlertRule | None = None
    offline: AlertRule | None = None
    reboot_loop: BurstAlertRule | None = None
    silent_failure: RunAlertRule | None = None
    no_energy: SilenceAlertRule | None = None
    temperature: TemperatureAlertRule | None = None
    callerror_burst: BurstAlertRule | None = None
