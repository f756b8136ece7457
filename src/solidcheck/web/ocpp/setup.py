"""The endpoint as the settings make it: the rule set's ``live_endpoint`` rule, the frame-log
folder, the operator's id-token list. A bad setting is one error listing every problem."""

from __future__ import annotations

from pathlib import Path

from ...charging.rules import ChargingRuleset, EndpointRule, load_charging_ruleset
from ...errors import InvalidInputError, Problem, SolidcheckError
from ...registry import data_dir
from ..settings import Settings
from .endpoint import Endpoint

__all__ = ["endpoint_of", "live_ruleset_of", "read_id_tokens"]


def read_id_tokens(path: Path) -> frozenset[str]:
    """One accepted id token a line; blank lines and ``#`` comments skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines
                     if line.strip() and not line.lstrip().startswith("#"))


def live_ruleset_of(settings: Settings) -> ChargingRuleset:
    """The rule set the endpoint and the live alerts follow (checked by :func:`endpoint_of`
    first, so this cannot fail after it)."""
    return load_charging_ruleset(settings.ocpp_ruleset)


def endpoint_of(settings: Settings) -> Endpoint:
    problems: list[Problem] = []
    rule: EndpointRule | None = None
    try:
        rule = live_ruleset_of(settings).rules.live_endpoint
        if rule is None:
            problems.append(Problem("SOLIDCHECK_OCPP_RULESET", f"{settings.ocpp_ruleset} has "
                                    "no [rules.live_endpoint]", "name a rule set that has one "
                                    "(cn-alliance-wp-2026 does)"))
    except SolidcheckError as exc:
        problems.append(Problem("SOLIDCHECK_OCPP_RULESET", str(exc), "name an installed "
                                "charging rule set or a rule-set file"))
    tokens = None
    if settings.ocpp_id_tokens is not None:
        try:
            tokens = read_id_tokens(settings.ocpp_id_tokens)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem("SOLIDCHECK_OCPP_ID_TOKENS", f"cannot read "
                                    f"{settings.ocpp_id_tokens}: {exc}", "name a UTF-8 text "
                                    "file, one id token a line"))
    if problems or rule is None:
        raise InvalidInputError(problems)
    log_dir = settings.ocpp_log_dir or data_dir() / "ocpp-frames"
    return Endpoint.of(log_dir=log_dir, rule=rule, id_tokens=tokens)
