"""No input makes solidcheck's parsing do unbounded work (issue 13): YAML alias bombs, deep
nesting, thousands of specimens or problems, megabyte values in messages, spreadsheets that
unpack to gigabytes and logs of millions of lines are refused with one clean, short error.

Limits are asserted, never timings: memory is measured as the peak RSS of a subprocess.
"""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import solidcheck.dossier as dossier_module
from solidcheck import classify, parse_dossier
from solidcheck.cli import app
from solidcheck.dossier import MAX_YAML_DEPTH, MAX_YAML_NODES, parse_mapping
from solidcheck.errors import (
    MAX_PROBLEMS_LISTED,
    CertificateError,
    DossierError,
    EvidenceError,
    InvalidInputError,
    Problem,
)
from solidcheck.model import MAX_SPECIMENS
from solidcheck.readers import MAX_READING_ROWS, read_evidence
from solidcheck.readers._base import MAX_INFLATED_BYTES

WriteFile = Callable[[str, str | bytes], Path]
runner = CliRunner()

HEAD = """\
id: BOUNDED-1
electrolyte: {phases: [solid], solid_type: oxide}
conducting_ion: lithium
"""
TEST = """\
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 100
  visible_liquid: false
"""
#: a message line the user reads may quote a value, never a megabyte of it
MAX_PROBLEM_CHARS = 500


def alias_bomb() -> str:
    """The "billion laughs": nine levels of nine aliases, 9⁹ = 387 million values once
    expanded, in under 500 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, inner in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + inner] * 9)}]")
    return "\n".join(lines) + "\n"


def dossier_with_specimens(count: int, specimen: str = "{mass_before_g: 40.0, "
                           "mass_after_g: 39.9}") -> str:
    """A dossier of ``count`` specimens, one written out and the rest aliases of it."""
    rest = "".join("    - *s\n" for _ in range(count - 1))
    return HEAD + TEST + f"  specimens:\n    - &s {specimen}\n" + rest


def messages_are_short(error: InvalidInputError) -> None:
    assert error.problems
    for problem in error.problems:
        assert len(str(problem)) < MAX_PROBLEM_CHARS, str(problem)[:200]
    assert len(str(error)) < MAX_PROBLEM_CHARS * (len(error.problems) + 2)


def peak_rss_mb(code: str, *args: str) -> tuple[str, float]:
    """Run ``code`` in a fresh interpreter; its stdout and peak resident memory (MB)."""
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over exec from the forking
    # process, so a child of a large test process would report the parent's size
    probe = code + ("\nimport re, pathlib\nprint('RSS', int(re.search(r'VmHWM:\\s+(\\d+)', "
                    "pathlib.Path('/proc/self/status').read_text()).group(1)) / 1024)\n")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                          text=True, timeout=300, check=True)
    out, _, rss = done.stdout.rpartition("RSS ")
    return out, float(rss)


# --- YAML aliases and anchors -------------------------------------------------------------


@pytest.fixture(params=["libyaml", "pure Python"])
def either_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each YAML limit holds with libyaml (events counted first) and without it (nodes
    counted while composing)."""
    if request.param == "pure Python":
        monkeypatch.setattr(dossier_module, "HAVE_LIBYAML", False)


with_either_yaml_loader = pytest.mark.usefixtures("either_loader")


@with_either_yaml_loader
def test_the_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 500
    with pytest.raises(DossierError) as caught:
        parse_dossier(bomb.encode())
    [problem] = caught.value.problems
    assert problem.path == ""
    assert f"expand to more than {MAX_YAML_NODES:,} values" in problem.message
    assert "fewer aliases" in problem.fix


def test_the_alias_bomb_in_memory_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    out, rss_mb = peak_rss_mb(
        "import sys\nfrom solidcheck import load_dossier, DossierError\n"
        "try:\n    load_dossier(sys.argv[1])\nexcept DossierError as e:\n    print(e)\n",
        str(path))
    assert "anchors and aliases expand" in out
    assert rss_mb < 300  # ten levels used to exhaust memory; nine took +600 MB


def test_the_alias_bomb_at_the_command_line_exits_2(write_file: WriteFile) -> None:
    result = runner.invoke(app, ["classify", str(write_file("bomb.yaml", alias_bomb()))])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert "expand to more than 100,000 values" in result.stderr
    assert "Traceback" not in result.output


@with_either_yaml_loader
@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: {c: *a}}\n",
                                  "- &x [1, [2, *x]]\n"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    with pytest.raises(DossierError, match="refers to a value that contains it"):
        parse_mapping(text)


