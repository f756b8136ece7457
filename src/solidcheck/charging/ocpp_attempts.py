"""Charge attempts from OCPP: one row per transaction, plus one per authorisation or remote
start that never became a transaction (a failed attempt, as ChargeX counts it).

What is counted (docs/charging.md, "Charge success"):

* a transaction is every ``transaction_id`` of a station in ``transaction_events``
  (1.6 Start/StopTransaction, 2.x TransactionEvent);
* an ``Authorize`` (station → central system) or a ``RequestStartTransaction`` /
  ``RemoteStartTransaction`` (central system → station) binds to the transaction of the same
  station whose first event carrying the same idToken follows it within the rule set's
  ``authorize_binding`` window; one that binds to none is a failed attempt;
* power delivery is the first 2.x event with ``chargingState = Charging``; 1.6 has no charging
  state in its transactions, so there it is the port's first ``Charging`` status during the
  transaction.

Times of the sequence (plug-in, authorisation, power delivery) are the central system's log
clock (``logged_ts``), the clock the Authorize frames have too, so their differences are not
mixed clocks; start and end are the events' own times.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

import polars as pl
import pyarrow as pa

__all__ = ["START_MODES", "ocpp_attempts"]

#: ChargeX's four start modes (docs/charging.md)
START_MODES: Final = ("plug_in_first", "authorize_first", "remote", "local")

_AUTHORIZE: Final = "Authorize"
_REMOTE: Final = ("RequestStartTransaction", "RemoteStartTransaction")
#: OCPP 1.6 StopTransaction.reason and 2.x stoppedReason "MAY only be omitted when the
#: Reason is Local" (both specifications)
_OMITTED_STOP_REASON: Final = "Local"
_US: Final = 1_000_000


def _token_hash(token: Any) -> str | None:
    # the same 16 hex digits as the canonical transaction_events.id_token_sha256
    if not token:
        return None
    return hashlib.sha256(str(token).encode()).hexdigest()[:16]


def _payload_token(payload: str | None) -> str | None:
    try:
        data = json.loads(payload or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    token = data.get("idToken")
    if isinstance(token, dict):  # 2.x IdTokenType
        token = token.get("idToken")
    return _token_hash(token if token is not None else data.get("idTag"))


def _requests(frames: pa.Table | None) -> pl.DataFrame:
    """Authorize and remote-start CALLs: station_id, ts, token, kind."""
    ts: pl.DataType = pl.Datetime("ms", "UTC")
    text: pl.DataType = pl.String()
    schema = pl.Schema({"station_id": text, "req_ts": ts, "token": text, "req_kind": text,
                        "source": text, "line": pl.Int64()})
    if frames is None or frames.num_rows == 0:
        return pl.DataFrame(schema=schema)
    df = pl.from_arrow(frames)
    assert isinstance(df, pl.DataFrame)
    calls = df.filter((pl.col("message_type") == "call") & (
        ((pl.col("action") == _AUTHORIZE) & (pl.col("direction") == "in"))
        | (pl.col("action").is_in(_REMOTE) & (pl.col("direction") == "out"))))
    return pl.DataFrame({
        "station_id": calls["charge_point_id"],
        "req_ts": calls["ts"],
        "token": [_payload_token(p) for p in calls["payload"].to_list()],
        "req_kind": pl.Series(["authorize" if a == _AUTHORIZE else "remote"
                               for a in calls["action"].to_list()], dtype=pl.String),
        "source": calls["source"], "line": calls["line"]}, schema=schema)


def _transactions(events: pl.DataFrame) -> pl.DataFrame:
    """One row per (station, transaction) whose start is in the data: its times, energy,
    stop reason and clues. A transaction seen only from its middle (started before the log
    begins) has no known start, so it is not an attempt of any period."""
    tx = events.filter(pl.col("transaction_id").is_not_null()).with_columns(
        pl.col("ts").fill_null(pl.col("logged_ts")).alias("ts"))
    ended = pl.col("event") == "ended"
    energy = pl.col("energy_wh").drop_nulls()
    return tx.sort("logged_ts").group_by("station_id", "transaction_id").agg(
        pl.col("port_id").drop_nulls().first().alias("port_id"),
        pl.col("ts").min().alias("start"),
        pl.col("ts").filter(ended).max().alias("end"),
        pl.when(energy.len() >= 2).then((energy.max() - energy.min()) / 1000)
        .alias("energy_kwh"),
        pl.when(ended.any()).then(pl.col("stopped_reason").filter(ended).drop_nulls().first()
                                  .fill_null(_OMITTED_STOP_REASON)).alias("stop_reason"),
        pl.col("logged_ts").filter((pl.col("trigger_reason") == "CablePluggedIn")
                                   | (pl.col("charging_state") == "EVConnected"))
        .min().alias("plug_in_ts"),
        pl.col("logged_ts").filter(pl.col("charging_state") == "Charging").min()
        .alias("charging_ts"),
        pl.col("logged_ts").filter(pl.col("id_token_sha256").is_not_null()).min()
        .alias("token_ts"),
        pl.col("id_token_sha256").drop_nulls().first().alias("token"),
        (pl.col("trigger_reason") == "RemoteStart").any().alias("remote_trigger"),
        (pl.col("trigger_reason") == "StartTransaction").any().alias("ocpp16"),
        pl.col("logged_ts").min().alias("first_logged"),
        pl.col("logged_ts").max().alias("last_logged"),
        pl.col("source").first(), pl.col("line").min(),
        (pl.col("event") == "started").any().alias("_started"),
    ).filter(pl.col("_started")).drop("_started")


def _charging_statuses_16(tx: pl.DataFrame, port_events: pa.Table | None) -> pl.DataFrame:
    """1.6: the first Charging status of the port after the transaction started (and
    before it ended)."""
    if port_events is None or port_events.num_rows == 0:
        return tx.with_columns(pl.lit(None, pl.Datetime("ms", "UTC")).alias("status_ts"))
    pe = pl.from_arrow(port_events)
    assert isinstance(pe, pl.DataFrame)
    charging = (pe.filter(pl.col("raw_status") == "Charging")
                .select("port_id", pl.col("logged_ts").alias("status_ts"))
                .drop_nulls().sort("status_ts"))
    left = tx.with_row_index("_row").sort("first_logged")
    joined = left.join_asof(charging, left_on="first_logged", right_on="status_ts",
                            by="port_id", strategy="forward", check_sortedness=False)
    # a status after the transaction's last event belongs to a later one
    joined = joined.with_columns(
        pl.when(pl.col("status_ts") <= pl.col("last_logged"))
        .then(pl.col("status_ts")).alias("status_ts"))
    return joined.sort("_row").drop("_row")


def _bind(requests: pl.DataFrame, tx: pl.DataFrame, window_s: float) -> pl.DataFrame:
    """Each request with the transaction it binds to (null: a failed attempt)."""
    targets = (tx.filter(pl.col("token").is_not_null())
               .select("station_id", "token", "transaction_id", pl.col("token_ts"))
               .sort("token_ts"))
    left = requests.filter(pl.col("token").is_not_null()).sort("req_ts")
    bound = left.join_asof(targets, left_on="req_ts", right_on="token_ts",
                           by=["station_id", "token"], strategy="forward", check_sortedness=False,
                           tolerance=timedelta(microseconds=round(window_s * _US)))
    tokenless = requests.filter(pl.col("token").is_null()).with_columns(
        pl.lit(None, pl.String).alias("transaction_id"),
        pl.lit(None, pl.Datetime("ms", "UTC")).alias("token_ts"))
    return pl.concat([bound, tokenless.select(bound.columns)])


def ocpp_attempts(tables: Mapping[str, pa.Table], *, window_s: float) -> pl.DataFrame:
    """The OCPP attempts, before the period cut and the success rules (see the module)."""
    events_table = tables.get("transaction_events")
    requests = _requests(tables.get("frames"))
    if events_table is not None and events_table.num_rows:
        events = pl.from_arrow(events_table)
        assert isinstance(events, pl.DataFrame)
        tx = _charging_statuses_16(_transactions(events), tables.get("port_events"))
    else:
        tx = pl.DataFrame()
    if tx.is_empty() and requests.is_empty():
        return pl.DataFrame()
    bound = _bind(requests, tx, window_s) if not tx.is_empty() else (
        requests.with_columns(pl.lit(None, pl.String).alias("transaction_id")))
    per_tx = (bound.filter(pl.col("transaction_id").is_not_null())
              .group_by("station_id", "transaction_id").agg(
                  pl.col("req_ts").filter(pl.col("req_kind") == "authorize").max()
                  .alias("authorize_ts"),
                  pl.col("req_ts").filter(pl.col("req_kind") == "remote").max()
                  .alias("remote_ts")))
    rows = [_transaction_rows(tx, per_tx)] if not tx.is_empty() else []
    failed = _stop_authorisations_dropped(bound.filter(pl.col("transaction_id").is_null()), tx)
    if not failed.is_empty():
        rows.append(_failed_rows(failed))
    return pl.concat(rows, how="diagonal_relaxed")


def _stop_authorisations_dropped(failed: pl.DataFrame, tx: pl.DataFrame) -> pl.DataFrame:
    """An Authorize sent while a transaction of the same token runs on the station is the
    driver stopping it (a card shown to end the charge), not a new attempt."""
    if failed.is_empty() or tx.is_empty():
        return failed
    running = (tx.filter(pl.col("token").is_not_null())
               .select("station_id", "token", "first_logged", "last_logged"))
    stops = (failed.with_row_index("_req").join(running, on=["station_id", "token"])
             .filter((pl.col("req_kind") == "authorize")
                     & (pl.col("req_ts") >= pl.col("first_logged"))
                     & (pl.col("req_ts") <= pl.col("last_logged")))["_req"].unique())
    return (failed.with_row_index("_req").filter(~pl.col("_req").is_in(stops.to_list()))
            .drop("_req"))


def _transaction_rows(tx: pl.DataFrame, per_tx: pl.DataFrame) -> pl.DataFrame:
    df = tx.join(per_tx, on=["station_id", "transaction_id"], how="left")
    remote = pl.col("remote_ts").is_not_null() | pl.col("remote_trigger")
    authorised = pl.coalesce("remote_ts", "authorize_ts", "token_ts")
    mode = (pl.when(remote).then(pl.lit("remote"))
            .when(pl.col("authorize_ts").is_not_null()).then(
                pl.when(pl.col("plug_in_ts").is_null()
                        | (pl.col("authorize_ts") <= pl.col("plug_in_ts")))
                .then(pl.lit("authorize_first")).otherwise(pl.lit("plug_in_first")))
            .when(pl.col("token_ts").is_not_null()).then(pl.lit("local"))
            .otherwise(pl.lit("plug_in_first")))
    delivered = pl.when(pl.col("ocpp16")).then(pl.col("status_ts")).otherwise(
        pl.col("charging_ts"))
    return df.select(
        pl.lit("ocpp").alias("kind"), "station_id", "port_id",
        pl.col("transaction_id").alias("session_id"), "start",
        "plug_in_ts", authorised.alias("authorised_ts"),
        delivered.alias("power_delivered_ts"), "end",
        ((pl.col("end") - pl.col("start")).dt.total_microseconds() / _US).alias("duration_s"),
        "energy_kwh", "stop_reason", mode.alias("start_mode"),
        pl.lit(True).alias("is_session"), "source", "line",
        pl.col("token").alias("id_token_sha256"),
        # a 1.6 log without the Charging status still shows power by its registers
        (delivered.is_not_null() | (pl.col("ocpp16") & (pl.col("energy_kwh") > 0)))
        .fill_null(False).alias("power_delivered"),
    ).with_columns(
        ((pl.col("power_delivered_ts") - pl.coalesce("authorised_ts", "plug_in_ts"))
         .dt.total_microseconds() / _US).alias("charge_start_time_s"))


def _failed_rows(failed: pl.DataFrame) -> pl.DataFrame:
    return failed.select(
        pl.lit("ocpp").alias("kind"), "station_id", pl.lit(None, pl.String).alias("port_id"),
        pl.lit(None, pl.String).alias("session_id"), pl.col("req_ts").alias("start"),
        pl.col("req_ts").alias("authorised_ts"),
        pl.when(pl.col("req_kind") == "remote").then(pl.lit("remote"))
        .otherwise(pl.lit("authorize_first")).alias("start_mode"),
        pl.lit(False).alias("is_session"), pl.lit(False).alias("power_delivered"),
        "source", "line", pl.col("token").alias("id_token_sha256"))
