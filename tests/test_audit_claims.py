"""Claim, mention or discussion; traps; document context (issue 19, part "claims").

Every cue list, trap and label example of claims/claim_cues.toml and claims/traps.toml is
checked here, so a word added to the data comes with a sentence that shows what it does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from solidcheck import classify, load_dossier, load_ruleset
from solidcheck.claims.context import context_for
from solidcheck.claims.cues import load_claim_cues, load_traps, parse_claim_cues, parse_traps
from solidcheck.claims.normalize import normalize
from solidcheck.claims.terms_audit import audit_text
from solidcheck.errors import RulesetError

CORPUS = Path(__file__).parent / "audit_corpus"
CLAIMS_FILES = sorted(CORPUS.glob("claims_*.txt"))
EXAMPLES = Path(__file__).parents[1] / "examples"
NATIONAL = load_ruleset("gbt-ssb-1-2026")
CSAE = load_ruleset("csae-434-2025")
# a paragraph that makes a document one about batteries, with no term or claim in it
BATTERY_NEWS = "Battery news: cells, batteries and battery packs for cars.\n\n"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.text, f.claim_kind or "") for f in audit_text(text, ruleset=NATIONAL)]


# --- the corpus ----------------------------------------------------------------------------

def test_the_claims_corpus_covers_both_scripts_claims_mentions_and_traps() -> None:
    names = {p.stem for p in CLAIMS_FILES}
    assert len(names) >= 10
    assert any("_zh_" in n for n in names) and any("_en_" in n for n in names)
    assert any("hant" in n for n in names) and any("traps" in n for n in names)


@pytest.mark.parametrize("text_file", CLAIMS_FILES, ids=lambda p: p.stem)
def test_corpus_claim_kinds_are_the_expected_ones(text_file: Path) -> None:
    text = text_file.read_text("utf-8")
    expected = yaml.safe_load(text_file.with_suffix(".expected.yaml").read_text("utf-8"))
    rows = [(r["rule"], r["severity"], r["claim_kind"], r["text"]) for r in expected["findings"]]
    findings = audit_text(text, ruleset=NATIONAL)
    assert [(f.rule, f.severity, f.claim_kind, f.text) for f in findings] == rows
    for finding in findings:
        for cue in finding.claim_cues:
            assert text[cue.start:cue.end] == cue.text


def test_a_news_article_warns_only_about_the_product_it_names() -> None:
    text = (CORPUS / "claims_en_news_mention.txt").read_text("utf-8")
    warnings = [f for f in audit_text(text, ruleset=NATIONAL) if f.severity != "info"]
    assert [(f.text, f.claim_kind) for f in warnings] == [("all-solid-state battery", "claim")]
    assert [c.text for c in warnings[0].claim_cues] == ["its"]


# --- the cue lists -------------------------------------------------------------------------

CUE_EXAMPLES = [(ex.text, ex.kind) for side in (load_claim_cues().product,
                                                 load_claim_cues().generic)
                for ex in side.examples]


@pytest.mark.parametrize(("sentence", "kind"), CUE_EXAMPLES, ids=[s for s, _ in CUE_EXAMPLES])
def test_every_cue_example_gives_its_kind(sentence: str, kind: str) -> None:
    found = kinds(BATTERY_NEWS + sentence)
    assert found, sentence
    assert {k for _, k in found} == {kind}


def test_the_cues_that_decided_are_kept_with_their_offsets() -> None:
    text = "The ET7's 150 kWh solid-state battery goes on sale. Solid-state batteries could win."
    claim, mention = audit_text(text, ruleset=NATIONAL)
    assert (claim.claim_kind, [c.text for c in claim.claim_cues]) == ("claim", ["kWh"])
    assert claim.claim_cues[0].side == "product"
    assert mention.claim_kind == "mention" and mention.severity == "info"
    assert [c.text for c in mention.claim_cues] == ["could"]  # right after: decides alone
    for finding in (claim, mention):
        for cue in finding.claim_cues:
            assert text[cue.start:cue.end] == cue.text


def test_a_possessive_or_a_verb_right_before_decides_alone() -> None:
    assert kinds("Toyota says its solid-state batteries could reach the market by 2028.") == [
        ("solid-state batteries", "claim")]
    assert kinds("新车搭载固态电池，行业有望迎来拐点。") == [("固态电池", "claim")]
    assert kinds("固态电池产业化仍需时间。") == [("固态电池", "mention")]


def test_a_sentence_without_cues_is_a_claim() -> None:
    (finding,) = audit_text("A solid-state battery.", ruleset=NATIONAL)
    assert (finding.claim_kind, finding.severity, finding.claim_cues) == ("claim", "warning", [])


def test_discussion_is_its_own_kind() -> None:
    assert kinds("The term 'semi-solid' is no longer used.") == [("semi-solid", "discussion")]


# --- sentences -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "sentence"), [
    ("Acme Inc. ships a solid-state battery. Next.", "Acme Inc. ships a solid-state battery."),
    ("See No. 3 for e.g. a solid-state battery! Then", "See No. 3 for e.g. a solid-state battery!"),
    ("行业在变。公司推出固态电池；另一句", "公司推出固态电池；"),
    ("Headline\nA solid-state battery, 2.5 times\nbetter. X", "A solid-state battery, 2.5 times"),
    ("Specs\n- Cell: solid-state battery\n- Pack", "- Cell: solid-state battery\n"),
])
def test_sentences_end_at_punctuation_and_short_lines_not_abbreviations(text: str,
                                                                         sentence: str) -> None:
    context = context_for(text, normalize(text))
    start = normalize(text).find("固态电池") if "固态电池" in text else text.find("solid-state")
    begin, stop = context.sentence(start, start + 4)
    assert text[begin:stop].strip() == sentence.strip()


def test_wrapped_prose_continues_over_a_line_break() -> None:
    text = ("Last month the city of Ningde officially opened a solid-state battery\n"
            "innovation centre for the whole region, its mayor said on Monday.")
    assert kinds(BATTERY_NEWS + text) == [("solid-state battery", "mention")]


# --- severities by kind come from the rule set ---------------------------------------------

def test_severities_by_kind_come_from_the_rule_set() -> None:
    text = BATTERY_NEWS + "Semi-solid batteries promise a lot. Our semi-solid battery ships now."
    mention, claim = audit_text(text, ruleset=NATIONAL)
    assert (mention.claim_kind, mention.severity) == ("mention", "info")
    assert (claim.claim_kind, claim.severity) == ("claim", "warning")
    rules = NATIONAL.rules
    stricter = NATIONAL.model_copy(update={"rules": rules.model_copy(update={
        "claim_kinds": rules.claim_kinds.model_copy(update={"term_in_mention": "warning",
                                                            "unsupported_mention": "error"})})})
    mention, _ = audit_text(text, ruleset=stricter)
    assert mention.severity == "warning"
    (general,) = audit_text("Solid-state batteries promise a lot.", ruleset=stricter)
    assert general.severity == "error"
    assert CSAE.rules.claim_kinds.unsupported_claim == "warning"


def test_evidence_applies_to_claims_not_to_mentions() -> None:
    hybrid = classify(load_dossier(EXAMPLES / "semi-solid-marketed.yaml"), "gbt-ssb-1-2026")
    text = "Solid-state batteries could win. Our X1 solid-state battery ships now."
    mention, claim = audit_text(text, ruleset=NATIONAL, evidence=hybrid)
    assert (mention.rule, mention.severity, mention.message_id) == (
        "unsupported_claim", "info", "audit.claim.mention")
    assert (claim.rule, claim.severity) == ("contradicted_claim", "error")


# --- traps and document context ------------------------------------------------------------

TRAP_EXAMPLES = [(trap.id, ex) for trap in load_traps().traps for ex in trap.examples]


@pytest.mark.parametrize(("trap", "sentence"), TRAP_EXAMPLES,
                         ids=[f"{t}:{s[:12]}" for t, s in TRAP_EXAMPLES])
def test_every_trap_example_is_quiet_even_in_a_battery_document(trap: str, sentence: str) -> None:
    assert audit_text(BATTERY_NEWS + sentence, ruleset=NATIONAL) == [], trap


def test_a_battery_word_beats_every_trap() -> None:
    assert kinds(BATTERY_NEWS + "压铸车间旁边的产线量产半固态电池。") == [("半固态电池", "claim")]


LABELS = [(ex.text, ex.found) for ex in load_traps().context.label_examples]


@pytest.mark.parametrize(("text", "found"), LABELS, ids=[t[:24] for t, _ in LABELS])
def test_every_label_example_gives_its_term(text: str, found: str) -> None:
    assert [t for t, _ in kinds(text)] == ([found] if found else [])


@pytest.mark.parametrize("label", ["the semi-solid architecture", "a quasi solid version",
                                   "Ｏｕｒ ＮＥＡＲ－ＳＯＬＩＤ module",
                                   "准固态路线", "半固态方案"])
def test_a_label_is_a_term_only_in_a_document_about_batteries(label: str) -> None:
    assert audit_text(f"Notes: {label}.", ruleset=NATIONAL) == []
    (finding,) = audit_text(f"{BATTERY_NEWS}Notes: {label}.", ruleset=NATIONAL)
    assert finding.rule == "non_preferred_term"
    assert label.startswith(finding.text) or finding.text in label


def test_the_label_words_do_not_make_traps_battery_terms() -> None:
    assert audit_text(BATTERY_NEWS + "The semi-solid casting platform is new.",
                      ruleset=NATIONAL) == []


# --- the data files ------------------------------------------------------------------------

def test_bad_cue_data_is_one_error_listing_every_problem() -> None:
    text = (Path(__file__).parents[1] / "src/solidcheck/claims/claim_cues.toml").read_text(
        "utf-8")
    broken = (text.replace('default_kind = "claim"', 'default_kind = "maybe"')
              .replace("max_chars = 400", "max_chars = 400\ncolour = 1")
              .replace('"by 20[0-9]{2}(?![0-9])"', '"(unclosed"'))
    with pytest.raises(RulesetError) as caught:
        parse_claim_cues(broken)
    message = str(caught.value)
    assert "default_kind" in message and "colour" in message and "unclosed" in message


def test_bad_trap_data_is_one_error_listing_every_problem() -> None:
    text = (Path(__file__).parents[1] / "src/solidcheck/claims/traps.toml").read_text("utf-8")
    broken = text.replace("min_battery_words = 3", "min_battery_words = 0") + (
        '\n[[traps]]\nid = "Food"\nprovenance = "assumption"\nsummary = "x"\n'
        'after = []\nnearby = []\nexamples = []\ncolour = 1\n')
    with pytest.raises(RulesetError) as caught:
        parse_traps(broken)
    message = str(caught.value)
    last = text.count("[[traps]]")  # the appended trap's index
    for problem in ("min_battery_words", f"traps[{last}].id", f"traps[{last}].examples",
                    "colour"):
        assert problem in message


def test_a_trap_needs_words_and_unique_ids() -> None:
    text = (Path(__file__).parents[1] / "src/solidcheck/claims/traps.toml").read_text("utf-8")
    empty = text + ('\n[[traps]]\nid = "nothing"\nprovenance = "assumption"\nwhy = "x"\n'
                    'summary = "x"\nafter = []\nnearby = []\nexamples = ["x"]\n')
    with pytest.raises(RulesetError, match="'after' or 'nearby'"):
        parse_traps(empty)
    with pytest.raises(RulesetError, match="food repeated"):
        parse_traps(empty.replace('id = "nothing"', 'id = "food"').replace(
            "after = []", 'after = ["x"]'))


def test_every_cue_list_has_its_reason_in_both_languages() -> None:
    cues = load_claim_cues()
    for rule in (cues.sentence, cues.product, cues.generic, *load_traps().traps,
                 load_traps().context):
        assert rule.why and rule.why_zh and rule.summary
