"""The input columns: a dossier table read into the numpy arrays the decision works on, and
the rows that may not be valid dossiers found on those columns (then validated as dossiers,
so the Dossier model stays the one definition of a valid dossier)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import DossierError, Problem
from ...model import APPLICATIONS, IONS, MAX_SPECIMENS, SOLID_TYPES
from .._exact import Bools, Floats, Ints
from ..table import MAX_REPORTED_ROWS, capped, conform, table_to_dossiers

__all__ = ["Rows", "invalid_rows", "list_offsets", "table_problems"]


def _floats(column: pa.ChunkedArray | pa.Array) -> tuple[Floats, Bools]:
    """A float column as values (NaN where null) and validity."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    values = pc.fill_null(array.cast(pa.float64()), math.nan).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64), np.asarray(valid, dtype=bool)


def _codes(column: pa.ChunkedArray, values: Sequence[str]) -> Ints:
    """A string column as the index of each value in ``values``, -1 where null."""
    index = pc.index_in(column.combine_chunks(), value_set=pa.array(list(values)))
    return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def list_offsets(lengths: Ints) -> Ints:
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class Rows:
    """The columns the decision reads, as numpy arrays (one entry per row, or per specimen
    for ``m0``/``m1``, whose row is ``parent``)."""

    n: int
    ids: pa.Array
    solid_only: Bools          # phases == {solid}
    liquid_only: Bools
    just_solid: Bools          # phases == ["solid"], as classify's declaration check reads it
    phases_ok: Bools           # 1–2 phases, each solid or liquid, none twice
    solids: Ints               # how often "solid" is among the phases
    solid_type: Ints
    ion: Ints
    application: Ints          # index in APPLICATIONS, -1 when not declared
    fraction: Floats
    power: Floats
    energy: Floats
    rated: Bools
    tested: Bools
    temperature: Floats
    duration: Floats
    pressure: Floats
    seen_liquid: Bools         # visible_liquid is True
    not_inspected: Bools       # visible_liquid is null
    resolution: Floats
    resolved: Bools            # balance_resolution_mg given
    count: Ints
    offsets: Ints
    parent: Ints
    place: Ints                # 0-based place of the specimen in its row
    m0: Floats
    m1: Floats

    @classmethod
    def read(cls, table: pa.Table) -> Rows:
        n = table.num_rows
        phases = table.column("electrolyte.phases").combine_chunks()
        lengths = np.asarray(pc.fill_null(pc.list_value_length(phases), 0)
                             .to_numpy(zero_copy_only=False), dtype=np.int64)
        flat = phases.flatten()
        phase_parent = np.repeat(np.arange(n), lengths)
        solids = np.bincount(phase_parent[_is(flat, "solid")], minlength=n)
        liquids = np.bincount(phase_parent[_is(flat, "liquid")], minlength=n)
        has_solid, has_liquid = solids > 0, liquids > 0

        fraction, _ = _floats(table.column("electrolyte.liquid_fraction_wt_percent"))
        power, rated = _floats(table.column("ratings.max_power_w"))
        energy, _ = _floats(table.column("ratings.energy_1c_wh"))
        temperature, tested = _floats(table.column("weight_loss_test.temperature_c"))
        duration, _ = _floats(table.column("weight_loss_test.duration_h"))
        pressure, _ = _floats(table.column("weight_loss_test.pressure_pa"))
        resolution, resolved = _floats(table.column("weight_loss_test.balance_resolution_mg"))
        visible = table.column("weight_loss_test.visible_liquid").combine_chunks()
        seen = np.asarray(pc.fill_null(visible, False).to_numpy(zero_copy_only=False), bool)
        not_inspected = np.asarray(visible.is_null().to_numpy(zero_copy_only=False), bool)

        specimens = table.column("weight_loss_test.specimens").combine_chunks()
        count = np.asarray(pc.fill_null(pc.list_value_length(specimens), 0)
                           .to_numpy(zero_copy_only=False), dtype=np.int64)
        offsets = list_offsets(count)  # a valid row has specimens exactly when it has a test
        parent = np.repeat(np.arange(n), count)
        structs = specimens.flatten()
        m0, _ = _floats(structs.field("mass_before_g"))
        m1, _ = _floats(structs.field("mass_after_g"))
        return cls(
            n=n, ids=table.column("id").combine_chunks().cast(pa.string()),
            solid_only=has_solid & ~has_liquid, liquid_only=has_liquid & ~has_solid,
            just_solid=has_solid & ~has_liquid & (lengths == 1),
            phases_ok=(lengths >= 1) & (solids <= 1) & (liquids <= 1)
            & (solids + liquids == lengths), solids=solids,
            solid_type=_codes(table.column("electrolyte.solid_type"), SOLID_TYPES),
            ion=_codes(table.column("conducting_ion"), IONS),
            application=_codes(table.column("application"), APPLICATIONS),
            fraction=fraction, power=power, energy=energy, rated=rated, tested=tested,
            temperature=temperature, duration=duration, pressure=pressure,
            seen_liquid=seen & tested, not_inspected=not_inspected & tested,
            resolution=resolution, resolved=resolved & tested, count=count, offsets=offsets,
            parent=parent, place=np.arange(parent.size) - offsets[:-1][parent], m0=m0, m1=m1)


