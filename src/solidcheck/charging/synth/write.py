"""A simulated network to its files in a folder: the only part of :mod:`.synth` that writes.

Same network, same bytes: lines are in a fixed order, JSON keys in a fixed order, and the gzip
logs carry no name or time stamp.
"""

from __future__ import annotations

import gzip
import heapq
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from .ocpp import frame_lines
from .record import Network, Station
from .tables import dynamique_csv, sessions_csv, statique_csv, tickets_csv
from .truth import truth

__all__ = ["FILES", "write_network"]

#: every file a network may have; a kind of station the network lacks has no file
FILES: Final = ("ocpp16.jsonl.gz", "ocpp201.jsonl.gz", "irve_dynamique.csv",
                "irve_sessions.csv", "irve_statique.csv", "tickets.csv", "truth.json")
_LOGS: Final = {"1.6": "ocpp16.jsonl.gz", "2.0.1": "ocpp201.jsonl.gz"}
#: log lines written to the gzip stream at a time
_CHUNK: Final = 20_000


def write_network(network: Network, folder: Path) -> list[Path]:
    """Write the network's files into ``folder`` (made if missing; files of an earlier network
    there are replaced, so an old log is never ingested with a new truth) and return them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).unlink(missing_ok=True)
    written = []
    for protocol, name in _LOGS.items():
        stations = [(number, station) for number, station in enumerate(network.stations)
                    if station.protocol == protocol]
        if stations:
            _write_log(folder / name, stations)
            written.append(folder / name)
    for name, text in (("irve_dynamique.csv", dynamique_csv(network)),
                       ("irve_sessions.csv", sessions_csv(network)),
                       ("irve_statique.csv", statique_csv(network)),
                       ("tickets.csv", tickets_csv(network)),
                       ("truth.json", json.dumps(truth(network), ensure_ascii=False, indent=1)
                        + "\n")):
        if text is not None:
            (folder / name).write_bytes(text.encode("utf-8"))
            written.append(folder / name)
    return written


def _write_log(path: Path, stations: list[tuple[int, Station]]) -> None:
    """The stations' frames merged in time order (each station's already are), streamed, so a
    month of a large network is never held whole; fast compression."""
    def keyed(number: int, station: Station) -> Iterator[tuple[int, int, str]]:
        for when, line in frame_lines(station):
            yield when, number, line

    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                               compresslevel=1, mtime=0) as out:
        chunk: list[str] = []
        for _, _, line in heapq.merge(*(keyed(number, station)
                                        for number, station in stations)):
            chunk.append(line)
            if len(chunk) == _CHUNK:
                out.write(("\n".join(chunk) + "\n").encode("utf-8"))
                chunk.clear()
        if chunk:
            out.write(("\n".join(chunk) + "\n").encode("utf-8"))