@with_either_yaml_loader
def test_a_dossier_with_anchors_and_merge_keys_still_reads() -> None:
    text = HEAD + """\
oven: &oven
  temperature_c: 120
  duration_h: 6
  pressure_pa: 100
""".replace("oven: &oven", "x-oven: &oven") + """\
weight_loss_test:
  <<: *oven
  visible_liquid: false
  specimens:
    - &first {mass_before_g: 40.0, mass_after_g: 39.9}
    - *first
    - <<: *first
      mass_after_g: 39.95
"""
    data = parse_mapping(text)
    assert data["weight_loss_test"]["temperature_c"] == 120
    assert data["weight_loss_test"]["specimens"][2] == {"mass_before_g": 40.0,
                                                        "mass_after_g": 39.95}
    del data["x-oven"]  # an unknown key for the dossier: anchors live in the document
    dossier = parse_dossier(json.dumps(data))
    assert len(dossier.weight_loss_test.specimens) == 3  # type: ignore[union-attr]
    assert classify(dossier, "gbt-ssb-1-2026").category


@with_either_yaml_loader
def test_a_thousand_aliased_specimens_are_within_the_limits() -> None:
    dossier = parse_dossier(dossier_with_specimens(MAX_SPECIMENS))
    assert len(dossier.weight_loss_test.specimens) == MAX_SPECIMENS  # type: ignore[union-attr]


@with_either_yaml_loader
@pytest.mark.parametrize("kind", ["yaml block", "yaml flow", "json"])
def test_nesting_deeper_than_the_limit_is_refused(kind: str) -> None:
    depth = MAX_YAML_DEPTH + 1
    if kind == "yaml block":
        text = "".join("  " * level + "- \n" for level in range(depth))
    elif kind == "yaml flow":
        text = "x: " + "[" * depth + "]" * depth
    else:
        text = "[" * depth + "]" * depth
    with pytest.raises(DossierError, match=f"nested more than {MAX_YAML_DEPTH} levels"):
        parse_mapping(text)


