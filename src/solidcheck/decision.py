"""The decision table: which category a cell gets, in which order the questions are asked,
and the finding each answer gives — one table for every engine.

``classify`` (one dossier at a time) and the vectorised batch engine evaluate the same named
predicates and take the *first* branch whose predicate holds; the category, the rule cited,
the severity and the message come from the row, never from engine code. The predicates, by
``Branch.name`` (each row is asked only if every row above is false):

- ``liquid_by_phases``: the declared phases are exactly {liquid};
- ``hybrid_by_phases``: the declared phases are exactly {solid, liquid};
- ``no_test``: there is no weight-loss test;
- ``liquid_seen``: ``weight_loss_test.visible_liquid`` is true;
- ``invalid_test``: the test's conditions are not valid (temperature, duration, pressure,
  number of specimens);
- ``over_limit``: the deciding rate does not meet the limit;
- ``visual_check_missing``: ``visible_liquid`` is null and the rule set's visual check is
  mandatory;
- ``solid_state``: always (the last row).

A row-wise engine uses :func:`first_branch`; a columnar one builds one boolean column per
predicate of ``DECISION_TABLE[:-1]``, in order, and picks the row index with
``np.select(columns, range(len(columns)), default=len(DECISION_TABLE) - 1)`` — the earliest
true column wins, as here. With the ``solid_state`` branch,
when ``visible_liquid`` is null (and the check is not mandatory) the finding
:data:`VISUAL_CHECK_RECOMMENDED` comes first. Every parameter of these messages comes from the
rule set alone: :func:`branch_params`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import Category, FindingParam, Severity
from .rules import Ruleset

__all__ = ["DECISION_TABLE", "VISUAL_CHECK_RECOMMENDED", "Branch", "branch_by_name",
           "branch_params", "first_branch"]


@dataclass(frozen=True, slots=True)
class Branch:
    """One row: the predicate's name, and what holds when it is the first that does."""

    name: str
    category: Category
    rule: str
    severity: Severity
    message_id: str


DECISION_TABLE: tuple[Branch, ...] = (
    Branch("liquid_by_phases", "liquid", "classification_by_phases", "info",
           "decision.liquid_by_phases"),
    Branch("hybrid_by_phases", "hybrid_solid_liquid", "classification_by_phases", "info",
           "decision.hybrid_by_phases"),
    Branch("no_test", "undetermined", "solid_state_requires_test", "error", "decision.no_test"),
    # liquid seen settles it, whatever the oven did
    Branch("liquid_seen", "hybrid_solid_liquid", "visual_check", "error",
           "decision.liquid_seen"),
    Branch("invalid_test", "undetermined", "solid_state_requires_test", "error",
           "decision.invalid_test"),
    Branch("over_limit", "hybrid_solid_liquid", "weight_loss_limit", "error",
           "decision.over_limit"),
    Branch("visual_check_missing", "undetermined", "visual_check", "error",
           "decision.visual_check_missing"),
    Branch("solid_state", "solid_state", "solid_state_requires_test", "info",
           "decision.solid_state"),
)

#: the warning before ``solid_state`` when the opened cell was not inspected
VISUAL_CHECK_RECOMMENDED = Branch("visual_check_recommended", "solid_state", "visual_check",
                                  "warning", "decision.visual_check_recommended")


def branch_by_name(name: str) -> Branch:
    """The row named ``name`` (or :data:`VISUAL_CHECK_RECOMMENDED`)."""
    for branch in (*DECISION_TABLE, VISUAL_CHECK_RECOMMENDED):
        if branch.name == name:
            return branch
    raise KeyError(f"no branch {name!r} in the decision table")


def first_branch(holds: Callable[[str], bool]) -> Branch:
    """The first row whose predicate holds; ``holds(name)`` is asked in table order and only
    until one is true, so a predicate may assume that every one above it is false.

    >>> first_branch(lambda name: name in {"no_test", "over_limit"}).category
    'undetermined'
    """
    for branch in DECISION_TABLE[:-1]:
        if holds(branch.name):
            return branch
    return DECISION_TABLE[-1]


def branch_params(branch: Branch, ruleset: Ruleset) -> dict[str, FindingParam]:
    """The parameters of the branch's message: the rule set's numbers it quotes."""
    rules = ruleset.rules
    if branch.name in ("no_test", "invalid_test"):
        return {"temperature": rules.test_temperature.temperature_c,
                "duration": rules.test_duration.min_duration_h,
                "pressure": rules.test_pressure.max_pressure_pa}
    if branch.name in ("over_limit", "solid_state"):
        return {"limit": rules.weight_loss_limit.limit_percent}
    if branch.name == "visual_check_recommended":
        return {"temperature": rules.test_temperature.temperature_c}
    return {}
