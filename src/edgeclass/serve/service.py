"""Admission, decoding and batched inference for one request's images, with its limits.

Decoding runs on a thread pool and inference on the batcher's worker thread, so the event loop
only waits. Admission is counted in images: when `max_queue` images are already in the server,
a request is refused at once (503) instead of joining an ever-growing backlog.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from edgeclass.runtime import Classifier
from edgeclass.runtime.images import ImageLoadError
from edgeclass.runtime.in_memory import PreparedImage, failed_result, prepare_bytes, result_for
from edgeclass.runtime.results import ClassificationResult
from edgeclass.serve.batcher import Batcher, Predict
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.metrics import Metrics


class QueueFull(Exception):
    """The server holds `max_queue` images already; the client should retry shortly."""


class RequestTimeout(Exception):
    pass


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
        self.ready = False
        self.draining = False
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
        self, images: list[tuple[str, bytes]], *, top_k: int, threshold: float
    ) -> list[ClassificationResult]:
        """One result per (name, bytes), in order. Raises QueueFull or RequestTimeout."""
        count = len(images)
        if self.admitted + count > self.config.max_queue:
            raise QueueFull(f"{self.admitted} images already queued (--max-queue)")
        self._admit(count)
        try:
            return await asyncio.wait_for(
                self._classify(images, top_k, threshold), self.config.timeout_s
            )
        except asyncio.TimeoutError:
            raise RequestTimeout(f"not answered within {self.config.timeout_s:g} s") from None
        finally:
            self._admit(-count)

    def _admit(self, count: int) -> None:
        self.admitted += count
        self.metrics.queue_depth.set(self.admitted)

    async def _classify(
        self, images: list[tuple[str, bytes]], top_k: int, threshold: float
    ) -> list[ClassificationResult]:
        results = await asyncio.gather(
            *(self._classify_one(name, data, top_k, threshold) for name, data in images)
        )
        for result in results:
            self.metrics.images.labels(result.status.value).inc()
        return results

    async def _classify_one(
        self, name: str, data: bytes, top_k: int, threshold: float
    ) -> ClassificationResult:
        """Decode on the pool, then straight into the batcher's queue (no waiting for siblings)."""
        self.decoding += 1
        try:
            prepared = await asyncio.get_running_loop().run_in_executor(
                self._decode_pool, self._prepare, name, data
            )
        finally:
            self.decoding -= 1
        if isinstance(prepared, ClassificationResult):
            return prepared
        probabilities = await self.batcher.infer(prepared.tensor)
        return result_for(
            self.classifier, prepared, probabilities, top_k=top_k, threshold=threshold
        )

    def _prepare(self, name: str, data: bytes) -> PreparedImage | ClassificationResult:
        """Runs on a decode thread."""
        try:
            return prepare_bytes(self.classifier, data, name)
        except ImageLoadError as error:
            return failed_result(name, error)
