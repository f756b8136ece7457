"""The Dask engine of ``solidcheck charging metrics``: each port-hash bucket's parts computed
on a Dask cluster (partitioned.py splits the port events and assembles the parts). The
buckets are written where the client runs, so the workers must see that folder (a local
cluster does; a remote one needs ``--scratch`` on a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from distributed import Client, as_completed

from .parts import PortParts

__all__ = ["dask_mapper"]


def dask_mapper(client: Client) -> Callable[[Callable[[Any], PortParts], Sequence[Any]],
                                            Iterable[PortParts]]:
    """partitioned.Mapper on ``client``: every bucket submitted at once, parts yielded as
    they finish."""
    def run(function: Callable[[Any], PortParts], items: Sequence[Any]) -> Iterator[PortParts]:
        futures = client.map(function, list(items), pure=False)
        for future in as_completed(futures):
            yield future.result()
    return run
