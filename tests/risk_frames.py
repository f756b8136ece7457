"""Seeded port-day feature and label frames in the contract of charging/risk/features.py and
labels.py, with a known truth: with ``signal``, ``cadence_drift`` and ``temp_max_c`` climb in
the days before each failure; without, every feature is noise (but ``faults_7d``, which counts
past failures)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from solidcheck.charging.risk.rules import RiskModelRule
from solidcheck.charging.rules import charging_ruleset_by_id

FEATURES = ("faults_7d", "failed_starts_7d", "cadence_drift", "temp_max_c", "reboots_7d",
            "noise_a", "noise_b")
CATEGORICAL = ("vendor", "model", "firmware")
START = date(2026, 1, 1)


def frames(*, ports: int = 120, days: int = 150, operators: int = 2, seed: int = 0,
           signal: bool = True, hazard: float = 0.012, lead_days: int = 4,
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features, labels): one row per port and day; failures at a random hour."""
    rng = np.random.default_rng(seed)
    failed = rng.random((ports, days)) < hazard
    hours = rng.integers(0, 24, (ports, days))
    drift = rng.normal(0.0, 1.0, (ports, days))
    temp = rng.normal(40.0, 4.0, (ports, days))
    if signal:  # the precursor: ramps up over lead_days before each failure
        for ahead in range(1, lead_days + 1):
            ramp = np.zeros_like(drift)
            ramp[:, :-ahead] = failed[:, ahead:] * (lead_days + 1 - ahead)
            drift += 1.2 * ramp
            temp += 2.0 * ramp
    cumulative = np.cumsum(failed, axis=1)
    shifted = np.concatenate([np.zeros((ports, 7), dtype=np.int64), cumulative], axis=1)
    faults_7d = cumulative - shifted[:, :days]
    port = np.repeat(np.arange(ports), days)
    day = np.tile(np.arange(days), ports)
    vendor = np.array(["ABB", "Star", "TELD"])[np.arange(ports) % 3]
    features = pl.DataFrame({
        "port_id": [f"P{p:05d}" for p in port],
        "station_id": [f"S{p // 4:04d}" for p in port],
        "operator": [f"op{p % operators}" for p in port],
        "day": [START + timedelta(days=int(d)) for d in day],
        "faults_7d": faults_7d.ravel().astype(np.float64),
        "failed_starts_7d": rng.poisson(2.0, ports * days).astype(np.float64),
        "cadence_drift": drift.ravel(),
        "temp_max_c": temp.ravel(),
        "reboots_7d": rng.poisson(0.5, ports * days).astype(np.float64),
        "noise_a": rng.normal(size=ports * days),
        "noise_b": rng.random(ports * days),
        "vendor": vendor[port],
        "model": [f"M{p % 5}" for p in port],
        "firmware": [f"1.{p % 2}" for p in port],
    }).with_columns(pl.col("day").cast(pl.Date))
    return features, labels_of(failed, hours, ports=ports, days=days)


def labels_of(failed: np.ndarray, hours: np.ndarray, *, ports: int, days: int
              ) -> pl.DataFrame:
    """label_24h: a failure the next day; label_7d: within the next 7; null past the data."""
    rows = []
    epoch = datetime(START.year, START.month, START.day, tzinfo=UTC)
    for p in range(ports):
        when = [epoch + timedelta(days=int(d), hours=int(hours[p, d]))
                for d in np.flatnonzero(failed[p])]
        for d in range(days):
            ahead = [t for t in when if t >= epoch + timedelta(days=d + 1)]
            nxt = ahead[0] if ahead else None
            gap = (nxt - epoch).days - d if nxt else None
            rows.append((f"P{p:05d}", START + timedelta(days=d),
                         None if d + 1 >= days else gap == 1,
                         None if d + 7 >= days else gap is not None and gap <= 7, nxt))
    return pl.DataFrame(rows, orient="row", schema={
        "port_id": pl.String, "day": pl.Date, "label_24h": pl.Boolean, "label_7d": pl.Boolean,
        "next_failure_at": pl.Datetime("us", "UTC")})


def quick_rule() -> RiskModelRule:
    """The white paper's risk-model rule with fewer boosting rounds: the tests' models train
    in seconds and still find a planted precursor."""
    found = charging_ruleset_by_id("cn-alliance-wp-2026").rules.risk_model
    assert found is not None
    return found.model_copy(update={"boosting_rounds": 60})
