"""A form error in the page's language: the form's own messages from the catalogue
(``i18n/web.toml``), and the problems the dossier's validation found (``_validation.py``)
said again — by their fix, which names the kind of problem, and the bound or value they cite.
A problem that names its catalogue message (``Problem.message_id``: a file that is not there,
an instrument file given as the dossier, a term written as a phase) is said from the catalogue,
the words the command line says it with. A problem of a kind not listed here stays in English,
marked as such by the page."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from ...errors import Problem
from ...i18n import Display, load_catalogue, message
from ...i18n.said import Said
from ..classify_form import FormMessage, ProblemSaid

__all__ = ["form_message", "problem_text"]

#: the dossier format's advice, said the way a form says it (a field, not a key)
_FORM_FIXES = {"add this key": "web.fix.fill_in", "write a number, without quotes":
               "web.fix.write_number"}
#: the dossier format's advice (``_validation._FIXES``) → its message id
_FIXES = {
    "add this key": "web.fix.add_key",
    "write a number, without quotes": "web.fix.write_number_unquoted",
    "write a whole number, without quotes": "web.fix.write_whole_number",
    "write true or false, without quotes": "web.fix.write_true_false",
    "write text; quote it if it looks like a number or a date": "web.fix.write_text",
    "write a list, e.g. [a, b]": "web.fix.write_list",
    "write a mapping of keys to values": "web.fix.write_mapping",
    "use one of the values listed": "web.fix.use_listed",
    "check the value and its unit": "web.fix.check_value_unit",
    "add at least one entry": "web.fix.add_entry",
    "remove the extra entries": "web.fix.remove_entries",
    "write a finite number": "web.fix.finite_number",
    "see the documented format of this key": "web.fix.see_format",
}
#: pydantic's words for a problem (what ``_validation`` passes on) → its message id
_MESSAGES = {
    "Field required": "web.problem.missing",
    "unknown key": "web.problem.unknown_key",
    "Input should be a valid number": "web.problem.a_number",
    "Input should be a valid number, unable to parse string as a number": "web.problem.a_number",
    "Input should be a valid integer": "web.problem.a_whole_number",
    "Input should be a valid boolean": "web.problem.true_or_false",
    "Input should be a valid string": "web.problem.text",
    "Input should be a valid list": "web.problem.a_list",
    "Input should be a valid dictionary": "web.problem.a_mapping",
    "Input should be a finite number": "web.problem.finite",
}
#: a catalogue problem whose command-line fix does not fit a form → the form's own fix
_FORM_FIX_IDS = {"problem.dossier_is_evidence": "web.fix.dossier_is_evidence"}
_GOT = re.compile(r"\A(?P<what>.*) \(got (?P<got>.*)\)\Z", re.S)
_BOUND = re.compile(r"\AInput should be (?P<relation>greater than or equal to|greater than|"
                    r"less than or equal to|less than) (?P<bound>-?[0-9.eE+-]+)\Z")
_ONE_OF = re.compile(r"\AInput should be (?P<values>'.*')\Z")
_SHORT = re.compile(r"\A(?:List|Value) should have at least 1 item")
_PATTERN = re.compile(r"\AString should match pattern ")
_DID_YOU_MEAN = re.compile(r"\Adid you mean (?P<key>.+)\? \(keys are checked, a misspelt key "
                           r"is an error\)\Z")
_ALLOWED = "remove it; allowed keys here: "


def _what(text: str, lang: Display) -> str | None:
    """A problem's message in ``lang``, when its kind is known."""
    got = _GOT.match(text)
    if got:
        inner = _what(got["what"], lang)
        return None if inner is None else message("web.problem.got",
                                                   {"problem": inner, "got": got["got"]}, lang)
    if text in _MESSAGES:
        return message(_MESSAGES[text], None, lang)
    bound = _BOUND.match(text)
    if bound:
        relation = "web.bound." + bound["relation"].replace(" ", "_")
        return message("web.problem.bound", {"relation": relation,
                                             "bound": float(bound["bound"])}, lang)
    one_of = _ONE_OF.match(text)
    if one_of:
        return message("web.problem.one_of",
                       {"values": re.findall(r"'[^']*'", one_of["values"])}, lang)
    if _SHORT.match(text):
        return message("web.problem.too_short", None, lang)
    if _PATTERN.match(text):
        return message("web.problem.pattern", None, lang)
    return None


def _fix(fix: str, lang: Display, *, in_a_field: bool) -> str | None:
    if not fix:
        return ""
    if in_a_field and fix in _FORM_FIXES:
        return message(_FORM_FIXES[fix], None, lang)
    if fix in _FIXES:
        return message(_FIXES[fix], None, lang)
    mean = _DID_YOU_MEAN.match(fix)
    if mean:
        return message("web.fix.did_you_mean", {"key": mean["key"]}, lang)
    if fix.startswith(_ALLOWED):
        return message("web.fix.remove_allowed", {"keys": fix.removeprefix(_ALLOWED)}, lang)
    return None


def _catalogued(problem: Problem, lang: Display) -> tuple[str, str] | None:
    """What and fix of a problem that names its catalogue message, in ``lang``; None when
    it names none the catalogue has (or its fix is not in the catalogue)."""
    messages = load_catalogue().messages
    if not problem.message_id or problem.message_id not in messages:
        return None
    fix_id = _FORM_FIX_IDS.get(problem.message_id, problem.message_id + ".fix")
    if fix_id not in messages and problem.fix:
        return None
    fix = message(fix_id, problem.params, lang) if fix_id in messages else ""
    return message(problem.message_id, problem.params, lang), fix


def problem_text(problem: Problem, lang: Display, *, with_path: bool) -> str | None:
    """A problem said in ``lang`` ("path: what — fix"), or None when its words are not
    known here (the page then shows the English, marked as English)."""
    catalogued = _catalogued(problem, lang)
    what: str | None
    fix: str | None
    if catalogued is not None:
        what, fix = catalogued
        with_path = with_path and not problem.about_file
    else:
        what, fix = _what(problem.message, lang), _fix(problem.fix, lang,
                                                       in_a_field=not with_path)
    if what is None or fix is None:
        return None
    if with_path and problem.path:
        what = message("web.problem.at", {"path": problem.path, "problem": what}, lang)
    return message("web.problem.with_fix", {"problem": what, "fix": fix}, lang) if fix else what


def _english(problem: Problem, *, with_path: bool) -> str:
    """The problem as the core wrote it (an English page, or words not known here)."""
    catalogued = _catalogued(problem, "en")
    if catalogued is not None:
        return problem_text(problem, "en", with_path=with_path) or problem.message
    text = problem.message
    if with_path and problem.path:
        text = f"{problem.path}: {text}"
    fix = problem.fix
    if not with_path and fix in _FORM_FIXES:
        fix = message(_FORM_FIXES[fix], None, "en")
    return f"{text} — {fix}" if fix else text


def form_message(item: FormMessage | Markup, lang: Display) -> Markup | str:
    """A form error as the page shows it: Markup when it is in the page's language, plain
    text (English, marked as such by the page) when it is not."""
    if isinstance(item, Markup):
        return item
    if isinstance(item, Said):
        return escape(message(item.message_id, item.params, lang))
    if isinstance(item, ProblemSaid):
        said = None if lang == "en" else problem_text(item.problem, lang,
                                                      with_path=item.with_path)
        if said is not None:
            return escape(said)
        return _english(item.problem, with_path=item.with_path)
    return item
