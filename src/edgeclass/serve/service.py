"""Admission, decoding and batched inference for one request's images, with its limits.

Decoding runs on a thread pool and inference on the batcher's worker thread, so the event loop
only waits. Before any work a request is weighed (its images' declared pixels, its client's
share) and admitted, counted in images: when `max_queue` images are already in the server, a
request is refused at once (503) instead of joining an ever-growing backlog. A request that ends
early (its client left, its time ran out, its decoding budget is spent) takes its images with it:
those not decoded yet are never decoded, those waiting for a batch leave the queue.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from edgeclass.runtime import Classifier
from edgeclass.runtime.images import ImageLoadError
from edgeclass.runtime.in_memory import PreparedImage, failed_result, prepare_bytes, result_for
from edgeclass.runtime.results import ClassificationResult
from edgeclass.serve.batcher import Batcher, Predict
from edgeclass.serve.budgets import (
    ClientBudgets,
    RequestDecoding,
    check_request_pixels,
    declared_pixels,
)
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.errors import QueueFull, RequestTimeout
from edgeclass.serve.metrics import Metrics


class InferenceService:
    def __init__(
        self,
        classifier: Classifier,
        config: ServeConfig,
        metrics: Metrics,
        *,
        predict: Predict | None = None,
    ) -> None:
        self.classifier = classifier
        self.config = config
        self.metrics = metrics
        self.admitted = 0
        self.decoding = 0  # images on the decode pool: the batcher waits for them, not others
        self.requests_in_flight = 0  # requests being read or worked on (not the probes)
        self.ready = False
        self.draining = False
        self.clients = ClientBudgets(config.max_client_mp, config.client_decode_s_per_min)
        self._decode_pool = ThreadPoolExecutor(
            classifier.decode_threads, thread_name_prefix="edgeclass-decode"
        )
        # A preprocessor without a fixed output size makes tensors that cannot be stacked.
        fixed_size = classifier.preprocessor.output_size is not None
        self.batcher = Batcher(
            predict or classifier.predict,
            max_batch=config.max_batch if fixed_size else 1,
            max_wait_s=config.max_wait_ms / 1000,
            on_batch=metrics.batch_size.observe,
            incoming=lambda: self.decoding,
        )

    async def start(self) -> None:
        self.batcher.start()
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self.batcher.stop()
        self._decode_pool.shutdown(wait=True, cancel_futures=True)

    async def classify(
        self,
        images: list[tuple[str, bytes]],
        *,
        client: str,
        top_k: int,
        threshold: float,
        timeout_s: float | None = None,
    ) -> list[ClassificationResult]:
        """One result per (name, bytes), in order. Raises a Refused error: OverBudget (413),
        ClientOverBudget (429), QueueFull (503), RequestTimeout (504)."""
        timeout_s = self.config.timeout_s if timeout_s is None else timeout_s
        count = len(images)
        pixels = await asyncio.to_thread(lambda: [declared_pixels(data) for _, data in images])
        check_request_pixels(pixels, self.config.max_request_mp)
        if self.admitted + count > self.config.max_queue:
            raise QueueFull(f"{self.admitted} images already queued (--max-queue)")
        self.clients.admit(client, sum(pixels))
        self._admit(count)
        try:
            return await asyncio.wait_for(
                self._classify(images, client, top_k, threshold), max(timeout_s, 0.001)
            )
        except asyncio.TimeoutError:
            raise RequestTimeout(f"not answered within {self.config.timeout_s:g} s") from None
        finally:
            self._admit(-count)
            self.clients.release(client, sum(pixels))

    def _admit(self, count: int) -> None:
        self.admitted += count
        self.metrics.queue_depth.set(self.admitted)

    async def _classify(
        self, images: list[tuple[str, bytes]], client: str, top_k: int, threshold: float
    ) -> list[ClassificationResult]:
        decoding = RequestDecoding(self.config.max_request_decode_s)
        tasks = [
            asyncio.ensure_future(self._classify_one(name, data, decoding, client))
            for name, data in images
        ]
        try:
            outcomes = await asyncio.gather(*tasks)
        except BaseException as error:  # cancelled (client gone, timeout) or over budget
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.metrics.images.labels("cancelled").inc(len(images))
            if isinstance(error, _DecodingBudgetSpent):
                raise decoding.refusal(len(images)) from None
            raise
        results = []
        for outcome in outcomes:
            if isinstance(outcome, tuple):
                prepared, probabilities = outcome
                outcome = result_for(
                    self.classifier, prepared, probabilities, top_k=top_k, threshold=threshold
                )
            results.append(outcome)
            self.metrics.images.labels(outcome.status.value).inc()
        return results

    async def _classify_one(self, name: str, data: bytes, decoding: RequestDecoding, client: str):
        """Decode on the pool, then straight into the batcher's queue (no waiting for siblings).
        Returns a failed result or (prepared, probabilities)."""
        self.decoding += 1
        try:
            prepared = await asyncio.get_running_loop().run_in_executor(
                self._decode_pool, self._prepare, name, data, decoding, client
            )
        finally:
            self.decoding -= 1
        if prepared is None:
            raise _DecodingBudgetSpent()
        if isinstance(prepared, ClassificationResult):
            return prepared
        return prepared, await self.batcher.infer(prepared.tensor)

    def _prepare(
        self, name: str, data: bytes, decoding: RequestDecoding, client: str
    ) -> PreparedImage | ClassificationResult | None:
        """Runs on a decode thread; None when the request's decoding budget is spent."""
        if not decoding.may_start():
            return None
        start = time.perf_counter()
        try:
            return prepare_bytes(self.classifier, data, name)
        except ImageLoadError as error:
            return failed_result(name, error)
        finally:
            seconds = time.perf_counter() - start
            decoding.charge(seconds)
            self.clients.charge(client, seconds)
            self.metrics.decode_seconds.observe(seconds)


class _DecodingBudgetSpent(Exception):
    """An image of the request was not decoded: the request's decoding time is spent."""