@with_either_yaml_loader
@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_more_values_than_the_limit_are_refused(kind: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the limit lowered: at 100,000 values pure-Python YAML takes seconds to get there
    monkeypatch.setattr(dossier_module, "MAX_YAML_NODES", 1000)
    values = [0] * 1001
    text = json.dumps({"id": "X", "many": values}) if kind == "json" else \
        "id: X\nmany:\n" + "- 0\n" * len(values)
    with pytest.raises(DossierError, match="more than 1,000 values"):
        parse_mapping(text)
    within = json.dumps({"id": "X", "many": values[:990]}) if kind == "json" else \
        "id: X\nmany:\n" + "- 0\n" * 990
    assert parse_mapping(within)["many"] == values[:990]


# --- specimens and problems ---------------------------------------------------------------


def test_more_specimens_than_the_limit_is_one_problem_on_the_specimens() -> None:
    with pytest.raises(DossierError) as caught:
        parse_dossier(dossier_with_specimens(MAX_SPECIMENS + 1))
    [problem] = caught.value.problems
    assert problem.path == "weight_loss_test.specimens"
    assert problem.message == f"at most {MAX_SPECIMENS} specimens are accepted, got 1001"
    assert "docs/dossier.md" in problem.fix


def test_thousands_of_problems_list_a_hundred_and_count_the_rest() -> None:
    # 1000 specimens, each with two wrong types and three unknown keys: 5000 problems
    text = dossier_with_specimens(
        MAX_SPECIMENS, '{mass_before_g: "x", mass_after_g: "y", a: 1, b: 2, c: 3}')
    with pytest.raises(DossierError) as caught:
        parse_dossier(text)
    error = caught.value
    assert len(error.problems) == MAX_PROBLEMS_LISTED == 100
    assert error.unlisted == 4900
    message = str(error)
    assert message.startswith("invalid dossier <string>: 5000 problems\n")
    assert message.endswith("\n  … and 4900 more problems")
    assert message.count("\n  - ") == 100


def test_an_error_from_a_generator_of_problems_keeps_a_hundred_and_counts_the_rest() -> None:
    def problems() -> Iterator[Problem]:
        for index in range(100_000):
            yield Problem(f"row {index}", "unreadable", "repair it")

    tracemalloc.start()
    try:
        error = EvidenceError(problems(), source="log.csv")
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 1_000_000  # all of them kept would be about 20 MB
    assert len(error.problems) == 100
    assert error.unlisted == 99_900
    assert str(error).endswith("… and 99900 more problems")
    again = EvidenceError(error.problems, source="log.csv", unlisted=error.unlisted)
    assert str(again) == str(error)


def test_one_problem_more_is_counted_in_the_singular() -> None:
    error = DossierError(Problem(str(i), "bad") for i in range(MAX_PROBLEMS_LISTED + 1))
    assert str(error).endswith("… and 1 more problem")


@pytest.mark.parametrize("error", [
    DossierError([Problem("id", "missing", "add it")] * 150, source="a.yaml"),
    CertificateError([Problem("", "bad key")], source="k.pem", what="key file"),
    EvidenceError([]),
])
def test_errors_survive_pickling(error: InvalidInputError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert (copy.problems, copy.unlisted, copy.source, copy.what) == \
        (error.problems, error.unlisted, error.source, error.what)


# --- messages never render a whole value --------------------------------------------------

MEGABYTE = 1_000_000


@pytest.mark.parametrize("value", [
    "x" * (MEGABYTE - 1000),  # a string where a number belongs
    [1.5] * 90_000,  # a list where a number belongs (within the 100,000 values)
    {f"k{i}": i for i in range(40_000)},  # a mapping where a number belongs
])
@pytest.mark.parametrize("field", ["temperature_c", "specimens[0].mass_after_g"])
def test_a_huge_value_in_a_wrong_type_field_gives_a_short_message(value: Any,
                                                                  field: str) -> None:
    test: dict[str, Any] = {"temperature_c": 120, "duration_h": 6, "pressure_pa": 100,
                            "specimens": [{"mass_before_g": 40.0, "mass_after_g": 39.9}]}
    if field == "temperature_c":
        test["temperature_c"] = value
    else:
        test["specimens"][0]["mass_after_g"] = value
    text = json.dumps({"id": "X", "electrolyte": {"phases": ["solid"], "solid_type": "oxide"},
                       "conducting_ion": "lithium", "weight_loss_test": test})
    assert len(text.encode()) < MEGABYTE
    with pytest.raises(DossierError) as caught:
        parse_dossier(text.encode())
    messages_are_short(caught.value)
    assert [p.path for p in caught.value.problems] == [f"weight_loss_test.{field}"]


def test_a_megabyte_key_is_cut_in_the_path_and_message() -> None:
    key = "k" * (MEGABYTE - 100)
    with pytest.raises(DossierError) as caught:
        parse_dossier(f'{{"id": "X", "{key}": 1}}'.encode())
    messages_are_short(caught.value)
    assert any(p.message == "unknown key" for p in caught.value.problems)


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_a_repeated_megabyte_key_gives_a_short_message(kind: str) -> None:
    key = "k" * (MEGABYTE // 2 - 100)
    # YAML takes a key longer than 1024 characters only as an explicit key, `? key`
    text = f'{{"{key}": 1, "{key}": 2}}' if kind == "json" else f"? {key}\n: 1\n? {key}\n: 2\n"
    with pytest.raises(DossierError, match="appears twice") as caught:
        parse_dossier(text.encode())
    messages_are_short(caught.value)


def test_a_string_longer_than_a_dossier_is_refused() -> None:
    with pytest.raises(DossierError, match="longer than 1000000 characters"):
        parse_dossier("#" * (MEGABYTE + 1))


# --- spreadsheets and other zip containers ------------------------------------------------

_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
               b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               b'<row><c t="inlineStr"><is><t>time_s</t></is></c>'
               b'<c t="inlineStr"><is><t>temperature_c</t></is></c></row>')
_ROW = b"<row><c><v>1</v></c><c><v>120</v></c></row>"  # `r=` is optional: it packs tightly
_PACKAGE = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        '"xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Log" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>',
}
_SHEET = "xl/worksheets/sheet1.xml"


def workbook_of_rows(path: Path, rows: int) -> Path:
    """A real .xlsx of ``rows`` identical log rows, written by hand: ten million rows pack
    into about 2 MB (the attack of issue 13: 1.7 MB, 10 M rows, 17 s and 2.2 GB to read)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _PACKAGE.items():
            archive.writestr(name, text)
        with archive.open(_SHEET, "w") as sheet:
            sheet.write(_SHEET_HEAD)
            block = _ROW * 10_000
            for _ in range(rows // 10_000):
                sheet.write(block)
            sheet.write(_ROW * (rows % 10_000) + b"</sheetData></worksheet>")
    return path


def understate_member_size(path: Path, member: str, size: int) -> None:
    """Make the zip's directory (and the member's local header) claim ``size`` bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        start = archive.start_dir
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = start
    while data[at:at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + name_length].decode() == member:
            struct.pack_into("<I", data, at + 24, size)
        at += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))


