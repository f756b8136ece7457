"""The command line's messages for the common mistakes with input files, in English and
Chinese: a missing file is "no such file: PATH" wherever a file is read; an instrument file
given as a dossier is recognised and pointed to `dossier build`; a term written as a phase
(semi-solid, 半固态, quasi-solid …) is told, from the vocabulary, which phases it means."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app
from solidcheck.errors import DossierError, Problem, file_problem
from solidcheck.terms import lookup_term, phase_term

EXAMPLES = Path(__file__).parents[1] / "examples"
LAB = EXAMPLES / "lab"
runner = CliRunner()
NO_SUCH = {"en": "no such file: {path} — check the path",
           "zh": "文件不存在：{path} — 请检查路径"}


def run(lang: str, *args: object) -> tuple[int, str, str]:
    done = runner.invoke(app, ["--lang", lang, *[str(a) for a in args]],
                         env={"SOLIDCHECK_LANG": None, "SOLIDCHECK_KEY_PASSPHRASE": None,
                              "SOLIDCHECK_TRUSTED_ISSUERS": None})
    assert "Traceback" not in done.stderr
    return done.exit_code, done.stdout, done.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("command", [
    ["classify", "{missing}"],
    ["classify", EXAMPLES / "liquid-lfp.yaml", "--ruleset", "{missing}.toml"],
    ["read", "{missing}"],
    ["weight-loss", "{missing}"],
    ["certify", EXAMPLES / "liquid-lfp.yaml", "--key", "{missing}"],
    ["verify", "{missing}"],
    ["keys", "fingerprint", "{missing}"],
    ["report", "{missing}", "-o", "{out}"],
    ["audit", "{missing}"],
    ["dossier", "build", "{missing}"],
], ids=lambda c: " ".join(str(part) for part in c[:2]))
def test_a_missing_file_is_no_such_file_wherever_a_file_is_read(
        tmp_path: Path, command: list[object], lang: str) -> None:
    missing = tmp_path / "not-here"
    args = [str(part).format(missing=missing, out=tmp_path / "r.html") for part in command]
    shown = args[args.index(next(a for a in args if a.startswith(str(missing))))]
    code, stdout, stderr = run(lang, *args)
    assert code == 2 and stdout == ""
    assert NO_SUCH[lang].format(path=shown) in stderr, stderr
    assert "(top level)" not in stderr and "cannot read the file" not in stderr


def test_file_problem_names_a_folder_and_other_reasons(tmp_path: Path) -> None:
    folder = file_problem(tmp_path, IsADirectoryError(21, "Is a directory"))
    assert str(folder) == f"a folder, not a file: {tmp_path} — give a file inside it"
    denied = file_problem(tmp_path / "x", PermissionError(13, "Permission denied"))
    assert str(denied).startswith(f"cannot read {tmp_path / 'x'}: Permission denied")


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "this is an instrument file, not a dossier: oven log (oven-csv) — make a dossier "
           "with it: solidcheck dossier build DECLARATIONS.yaml --oven-log {path}"),
    ("zh", "这是仪器文件，不是档案：烘箱记录（oven-csv） — 请用它生成档案：solidcheck dossier "
           "build 声明.yaml --oven-log {path}"),
])
@pytest.mark.parametrize("log", ["oven-log-s1.csv", "oven-log-short-hold-gbk.csv"])
def test_an_oven_log_given_as_a_dossier_points_to_dossier_build(lang: str, expected: str,
                                                                log: str) -> None:
    code, stdout, stderr = run(lang, "classify", LAB / log)
    assert code == 2 and stdout == ""
    assert expected.format(path=LAB / log) in stderr, stderr
    assert "a dossier is a mapping" not in stderr


def test_weighings_given_as_a_dossier_name_their_option() -> None:
    code, _, stderr = run("en", "classify", LAB / "weighings-s1.csv")
    assert code == 2 and f"--weighings {LAB / 'weighings-s1.csv'}" in stderr


def test_a_text_that_is_no_instrument_file_keeps_the_dossier_message(tmp_path: Path) -> None:
    text = tmp_path / "notes.yaml"
    text.write_text("just a sentence\n", encoding="utf-8")
    code, _, stderr = run("en", "classify", text)
    assert code == 2 and "a dossier is a mapping of keys, got str" in stderr


DOSSIER = "id: X-1\nelectrolyte: {{phases: [{phase}]}}\nconducting_ion: lithium\n"


@pytest.mark.parametrize("phase", ["semi-solid", "半固态", "quasi-solid", "Semi-Solid-State",
                                   "准固态"])
def test_a_term_written_as_a_phase_is_told_the_phases_it_means(tmp_path: Path,
                                                               phase: str) -> None:
    dossier = tmp_path / "cell.yaml"
    dossier.write_text(DOSSIER.format(phase=phase), encoding="utf-8")
    code, stdout, stderr = run("en", "classify", dossier)
    assert code == 2 and stdout == ""
    assert f"electrolyte.phases[0]: {phase!r} is not an electrolyte phase" in stderr
    assert "hybrid solid-liquid battery" in stderr and "write phases: [solid, liquid]" in stderr
    code, _, chinese = run("zh", "classify", dossier)
    assert code == 2
    assert f"electrolyte.phases[0]：“{phase}”不是电解质相态" in chinese
    assert "混合固液电池" in chinese and "请写成 phases: [solid, liquid]" in chinese


def test_the_phases_come_from_the_vocabulary() -> None:
    hybrid = lookup_term("hybrid solid-liquid battery")[0].concept
    assert hybrid.phases == ["solid", "liquid"]
    match = phase_term("semi-solid")
    assert match is not None and match.concept is hybrid
    assert phase_term("all-solid-state") is not None
    assert phase_term("all-solid-state").concept.phases == ["solid"]  # type: ignore[union-attr]
    assert phase_term("gel") is None


def test_a_word_that_is_no_term_keeps_the_plain_message(tmp_path: Path) -> None:
    dossier = tmp_path / "cell.yaml"
    dossier.write_text(DOSSIER.format(phase="gel"), encoding="utf-8")
    _, _, stderr = run("en", "classify", dossier)
    assert "Input should be 'solid' or 'liquid' (got 'gel')" in stderr


def test_every_problem_of_every_file_is_listed_in_the_language_asked(tmp_path: Path) -> None:
    semi = tmp_path / "semi.yaml"
    semi.write_text(DOSSIER.format(phase="semi-solid"), encoding="utf-8")
    code, stdout, stderr = run("zh", "classify", semi, tmp_path / "gone.yaml",
                               LAB / "oven-log-s1.csv")
    assert code == 2 and stdout == ""
    assert f"档案 {semi} 无效：1 个问题" in stderr
    assert f"文件不存在：{tmp_path / 'gone.yaml'}" in stderr and "烘箱记录" in stderr


def test_a_problem_without_a_catalogue_id_is_unchanged() -> None:
    error = DossierError([Problem("a.b", "something odd", "fix it")], source="x.yaml")
    assert str(error) == "invalid dossier x.yaml: 1 problem\n  - a.b: something odd — fix it"
