"""Classification without the registry: ``/classify``, ``/rulesets``, ``/terms``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from ...classify import classify
from ...localise import localise_result
from ...model import Result
from ...rules import available_rulesets
from ...terms import lookup_term
from .. import heavy
from ..inputs import dossier_body, installed_ruleset
from ..problems import error_responses
from ..ruleset_asked import asked_ruleset, dossier_and_ruleset
from ..schemas import RulesetOut, TermOut
from .openapi import DOSSIER_BODY
from .params import RulesetQuery, v1_router

__all__ = ["router"]

router = v1_router()

#: a dossier this small (the examples are under 1 KB) is read and classified in under a
#: millisecond, a worst case of this size (thousands of one-character values) in a few: on
#: the event loop, which is quicker than a worker thread's round trip; a larger one goes to a
#: heavy worker (``heavy.py``: bounded, within the request budget) so that it never holds up
#: others (32 KB of values took 30–70 ms)
_INLINE_DOSSIER_BYTES = 2 * 1024

#: the language of the findings' messages and clauses (the result's keys and data stay)
LangQuery = Annotated[Literal["en", "zh", "zh-Hant", "both"], Query(
    description="language of the findings' `message` and `clause`: en (default), zh "
                "(simplified Chinese), zh-Hant (traditional) or both")]


@router.post("/classify", response_model=Result, tags=["classification"],
             summary="Classify a dossier (nothing is stored)",
             responses=error_responses(413, 415, 503), openapi_extra=DOSSIER_BODY)
async def classify_dossier(body: Annotated[bytes, Depends(dossier_body)],
                           ruleset: RulesetQuery = None, lang: LangQuery = "en") -> Response:
    """The dossier's classification under the rule set: the same result as
    ``solidcheck classify --format json``.

    A dossier the schema accepts may still break a rule the schema does not state, and is
    then refused with 422 listing every problem: `electrolyte.solid_type` is given exactly
    when `solid` is among the phases; `phases` lists no value twice; `id` is not blank; a
    dossier holds at most 1,000 specimens and 1,000,000 bytes (413 beyond)."""
    if len(body) <= _INLINE_DOSSIER_BYTES:
        return _classify(body, ruleset, lang)
    return await heavy.run(_classify, body, ruleset, lang)


def _classify(body: bytes, ruleset_id: str | None, lang: str) -> Response:
    """The result serialised once (a Result returned would be validated again by FastAPI
    against ``response_model``, which documents it). A top-level ``ruleset`` key of the body
    names the rule set as ?ruleset= does."""
    installed_ruleset(ruleset_id)  # an unknown query: 422 before the body is parsed
    dossier, body_ruleset = dossier_and_ruleset(body)
    rules = asked_ruleset(ruleset_id, body_ruleset)
    result = classify(dossier, rules)
    if lang != "en":
        result = localise_result(result, lang, ruleset=rules)  # type: ignore[arg-type]
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/rulesets", response_model=list[RulesetOut], tags=["classification"],
            summary="The installed rule sets, the default first")
def list_rulesets() -> list[RulesetOut]:
    return [RulesetOut(id=r.id, title=r.ruleset.title, title_zh=r.ruleset.title_zh,
                       document=r.ruleset.document, status=r.ruleset.status,
                       default=r.ruleset.default,
                       limit_percent=r.rules.weight_loss_limit.limit_percent,
                       comparison=r.rules.weight_loss_limit.comparison,
                       visual_check_required=r.rules.visual_check.mandatory)
            for r in available_rulesets()]


@router.get("/terms", response_model=list[TermOut], tags=["classification"],
            summary="Look a term up in English or Chinese")
def find_terms(q: Annotated[str, Query(min_length=1, max_length=200, description="a term, "
                                       "e.g. semi-solid or 半固态电池; insensitive to case, "
                                       "hyphens, spaces and full-width forms")]
               ) -> list[TermOut]:
    """Exact matches first, then partial ones; an empty list when nothing matches."""
    return [TermOut.model_validate(match.as_dict()) for match in lookup_term(q)]