def _maybe_invalid(table: pa.Table, rows: Rows) -> Bools:
    """Rows that may not be valid dossiers: every rule of the Dossier model checked on the
    columns, erring towards suspicion (such rows are then validated as dossiers). The
    evidence column is not read by the classification and not checked here."""
    def null(name: str) -> Bools:
        return np.asarray(table.column(name).is_null().to_numpy(zero_copy_only=False), bool)

    def outside(values: Floats, low: float, high: float, *, low_open: bool = False) -> Bools:
        with np.errstate(invalid="ignore"):
            too_low = values <= low if low_open else values < low
            return np.asarray(~np.isfinite(values) | too_low | (values > high), dtype=bool)

    ids = table.column("id").combine_chunks()
    id_length = np.asarray(pc.fill_null(pc.utf8_length(ids), 0).to_numpy(
        zero_copy_only=False), dtype=np.int64)
    blank = np.asarray(pc.fill_null(pc.match_substring_regex(  # what str.strip() removes
        ids, r"^[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]*$"), True).to_numpy(
        zero_copy_only=False), bool)
    bad = (id_length < 1) | (id_length > 200) | blank

    bad |= ~rows.phases_ok
    has_solid_type = ~null("electrolyte.solid_type")
    bad |= (rows.solid_type < 0) & has_solid_type
    bad |= (rows.solids > 0) != has_solid_type
    bad |= outside(rows.fraction, 0.0, 100.0) & ~null("electrolyte.liquid_fraction_wt_percent")
    bad |= rows.ion < 0
    bad |= (rows.application < 0) & ~null("application")

    rated = rows.rated
    bad |= rated != ~null("ratings.energy_1c_wh")
    bad |= rated & (outside(rows.power, 0.0, 1e9, low_open=True)
                    | outside(rows.energy, 0.001, 1e9))
    tested = rows.tested
    bad |= tested != ~null("weight_loss_test.duration_h")
    bad |= tested != ~null("weight_loss_test.pressure_pa")
    bad |= tested & (outside(rows.temperature, -273.15, 2000.0)
                     | outside(rows.duration, 0.0, 10_000.0)
                     | outside(rows.pressure, 0.0, 10_000_000.0))
    bad |= rows.resolved & outside(rows.resolution, 0.0, 1e8, low_open=True)
    bad |= ~tested & (~null("weight_loss_test.balance_resolution_mg")
                      | ~null("weight_loss_test.visible_liquid"))
    bad |= tested != (rows.count > 0)
    bad |= rows.count > MAX_SPECIMENS
    bad |= ~tested & ~null("weight_loss_test.specimens")
    specimen_bad = outside(rows.m0, 0.001, 100_000.0) | outside(rows.m1, 0.0, 100_000.0)
    specimen_bad |= _odd_specimen_ids(table)
    bad[rows.parent[specimen_bad]] = True
    return np.asarray(bad, dtype=bool)


def _odd_specimen_ids(table: pa.Table) -> Bools:
    """Per specimen: an id given that may not be one (Specimen.id: 1–100 printable
    characters, no line breaks)."""
    ids = table.column("weight_loss_test.specimens").combine_chunks().flatten().field("id")
    fine = pc.match_substring_regex(ids, r"^[^\x{00}-\x{1f}\x{7f}]{1,100}$")
    return np.asarray(pc.fill_null(pc.invert(fine), False).to_numpy(zero_copy_only=False), bool)


def table_problems(table: pa.Table | pa.RecordBatch, *, first_row: int = 1) -> list[Problem]:
    """Every problem of the rows that are not valid dossiers (none if all are), numbered
    from ``first_row``: what ``classify_table`` would refuse, at a fraction of its cost."""
    try:
        table = conform(table, source="dossier table", first_row=first_row)
    except DossierError as exc:
        return list(exc.problems)
    return invalid_rows(table, Rows.read(table), first_row)


def invalid_rows(table: pa.Table, rows: Rows, first_row: int) -> list[Problem]:
    """The suspect rows validated as dossiers; the problems of the invalid ones."""
    problems: list[Problem] = []
    invalid = 0
    for row in np.flatnonzero(_maybe_invalid(table, rows)).tolist():
        try:
            list(table_to_dossiers(table.slice(row, 1), first_row=first_row + row))
        except DossierError as exc:
            invalid += 1
            if invalid <= MAX_REPORTED_ROWS:
                problems += exc.problems
    return capped(problems, invalid)


def _is(strings: pa.Array, value: str) -> Bools:
    return np.asarray(pc.fill_null(pc.equal(strings, value), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
