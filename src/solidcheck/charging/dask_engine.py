"""The Dask engine of ``solidcheck charging metrics`` and ``charging risk``: each bucket
computed on a Dask cluster (partitioned.py and risk/partitioned.py split the inputs and
join the results). The
buckets are written where the client runs, so the workers must see that folder (a local
cluster does; a remote one needs ``--scratch`` on a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from distributed import Client, as_completed

__all__ = ["dask_mapper"]


def dask_mapper(client: Client) -> Callable[[Callable[[Any], Any], Sequence[Any]],
                                            Iterable[Any]]:
    """partitioned.Mapper on ``client``: every bucket submitted at once, results (the
    metrics' parts, the risk data's frames) yielded as they finish."""
    def run(function: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        futures = client.map(function, list(items), pure=False)
        for future in as_completed(futures):
            yield future.result()
    return run
