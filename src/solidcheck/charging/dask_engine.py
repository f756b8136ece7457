"""The Dask engine of ``solidcheck charging metrics``: each port-hash bucket's parts computed
on a Dask cluster (partitioned.py splits the port events and assembles the parts). The
buckets are written where the client runs, so the workers must see that folder (a local
cluster does; a remote one needs ``--scratch`` on a shared file system).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster, as_completed

from ..errors import ChargingInputError, Problem
from .parts import PortParts

__all__ = ["dask_client", "dask_mapper"]


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, else of a local cluster with a worker
    process per core; an unreachable scheduler is invalid input."""
    if scheduler is not None:
        try:
            connected = Client(scheduler)
        except (OSError, ValueError) as exc:
            raise ChargingInputError([Problem(
                "--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                "check the address (tcp://host:8786) and that the scheduler is running")]
            ) from None
        with connected:
            yield connected
        return
    with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as local:
        yield local


def dask_mapper(client: Client) -> Callable[[Callable[[Any], PortParts], Sequence[Any]],
                                            Iterable[PortParts]]:
    """partitioned.Mapper on ``client``: every bucket submitted at once, parts yielded as
    they finish."""
    def run(function: Callable[[Any], PortParts], items: Sequence[Any]) -> Iterator[PortParts]:
        futures = client.map(function, list(items), pure=False)
        for future in as_completed(futures):
            yield future.result()
    return run
