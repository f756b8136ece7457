"""CPU-heavy work: off the event loop, a few at a time, within a time budget.

Why a pool of its own: the event loop answers every request, so a second of CPU spent on it
(a dossier of thousands of specimens, its plot, an ``.xlsx`` oven log, a long text to audit,
a PDF report) is a second in which nobody — a health probe included — is answered. Starlette's
thread pool is no better a home: it is shared with every light sync route (40 threads), so
forty slow requests would leave ``/healthz`` without a thread and the CPUs oversubscribed.

So every heavy call goes through :func:`run` (from the event loop) or :func:`run_blocking`
(from a sync route's worker thread) into the app's pool:

- ``SOLIDCHECK_HEAVY_WORKERS`` threads (default: the CPUs) do the work;
- at most ``SOLIDCHECK_HEAVY_QUEUE`` more calls wait for one; beyond that a request is
  answered 503 with ``Retry-After`` at once, before any work;
- a request waits and runs at most ``SOLIDCHECK_REQUEST_BUDGET_S`` seconds; then it is
  answered 503. A queued call is dropped then; a running one cannot be stopped (Python
  threads cannot be killed), so it runs to its end *keeping its worker*: a flood of slow
  requests fills the pool and the queue and is refused, instead of piling up threads.

Each app has its pool (``create_app`` makes it from the settings, ``app.state.heavy``); the
``UseHeavyPool`` middleware makes it the one :func:`run` and :func:`run_blocking` use while
a request is served, so code deep in a route (a report's rendering) needs no handle on it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

import anyio
from starlette.exceptions import HTTPException

__all__ = ["HeavyWork", "current", "run", "run_blocking", "using"]

P = ParamSpec("P")
T = TypeVar("T")

#: what a refused caller is told to wait: a worker usually frees within seconds
RETRY_AFTER_S = 5
_in_heavy_thread = threading.local()


class HeavyWork:
    """A bounded pool for CPU-heavy calls (see the module's docstring)."""

    def __init__(self, *, workers: int, queue: int, budget_s: float) -> None:
        if workers < 1 or queue < 0 or budget_s <= 0:
            raise ValueError("workers must be ≥ 1, queue ≥ 0 and budget_s > 0")
        self.workers = workers
        self.queue = queue
        self.budget_s = budget_s
        self._executor: ThreadPoolExecutor | None = None  # made on first use
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not yet finished: running and waiting

    @property
    def pending(self) -> int:
        """Calls running or waiting now (a call over budget counts until it ends)."""
        return self._pending

    def _busy(self) -> HTTPException:
        return HTTPException(503, f"the server is busy: {self.workers} heavy requests are "
                             f"running and {self.queue} waiting — retry after "
                             f"{RETRY_AFTER_S} s", headers={"Retry-After": str(RETRY_AFTER_S)})

    def _over_budget(self) -> HTTPException:
        return HTTPException(503, f"the request took longer than this server's budget of "
                             f"{self.budget_s:g} s (SOLIDCHECK_REQUEST_BUDGET_S) — send a "
                             "smaller file, or retry when the server is less busy",
                             headers={"Retry-After": str(RETRY_AFTER_S)})

    def _submit(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._pending >= self.workers + self.queue:
                raise self._busy()
            self._pending += 1
        call = functools.partial(func, *args, **kwargs)
        try:
            future = self._threads().submit(contextvars.copy_context().run, call)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: object) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``func(*args, **kwargs)`` on a heavy worker, awaited from the event loop; 503 when
        the pool and its queue are full or the budget is spent."""
        future = self._submit(func, *args, **kwargs)
        try:
            with anyio.fail_after(self.budget_s):
                # cancelling the wrapper (budget, client gone) cancels a call still queued
                return await asyncio.wrap_future(future)
        except TimeoutError:
            future.cancel()
            raise self._over_budget() from None

    def run_blocking(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The same from a sync route's worker thread (it waits there). Called from a heavy
        worker itself, ``func`` runs in place: waiting for a second worker could deadlock."""
        if getattr(_in_heavy_thread, "value", False):
            return func(*args, **kwargs)
        future = self._submit(func, *args, **kwargs)
        try:
            return future.result(timeout=self.budget_s)
        except FutureTimeout:
            future.cancel()
            raise self._over_budget() from None

    def _threads(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.workers,
                                                    thread_name_prefix="solidcheck-heavy",
                                                    initializer=_mark_heavy_thread)
            return self._executor

    def close(self) -> None:
        """Let the idle threads end (calls already submitted still end); a later call
        starts new ones — an app may be started again after it was shut down."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=False)


def _mark_heavy_thread() -> None:
    _in_heavy_thread.value = True


#: the pool of the app serving the current request (set by the UseHeavyPool middleware)
_request_pool: ContextVar[HeavyWork | None] = ContextVar("solidcheck_heavy_pool", default=None)
_default: HeavyWork | None = None
_default_lock = threading.Lock()


@contextmanager
def using(pool: HeavyWork) -> Iterator[HeavyWork]:
    """Within the block (and the threads and tasks it starts), heavy calls go to ``pool``."""
    token = _request_pool.set(pool)
    try:
        yield pool
    finally:
        _request_pool.reset(token)


def current() -> HeavyWork:
    """The pool of the app serving this request; outside a request, one of the default size
    (made on first use)."""
    global _default
    pool = _request_pool.get()
    if pool is not None:
        return pool
    with _default_lock:
        if _default is None:
            from .settings import Settings

            defaults = Settings()
            _default = HeavyWork(workers=defaults.heavy_workers, queue=defaults.heavy_queue,
                                 budget_s=defaults.request_budget_s)
        return _default


async def run(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """:meth:`HeavyWork.run` on the current pool."""
    return await current().run(func, *args, **kwargs)


def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """:meth:`HeavyWork.run_blocking` on the current pool."""
    return current().run_blocking(func, *args, **kwargs)
