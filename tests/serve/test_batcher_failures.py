"""The batcher's failure paths and limits, through its public behaviour (start, infer, stop) and
through the app: a model that raises answers every waiting request at once, batches never grow
past max_batch, and tensors that cannot be stacked are never put in one batch."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import onnx
import pytest
from fastapi.testclient import TestClient
from serve_helpers import assert_same_result, uvicorn_thread, wait_until
from tiny_onnx_models import PREPROCESSOR, colour_model

from edgeclass.runtime import Classifier
from edgeclass.runtime.in_memory import classify_bytes
from edgeclass.serve.app import create_app
from edgeclass.serve.batcher import Batcher
from edgeclass.serve.config import ServeConfig

ANSWER_S = 10  # far more than any batch here takes; a request still waiting then never returns


def tensor(value: float) -> np.ndarray:
    return np.full((3, 4, 4), value, np.float32)


def run_with_batcher(batcher: Batcher, scenario) -> None:
    async def main() -> None:
        batcher.start()
        try:
            await scenario()
        finally:
            await batcher.stop()

    asyncio.run(main())


class GatedModel:
    """predict(batch): records the batch size; the first call waits for `release`. Answers
    each row with its own value (the tensor's fill), or raises for the batches in `fail_on`."""

    def __init__(self, fail_on: tuple[int, ...] = ()) -> None:
        self.sizes: list[int] = []
        self.release = threading.Event()
        self.fail_on = fail_on

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.sizes.append(len(batch))
        if len(self.sizes) == 1:
            assert self.release.wait(ANSWER_S)
        if len(self.sizes) in self.fail_on:
            raise RuntimeError(f"model broke on batch {len(self.sizes)}")
        return batch[:, 0, 0, :2]


async def until(condition, what: str) -> None:
    for _ in range(ANSWER_S * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def test_a_model_error_reaches_every_request_of_its_batch_and_the_next_batch_runs():
    model = GatedModel(fail_on=(2,))
    batcher = Batcher(model, max_batch=8, max_wait_s=0.05)

    async def scenario() -> None:
        first = asyncio.ensure_future(batcher.infer(tensor(0)))
        await until(lambda: model.sizes == [1], "the first batch to start")
        # Three requests queue while the model is busy: they become batch 2, which fails.
        failing = [asyncio.ensure_future(batcher.infer(tensor(v))) for v in (1, 2, 3)]
        await asyncio.sleep(0.05)
        model.release.set()
        assert (await asyncio.wait_for(first, ANSWER_S)).tolist() == [0, 0]
        for request in failing:
            with pytest.raises(RuntimeError, match="model broke on batch 2"):
                await asyncio.wait_for(request, ANSWER_S)  # not left waiting for ever
        assert model.sizes == [1, 3]
        later = await asyncio.wait_for(batcher.infer(tensor(7)), ANSWER_S)
        assert later.tolist() == [7, 7] and model.sizes == [1, 3, 1]

    run_with_batcher(batcher, scenario)


def test_batches_never_hold_more_than_max_batch_and_rows_go_back_to_their_requests():
    model = GatedModel()
    batcher = Batcher(model, max_batch=4, max_wait_s=0.05)

    async def scenario() -> None:
        first = asyncio.ensure_future(batcher.infer(tensor(0)))
        await until(lambda: model.sizes == [1], "the first batch to start")
        queued = [asyncio.ensure_future(batcher.infer(tensor(v))) for v in range(1, 10)]
        await asyncio.sleep(0.05)
        model.release.set()
        answers = await asyncio.wait_for(asyncio.gather(first, *queued), ANSWER_S)
        assert [row.tolist() for row in answers] == [[v, v] for v in range(10)]
        assert model.sizes == [1, 4, 4, 1]

    run_with_batcher(batcher, scenario)


def test_a_failing_model_is_a_server_error_not_a_request_left_to_time_out(tiny_classifier, photo):
    def broken(batch: np.ndarray) -> np.ndarray:
        raise RuntimeError("the model broke")

    app = create_app(tiny_classifier, ServeConfig(timeout_s=ANSWER_S), predict=broken)
    files = [("files", ("a.jpg", photo.read_bytes(), "image/jpeg"))]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/classify", files=files).status_code == 500  # not 504
        assert client.get("/readyz").status_code == 200  # and the server goes on


@pytest.fixture
def photo(make_image):
    return make_image("a.jpg")


@pytest.fixture
def free_size_classifier(tmp_path) -> Classifier:
    """The colour model on tensors whose size follows the photo: shortest edge 32, no crop."""
    folder = colour_model(tmp_path / "free-size")
    model = onnx.load(folder / "model.onnx")
    height, width = model.graph.input[0].type.tensor_type.shape.dim[2:]
    height.dim_param, width.dim_param = "H", "W"
    onnx.save(model, folder / "model.onnx")
    config = {**PREPROCESSOR, "size": {"shortest_edge": 32}, "do_center_crop": False}
    (folder / "preprocessor_config.json").write_text(json.dumps(config))
    classifier = Classifier(folder, threads=1, decode_threads=2)
    assert classifier.preprocessor.output_size is None
    return classifier


def test_tensors_of_different_sizes_are_never_batched_together(free_size_classifier, make_image):
    model = GatedModel()

    def predict(batch: np.ndarray) -> np.ndarray:
        model(batch)
        return free_size_classifier.predict(batch)

    config = ServeConfig(max_batch=8, max_wait_ms=50, timeout_s=ANSWER_S)
    app = create_app(free_size_classifier, config, predict=predict)
    photos = [make_image(f"p{i}.png", size=size, seed=i) for i, size in enumerate(SIZES)]
    with uvicorn_thread(app) as base, ThreadPoolExecutor(3) as pool:

        def post(path):
            files = [("files", (path.name, path.read_bytes(), "image/png"))]
            return pool.submit(httpx.post, f"{base}/v1/classify", files=files, timeout=60)

        first = post(photos[0])
        wait_until(lambda: model.sizes == [1], what="the first batch to start")
        # Two photos of other shapes queue while the model is busy: each must be its own batch.
        queued = [post(p) for p in photos[1:]]
        wait_until(lambda: _queue_depth(base) == 3, what="3 images in the server")
        model.release.set()
        responses = [first.result(), *(request.result() for request in queued)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert model.sizes == [1, 1, 1]
    for path, response in zip(photos, responses, strict=True):
        (result,) = response.json()["results"]
        expected = classify_bytes(free_size_classifier, path.read_bytes(), path.name, top_k=1)
        assert_same_result(result, expected.to_dict())


SIZES = [(40, 30), (64, 32), (30, 60)]  # three shapes of tensor after the shortest-edge resize


def _queue_depth(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    return float(text.split("\nedgeclass_queue_depth ")[1].split()[0])