def test_a_small_workbook_of_ten_million_rows_is_refused_in_bounded_memory(
    tmp_path: Path,
) -> None:
    path = workbook_of_rows(tmp_path / "log.xlsx", 10_000_000)
    assert path.stat().st_size < 3_000_000
    out, rss_mb = peak_rss_mb(
        "import sys\nfrom solidcheck.readers import read_evidence\n"
        "from solidcheck.errors import EvidenceError\n"
        "try:\n    read_evidence(sys.argv[1])\nexcept EvidenceError as e:\n    print(e)\n",
        str(path))
    assert f"the workbook unpacks to more than {MAX_INFLATED_BYTES // 2**20} MiB" in out
    assert rss_mb < 400  # it took 2.2 GB when read


def test_a_workbook_whose_directory_understates_its_size_is_refused(tmp_path: Path) -> None:
    path = workbook_of_rows(tmp_path / "log.xlsx", 4_000_000)
    understate_member_size(path, _SHEET, 1000)
    with zipfile.ZipFile(path) as archive:
        assert sum(info.file_size for info in archive.infolist()) < 10_000
    with pytest.raises(EvidenceError, match="the workbook unpacks to") as caught:
        read_evidence(path)
    assert "zip bomb" in caught.value.problems[0].fix


def test_a_workbook_within_the_limits_reads(tmp_path: Path) -> None:
    reading = read_evidence(workbook_of_rows(tmp_path / "log.xlsx", 21_600))
    assert reading.rows == 21_600


def test_a_workbook_bomb_at_the_command_line_exits_2(tmp_path: Path) -> None:
    path = workbook_of_rows(tmp_path / "log.xlsx", 3_000_000)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 2, result.output
    assert "unpacks to more than" in result.stderr
    assert "Traceback" not in result.output


# --- text logs ----------------------------------------------------------------------------


def test_a_text_log_of_more_rows_than_the_limit_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.csv"
    with path.open("wb") as handle:
        handle.write(b"time_s,temperature_c\n")
        block = b"0,120\n" * 100_000
        for _ in range(MAX_READING_ROWS // 100_000):
            handle.write(block)
        handle.write(b"0,120\n")
    with pytest.raises(EvidenceError) as caught:
        read_evidence(path)
    [problem] = caught.value.problems
    assert problem.path == "rows"
    assert f"more than {MAX_READING_ROWS:,} rows" in problem.message
    assert "21,600 rows" in problem.fix


def test_a_text_log_at_the_limit_is_not_refused_by_it(monkeypatch: pytest.MonkeyPatch,
                                                      write_file: WriteFile) -> None:
    import solidcheck.readers._base as base

    monkeypatch.setattr(base, "MAX_READING_ROWS", 3)
    assert read_evidence(write_file("log.csv", "time_s,temperature_c\n0,120\n1,120\n2,120\n"))
    with pytest.raises(EvidenceError, match="more than 3 rows"):
        read_evidence(write_file("log.csv", "time_s,temperature_c\n0,120\n1,120\n2,120\n3,1\n"))


def test_every_reading_is_held_to_the_row_limit(monkeypatch: pytest.MonkeyPatch,
                                                write_file: WriteFile) -> None:
    import solidcheck.readers as readers

    monkeypatch.setattr(readers, "MAX_READING_ROWS", 2)  # only the last line of defence
    with pytest.raises(EvidenceError, match="more than"):
        read_evidence(write_file("log.csv", "time_s,temperature_c\n0,120\n1,120\n2,120\n"))


def test_weighings_with_hundreds_of_bad_rows_list_the_first_and_count_the_rest(
    write_file: WriteFile,
) -> None:
    rows = "".join(f"{i},x,1.0\n{i}b,2.0,1.9\n" for i in range(1, 501))  # 500 bad, 500 good
    with pytest.raises(EvidenceError) as caught:
        read_evidence(write_file("weighings.csv", "specimen,mass_before_g,mass_after_g\n"
                                 + rows))
    error = caught.value
    assert len(error.problems) == 99
    assert error.problems[0].path == "row 2"
    assert error.unlisted == 401
    assert str(error).startswith(f"invalid evidence file {error.source}: 500 problems")
    assert str(error).endswith("… and 401 more problems")
