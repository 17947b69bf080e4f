"""Dynamic batching: single images from concurrent requests become one onnxruntime call.

Like Triton's dynamic batcher: the first waiting image opens a batch, which closes when it holds
`max_batch` images or `max_wait_s` has passed. Unlike it, a batch waits only while `incoming()`
says more images are on their way (being decoded): a lone request runs at once instead of
paying the wait. One worker thread runs the batches, one at a time, so the event loop never
blocks and images queue up (and batch up) while the model is busy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]


class Batcher:
    def __init__(
        self,
        predict: Predict,
        *,
        max_batch: int,
        max_wait_s: float,
        on_batch: Callable[[int], None] | None = None,
        incoming: Callable[[], int] = lambda: 1,
    ) -> None:
        self._predict = predict
        self._incoming = incoming
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._on_batch = on_batch
        self._queue: asyncio.Queue[tuple[np.ndarray, asyncio.Future]] | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="edgeclass-infer")

    def start(self) -> None:
        """Start the batching task on the running event loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="edgeclass-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)

    async def infer(self, tensor: np.ndarray) -> np.ndarray:
        """The probabilities for one preprocessed image (3, H, W), computed in some batch."""
        assert self._queue is not None, "Batcher.start() first"
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((tensor, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait_s
            while len(batch) < self.max_batch:
                if not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0 or self._incoming() == 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except asyncio.TimeoutError:
                    break
            # A request that timed out or went away has cancelled its futures: skip them.
            batch = [(tensor, future) for tensor, future in batch if not future.done()]
            if batch:
                await self._run_batch(loop, batch)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list) -> None:
        if self._on_batch is not None:
            self._on_batch(len(batch))
        stacked = np.stack([tensor for tensor, _ in batch])
        try:
            probabilities = await loop.run_in_executor(self._executor, self._predict, stacked)
        except Exception as error:  # the model failed: every waiting request hears it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for row, (_, future) in enumerate(batch):
            if not future.done():
                future.set_result(probabilities[row])
