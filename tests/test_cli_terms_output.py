"""`terms` shows the preferred term as the vocabulary spells it, and `terms --export skos -o`
says what it wrote, like the other exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app
from solidcheck.terms import load_vocabulary

runner = CliRunner()
ENV = {"SOLIDCHECK_LANG": None, "COLUMNS": "200"}


def _rows(stdout: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("│").split("│")]
            for line in stdout.splitlines() if line.startswith("│")]


@pytest.mark.parametrize(("query", "concept"), [
    ("semi-solid", "hybrid_solid_liquid_battery"), ("半固态电池", "hybrid_solid_liquid_battery"),
    ("全固态电池", "solid_state_battery"), ("liquid battery", "liquid_battery"),
])
def test_the_preferred_term_is_spelt_as_the_vocabulary_spells_it(query: str,
                                                                  concept: str) -> None:
    preferred = load_vocabulary().concepts[concept]
    english, chinese = preferred.preferred("en"), preferred.preferred("zh")
    done = runner.invoke(app, ["terms", query], env=ENV)
    assert done.exit_code == 0
    rows = _rows(done.stdout)  # the first match's two lines: its preferred terms, one a line
    assert [row[3] for row in rows[:2]] == [english, chinese]
    zh = runner.invoke(app, ["--lang", "zh", "terms", query], env=ENV)
    assert _rows(zh.stdout)[0][3] == chinese


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "wrote {path}: {count} concepts, SKOS as JSON-LD"),
    ("zh", "已写入 {path}：{count} 个概念，SKOS（JSON-LD）"),
])
def test_terms_export_to_a_file_says_what_it_wrote(tmp_path: Path, lang: str,
                                                   said: str) -> None:
    output = tmp_path / "vocabulary.jsonld"
    done = runner.invoke(app, ["--lang", lang, "terms", "--export", "skos", "-o", str(output)],
                         env=ENV)
    assert done.exit_code == 0 and done.stdout == ""
    graph = json.loads(output.read_text("utf-8"))["@graph"]
    count = sum(1 for node in graph if node["@type"] == "skos:Concept")
    assert count == len(load_vocabulary().concepts)
    assert said.format(path=output, count=count) in done.stderr


def test_terms_export_to_stdout_prints_only_the_data() -> None:
    done = runner.invoke(app, ["terms", "--export", "skos"], env=ENV)
    assert done.exit_code == 0 and json.loads(done.stdout)["@graph"] and done.stderr == ""


def test_terms_export_to_a_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    done = runner.invoke(app, ["terms", "--export", "skos", "-o", str(tmp_path / "no" / "v")],
                         env=ENV)
    assert done.exit_code == 2 and "cannot write the file" in done.stderr


@pytest.mark.parametrize(("query", "lang", "note"), [
    ("semi-solid-state battery", "zh", "不再作为分类术语"),
    ("semi-solid-state battery", "en", "no longer a classification term"),
    ("准固态电池", "en", "marketing term"),
    ("准固态电池", "zh", "市场用语"),
    ("准固态电池", "zh-Hant", "市場用語"),
])
def test_a_terms_note_is_in_the_readers_language(query: str, lang: str, note: str) -> None:
    done = runner.invoke(app, ["--lang", lang, "terms", query], env=ENV)
    assert done.exit_code == 0
    status = " ".join(row[2] for row in _rows(done.stdout)[:3])
    assert note in status


def test_every_note_is_there_for_readers_of_english_and_of_chinese() -> None:
    for concept in load_vocabulary().concepts.values():
        for label in concept.labels:
            if label.note and label.lang in ("en", "zh"):
                other = "zh" if label.lang == "en" else "en"
                assert label.note_for(other) != label.note, (label.text, other)
