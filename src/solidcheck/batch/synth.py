"""A seeded, realistic population of dossiers for benchmarks and demos.

Vectorised with numpy (about a second per million rows), so a 10-million-row table for the
benchmarks is made in seconds. Every row is a valid dossier. The rows are meant to exercise
the classifier where it matters: rates crowd both limits (0.5 % national, 1 % CSAE) and sit
exactly on them, and test conditions sit on and just outside their bounds, all as decimals
written the way a lab writes them (masses are whole steps of the balance's resolution).

The distributions (independent draws unless a line says on what it depends; shares are
probabilities, documented again in docs/batch.md and checked by the tests on 100 000 rows):

- declared phases: ``[liquid]`` 40 %, ``[solid, liquid]`` 25 %, ``[solid]`` 35 %
- solid type (rows with a solid phase): sulfide 30 %, oxide 30 %, polymer 15 %, halide 10 %,
  composite 10 %, other 5 %
- liquid fraction (wt %): liquid cells null 90 %, 100 10 %; hybrid cells null 30 %, else
  uniform 1.0–20.0; solid cells null 60 %, 0 35 %, uniform 0.1–5.0 5 % (a contradiction the
  classifier reports); 0.1 steps
- conducting ion: lithium 85 %, sodium 12 %, other 3 %
- application: null 30 %, high_energy 45 %, high_power 15 %, other 10 %
- ratings: present 70 %. 1C energy log-normal (median 150 Wh, σ 1) in [1, 5000] Wh, 0.1 Wh
  steps; power/energy ratio uniform 1.0–9.9 W/Wh 70 %, uniform 10.1–40.0 25 %, exactly 10
  (the high-power threshold) 5 %; power in 0.1 W steps
- manufacturer: null 10 %, else one of 12 fictional makers; model: null 20 %
- weight-loss test: present for solid cells 90 %, hybrid 50 %, liquid 5 %
- conditions (rows with a test): valid 90 % — temperature 118.0–122.0 °C in 0.1 steps
  (uniform, so both tolerance bounds occur), duration exactly 6 h 60 % else 6.1–8.0 h, pressure
  1–1000 Pa (whole Pa, uniform); invalid 10 %, one condition off (a third each): temperature
  100.0–117.9 or 122.1–140.0 °C, duration 2.0–5.9 h, pressure 1000.1 Pa (10 %) or 1001–20 000 Pa
- visible liquid: null 20 %; else true for liquid cells 95 %, hybrid 70 %, solid 3 %
- balance resolution: null 15 %, 0.01 mg 10 %, 0.1 mg 55 %, 1 mg 15 %, 10 mg 5 %
- specimens: 1 50 %, 2 20 %, 3 30 %; mass before uniform 5–80 g; masses whole steps of the
  resolution (0.1 mg when none is given)
- deciding rate (%), the largest specimen's, by declared phases:

  ============================  ======  ======  ======
  rate                          solid   hybrid  liquid
  ============================  ======  ======  ======
  uniform 0–0.45                35 %    —       —
  0.5 + N(0, 0.02)              20 %    10 %    —
  exactly 0.5                    5 %     2 %    —
  1.0 + N(0, 0.03)              15 %    10 %    —
  exactly 1.0                    5 %     3 %    —
  uniform 1.1–10 (solid),       17 %    75 %    100 %
  1.1–15 (hybrid), 5–30 (liquid)
  mass gain, uniform −0.05–0     3 %    —       —
  ============================  ======  ======  ======

  The deciding specimen is at a random place; the others lose less (rate − |N(0, 0.02)|,
  rounded down to the resolution), so a row "exactly at" a limit stays exactly at it.
- evidence: 2 % of rows with a test name a weighings file (random SHA-256)
- id: ``SYN-<seed>-<row, 10 digits>``, unique within a table

Rows are made in chunks of :data:`CHUNK_ROWS`, chunk *k* from ``SeedSequence([seed, k])``,
so a table is the same for a seed whatever the machine.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

from .table import DOSSIER_TABLE_SCHEMA, SPECIMEN_TYPE

__all__ = ["CHUNK_ROWS", "MAX_ROWS", "PHASE_SHARES", "synthesize", "synthesize_batches"]

CHUNK_ROWS = 1 << 18
"""Rows made from one random stream; fixed, so the output does not depend on batching."""
MAX_ROWS = 10**10 - 1
"""The most rows a table can have: the row number in an id has 10 digits."""

Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]
Bools = np.ndarray[Any, np.dtype[np.bool_]]

LIQUID, HYBRID, SOLID = 0, 1, 2
PHASE_SHARES = {"liquid": 0.40, "hybrid": 0.25, "solid": 0.35}
SOLID_TYPE_SHARES = {"sulfide": 0.30, "oxide": 0.30, "polymer": 0.15, "halide": 0.10,
                     "composite": 0.10, "other": 0.05}
ION_SHARES = {"lithium": 0.85, "sodium": 0.12, "other": 0.03}
APPLICATION_SHARES = {None: 0.30, "high_energy": 0.45, "high_power": 0.15, "other": 0.10}
RATINGS_SHARE = 0.70
TEST_SHARE = {LIQUID: 0.05, HYBRID: 0.50, SOLID: 0.90}
INVALID_CONDITIONS_SHARE = 0.10
VISIBLE_NULL_SHARE = 0.20
VISIBLE_TRUE_SHARE = {LIQUID: 0.95, HYBRID: 0.70, SOLID: 0.03}
RESOLUTION_SHARES_MG = {None: 0.15, 0.01: 0.10, 0.1: 0.55, 1.0: 0.15, 10.0: 0.05}
SPECIMEN_COUNT_SHARES = {1: 0.50, 2: 0.20, 3: 0.30}
EVIDENCE_SHARE = 0.02
MANUFACTURERS = ("Example Cells Co.", "Example Semi Co.", "Example Sodium Ltd.",
                 "Example Start-up Oy", "Acme Energy", "Northwind Batteries", "Contoso Power",
                 "Fabrikam Cells", "Tailspin Storage", "Litware Energy", "示例电池有限公司",
                 "固态示例科技")
# Rate clusters: (name, share by declared phases solid/hybrid/liquid).
RATE_CLUSTERS: dict[str, dict[int, float]] = {
    "below": {SOLID: 0.35, HYBRID: 0.0, LIQUID: 0.0},
    "near_0.5": {SOLID: 0.20, HYBRID: 0.10, LIQUID: 0.0},
    "at_0.5": {SOLID: 0.05, HYBRID: 0.02, LIQUID: 0.0},
    "near_1": {SOLID: 0.15, HYBRID: 0.10, LIQUID: 0.0},
    "at_1": {SOLID: 0.05, HYBRID: 0.03, LIQUID: 0.0},
    "above": {SOLID: 0.17, HYBRID: 0.75, LIQUID: 1.0},
    "gain": {SOLID: 0.03, HYBRID: 0.0, LIQUID: 0.0},
}
_ABOVE_HIGH_PERCENT = {SOLID: 10.0, HYBRID: 15.0, LIQUID: 30.0}


def synthesize(n: int, *, seed: int = 0, workers: int | None = None) -> pa.Table:
    """``n`` synthetic dossiers in :data:`~solidcheck.batch.table.DOSSIER_TABLE_SCHEMA`,
    the same for the same ``n`` and ``seed`` (distributions in the module docstring)."""
    batches = list(synthesize_batches(n, seed=seed, workers=workers))
    if not batches:
        return DOSSIER_TABLE_SCHEMA.empty_table()
    return pa.Table.from_batches(batches, schema=DOSSIER_TABLE_SCHEMA)


def synthesize_batches(n: int, *, seed: int = 0, workers: int | None = None,
                       ) -> Iterator[pa.RecordBatch]:
    """The rows of :func:`synthesize` in batches of at most :data:`CHUNK_ROWS`, in order.

    Chunks are made on ``workers`` threads (default: one per core; numpy and Arrow release
    the GIL), at most ``workers`` ahead of the consumer, so memory stays bounded for tables
    larger than memory. The rows do not depend on ``workers``.
    """
    if n < 0:
        raise ValueError(f"the number of rows must be at least 0, got {n}")
    if seed < 0:
        raise ValueError(f"the seed must be at least 0, got {seed}")
    if n > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS} rows (ids have 10 digits), got {n}")
    starts = range(0, n, CHUNK_ROWS)
    workers = max(1, min(workers or os.cpu_count() or 1, len(starts)))
    if workers == 1:
        for chunk, start in enumerate(starts):
            yield _seeded_chunk(seed, chunk, start, n)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synth") as pool:
        pending: deque[Future[pa.RecordBatch]] = deque()
        for chunk, start in enumerate(starts):
            pending.append(pool.submit(_seeded_chunk, seed, chunk, start, n))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _seeded_chunk(seed: int, chunk: int, start: int, n: int) -> pa.RecordBatch:
    rng = np.random.default_rng(np.random.SeedSequence([seed, chunk]))
    return _chunk(rng, start=start, rows=min(CHUNK_ROWS, n - start), seed=seed)


_SHARE_STEPS = 10_000  # shares are drawn to 0.01 %


def _lookup(shares: Sequence[float]) -> Ints:
    """A table of :data:`_SHARE_STEPS` category indices, each as often as its share: indexing
    it with uniform integers draws categories (one gather, much faster than a search)."""
    counts = np.rint(np.asarray(shares, dtype=np.float64) * _SHARE_STEPS).astype(np.int64)
    counts[-1] = _SHARE_STEPS - counts[:-1].sum()
    if counts.min() < 0:
        raise ValueError(f"shares {list(shares)} do not add up to 1")
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _choice(rng: np.random.Generator, shares: Sequence[float], rows: int) -> Ints:
    """Category indices drawn with these shares."""
    return _lookup(shares)[_uniform_steps(rng, rows)]


def _uniform_steps(rng: np.random.Generator, rows: int) -> Ints:
    """Uniform integers in [0, _SHARE_STEPS) (from doubles: twice as fast as integers())."""
    return (rng.random(rows) * _SHARE_STEPS).astype(np.int64)


def _steps(rng: np.random.Generator, low: int, high: int, rows: int) -> Ints:
    """Whole numbers uniform in [low, high] (values are then scaled to decimal steps)."""
    return rng.integers(low, high + 1, size=rows, dtype=np.int64)


def _strings(values: Sequence[str | None], index: Ints, *,
             null: Bools | None = None) -> pa.Array:
    """``values[index]`` as an Arrow string array; ``None`` entries and ``null`` rows are
    null."""
    valid = np.array([v is not None for v in values])[index]
    if null is not None:
        valid &= ~null
    dictionary = pa.array([v if v is not None else "" for v in values], pa.string())
    # int32 indices: Arrow gathers strings three times faster than with int64
    return dictionary.take(pa.array(index.astype(np.int32), mask=~valid))


def _decimal(units: Ints, per_unit: float | Ints, *, null: Bools | None = None) -> pa.Array:
    """Whole counts of a decimal step as float64 (count / steps-per-unit, correctly rounded,
    so the written decimal is exactly count × step)."""
    values = units / per_unit
    return pa.array(values, pa.float64(), mask=null)


def _chunk(rng: np.random.Generator, *, start: int, rows: int, seed: int) -> pa.RecordBatch:
    n = rows
    phases_kind = _choice(rng, list(PHASE_SHARES.values()), n)
    solid, hybrid, liquid = phases_kind == SOLID, phases_kind == HYBRID, phases_kind == LIQUID

    columns: dict[str, pa.Array] = {}
    columns["id"] = _ids(seed, start, n)
    maker = _choice(rng, [0.10] + [0.90 / len(MANUFACTURERS)] * len(MANUFACTURERS), n)
    columns["manufacturer"] = _strings((None, *MANUFACTURERS), maker)
    columns["model"] = _strings(_MODELS, _steps(rng, 0, len(_MODELS) - 1, n),
                                null=rng.random(n) < 0.20)

    columns["electrolyte.phases"] = _phases(phases_kind)
    solid_type = _choice(rng, list(SOLID_TYPE_SHARES.values()), n)
    columns["electrolyte.solid_type"] = _strings(tuple(SOLID_TYPE_SHARES), solid_type,
                                                 null=liquid)
    columns["electrolyte.liquid_fraction_wt_percent"] = _liquid_fraction(rng, phases_kind)
    columns["conducting_ion"] = _strings(tuple(ION_SHARES), _choice(
        rng, list(ION_SHARES.values()), n))
    columns["application"] = _strings(tuple(APPLICATION_SHARES), _choice(
        rng, list(APPLICATION_SHARES.values()), n))
    power, energy = _ratings(rng, n)
    columns["ratings.max_power_w"] = power
    columns["ratings.energy_1c_wh"] = energy

    test_share = np.select([liquid, hybrid, solid], [TEST_SHARE[LIQUID], TEST_SHARE[HYBRID],
                                                     TEST_SHARE[SOLID]])
    has_test = rng.random(n) < test_share
    no_test = ~has_test
    temperature, duration, pressure = _conditions(rng, n)
    columns["weight_loss_test.temperature_c"] = _decimal(temperature, 10, null=no_test)
    columns["weight_loss_test.duration_h"] = _decimal(duration, 10, null=no_test)
    columns["weight_loss_test.pressure_pa"] = _decimal(pressure, 10, null=no_test)
    visible_true = rng.random(n) < np.select(
        [liquid, hybrid, solid], [VISIBLE_TRUE_SHARE[k] for k in (LIQUID, HYBRID, SOLID)])
    visible_null = no_test | (rng.random(n) < VISIBLE_NULL_SHARE)
    columns["weight_loss_test.visible_liquid"] = pa.array(visible_true, pa.bool_(),
                                                          mask=visible_null)
    resolutions = list(RESOLUTION_SHARES_MG)
    resolution = _choice(rng, list(RESOLUTION_SHARES_MG.values()), n)
    resolution_mg = np.array([r if r is not None else 0.1 for r in resolutions])[resolution]
    resolution_null = np.array([r is None for r in resolutions])[resolution] | no_test
    columns["weight_loss_test.balance_resolution_mg"] = pa.array(
        resolution_mg, pa.float64(), mask=resolution_null)
    # steps of the balance per gram, as integers: 0.01 mg → 100 000
    steps_per_g = np.rint(1000.0 / resolution_mg).astype(np.int64)
    columns["weight_loss_test.specimens"] = _specimens(rng, phases_kind, has_test, steps_per_g)
    columns["evidence"] = _evidence(rng, columns["id"], has_test & (rng.random(n)
                                                                     < EVIDENCE_SHARE))
    return pa.RecordBatch.from_pydict(columns, schema=DOSSIER_TABLE_SCHEMA)


_MODELS = tuple(f"{series}-{number}" for series in ("S", "P", "HE", "NA", "X")
                for number in range(10, 1000))
_DIGITS = 10


def _ids(seed: int, start: int, rows: int) -> pa.Array:
    """``SYN-<seed>-<row>`` with the row in 10 digits: all the same length, so the string
    buffer is written directly as bytes."""
    prefix = np.frombuffer(f"SYN-{seed}-".encode(), dtype=np.uint8)
    width = len(prefix) + _DIGITS
    data = np.empty((rows, width), dtype=np.uint8)
    data[:, : len(prefix)] = prefix
    row = np.arange(start, start + rows, dtype=np.int64)
    for place in range(_DIGITS):
        data[:, width - 1 - place] = ord("0") + row // 10**place % 10
    offsets = np.arange(rows + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def _phases(kind: Ints) -> pa.Array:
    """``[liquid]``, ``[solid, liquid]`` or ``[solid]`` per row, as a list array."""
    lengths = np.where(kind == HYBRID, 2, 1)
    offsets = np.zeros(len(kind) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    tokens = np.zeros(int(offsets[-1]), dtype=np.int64)  # 0 solid, 1 liquid
    tokens[offsets[:-1]] = np.where(kind == LIQUID, 1, 0)
    tokens[offsets[:-1][kind == HYBRID] + 1] = 1
    values = pa.array(["solid", "liquid"]).take(pa.array(tokens.astype(np.int32)))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _liquid_fraction(rng: np.random.Generator, kind: Ints) -> pa.Array:
    n = len(kind)
    draw = rng.random(n)
    tenths = np.zeros(n, dtype=np.int64)
    null = np.zeros(n, dtype=bool)
    liquid, hybrid, solid = kind == LIQUID, kind == HYBRID, kind == SOLID
    null[liquid] = draw[liquid] < 0.90
    tenths[liquid] = 1000
    null[hybrid] = draw[hybrid] < 0.30
    tenths[hybrid] = _steps(rng, 10, 200, n)[hybrid]
    null[solid] = draw[solid] < 0.60
    contradiction = solid & (draw >= 0.95)
    tenths[contradiction] = _steps(rng, 1, 50, n)[contradiction]
    return _decimal(tenths, 10, null=null)


def _ratings(rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array]:
    absent = rng.random(n) >= RATINGS_SHARE
    energy_wh = np.clip(rng.lognormal(np.log(150.0), 1.0, n), 1.0, 5000.0)
    energy_tenths = np.rint(energy_wh * 10).astype(np.int64)
    ratio_kind = _choice(rng, [0.70, 0.25, 0.05], n)
    ratio_tenths = np.select([ratio_kind == 0, ratio_kind == 1],
                             [_steps(rng, 10, 99, n), _steps(rng, 101, 400, n)], 100)
    # power (0.1 W steps) = energy × ratio; exact when the ratio is exactly 10
    power_tenths = (energy_tenths * ratio_tenths + 5) // 10
    return _decimal(power_tenths, 10, null=absent), _decimal(energy_tenths, 10, null=absent)


def _conditions(rng: np.random.Generator, n: int) -> tuple[Ints, Ints, Ints]:
    """Temperature, duration and pressure in tenths (°C, h, Pa)."""
    temperature = 1200 + _steps(rng, -20, 20, n)
    duration = np.where(rng.random(n) < 0.60, 60, _steps(rng, 61, 80, n))
    pressure = _steps(rng, 1, 1000, n) * 10
    invalid = rng.random(n) < INVALID_CONDITIONS_SHARE
    which = _steps(rng, 0, 2, n)
    cold = rng.random(n) < 0.5
    bad_temperature = np.where(cold, _steps(rng, 1000, 1179, n), _steps(rng, 1221, 1400, n))
    bad_duration = _steps(rng, 20, 59, n)
    bad_pressure = np.where(rng.random(n) < 0.10, 10001, _steps(rng, 1001, 20000, n) * 10)
    temperature = np.where(invalid & (which == 0), bad_temperature, temperature)
    duration = np.where(invalid & (which == 1), bad_duration, duration)
    pressure = np.where(invalid & (which == 2), bad_pressure, pressure)
    return temperature, duration, pressure


def _deciding_rate(rng: np.random.Generator, kind: Ints) -> tuple[Floats, Ints]:
    """The deciding rate (%) per row and the exact denominator (200 for 0.5 %, 100 for 1 %,
    0 when not exact)."""
    n = len(kind)
    names = list(RATE_CLUSTERS)
    tables = np.stack([_lookup([RATE_CLUSTERS[c][k] for c in names]) for k in (0, 1, 2)])
    cluster = tables[kind, _uniform_steps(rng, n)]
    # rate = offset + width × U(0, 1) + spread × N(0, 1), per (declared phases, cluster)
    offset = np.zeros((3, len(names)))
    width = np.zeros((3, len(names)))
    spread = np.zeros((3, len(names)))
    for k in (LIQUID, HYBRID, SOLID):
        low = 5.0 if k == LIQUID else 1.1
        for name, (o, w, s) in {
            "below": (0.0, 0.45, 0.0), "near_0.5": (0.5, 0.0, 0.02), "at_0.5": (0.5, 0.0, 0.0),
            "near_1": (1.0, 0.0, 0.03), "at_1": (1.0, 0.0, 0.0),
            "above": (low, _ABOVE_HIGH_PERCENT[k] - low, 0.0), "gain": (-0.05, 0.05, 0.0),
        }.items():
            i = names.index(name)
            offset[k, i], width[k, i], spread[k, i] = o, w, s
    rate = (offset[kind, cluster] + width[kind, cluster] * rng.random(n)
            + spread[kind, cluster] * rng.standard_normal(n))
    denominators = np.zeros(len(names), dtype=np.int64)
    denominators[names.index("at_0.5")] = 200
    denominators[names.index("at_1")] = 100
    return rate, denominators[cluster]


def _specimens(rng: np.random.Generator, kind: Ints, has_test: Bools,
               steps_per_g: Ints) -> pa.Array:
    n = len(kind)
    count = _choice(rng, list(SPECIMEN_COUNT_SHARES.values()), n) + 1
    lengths = np.where(has_test, count, 0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    parent = np.repeat(np.arange(n), lengths)
    place = np.arange(total) - offsets[:-1][parent]
    rate, exact = _deciding_rate(rng, kind)
    deciding = (rng.random(n) * count).astype(np.int64)  # the deciding specimen's place
    is_deciding = place == deciding[parent]

    steps = steps_per_g[parent]
    before = np.rint(rng.uniform(5.0, 80.0, total) * steps).astype(np.int64)
    denominator = exact[parent]
    exact_spec = is_deciding & (denominator > 0)
    safe = np.where(exact_spec, denominator, 1)
    # a mass whose 0.5 % (1 %) is a whole number of balance steps
    before = np.where(exact_spec, np.maximum(np.rint(before / safe), 1).astype(np.int64) * safe,
                      before)
    specimen_rate = rate[parent] - np.where(is_deciding, 0.0,
                                            np.abs(rng.normal(0.0, 0.02, total)))
    loss = np.where(is_deciding, np.rint(before * specimen_rate / 100.0),
                    np.floor(before * specimen_rate / 100.0)).astype(np.int64)
    loss = np.where(exact_spec, before // safe, loss)
    after = before - loss
    no_ids = pa.nulls(total, pa.string())  # synthetic specimens are numbered, not named
    values = pa.StructArray.from_arrays([no_ids, _decimal(before, steps), _decimal(after, steps)],
                                        fields=list(SPECIMEN_TYPE))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values,
                                    mask=pa.array(~has_test))


def _evidence(rng: np.random.Generator, ids: pa.Array, chosen: Bools) -> pa.Array:
    """A weighings-file entry for the chosen rows (JSON text, as the table keeps it)."""
    rows = np.flatnonzero(chosen)
    digest = rng.integers(0, 256, size=(len(rows), 32), dtype=np.uint8)
    hex_pairs = np.frombuffer(b"".join(f"{b:02x}".encode() for b in range(256)),
                              dtype=np.uint8).reshape(256, 2)
    sha = [text.decode() for text in hex_pairs[digest].reshape(len(rows), 64).view("S64")[:, 0]]
    size = _steps(rng, 80, 5000, len(rows))
    chosen_ids = ids.take(pa.array(rows)).to_pylist()
    texts = [f'[{{"kind": "weighings", "file": "weighings-{cell}.csv", "sha256": "{digest_hex}", '
             f'"size_bytes": {size_bytes}, "format": "weighings-csv", '
             f'"fields": ["weight_loss_test.specimens"]}}]'
             for cell, digest_hex, size_bytes in zip(chosen_ids, sha, size.tolist(), strict=True)]
    index = np.full(len(chosen), -1, dtype=np.int64)
    index[rows] = np.arange(len(rows))
    return pa.array(texts, pa.string()).take(pa.array(index.astype(np.int32), mask=index < 0))
