"""``solidcheck charging webhooks``: receivers of the live alert changes of ``solidcheck
serve`` — add (prints the signing secret once), list, remove, and each one's delivery log.
A running server sees a change made here within ``SOLIDCHECK_WEBHOOK_REFRESH_S``."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .charging_stations import _actor
from .common import LangOption, language, say
from .registry_access import DatabaseOption, opened_registry

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(help="Receivers of the live alerts (webhooks): add, list, remove, "
                           "deliveries.", no_args_is_help=True)


def _severities() -> tuple[str, ...]:
    """The tiers of the rule set the server follows (SOLIDCHECK_OCPP_RULESET)."""
    from ..charging.rules import load_charging_ruleset
    from ..charging.webhooks import severities_of

    name = os.environ.get("SOLIDCHECK_OCPP_RULESET") or "cn-alliance-wp-2026"
    return severities_of(load_charging_ruleset(name))


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The receiver's http:// or https:// URL.")],
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="An alert kind to send (repeat for more; default all).")] = None,
    min_severity: Annotated[str | None, typer.Option(
        "--min-severity", help="The least severe tier to send (default all).")] = None,
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """Register a receiver. Its signing secret is printed once, alone on the last line."""
    display = language(lang)
    severities = _severities()
    with opened_registry(database, create=True) as registry:
        record, secret = registry.add_webhook(url, actor=_actor(), severities=severities,
                                              kinds=kind or None, min_severity=min_severity)
    typer.echo(say("charging.webhooks.added", display, id=record.id, url=record.url), err=True)
    typer.echo(secret)


@webhooks_app.command("list")
def list_(database: DatabaseOption = None, lang: LangOption = None) -> None:
    """The registered receivers (never their secrets)."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        webhooks = registry.list_webhooks()
    if not webhooks:
        typer.echo(say("charging.webhooks.none", display))
    every = say("charging.webhooks.all", display)
    for record in webhooks:
        typer.echo(say("charging.webhooks.row", display, id=record.id, url=record.url,
                       kinds=",".join(record.kinds) if record.kinds else every,
                       severity=record.min_severity or every,
                       date=f"{record.created_at:%Y-%m-%d}"))


@webhooks_app.command("remove")
def remove(
    webhook_id: Annotated[str, typer.Argument(metavar="ID")],
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """Remove a receiver and its delivery log."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        record = registry.remove_webhook(webhook_id, actor=_actor())
    typer.echo(say("charging.webhooks.removed", display, id=record.id, url=record.url))


@webhooks_app.command("deliveries")
def deliveries(
    webhook_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Lines shown.")] = 50,
    before: Annotated[int | None, typer.Option(
        min=1, help="Lines older than this one (the next page).")] = None,
    database: DatabaseOption = None,
    lang: LangOption = None,
) -> None:
    """A receiver's delivery log, newest first: each change queued, each attempt (status,
    time taken, error, next attempt), each change dropped."""
    display = language(lang)
    with opened_registry(database, create=True) as registry:
        lines = registry.webhook_deliveries(webhook_id, limit=limit, before=before)
    if not lines:
        typer.echo(say("charging.webhooks.no_deliveries", display, id=webhook_id))
    for line in lines:
        typer.echo(say("charging.webhooks.delivery_row", display, line=str(line.id),
                       at=line.at.isoformat(timespec="seconds"), delivery=line.delivery_id,
                       alert=line.alert_id, event=line.event, attempt=str(line.attempt),
                       outcome=line.outcome,
                       status=str(line.status_code) if line.status_code else "—",
                       ms=f"{line.duration_ms:.0f}" if line.duration_ms is not None else "—",
                       error=line.error or ""))
    if len(lines) == limit:
        typer.echo(say("charging.webhooks.more", display, before=str(lines[-1].id)))
