"""The figures corpus (tests/audit_corpus/figures_*.txt): each text's figure findings exactly,
and every finding of every corpus text citing a basis a reader can follow."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from solidcheck.claims.audit import audit
from solidcheck.claims.extract import extract_text
from solidcheck.claims.localise import finding_basis
from solidcheck.claims.plausibility import plausibility_findings
from solidcheck.rules import available_rulesets

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "tests" / "audit_corpus"
FIGURE_TEXTS = sorted(CORPUS.glob("figures_*.txt"))
ALL_TEXTS = sorted(CORPUS.glob("*.txt"))
HAN = re.compile(r"[\u4e00-\u9fff]")
# anything that looks like a file name, with an optional anchor: standard.md §7, x.toml, a/b.md#c
FILE_NAME = re.compile(r"[\w./-]+\.(?:md|toml|py|yaml|yml|json|txt)(?:#[\w-]+)?")


def test_the_figures_corpus_covers_both_scripts_and_traps() -> None:
    names = {p.stem for p in FIGURE_TEXTS}
    assert len(names) >= 8
    assert {"figures_zh_traps", "figures_en_traps"} <= names
    texts = [p.read_text("utf-8") for p in FIGURE_TEXTS]
    assert any(HAN.search(t) for t in texts) and any(not HAN.search(t) for t in texts)
    assert any("萬" in t for t in texts)  # traditional characters
    assert any("０" in t or "５" in t for t in texts)  # full-width digits


@pytest.mark.parametrize("text_file", FIGURE_TEXTS, ids=lambda p: p.stem)
def test_figure_findings_are_exactly_the_expected_ones(text_file: Path) -> None:
    text = text_file.read_text("utf-8")
    expected = yaml.safe_load(text_file.with_suffix(".expected.yaml").read_text("utf-8"))
    found = plausibility_findings(text)
    assert [(f.rule, f.severity, f.text) for f in found] == [
        (row["rule"], row["severity"], row["text"]) for row in expected["plausibility"]]
    for finding in found:
        assert text[finding.start:finding.end] == finding.text


def heading_anchors(markdown: str) -> set[str]:
    """The anchors a Markdown renderer (GitHub's rules) gives the headings of a document."""
    anchors = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            kept = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN")
            anchors.add(kept.replace(" ", "-"))
    return anchors


def followable(reference: str) -> bool:
    """A file named in a basis is a document of the project's docs, and its anchor exists."""
    path, _, anchor = reference.partition("#")
    document = ROOT / path
    if not path.startswith("docs/") or not document.is_file():
        return False
    return not anchor or anchor in heading_anchors(document.read_text("utf-8"))


def test_followable_rejects_what_a_reader_does_not_have() -> None:
    assert followable("docs/audit.md#rules")
    assert not followable("standard.md")
    assert not followable("docs/audit.md#no-such-heading")
    assert not followable("src/solidcheck/claims/plausibility.toml")


@pytest.mark.parametrize("ruleset", available_rulesets(), ids=lambda r: r.id)
def test_every_basis_names_something_a_reader_can_find(ruleset) -> None:  # type: ignore[no-untyped-def]
    rules_seen = set()
    for text_file in ALL_TEXTS:
        report = audit(extract_text(text_file), ruleset=ruleset)
        for finding in report.findings:
            rules_seen.add(finding.rule)
            for lang in ("en", "zh", "zh-Hant"):
                said = finding_basis(finding, lang)
                for reference in FILE_NAME.findall(said):
                    assert followable(reference), (text_file.name, finding.rule, reference)
            if (finding.message_id or "").startswith("plausibility."):
                assert "docs/audit.md#rules" in finding.basis
            else:  # a term or claim: the rule set's clause, with the rule set's id and title
                assert finding.basis.startswith(f"{ruleset.id} ({ruleset.ruleset.title})")
        assert "standard.md" not in report.model_dump_json()
    assert {"wide_operating_temperature", "unsupported_claim", "non_preferred_term"} <= rules_seen


def test_no_source_file_of_the_package_cites_the_team_notes() -> None:
    package = ROOT / "src" / "solidcheck"
    citing = [str(p.relative_to(package)) for p in package.rglob("*")
              if p.suffix in (".py", ".toml") and "standard.md" in p.read_text("utf-8")]
    assert citing == []
