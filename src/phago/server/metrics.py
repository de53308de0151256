"""Prometheus metrics in a registry owned by one app (never the process-global registry).

Request counts and latency histograms are labelled by the *route template* (``/api/documents/{document_id}``),
so ids never explode the label space. Colony gauges are read from the open tenants at scrape time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phago.server.tenants import Tenants

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

access_log = logging.getLogger("phago.server.access")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "phago_http_requests", "HTTP requests by method, route template and status.",
            ("method", "route", "status"), registry=self.registry,
        )
        self.latency = Histogram(
            "phago_http_request_duration_seconds", "HTTP request latency by method and route template.",
            ("method", "route"), buckets=_BUCKETS, registry=self.registry,
        )
        self.ws_clients = Gauge(
            "phago_ws_clients", "Connected WebSocket event clients.", registry=self.registry
        )
        self.events_dropped = Counter(
            "phago_ws_events_dropped", "Events dropped from slow WebSocket clients' queues.",
            registry=self.registry,
        )
        self.ticks = Counter("phago_background_ticks", "Background ticks run.", registry=self.registry)
        self.tick_errors = Counter(
            "phago_background_tick_errors", "Background tick batches that failed.", registry=self.registry
        )

    def watch(self, tenants: Tenants) -> Collector:
        """Report ``tenants``' colony gauges; returns the collector (unregister it at shutdown)."""
        collector = _ColonyCollector(tenants)
        self.registry.register(collector)
        return collector

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ColonyCollector(Collector):
    _GAUGES: tuple[tuple[str, str], ...] = (
        ("tick", "Colony tick."),
        ("documents", "Documents held."),
        ("undigested_documents", "Documents not yet fully digested."),
        ("passages", "Passages held."),
        ("concepts", "Concepts in the graph."),
        ("edges", "Edges in the graph."),
        ("insights", "Insights reported."),
        ("anomalies", "Anomalies flagged."),
        ("mean_edge_weight", "Mean edge weight."),
    )

    def __init__(self, tenants: Tenants) -> None:
        self._tenants = tenants

    def describe(self) -> Iterable[Metric]:
        return []  # colony gauges are dynamic; nothing to check at registration

    def collect(self) -> Iterable[Metric]:
        families = {
            name: GaugeMetricFamily(f"phago_colony_{name}", doc, labels=["tenant"])
            for name, doc in self._GAUGES
        }
        agents = GaugeMetricFamily("phago_colony_agents", "Living agents by kind.", labels=["tenant", "kind"])
        for tenant in self._tenants.all():
            s = tenant.colony.stats()
            for name, fam in families.items():
                fam.add_metric([tenant.name], float(getattr(s, name)))
            for kind, n in s.agents.items():
                agents.add_metric([tenant.name, kind], float(n))
        yield from families.values()
        yield agents


class MetricsMiddleware:
    """Pure ASGI middleware: count, time and log every HTTP request by its route template."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = self.clock() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": method, "path": scope["path"], "route": template, "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "tenant": scope.get("state", {}).get("tenant"),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
