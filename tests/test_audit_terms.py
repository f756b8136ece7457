"""Terms and claims in product text: the corpus exactly, evidence, rule sets, and properties."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from solidcheck import classify, load_dossier, load_ruleset
from solidcheck.claims import terms_audit as ta
from solidcheck.claims.basis import cite_rule
from solidcheck.claims.model import AuditFinding
from solidcheck.claims.normalize import normalize, translation_table
from solidcheck.claims.patterns import (
    ZH_DISCUSSION_AFTER,
    ZH_DISCUSSION_BEFORE,
    ZH_NEGATION_FILLERS,
    ZH_NEGATIONS,
    ZH_QUALIFIER_PREFIXES,
)
from solidcheck.claims.terms_audit import audit_text, find_mentions, matcher_for
from solidcheck.model import Result

CORPUS = Path(__file__).parent / "audit_corpus"
EXAMPLES = Path(__file__).parents[1] / "examples"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))
NATIONAL = load_ruleset("gbt-ssb-1-2026")
CSAE = load_ruleset("csae-434-2025")

Row = tuple[str, str, str]


def expected_rows(text_file: Path) -> list[Row]:
    data = yaml.safe_load(text_file.with_suffix(".expected.yaml").read_text("utf-8"))
    return [(row["rule"], row["severity"], row["text"]) for row in data["findings"]]


def rows(findings: list[AuditFinding]) -> list[Row]:
    return [(f.rule, f.severity, f.text) for f in findings]


def assert_located(text: str, findings: list[AuditFinding]) -> None:
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start:finding.end] == finding.text


def result_of(example: str, ruleset: str = "gbt-ssb-1-2026") -> Result:
    return classify(load_dossier(EXAMPLES / example), ruleset)


# --- the corpus ------------------------------------------------------------------------

def test_the_corpus_has_texts_in_every_script_and_traps() -> None:
    names = {p.stem for p in CORPUS_FILES}
    assert len(names) >= 8
    assert {"en_traps", "zh_traps", "zh_hant_press_release", "fullwidth", "mixed_en_zh"} <= names
    assert all(p.with_suffix(".expected.yaml").is_file() for p in CORPUS_FILES)


@pytest.mark.parametrize("text_file", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_findings_are_exactly_the_expected_ones(text_file: Path) -> None:
    text = text_file.read_text("utf-8")
    findings = audit_text(text, ruleset=NATIONAL)
    assert rows(findings) == expected_rows(text_file)
    assert_located(text, findings)


def same_mentions_every_way(text: str) -> None:
    """The automaton and the regex baseline, with and without the anchor prefilter, agree."""
    expected = find_mentions(text)
    for engine in ("automaton", "regex"):
        for prefilter in (True, False):
            assert find_mentions(text, engine=engine, prefilter=prefilter) == expected


@pytest.mark.parametrize("text_file", CORPUS_FILES, ids=lambda p: p.stem)
def test_every_engine_finds_the_same_mentions(text_file: Path) -> None:
    text = text_file.read_text("utf-8")
    same_mentions_every_way(text)
    same_mentions_every_way(text + "filler text without anchors. " * 2000)  # windows used


def test_the_prefilter_scans_only_around_anchors_in_sparse_text() -> None:
    matcher = matcher_for()
    assert set(matcher.anchors) == {"固", "solid", "assb"}
    sparse = matcher.normalize("nothing here. " * 1000 + "a semi-solid battery" + " ok." * 1000)
    (window,) = matcher.windows(sparse)
    assert window[1] - window[0] < 100
    dense = matcher.normalize("solid-state battery; " * 100)
    assert matcher.windows(dense) == [(0, len(dense))]


@pytest.mark.parametrize("trap", ["en_traps", "zh_traps"])
def test_traps_have_no_findings_under_any_ruleset_or_evidence(trap: str) -> None:
    text = (CORPUS / f"{trap}.txt").read_text("utf-8")
    for ruleset in (NATIONAL, CSAE):
        for evidence in (None, result_of("semi-solid-marketed.yaml")):
            assert audit_text(text, ruleset=ruleset, evidence=evidence) == []


# --- rule sets -------------------------------------------------------------------------

def test_term_severity_comes_from_the_ruleset() -> None:
    assert NATIONAL.rules.non_preferred_terms.severity == "warning"
    assert CSAE.rules.non_preferred_terms.severity == "info"
    text = (CORPUS / "zh_press_release.txt").read_text("utf-8")
    national = audit_text(text, ruleset=NATIONAL)
    csae = audit_text(text, ruleset=CSAE)
    terms = [(n, c) for n, c in zip(national, csae, strict=True) if n.rule == "non_preferred_term"]
    assert terms
    for n, c in terms:
        assert (n.severity, c.severity) == ("warning", "info")
        assert n.basis == cite_rule(NATIONAL, "non_preferred_terms")[0]
        assert c.basis == cite_rule(CSAE, "non_preferred_terms")[0]
        assert n.basis.startswith("gbt-ssb-1-2026 (Solid-state battery for electric vehicle")
        assert n.basis.endswith(NATIONAL.rules.non_preferred_terms.reference)
    claims = [(n, c) for n, c in zip(national, csae, strict=True) if n.rule != "non_preferred_term"]
    assert all(n.severity == c.severity for n, c in claims)


def test_an_unsupported_claim_says_which_test_would_support_it() -> None:
    (national,) = audit_text("A solid-state battery.", ruleset=NATIONAL)
    (csae,) = audit_text("A solid-state battery.", ruleset=CSAE)
    assert national.rule == "unsupported_claim" and national.severity == "warning"
    assert "120 °C" in national.message and "6 h" in national.message
    assert "1000 Pa" in national.message and "≤ 0.5 %" in national.message
    assert "< 1 %" in csae.message
    assert (national.basis, national.basis_zh) == cite_rule(NATIONAL, "solid_state_requires_test")
    assert national.basis.endswith(NATIONAL.rule("solid_state_requires_test").reference)


def test_term_findings_name_the_concept_and_suggest_the_preferred_term() -> None:
    en, zh, hant = audit_text("semi-solid battery; 半固态电池; 準固態電池", ruleset=NATIONAL)
    assert "hybrid solid-liquid batteries" in en.message
    assert "not a classification term" in en.message
    assert (en.suggestion, zh.suggestion, hant.suggestion) == (
        "hybrid solid-liquid battery", "混合固液电池", "混合固液電池")


# --- evidence --------------------------------------------------------------------------

CLAIM_TEXT = "ACME's new all-solid-state battery and its 固态电池 ship in 2027."


def test_a_hybrid_result_contradicts_the_claim() -> None:
    hybrid = result_of("semi-solid-marketed.yaml")
    assert hybrid.category == "hybrid_solid_liquid"
    findings = audit_text(CLAIM_TEXT, ruleset=NATIONAL, evidence=hybrid)
    assert rows(findings) == [("contradicted_claim", "error", "all-solid-state battery"),
                              ("contradicted_claim", "error", "固态电池")]
    en, zh = findings
    assert hybrid.dossier_id in en.message and hybrid.code in en.message
    assert "hybrid_solid_liquid" in en.message
    assert "misclassification, not a shorthand" in en.message
    assert (en.suggestion, zh.suggestion) == ("hybrid solid-liquid battery", "混合固液电池")


@pytest.mark.parametrize("example", ["liquid-lfp.yaml", "headline-claim-no-test.yaml"])
def test_any_result_that_is_not_solid_state_contradicts_the_claim(example: str) -> None:
    result = result_of(example)
    assert result.category != "solid_state"
    findings = audit_text(CLAIM_TEXT, ruleset=NATIONAL, evidence=result)
    assert {(f.rule, f.severity) for f in findings} == {("contradicted_claim", "error")}


def test_a_solid_state_result_supports_the_claim() -> None:
    solid = result_of("sulfide-high-energy.yaml")
    assert solid.category == "solid_state"
    findings = audit_text(CLAIM_TEXT, ruleset=NATIONAL, evidence=solid)
    assert rows(findings) == [("supported_claim", "info", "all-solid-state battery"),
                              ("supported_claim", "info", "固态电池")]


def test_no_evidence_leaves_the_claim_unsupported() -> None:
    findings = audit_text(CLAIM_TEXT, ruleset=NATIONAL)
    assert {(f.rule, f.severity) for f in findings} == {("unsupported_claim", "warning")}


def test_evidence_changes_claims_only() -> None:
    text = (CORPUS / "en_discussion_negation.txt").read_text("utf-8")
    hybrid = result_of("semi-solid-marketed.yaml")
    assert audit_text(text, ruleset=NATIONAL, evidence=hybrid) == audit_text(
        text, ruleset=NATIONAL)


# --- single cases the corpus relies on -------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("semi-solid battery", [("non_preferred_term", "semi-solid battery")]),
    ("semisolid-state battery", [("non_preferred_term", "semisolid-state battery")]),
    ("semi solid state Li-ion cell", [("non_preferred_term", "semi solid state Li-ion cell")]),
    ("semi-solid-state lithium battery", [("non_preferred_term",
                                           "semi-solid-state lithium battery")]),
    ("半固态锂电池", [("non_preferred_term", "半固态锂电池")]),
    ("類固態鋰離子電池", [("non_preferred_term", "類固態鋰離子電池")]),
    ("semi-solid batteryx", []),
    ("xsemi-solid battery", []),
    ("semi-solid cell culture", []),
    ("hybrid solid-liquid battery", []),
    ("ASSB", [("unsupported_claim", "ASSB")]),
    ("PASSBOOK", []),
    ("it is not a true solid-state battery", []),
    ("并不是真正的固态电池", []),
    ("all-solid-state laser", []),
    ("全固态激光器", []),
    ("所谓的固态电池", [("term_discussed", "固态电池")]),
    ("「半固态电池」", [("term_discussed", "半固态电池")]),
])
def test_single_phrases(text: str, expected: list[tuple[str, str]]) -> None:
    findings = audit_text(text, ruleset=NATIONAL)
    assert [(f.rule, f.text) for f in findings] == expected
    assert_located(text, findings)


def test_the_automaton_is_built_once() -> None:
    assert matcher_for() is matcher_for()


# --- normalisation ---------------------------------------------------------------------

def test_normalize_folds_one_character_for_one() -> None:
    assert normalize("ＳＥＭＩ－ＳＯＬＩＤ　準固態電池") == "semi-solid 准固态电池"
    assert normalize("a‐b‑c‒d–e—f―g−h﹣i－j") == "a-b-c-d-e-f-g-h-i-j"
    assert normalize("İ\u00a0\t\n") == "İ   "  # İ lowers to two characters: kept


def test_the_table_covers_every_cased_character_space_and_dash() -> None:
    table = translation_table()
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII: to ASCII, then lower case
        assert table[code] == ord(chr(code - 0xFEE0).lower()), hex(code)
    for code in range(0x110000):
        char = chr(code)
        lower = char.lower()
        if lower != char and len(lower) == 1 and code not in range(0xFF01, 0xFF5F):
            assert table.get(code) == ord(lower), hex(code)
        if char.isspace() and char != " ":
            assert table.get(code) == ord(" "), hex(code)
    assert all(value < 0x10000 for key, value in table.items() if key < 0x10000)


_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)
_SURROGATES = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                      max_size=5)
_FRAGMENTS = st.sampled_from([
    "semi-solid", "ＳＥＭＩ", "solid-state", " battery", "cells", "准固态", "準固態", "电池",
    "全固态", "固态", "不是", "所谓", "“", "”", "'", "\"", "not a ", "the term ", "ASSB",
    "-", " ", "\u3000", "Li-ion", "electrolyte", "固液", "混合", "硬盘", "\n", "x", "İ", "𐐀",
])
_BUILT = st.lists(st.one_of(_FRAGMENTS, _TEXT.map(lambda t: t[:5])), max_size=60).map("".join)


def _check(text: str) -> None:
    assert len(normalize(text)) == len(text)
    assert normalize(text) == text.translate(translation_table())
    findings = audit_text(text, ruleset=NATIONAL)
    assert isinstance(findings, list)
    assert_located(text, findings)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_any_text_gives_located_findings(text: str) -> None:
    _check(text)


@settings(max_examples=200, deadline=None)
@given(_BUILT)
def test_text_built_from_pattern_fragments_gives_located_findings(text: str) -> None:
    _check(text)
    same_mentions_every_way(text)
    same_mentions_every_way("x " * 500 + text + " y" * 500)


@settings(max_examples=50, deadline=None)
@given(st.tuples(_TEXT, _SURROGATES, _TEXT).map("".join))
def test_lone_surrogates_keep_their_place(text: str) -> None:
    _check(text)


def test_empty_and_very_long_texts() -> None:
    assert audit_text("", ruleset=NATIONAL) == []
    assert normalize("") == ""
    unit = (CORPUS / "mixed_en_zh.txt").read_text("utf-8") + "噪声 noise 𐐀 " * 50
    text = unit * (1_000_000 // len(unit) + 1)
    findings = audit_text(text, ruleset=NATIONAL)
    per_unit = len(audit_text(unit, ruleset=NATIONAL))
    assert len(findings) == per_unit * (1_000_000 // len(unit) + 1)
    assert_located(text, findings)


_BESIDE_WORDS = sorted({
    *ta._EN_NEGATORS, *ta._EN_NEGATION_FILLERS, *ta._EN_DETERMINERS, *ta._EN_TERM_NOUNS,
    *ta._EN_AGENTS, *ta._EN_CALLING, *ta._EN_BE, *ta._EN_NAMED, *ta._EN_LIST_INTRO,
    *ta._EN_OTHER_DISCUSSION, *ZH_NEGATIONS, *ZH_NEGATION_FILLERS, *ZH_DISCUSSION_BEFORE,
    *ZH_DISCUSSION_AFTER, *ZH_QUALIFIER_PREFIXES, "semi", "quasi", "near", "pseudo", "what",
    "which", "the term", "called what", "not used", "no longer used", "was not a term",
    "is not a category", "是", "x", "的", *ta._OPEN_QUOTES, *ta._CLOSE_QUOTES})
_BESIDE = st.lists(st.sampled_from([*_BESIDE_WORDS, " ", "-"]), max_size=12).map("".join)


def _assert_beside(before: str, after: str) -> None:
    """Wherever a pattern beside the mention matches, the quick pre-check lets it through."""
    backwards = before[::-1][:60]
    if ta._QUALIFIER_BEFORE.match(backwards) or ta._NEGATION_BEFORE.match(backwards):
        assert before[-1:] in ta._BEFORE_CLAIM, before
    if before[-1:] in ta._OPEN_QUOTES and after[:1] in ta._CLOSE_QUOTES:
        assert before[-1:] in ta._BEFORE_DISCUSSION
    backwards = backwards.lstrip(" ")
    backwards = backwards[1:].lstrip(" ") if backwards[:1] in ta._OPEN_QUOTES else backwards
    if ta._DISCUSSION_BEFORE.match(backwards):
        assert before[-1:] in ta._BEFORE_DISCUSSION, before
    skipped = after.lstrip(" ")
    skipped = skipped[1:].lstrip(" ") if skipped[:1] in ta._CLOSE_QUOTES else skipped
    if ta._DISCUSSION_AFTER.match(skipped):
        assert after[:1] in ta._AFTER_DISCUSSION, after


def test_the_check_beside_a_mention_lets_every_word_through() -> None:
    """The negation, qualifier and discussion patterns are tried only when the character
    beside the mention is one they can begin with: each word they know, with each joiner."""
    for word in _BESIDE_WORDS:
        for joiner in ("", " ", "-", "“", " ‘ "):
            _assert_beside(word + joiner, joiner + word)
            _assert_beside("the " + word + joiner, joiner + "is " + word)


@settings(max_examples=300, deadline=None)
@given(_BESIDE, _BESIDE)
def test_the_check_beside_a_mention_lets_every_phrase_through(before: str, after: str) -> None:
    _assert_beside(before, after)
