"""The web service's settings, from ``SOLIDCHECK_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Settings"]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


#: the fields set from one environment variable each, as its text (the others: from_env)
_ENV = {
    "max_body_bytes": "SOLIDCHECK_MAX_BODY_BYTES",
    "max_evidence_bytes": "SOLIDCHECK_MAX_EVIDENCE_BYTES",
    "rate_limit_per_minute": "SOLIDCHECK_RATE_LIMIT",
    "max_audit_bytes": "SOLIDCHECK_MAX_AUDIT_BYTES",
    "heavy_workers": "SOLIDCHECK_HEAVY_WORKERS",
    "heavy_queue": "SOLIDCHECK_HEAVY_QUEUE",
    "request_budget_s": "SOLIDCHECK_REQUEST_BUDGET_S",
    "secret_key": "SOLIDCHECK_SECRET_KEY",
    "ocpp_ruleset": "SOLIDCHECK_OCPP_RULESET",
    "ocpp_log_dir": "SOLIDCHECK_OCPP_LOG_DIR",
    "ocpp_id_tokens": "SOLIDCHECK_OCPP_ID_TOKENS",
    "charging_figures_refresh_s": "SOLIDCHECK_CHARGING_FIGURES_REFRESH_S",
    "webhook_max_attempts": "SOLIDCHECK_WEBHOOK_MAX_ATTEMPTS",
    "webhook_backoff_base_s": "SOLIDCHECK_WEBHOOK_BACKOFF_BASE_S",
    "webhook_backoff_cap_s": "SOLIDCHECK_WEBHOOK_BACKOFF_CAP_S",
    "webhook_timeout_s": "SOLIDCHECK_WEBHOOK_TIMEOUT_S",
    "webhook_queue_max": "SOLIDCHECK_WEBHOOK_QUEUE_MAX",
    "webhook_refresh_s": "SOLIDCHECK_WEBHOOK_REFRESH_S",
    "live_state_resolution_s": "SOLIDCHECK_LIVE_STATE_RESOLUTION_S",
    "sse_heartbeat_s": "SOLIDCHECK_SSE_HEARTBEAT_S",
    # risk-show: the ports at risk on the monitoring page
    "risk_model": "SOLIDCHECK_RISK_MODEL",
    "risk_ports_shown": "SOLIDCHECK_RISK_PORTS_SHOWN",
    "risk_history_days": "SOLIDCHECK_RISK_HISTORY_DAYS",
    "risk_max_log_mb": "SOLIDCHECK_RISK_MAX_LOG_MB",
}


class Settings(BaseModel):
    """What an operator may change; every field has its environment variable."""

    model_config = ConfigDict(frozen=True)

    database_url: str | None = Field(default=None, description="SOLIDCHECK_DATABASE_URL; "
                                     "default SQLite in the data folder")
    public_reads: bool = Field(default=True, description="SOLIDCHECK_PUBLIC_READS: published "
                               "results, cells and pages readable without a key")
    max_body_bytes: int = Field(default=64 * 1024 * 1024, description="SOLIDCHECK_MAX_BODY_"
                                "BYTES: larger request bodies get 413")
    max_evidence_bytes: int = Field(default=50 * 1024 * 1024, description="SOLIDCHECK_MAX_"
                                    "EVIDENCE_BYTES: largest evidence file kept")
    rate_limit_per_minute: int = Field(default=600, description="SOLIDCHECK_RATE_LIMIT: "
                                       "requests per minute per key (or per address without "
                                       "one); 0 turns the limit off")
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32),
                            description="SOLIDCHECK_SECRET_KEY: signs CSRF tokens; random "
                            "per process unless set")
    max_audit_bytes: int = Field(default=5_000_000, ge=1, description="SOLIDCHECK_MAX_AUDIT_"
                                 "BYTES: largest text or document sent to /v1/audit and the "
                                 "audit page (an audit's time grows with the text); larger "
                                 "ones get 413 while they stream in")
    heavy_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1,
                               description="SOLIDCHECK_HEAVY_WORKERS: how many CPU-heavy "
                               "requests (classifying large dossiers, reading instrument "
                               "files, audits, verification, reports) run at once; default "
                               "the number of CPUs")
    heavy_queue: int = Field(default=32, ge=0, description="SOLIDCHECK_HEAVY_QUEUE: how many "
                             "more may wait for a worker; beyond that, 503 with Retry-After")
    request_budget_s: float = Field(default=30.0, gt=0, description="SOLIDCHECK_REQUEST_"
                                    "BUDGET_S: seconds a heavy request may wait and run before "
                                    "it is answered 503 (its work still ends in the background, "
                                    "holding its worker, so overload cannot pile up)")
    trusted_proxies: tuple[str, ...] = Field(default=(), description="SOLIDCHECK_TRUSTED_"
                                             "PROXIES: comma-separated addresses of reverse "
                                             "proxies whose X-Forwarded-For and "
                                             "X-Forwarded-Proto are believed; none by default, "
                                             "so a client cannot choose the address it is "
                                             "rate-limited by")

    ocpp_ruleset: str = Field(default="cn-alliance-wp-2026", description="SOLIDCHECK_OCPP_"
                              "RULESET: the charging rule set (id or file) whose live_endpoint "
                              "rule sets the heartbeat interval and the frame limits")
    ocpp_log_dir: Path | None = Field(default=None, description="SOLIDCHECK_OCPP_LOG_DIR: "
                                      "folder of the OCPP frame logs, one JSON Lines file a "
                                      "day; default ocpp-frames in the data folder")
    ocpp_id_tokens: Path | None = Field(default=None, description="SOLIDCHECK_OCPP_ID_TOKENS: "
                                        "file of the id tokens Authorize accepts, one a line; "
                                        "none: every token is accepted")
    # the monitoring page
    charging_figures_refresh_s: float = Field(
        default=60.0, gt=0, description="SOLIDCHECK_CHARGING_FIGURES_REFRESH_S: the live page "
        "recomputes today's availability and success (part I's engine over the day's frame "
        "log, in a worker thread) at most this often; assumption: a minute is fresh enough "
        "for day figures and keeps a busy day's log from being re-read on every view")

    # --- alert webhooks. The white paper says nothing of webhooks; these are the
    # project's assumptions, chosen so a receiver restarted or redeployed (minutes) misses
    # nothing and a dead one costs a bounded amount of work and space.
    webhook_max_attempts: int = Field(default=10, ge=1, le=100, description="SOLIDCHECK_"
                                      "WEBHOOK_MAX_ATTEMPTS: attempts of one delivery before "
                                      "it is logged failed (assumed: with the back-off below, "
                                      "about half an hour at most, a receiver's redeploy)")
    webhook_backoff_base_s: float = Field(default=5.0, gt=0, description="SOLIDCHECK_WEBHOOK_"
                                          "BACKOFF_BASE_S: the first retry waits up to this; "
                                          "each next up to twice as long (full jitter; "
                                          "assumed)")
    webhook_backoff_cap_s: float = Field(default=600.0, gt=0, description="SOLIDCHECK_"
                                         "WEBHOOK_BACKOFF_CAP_S: no retry waits longer "
                                         "(assumed: ten minutes)")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="SOLIDCHECK_WEBHOOK_"
                                     "TIMEOUT_S: seconds to connect and be answered; later is "
                                     "a failed attempt, tried again (assumed)")
    webhook_queue_max: int = Field(default=1000, ge=1, description="SOLIDCHECK_WEBHOOK_QUEUE_"
                                   "MAX: deliveries one target may have waiting; beyond, a "
                                   "change is logged dropped for it (assumed: a day of one "
                                   "busy network's alerts)")
    webhook_refresh_s: float = Field(default=5.0, gt=0, description="SOLIDCHECK_WEBHOOK_"
                                     "REFRESH_S: how soon a target added or removed at the "
                                     "command line is seen by a running server")

    # ------------------------------------------------------------- live alerts
    live_state_resolution_s: float = Field(
        default=60.0, gt=0, description="SOLIDCHECK_LIVE_STATE_RESOLUTION_S: how far a "
        "station's last-message time in the registry may lag (it is written when it moved "
        "this much, not on every heartbeat). Assumed: offline alerts use the exact time in "
        "memory; the table is for people and for a restart, and 60 s (the rule set's "
        "heartbeat interval) keeps it to one write a minute per station")
    sse_heartbeat_s: float = Field(
        default=15.0, gt=0, description="SOLIDCHECK_SSE_HEARTBEAT_S: a comment is sent on "
        "an idle alert stream this often. Assumed: well under the 60 s idle timeout of common "
        "reverse proxies (nginx proxy_read_timeout), so they keep the stream open")

    # ------------------------------------------------- the ports at risk (issue 18)
    risk_model: Path | None = Field(
        default=None, description="SOLIDCHECK_RISK_MODEL: the folder `solidcheck charging "
        "risk train -o` wrote; the monitoring page and GET /v1/charging/risk then rank the "
        "ports of the frame logs by risk (scored at start and after each UTC midnight). A "
        "pickle: set only a model you trained")
    risk_ports_shown: int | None = Field(
        default=None, ge=1, description="SOLIDCHECK_RISK_PORTS_SHOWN: how many ports the page "
        "and the API list; default the model's rule set's crew_ports_per_day (the ports a "
        "crew visits a day, [rules.risk_model])")
    risk_history_days: int = Field(
        default=35, ge=1, description="SOLIDCHECK_RISK_HISTORY_DAYS: the last day files of "
        "the frame logs read to score (fewer when the folder holds fewer). Assumed: the "
        "features' longest window (28 days) and a week for the trends' baselines")
    risk_max_log_mb: int = Field(
        default=1024, ge=1, description="SOLIDCHECK_RISK_MAX_LOG_MB: the most frame-log "
        "megabytes the server reads to score (they are held in memory, at about ten times "
        "their size); above it the page says so and how to score offline in buckets")

    @classmethod
    def from_env(cls) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("SOLIDCHECK_DATABASE_URL"),
            "public_reads": _env_bool("SOLIDCHECK_PUBLIC_READS", True),
        }
        proxies = os.environ.get("SOLIDCHECK_TRUSTED_PROXIES", "")
        values["trusted_proxies"] = tuple(p.strip() for p in proxies.split(",") if p.strip())
        for field, name in _ENV.items():
            if os.environ.get(name):  # pydantic turns the text into the field's type
                values[field] = os.environ[name]
        return cls(**values)
