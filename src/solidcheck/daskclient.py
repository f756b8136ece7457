"""A Dask client for the engines that run on a cluster (``batch --engine dask``, ``charging
metrics --engine dask``): the scheduler given, else a local cluster with a worker process per
core. An unreachable scheduler is invalid input (exit 2), said the same way for both.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from distributed import Client, LocalCluster

from .errors import InvalidInputError, Problem

__all__ = ["dask_client"]


@contextlib.contextmanager
def dask_client(scheduler: str | None, *, client: Client | None = None) -> Iterator[Client]:
    """``client`` when given (the caller's own), else one of ``scheduler``, else of a local
    cluster; the clients made here are closed on leaving."""
    if client is not None:
        yield client
    elif scheduler is not None:
        try:
            connected = Client(scheduler)
        except (OSError, ValueError) as exc:
            raise InvalidInputError([Problem(
                "--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                "check the address (tcp://host:8786) and that the scheduler is running")]
            ) from None
        with connected:
            yield connected
    else:
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                          dashboard_address=None) as cluster, Client(cluster) as local:
            yield local
