"""``solidcheck charging ingest``: the inputs to the canonical tables
(docs/charging-inputs.md), and the summary of what was read."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .charging_options import ChargePointOption
from .common import LangOption, language, say

if TYPE_CHECKING:
    from ..charging.ingest import Ingested
    from ..i18n import Display

__all__ = ["add_ingest"]

#: how many rejected lines and schema-invalid frames the summary lists (all are in the tables)
_LISTED = 20


def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="OCPP logs (JSON Lines, CSV or the OCA "
                                                 "test tool's log), IRVE files (dynamique, "
                                                 "sessions, statique), OCPI exports, T/CEC 102 "
                                                 "messages, maintenance tickets or an "
                                                 "inventory, gzip or not; or a folder of "
                                                 "them, e.g. one `charging synth` wrote.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the tables, one "
                                         "Parquet file each (made if missing).")],
    charge_point: ChargePointOption = None,
    ocpp_version: Annotated[str | None, typer.Option(
        "--ocpp-version", metavar="1.6|2.0.1|2.1", help="The OCPP version, for logs that do "
        "not name it (default: the log's header, else what its actions show).")] = None,
    lang: LangOption = None,
) -> None:
    """Read OCPP frame logs and IRVE files into the canonical tables (frames, port_events,
    transaction_events, station_events, sessions, inventory, rejected) and print what was
    read."""
    from ..charging.ingest import ingest as run
    from ..charging.ingest import write_tables
    from ..charging.metrics_inputs import input_files

    display = language(lang)
    result = run(input_files(inputs), charge_point_id=charge_point, ocpp_version=ocpp_version)
    write_tables(result.tables, output)
    for line in summary(result, display):  # plain lines: a long path or hash is not wrapped
        typer.echo(line)
    typer.echo(say("charging.ingest.written", display, output=str(output)))


def summary(result: Ingested, lang: Display) -> list[str]:
    """The summary's lines: each input, rejections, schema failures, counts by action and
    by state."""
    lines: list[str] = []
    for item in result.inputs:
        if item.ocpp_version is None:  # an IRVE file
            lines.append(say("charging.ingest.input_irve", lang, source=item.source,
                             format=item.format, sha256=item.sha256))
            lines.append(say("charging.ingest.counts_irve", lang, rows=item.rows,
                             rejected=item.rejected, other=item.other_lines))
            continue
        lines.append(say("charging.ingest.input", lang, source=item.source, format=item.format,
                         version=item.ocpp_version, sha256=item.sha256))
        lines.append(say("charging.ingest.counts", lang, frames=item.frames,
                         rejected=item.rejected, other=item.other_lines))
    for row in result.tables["rejected"].to_pylist()[:_LISTED]:
        reason = say(row["reason"], lang, detail=row["detail"] or "")
        lines.append(say("charging.ingest.rejected_line", lang, source=row["source"],
                         line=row["line"], reason=reason))
    frames = result.tables["frames"].to_pylist()
    invalid = [row for row in frames if row["valid"] is False]
    if invalid:
        lines.append(say("charging.ingest.invalid_frames", lang, count=len(invalid)))
        lines += [say("charging.ingest.invalid_frame", lang, source=row["source"],
                      line=row["line"], action=row["action"] or "?", problem=row["problem"])
                  for row in invalid[:_LISTED]]
    lines.append(say("charging.ingest.by_action", lang))
    unmatched = say("charging.ingest.unmatched", lang)
    counts = Counter((row["action"] or unmatched, row["message_type"]) for row in frames)
    for action in sorted({action for action, _ in counts}):
        lines.append(say("charging.ingest.action_row", lang, action=action,
                         calls=counts[action, "call"], results=counts[action, "result"],
                         errors=counts[action, "error"]))
    lines.append(say("charging.ingest.by_state", lang))
    states = Counter(result.tables["port_events"].column("state").to_pylist())
    lines += [say("charging.ingest.state_row", lang, state=state, count=count)
              for state, count in sorted(states.items())]
    lines.append(say("charging.ingest.other_tables", lang,
                     transactions=result.tables["transaction_events"].num_rows,
                     stations=result.tables["station_events"].num_rows))
    lines.append(say("charging.ingest.irve_tables", lang,
                     sessions=result.tables["sessions"].num_rows,
                     inventory=result.tables["inventory"].num_rows))
    # ch-readers: maintenance tickets (OCPI, T/CEC 102 and the inventory fill the tables above)
    lines.append(say("charging.ingest.ticket_table", lang,
                     tickets=result.tables["tickets"].num_rows))
    return lines



def add_ingest(app: typer.Typer) -> None:
    """Add ``ingest`` to the ``charging`` group."""
    app.command("ingest")(ingest)
