"""Prometheus metrics, in a registry of the app's own (two apps in one process never collide)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: F401 (re-exported)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "edgeclass_requests",
            "HTTP requests answered, by route and status code",
            ["path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "edgeclass_request_seconds",
            "Time from request to response, by route",
            ["path"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.images = Counter(
            "edgeclass_images",
            "Images answered, by status; `cancelled`: dropped unanswered (the client left, the "
            "request timed out or went over its budget)",
            ["status"],
            registry=self.registry,
        )
        self.decode_seconds = Histogram(
            "edgeclass_decode_seconds",
            "Time to decode and preprocess one image (its count: images decoded)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "edgeclass_batch_size",
            "Images per onnxruntime call",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "edgeclass_queue_depth",
            "Images admitted and not yet answered (decoding, waiting for a batch or running)",
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "edgeclass_requests_in_flight",
            "Requests being received or worked on (health probes and /metrics not counted)",
            registry=self.registry,
        )
        self.rejected = Counter(
            "edgeclass_rejected",
            "Requests refused, by reason (queue_full, timeout, request_budget, client_budget)",
            ["reason"],
            registry=self.registry,
        )

        self.connections = Gauge(
            "edgeclass_connections_open", "Open client connections", registry=self.registry
        )
        self.connections_closed = Counter(
            "edgeclass_connections_closed",
            "Connections closed by a limit: evicted (--max-connections), timeout (a deadline "
            "of --keep-alive, --header-timeout or --timeout), refused (all busy at the cap)",
            ["reason"],
            registry=self.registry,
        )

    def watch_connections(self, table) -> None:
        """Report the connections of `table` (an edgeclass.serve.protocol.ConnectionTable)."""
        self.connections.set_function(lambda: len(table))
        table.on_close = lambda reason: self.connections_closed.labels(reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
