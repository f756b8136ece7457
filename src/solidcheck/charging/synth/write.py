"""A simulated network to its files in a folder: the only part of :mod:`.synth` that writes.

Same network, same bytes: lines are in a fixed order, JSON keys in a fixed order, and the gzip
logs carry no time stamp.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Final

from .ocpp import frame_lines
from .record import Network
from .tables import dynamique_csv, sessions_csv, statique_csv, tickets_csv
from .truth import truth

__all__ = ["FILES", "write_network"]

#: every file a network may have; a kind of station the network lacks has no file
FILES: Final = ("ocpp16.jsonl.gz", "ocpp201.jsonl.gz", "irve_dynamique.csv",
                "irve_sessions.csv", "irve_statique.csv", "tickets.csv", "truth.json")
_LOGS: Final = {"1.6": "ocpp16.jsonl.gz", "2.0.1": "ocpp201.jsonl.gz"}


def write_network(network: Network, folder: Path) -> list[Path]:
    """Write the network's files into ``folder`` (made if missing; files of an earlier network
    there are replaced, so an old log is never ingested with a new truth) and return them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).unlink(missing_ok=True)
    texts: dict[str, bytes] = {}
    for protocol, name in _LOGS.items():
        lines = sorted((when, number, line)
                       for number, station in enumerate(network.stations)
                       if station.protocol == protocol
                       for when, line in frame_lines(station))
        if lines:
            body = "".join(line + "\n" for _, _, line in lines).encode("utf-8")
            texts[name] = gzip.compress(body, compresslevel=1, mtime=0)
    for name, text in (("irve_dynamique.csv", dynamique_csv(network)),
                       ("irve_sessions.csv", sessions_csv(network)),
                       ("irve_statique.csv", statique_csv(network)),
                       ("tickets.csv", tickets_csv(network))):
        if text is not None:
            texts[name] = text.encode("utf-8")
    texts["truth.json"] = (json.dumps(truth(network), ensure_ascii=False, indent=1)
                           + "\n").encode("utf-8")
    written = []
    for name in FILES:
        if name in texts:
            path = folder / name
            path.write_bytes(texts[name])
            written.append(path)
    return written
