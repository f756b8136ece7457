"""The column-wise IRVE dynamique reader (charging/irve_fast.py): on every file it takes, the
same port_events, the same rejections (line, reason, detail, text) and the same count of other
lines as the exact row-by-row path; the files it cannot number line by line go to that path.

The files are written with the quirks real exports have: a BOM, ``;`` or ``,``, CRLF, quoted
cells, blank and separator-only lines, +01:00/+02:00 offsets, ``Z``, fractions of a second."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest

from solidcheck.charging import irve_fast
from solidcheck.charging.ingest import ingest
from solidcheck.charging.irve import IrveRead, parse_irve
from solidcheck.charging.model import PORT_EVENTS

HEADER = ("id_pdc_itinerance;etat_pdc;occupation_pdc;horodatage;etat_prise_type_2;"
          "etat_prise_type_combo_ccs;etat_prise_type_chademo;etat_prise_type_ef\n")
OK = "fonctionnel;fonctionnel;fonctionnel;fonctionnel"


def _row(port: str, etat: str, occupation: str, when: str) -> str:
    return f"{port};{etat};{occupation};{when};{OK}\n"


def _exact(data: bytes) -> IrveRead:
    with mock.patch.object(irve_fast, "read_dynamique_csv", lambda *_, **__: None):
        read = parse_irve(data, source="f.csv")
    assert read is not None and not read.tables
    return read


def _fast(data: bytes) -> IrveRead:
    read = parse_irve(data, source="f.csv")
    assert read is not None
    return read


def _events(read: IrveRead) -> list[dict[str, object]]:
    tables = [pa.Table.from_pylist(read.rows["port_events"], schema=PORT_EVENTS)]
    tables += [read.tables["port_events"]] if "port_events" in read.tables else []
    return pa.concat_tables(tables).to_pylist()


def _same_as_exact(data: bytes, *, column_wise: bool = True) -> IrveRead:
    fast, exact = _fast(data), _exact(data)
    assert bool(fast.tables) is column_wise
    assert _events(fast) == _events(exact)
    assert fast.rejected == exact.rejected
    assert (fast.other_lines, fast.row_count, fast.sha256) == (
        exact.other_lines, exact.row_count, exact.sha256)
    return fast


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_offsets_z_and_fractions_read_as_python_reads_them() -> None:
    text = "\ufeff" + HEADER + "".join([
        _row("FRA01E1", "en_service", "libre", "2026-03-29T01:59:59+01:00"),
        _row("FRA01E1", "en_service", "occupe", "2026-03-29T03:00:00+02:00"),
        _row("FRA01E1", "en_service", "reserve", "2026-03-29T01:00:00Z"),
        _row("FRA01E1", "hors_service", "inconnu", "2026-03-29T03:00:00.25+02:00"),
        _row("FRA01E1", "en_service", "inconnu", "2026-03-29T03:00:00.123456789+02:00"),
        _row("FRA01E1", "inconnu", "inconnu", "2026-03-29 03:00:00+0200"),
    ])
    read = _same_as_exact(text.encode())
    assert [e["ts"] for e in _events(read)] == [
        _utc("2026-03-29T00:59:59"), _utc("2026-03-29T01:00:00"), _utc("2026-03-29T01:00:00"),
        _utc("2026-03-29T01:00:00.250"), _utc("2026-03-29T01:00:00.123"),
        _utc("2026-03-29T01:00:00")]
    assert [e["state"] for e in _events(read)] == [
        "available", "occupied", "reserved", "unavailable", "available", "unknown"]


def test_rejected_lines_keep_their_numbers_among_blank_and_short_lines() -> None:
    text = ("\r\n" + HEADER + "\n"  # a blank line before the header and one after it
            + _row("FRA01E1", "en_service", "libre", "2026-07-01T10:00:00+02:00")
            + ";;;;;;;\n"  # separators only: blank
            + _row("FRA01E1", "en_service", "plein", "2026-07-01T10:05:00+02:00")
            + "   \n"
            + _row("", "en_service", "libre", "2026-07-01T10:06:00+02:00")
            + _row("FRA01E2", "en service", "libre", "2026-07-01T10:07:00+02:00")
            + _row("FRA01E2", "en_service", "libre", "2026-07-01T10:08:00")
            + _row("FRA01E2", "en_service", "libre", "demain")
            + "FRA01E2;en_service;libre\n"
            + _row(" FRA01E3 ", " EN_SERVICE ", "Libre ", " 2026-07-01T10:09:00+02:00 "))
    read = _same_as_exact(text.replace("\n", "\r\n").encode())
    assert [(r.line, r.reason) for r in read.rejected] == [
        (6, "charging.rejected.irve_occupation"),
        (8, "charging.rejected.irve_missing"),
        (9, "charging.rejected.irve_status"),
        (10, "charging.rejected.irve_no_offset"),
        (11, "charging.rejected.time"),
        (12, "charging.rejected.irve_cells")]
    assert read.rejected[0].text == "FRA01E1;en_service;plein;2026-07-01T10:05:00+02:00;" + OK
    assert [(e["port_id"], e["line"]) for e in _events(read)] == [
        ("FRA01E1", 4), ("FRA01E3", 13)]
    assert read.other_lines == 5  # 2 blank, the header, the separators, the spaces


def test_a_comma_file_with_quoted_cells_and_decimal_commas() -> None:
    text = ('"id_pdc_itinerance","etat_pdc","occupation_pdc","horodatage","puissance"\n'
            '"FRA01E1","en_service","libre","2026-01-15T08:00:00+01:00","7,4"\n'
            '"FRA01E1","en_service","occupe","2026-01-15T09:00:00+01:00","22"\n'
            '"FRA01E2","en_service","plein","2026-01-15T09:00:00+01:00","7,4"\n')
    read = _same_as_exact(text.encode())
    assert read.row_count == 2
    assert [(r.line, r.detail) for r in read.rejected] == [(4, "plein")]


def test_a_semicolon_file_reads_decimal_commas_as_plain_text() -> None:
    text = ("id_pdc_itinerance;etat_pdc;occupation_pdc;horodatage;puissance_nominale\n"
            "FRA01E1;en_service;libre;2026-01-15T08:00:00+01:00;7,4\n")
    assert _same_as_exact(text.encode()).row_count == 1


def test_a_gzipped_file_reads_as_the_plain_one() -> None:
    text = HEADER + "".join(_row(f"FRA01E{i % 7}", "en_service", ("libre", "occupe")[i % 2],
                                 f"2026-02-01T{i % 24:02d}:00:00+01:00") for i in range(200))
    plain, packed = _fast(text.encode()), _same_as_exact(gzip.compress(text.encode()))
    assert _events(plain) == [{**e, "source": "f.csv"} for e in _events(packed)]
    assert packed.row_count == 200


def test_a_station_column_names_the_station_else_the_port_does() -> None:
    text = ("id_pdc_itinerance;id_station_itinerance;etat_pdc;occupation_pdc;horodatage\n"
            "FRA01E1;FRA01P1;en_service;libre;2026-01-15T08:00:00+01:00\n"
            "FRA01E2; ;en_service;libre;2026-01-15T08:00:00+01:00\n")
    read = _same_as_exact(text.encode())
    assert [e["station_id"] for e in _events(read)] == ["FRA01P1", "FRA01E2"]


@pytest.mark.parametrize("text", [
    HEADER + 'FRA01E1;en_service;libre;2026-01-15T08:00:00+01:00;"a\nb";x;y;z\n'
    + _row("FRA01E2", "en_service", "plein", "2026-01-15T08:00:00+01:00"),
    HEADER + 'FRA01E1;en_service;libre;2026-01-15T08:00:00+01:00;a"b;x;y;z\n',
    HEADER,
], ids=["line break in quotes", "quote inside a cell", "header only"])
def test_files_it_cannot_number_go_to_the_exact_path(text: str) -> None:
    _same_as_exact(text.encode(), column_wise=False)


def test_a_lone_carriage_return_is_left_to_the_exact_path() -> None:
    data = (HEADER + _row("FRA01E1", "en_service", "libre", "2026-01-15T08:00:00+01:00")
            ).replace("\n", "\r").encode()
    assert irve_fast.read_dynamique_csv(data, source="f", first=HEADER.strip()) is None


def _many_rows(count: int) -> Iterator[str]:
    words = [("en_service", "libre"), ("en_service", "occupe"), ("hors_service", "inconnu"),
             ("inconnu", "inconnu"), ("en_service", "reserve")]
    for i in range(count):
        etat, occupation = words[i % len(words)]
        when = f"2026-10-25T{i % 24:02d}:{i % 60:02d}:00{('+02:00', '+01:00', 'Z')[i % 3]}"
        if i % 997 == 0:
            when = "2026-10-25T02:30:00"  # no offset: refused
        if i % 1499 == 0:
            yield "\n"
        yield _row(f"FRA{i % 300:03d}E1", etat, occupation, when)


def test_many_small_blocks_number_lines_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irve_fast, "_BLOCK_BYTES", 4096)  # some fifty blocks of rows
    data = ("\ufeff" + HEADER + "".join(_many_rows(3000))).encode()
    read = _same_as_exact(data)
    assert len(read.rejected) == 4
    assert read.other_lines == 1 + 3


def test_blocks_with_and_without_blanks_in_their_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irve_fast, "_BLOCK_BYTES", 4096)
    rows = list(_many_rows(600))
    rows[450] = _row(" FRA450E1\t", "en_service", "libre", "2026-10-25T10:00:00+01:00")
    read = _same_as_exact((HEADER + "".join(rows)).encode())  # one block's ids need stripping
    assert "FRA450E1" in {e["port_id"] for e in _events(read)}


def test_ingest_gives_the_column_wise_rows_their_source(tmp_path: Path) -> None:
    path = tmp_path / "dynamique.csv.gz"
    path.write_bytes(gzip.compress((HEADER + _row(
        "FRA01E1", "en_service", "libre", "2026-01-15T08:00:00+01:00")).encode()))
    result = ingest([path])
    assert result.tables["port_events"].schema == PORT_EVENTS
    assert result.tables["port_events"].to_pylist()[0]["source"] == str(path)
    (summary,) = result.inputs
    assert (summary.format, summary.rows, summary.other_lines) == ("irve-dynamique", 1, 1)


def test_non_ascii_cells_are_stripped_as_python_strips_them() -> None:
    text = (HEADER.replace("etat_prise_type_ef", "commentaire")
            + "FRA01E1\u00a0;en_service;libre;2026-01-15T08:00:00+01:00;x;y;z;café\n"
            + "\u2003;en_service;libre;2026-01-15T08:00:00+01:00;x;y;z;\n")
    read = _same_as_exact(text.encode())
    assert [e["port_id"] for e in _events(read)] == ["FRA01E1"]
    assert [r.reason for r in read.rejected] == ["charging.rejected.irve_missing"]


def test_a_file_that_is_not_utf8_is_no_irve_file() -> None:
    data = (HEADER + _row("FRA01E1", "en_service", "libre", "2026-01-15T08:00:00+01:00")
            ).encode() + b"FRA01E2;en_service;libre;2026-01-15T08:00:00+01:00;\xe9\n"
    assert parse_irve(data, source="f.csv") is None
