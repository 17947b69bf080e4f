"""Classify images with an ONNX model: batches, decoding overlapped with inference, order kept."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from edgeclass.errors import ModelError
from edgeclass.runtime.decode_warnings import noted_warnings, with_notes
from edgeclass.runtime.images import DEFAULT_MAX_PIXELS, ImageLoadError, to_rgb
from edgeclass.runtime.locate import resolve_model_dir
from edgeclass.runtime.model_folder import ModelFolder
from edgeclass.runtime.postprocess import make_result, softmax
from edgeclass.runtime.prepare import prepare_image
from edgeclass.runtime.results import ClassificationResult, Status
from edgeclass.runtime.session import create_session


def default_decode_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Classifier:
    """A loaded model, ready to classify files or in-memory images.

    model_dir: a model folder (or a loaded ModelFolder); None resolves it as the CLI does
    ($EDGECLASS_MODEL, then the bundled default). threads: onnxruntime intra-op threads.
    decode_threads: threads that open and preprocess images while the model runs.
    exact_decode: decode every pixel and resize exactly as the Hugging Face image processor
    does; by default only the pixels the model needs are decoded (see runtime/prepare.py).
    """

    def __init__(
        self,
        model_dir: str | Path | ModelFolder | None = None,
        threads: int | None = None,
        *,
        decode_threads: int | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        exact_decode: bool = False,
    ) -> None:
        if isinstance(model_dir, ModelFolder):
            self.folder = model_dir
        else:
            self.folder = ModelFolder.load(resolve_model_dir(model_dir))
        self.labels = self.folder.labels
        self.preprocessor = self.folder.preprocessor
        self.max_pixels = max_pixels
        self.exact_decode = exact_decode
        self.decode_threads = decode_threads or default_decode_threads()
        self.session = create_session(self.folder.onnx_path, threads)
        model_input = self.session.get_inputs()[0]
        self._input_name = model_input.name
        self._output_name = self.session.get_outputs()[0].name
        self._fixed_batch = self._check_shapes(model_input.shape)

    def _check_shapes(self, input_shape: list[int | str | None]) -> int | None:
        """Fail at load time, not on the first batch, when model and preprocessor disagree."""
        where = self.folder.onnx_path
        if len(input_shape) != 4:
            raise ModelError(f"{where}: expected an image input (N, 3, H, W), got {input_shape}")
        expected = self.preprocessor.output_size
        static_hw = tuple(input_shape[2:])
        if expected and all(isinstance(d, int) for d in static_hw) and static_hw != expected:
            raise ModelError(
                f"{where} takes {static_hw[0]}x{static_hw[1]} images but its "
                f"preprocessor_config.json makes {expected[0]}x{expected[1]}"
            )
        output_shape = self.session.get_outputs()[0].shape
        classes = output_shape[-1] if output_shape else None
        if isinstance(classes, int) and classes != len(self.labels):
            raise ModelError(
                f"{where} outputs {classes} classes but config.json names {len(self.labels)}"
            )
        return input_shape[0] if isinstance(input_shape[0], int) else None

    def prepare_file(self, path: str | Path) -> np.ndarray:
        """One file as the model's (3, H, W) input, made as `classify_paths` makes it (the
        same decoding and budgets); raises ImageLoadError for a file it would fail."""
        return self._prepare(Path(path))[0]

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (N, num_labels) for a preprocessed float32 batch (N, 3, H, W)."""
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 4:
            raise ValueError(f"expected a (N, 3, H, W) batch, got shape {batch.shape}")
        if self._fixed_batch is not None and batch.shape[0] != self._fixed_batch:
            # A model exported with a fixed batch size: run it one slice at a time.
            step = self._fixed_batch
            parts = [self.predict(batch[i : i + step]) for i in range(0, len(batch), step)]
            return np.concatenate(parts) if parts else np.empty((0, len(self.labels)), np.float32)
        logits = self.session.run([self._output_name], {self._input_name: batch})[0]
        return softmax(logits)

    def classify_image(
        self, image: Image.Image, path: str = "", *, top_k: int = 5, threshold: float = 0.0
    ) -> ClassificationResult:
        """Classify an image already in memory (any mode; no EXIF rotation is applied here)."""
        rgb = to_rgb(image)
        tensor = self.preprocessor(rgb, crop_box_only=not self.exact_decode)
        probabilities = self.predict(tensor[np.newaxis])[0]
        return make_result(
            path, probabilities, self.labels, top_k=top_k, threshold=threshold, size=rgb.size
        )

    def _prepare(self, path: Path) -> tuple[np.ndarray, tuple[int, int], str]:
        """Runs on a decode thread: file -> tensor, original size, and any note for the user
        (Pillow's warnings about the file included)."""
        with noted_warnings() as notes:
            prepared = prepare_image(
                path, self.preprocessor, max_pixels=self.max_pixels, exact_decode=self.exact_decode
            )
        return prepared.tensor, prepared.size, with_notes(prepared.note, notes)

    def _submit(self, pool: ThreadPoolExecutor, path: str | Path) -> Future[Any]:
        """The decode of one file, started; a name no file can have fails here, on its own."""
        if "\0" in str(path):  # the OS would refuse it with a ValueError, not an OSError
            refused: Future[Any] = Future()
            refused.set_exception(
                ImageLoadError(Status.NOT_FOUND, "no such file: the name holds a NUL byte")
            )
            return refused
        return pool.submit(self._prepare, Path(path))

    def classify_paths(
        self,
        paths: Iterable[str | Path],
        *,
        batch_size: int = 2,
        top_k: int = 5,
        threshold: float = 0.0,
        cancel: threading.Event | None = None,
    ) -> Iterator[ClassificationResult]:
        """Yield one result per path, in input order, as soon as its batch is done.

        Images are opened and preprocessed on `decode_threads` threads while the model runs on
        the previous batch. A bad file becomes a result with its status; the batch goes on.
        Setting `cancel` stops at the next image boundary; nothing more is yielded.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        path_iter = iter(paths)
        # Enough decodes queued to fill the next batch while this one runs, and to ride out a
        # few slow files (big PNGs) without starving the model.
        lookahead = max(2 * batch_size, 8) + self.decode_threads
        pending: deque[tuple[str, Future[Any]]] = deque()
        pool = ThreadPoolExecutor(self.decode_threads, thread_name_prefix="edgeclass-decode")

        def refill() -> None:
            while len(pending) < lookahead:
                path = next(path_iter, None)
                if path is None:
                    return
                pending.append((str(path), self._submit(pool, path)))

        try:
            refill()
            while pending:
                group: list[ClassificationResult | tuple[str, tuple[int, int], str]] = []
                tensors: list[np.ndarray] = []
                while pending and len(tensors) < batch_size:
                    if cancel is not None and cancel.is_set():
                        return
                    path, future = pending.popleft()
                    refill()
                    try:
                        tensor, size, note = future.result()
                    except ImageLoadError as error:
                        group.append(
                            ClassificationResult(path, error.status, message=error.message)
                        )
                        continue
                    tensors.append(tensor)
                    group.append((path, size, note))
                if cancel is not None and cancel.is_set():
                    return
                probabilities = self.predict(np.stack(tensors)) if tensors else None
                row = 0
                for item in group:
                    if isinstance(item, ClassificationResult):
                        yield item
                        continue
                    path, size, note = item
                    assert probabilities is not None  # this file's tensor is in the batch
                    yield make_result(
                        path,
                        probabilities[row],
                        self.labels,
                        top_k=top_k,
                        threshold=threshold,
                        size=size,
                        message=note,
                    )
                    row += 1
        finally:
            for _, future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
