"""An invalid input's problems in the reader's language.

A :class:`~solidcheck.errors.Problem` that names its message in the catalogue
(``message_id``, its fix ``<message_id>.fix``, both in ``cli_inputs.toml``) is said in the
language asked; any other keeps the English it was raised with. One problem with the file
itself ("no such file: PATH") is the whole message: no header, no "(top level)".
"""

from __future__ import annotations

from ..errors import InvalidInputError, Problem
from .catalogue import Display, load_catalogue

__all__ = ["said_invalid_input", "said_problem"]


def said_problem(problem: Problem, lang: Display) -> str:
    """One problem, "where: what — fix", in ``lang`` when the catalogue has its words."""
    catalogue = load_catalogue()
    if lang == "en" or not problem.message_id or problem.message_id not in catalogue.messages:
        return str(problem)
    what = catalogue.render(problem.message_id, problem.params, lang)
    if not problem.about_file:
        what = catalogue.render("problem.at", {"path": problem.path or "(top level)",
                                               "problem": what}, lang)
    fix_id = problem.message_id + ".fix"
    fix = (catalogue.render(fix_id, problem.params, lang) if fix_id in catalogue.messages
           else problem.fix)
    return f"{what} — {fix}" if fix else what


def said_invalid_input(error: InvalidInputError, lang: Display) -> str:
    """The message a person reads for ``error`` (``both``: English, then Chinese)."""
    if lang == "both":
        return said_invalid_input(error, "en") + "\n" + said_invalid_input(error, "zh")
    problems = error.problems
    if len(problems) == 1 and problems[0].about_file and not error.unlisted:
        return said_problem(problems[0], lang)
    if lang == "en":
        return str(error)
    catalogue = load_catalogue()
    count = len(problems) + error.unlisted
    what = f"input.{error.what}"
    header = (catalogue.render("problem.invalid_input", {
        "what": what, "source": error.source or "", "count": count}, lang)
        if what in catalogue.words else str(error).splitlines()[0])
    lines = [header, *(f"  - {said_problem(problem, lang)}" for problem in problems)]
    if error.unlisted:
        lines.append(catalogue.render("problem.more", {"count": error.unlisted}, lang))
    return "\n".join(lines)
