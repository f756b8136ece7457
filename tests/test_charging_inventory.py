"""solidcheck charging ingest on the project's own inventory: YAML stations with their ports
(read by the bounded loader, each row at its line), and CSV with ``;`` and decimal commas; a
broken file exits 2 listing every problem."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.charging.ingest import ingest
from solidcheck.cli import app
from solidcheck.errors import ChargingInputError

INVENTORY_YAML = """\
# the Hefei network, as the operations team keeps it
operator: 蔚来能源
stations:
  - id: HF-001
    name: 合肥高新区站
    opening_hours: 24/7
    commissioned: 2025-11-03
    ports:
      - {id: HF-001-1, power_kw: 250, connector: GB/T DC}
      - {id: HF-001-2, power_kw: 7.0, connector: GB/T AC}
  - id: HF-002
    operator: 合作伙伴
    opening_hours: "Mo-Fr 08:00-20:00"
    ports:
      - id: HF-002-1
        power_kw: -3
      - id: HF-002-2
        power_kw: 120
  - name: 无编号站
    ports: [{id: X-1, power_kw: 60}]
  - id: HF-004
    ports: []
"""


def test_a_yaml_inventory_gives_one_row_per_port(tmp_path: Path) -> None:
    path = tmp_path / "network.yaml"
    path.write_text(INVENTORY_YAML, encoding="utf-8")
    result = ingest([path])
    rows = result.tables["inventory"].to_pylist()
    assert [(r["port_id"], r["station_id"], r["power_kw"], r["opening_hours"],
             r["commissioned"], r["operator"], r["line"]) for r in rows] == [
        ("HF-001-1", "HF-001", 250.0, "24/7", date(2025, 11, 3), "蔚来能源", 9),
        ("HF-001-2", "HF-001", 7.0, "24/7", date(2025, 11, 3), "蔚来能源", 10),
        ("HF-002-2", "HF-002", 120.0, "Mo-Fr 08:00-20:00", None, "合作伙伴", 17)]
    # each at the line it starts on: a bad port's, or a station's that gives no port
    assert [(r["line"], r["reason"], r["detail"])
            for r in result.tables["rejected"].to_pylist()] == [
        (15, "charging.rejected.number", "power_kw=-3"),
        (19, "charging.rejected.inventory_station", "stations[3]: id"),
        (21, "charging.rejected.inventory_station", "stations[4]: ports")]
    (summary,) = result.inputs
    assert (summary.format, summary.rows, summary.rejected) == ("inventory", 3, 3)


def test_a_csv_inventory_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    text = ("\ufeffport_id;station_id;power_kw;opening_hours;commissioned;operator\n"
            "P1;S1;7,4;24/7;2024-05-01;Acme\n"
            "P2;S1;22;;;\n"
            "P3;S1;22;;01/05/2024;\n")
    path = tmp_path / "inventory.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    result = ingest([path])
    rows = result.tables["inventory"].to_pylist()
    assert [(r["port_id"], r["power_kw"], r["opening_hours"], r["commissioned"],
             r["operator"]) for r in rows] == [
        ("P1", 7.4, "24/7", date(2024, 5, 1), "Acme"), ("P2", 22.0, None, None, None)]
    assert [(r["line"], r["reason"]) for r in result.tables["rejected"].to_pylist()] == [
        (4, "charging.rejected.date")]


def test_broken_files_are_one_error_listing_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "network.yaml"
    broken.write_text("stations:\n  - id: A\n    ports: [{id: A-1, power_kw: 7}\n")
    not_a_list = tmp_path / "other.yaml"
    not_a_list.write_text("stations: HF-001\n")
    unknown = tmp_path / "notes.csv"
    unknown.write_text("what,ever\n1,2\n")
    with pytest.raises(ChargingInputError) as error:
        ingest([broken, not_a_list, unknown])
    where = [problem.path for problem in error.value.problems]
    assert where[0].startswith(f"{broken} line 4") and where[1:] == [str(not_a_list),
                                                                     str(unknown)]
    result = CliRunner().invoke(app, ["charging", "ingest", str(broken), str(not_a_list),
                                      str(unknown), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output and "stations is not a list" in result.output
    assert "not a recognised OCPP log" in result.output
    assert not (tmp_path / "out").exists()


def test_every_table_format_beside_the_real_ocpp_log_in_one_run(tmp_path: Path) -> None:
    """Each reader recognises its own file, whatever it is called, and none claims another's
    (the OCA tool's log of test case TC_E_44_CS is real: ../shared/data/ocpp201-octt-inl/)."""
    octt_log = Path(__file__).parents[1] / ".." / "shared" / "data" / "ocpp201-octt-inl" \
        / "example_log.log"
    files = {"inventory": INVENTORY_YAML,
             "tickets": "ticket_id,port_id,opened\nT1,HF-001-1,2026-03-01T08:00:00+08:00\n",
             "tcec-102": '{"ConnectorStatusInfo": {"ConnectorID": "HF-001-1", "Status": 1,'
                         ' "StatusTime": "2026-03-01 08:00:00"}}\n',
             "ocpi-evse-status": '[{"evse_id": "HF-001-2", "status": "AVAILABLE",'
                                 ' "last_updated": "2026-03-01T00:00:00Z"}]'}
    paths = []
    for number_, text in enumerate(files.values()):
        paths.append(tmp_path / f"input-{number_}.data")  # names say nothing
        paths[-1].write_text(text, encoding="utf-8")
    result = ingest([*paths, octt_log], charge_point_id="CS-1")
    assert [item.format for item in result.inputs] == ["octt", *files]
    assert {row["source"] for row in result.tables["port_events"].to_pylist()} == {
        str(paths[2]), str(paths[3]), str(octt_log)}
    assert result.tables["tickets"].num_rows == 1 and result.tables["inventory"].num_rows == 3
