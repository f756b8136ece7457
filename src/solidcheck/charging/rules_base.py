"""The charging rule's base: a rule with provenance and a certainty mark, shared by the metric
grammar (charging/rules.py) and the alert grammar (charging/alert_rules.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ..rules import Rule

__all__ = ["Certainty", "ChargingRule"]

#: how sure the project is of a fact (docs/charging.md): several sources / one source /
#: a project assumption / not known
Certainty = Literal["firm", "single", "assumed", "unknown"]


class ChargingRule(Rule):
    """A rule with its provenance (as the battery rules) and how sure the project is of it."""

    certainty: Certainty

    @model_validator(mode="after")
    def _certainty_matches(self) -> ChargingRule:
        if (self.provenance == "assumption") != (self.certainty == "assumed"):
            raise ValueError("certainty 'assumed' goes with provenance 'assumption', and only "
                             "with it")
        return self
