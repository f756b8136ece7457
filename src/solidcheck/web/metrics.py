"""Prometheus metrics of one app, in a registry of its own (so many apps in one process, as
in the tests, never share or clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

__all__ = ["CONTENT_TYPE", "Metrics"]

#: the text format every Prometheus server reads
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Requests by route template and status, their latency, and results stored."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "solidcheck_http_requests", "HTTP requests answered, by method, route template "
            "(never the raw path) and status", ["method", "route", "status"],
            registry=self.registry)
        self.latency = Histogram(
            "solidcheck_http_request_duration_seconds", "Time to answer a request, by method "
            "and route template", ["method", "route"], buckets=_LATENCY_BUCKETS,
            registry=self.registry)
        self.results_stored = Counter(
            "solidcheck_results_stored", "Classification results this server stored in the "
            "registry, by category", ["category"], registry=self.registry)

    def observe_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def result_stored(self, category: str) -> None:
        self.results_stored.labels(category).inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
