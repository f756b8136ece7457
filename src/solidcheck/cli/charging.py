"""``solidcheck charging``: charging-station service quality — ``ingest`` (the inputs to the
canonical tables, docs/charging-inputs.md), ``metrics`` (docs/charging.md), ``report`` (the
open report and open data), ``synth`` (a synthetic network with its truth).

Each command is in its own module (``charging_ingest``, ``charging_metrics``,
``charging_synth``, ``charging_report``, ``charging_simulate``; the groups ``stations``,
``webhooks``, ``tickets``, ``risk``), added to the group here in the order the help lists
them; what they share is in ``charging_options`` and ``charging_compute``."""

from __future__ import annotations

import typer

__all__ = ["register"]

charging_app = typer.Typer(help="Charging-station service quality: the white paper's and the "
                           "regulators' metrics from OCPP logs, IRVE, OCPI, T/CEC 102 and "
                           "ticket files, the open report and synthetic networks.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``charging`` group, its commands and its sub-groups to ``app``."""
    from .charging_ingest import add_ingest
    from .charging_metrics import add_metrics
    from .charging_report import add_report
    from .charging_synth import add_synth

    add_ingest(charging_app)
    add_metrics(charging_app)
    add_synth(charging_app)
    add_report(charging_app)
    from .charging_simulate import add_simulate
    from .charging_stations import stations_app

    charging_app.add_typer(stations_app, name="stations")
    add_simulate(charging_app)
    from .charging_webhooks import webhooks_app  # ch18-hooks

    charging_app.add_typer(webhooks_app, name="webhooks")
    from .charging_tickets import tickets_app  # ch18-tickets

    charging_app.add_typer(tickets_app, name="tickets")
    from .charging_risk import risk_app  # issue 18: risk prediction

    charging_app.add_typer(risk_app, name="risk")
    app.add_typer(charging_app, name="charging")


