"""`edgeclass serve`: a local HTTP inference server (needs the `serve` extra).

Only stdlib at module level, so `edgeclass --help` neither needs nor loads FastAPI or uvicorn.
"""

from __future__ import annotations

import argparse

from edgeclass.cli.arguments import (
    add_command,
    add_model_option,
    non_negative_float,
    port,
    positive_float,
    positive_int,
    probability,
)

DESCRIPTION = """\
Serve the model over HTTP: POST /v1/classify (multipart files or JSON base64), GET /v1/model,
/healthz, /readyz, /metrics (Prometheus), the KServe v2 routes under /v2, and offline API docs
at /docs. Concurrent requests are batched on one onnxruntime session.

Safe by default: binds 127.0.0.1; any other address needs an API key (--api-key-file or
$EDGECLASS_API_KEY; clients send 'Authorization: Bearer KEY') unless --insecure. Every request
is bounded: header size and time, body size and time, images, pixels and decoding time per
request and per client, connections. SIGTERM or Ctrl+C drains: new requests get 503 while
in-flight ones finish, then it exits 0.
"""

EPILOG = """\
model: --model DIR, else $EDGECLASS_MODEL, else the model bundled with this build.
example:
  edgeclass serve --port 8000
  curl -F files=@cat.jpg http://127.0.0.1:8000/v1/classify
  edgeclass serve --port 0      # any free port; the log says which ("listening on ...")
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "serve",
        help="serve the model over HTTP (batched; needs the `serve` extra)",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    add_model_option(parser)
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine)")
    add("--port", type=port, default=8000, help="TCP port; 0: any free one (default: 8000)")
    add("--max-batch", type=positive_int, default=8, metavar="N", help="images per model call (8)")
    add(
        "--max-wait-ms",
        type=non_negative_float,
        default=20.0,
        metavar="T",
        help="how long a batch may wait for images still being decoded (default: 20)",
    )
    add(
        "--max-queue",
        type=positive_int,
        default=64,
        metavar="Q",
        help="images in the server at once; more get 503 + Retry-After (default: 64)",
    )
    add(
        "--max-images",
        type=positive_int,
        default=32,
        metavar="N",
        help="images in one request; more get 413 (default: 32)",
    )
    add(
        "--max-body-mb",
        type=non_negative_float,
        default=20.0,
        metavar="M",
        help="request body limit in MiB; larger get 413 (default: 20)",
    )
    add(
        "--timeout",
        type=non_negative_float,
        default=30.0,
        metavar="S",
        help="seconds a request may take from the end of its headers: its body must arrive "
        "by then (else 408) and its answer be ready (else 504) (default: 30)",
    )
    add(
        "-t",
        "--threshold",
        type=probability,
        default=0.0,
        metavar="P",
        help="default threshold: label `unknown` under P (a request may set its own)",
    )
    add(
        "--api-key-file",
        metavar="F",
        help="file whose first non-empty line is the API key clients must send as "
        "'Authorization: Bearer KEY' (default: $EDGECLASS_API_KEY, if set)",
    )
    add(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without an API key",
    )
    add(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from ORIGIN (e.g. http://localhost:3000); repeatable; "
        "default: no CORS",
    )
    add("--threads", type=positive_int, metavar="N", help="onnxruntime threads (default: cores)")
    add(
        "--decode-threads",
        type=positive_int,
        metavar="N",
        help="threads decoding images (default: cores, at most 4)",
    )
    limits = parser.add_argument_group(
        "connection limits", "against slow or hostile clients; see docs/serve.md"
    )
    limits.add_argument(
        "--max-header-kb",
        type=positive_float,
        default=32.0,
        metavar="K",
        help="request line and headers, in KiB; larger get 431 (default: 32)",
    )
    limits.add_argument(
        "--header-timeout",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="seconds for a request's line and headers to arrive (default: 10)",
    )
    limits.add_argument(
        "--keep-alive",
        type=positive_float,
        default=5.0,
        metavar="S",
        help="seconds an idle connection stays open between requests (default: 5)",
    )
    limits.add_argument(
        "--max-connections",
        type=positive_int,
        default=1000,
        metavar="N",
        help="open connections; at the cap the oldest idle or half-sent one is closed "
        "(default: 1000)",
    )
    budgets = parser.add_argument_group(
        "work budgets", "how much decoding one request, or one client (address), may cause"
    )
    budgets.add_argument(
        "--max-request-mp",
        type=positive_float,
        default=400.0,
        metavar="MP",
        help="megapixels the images of one request may declare; more get 413 (default: 400)",
    )
    budgets.add_argument(
        "--max-request-decode-s",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="seconds of decoding one request may use; then 413 (default: 10)",
    )
    budgets.add_argument(
        "--max-client-mp",
        type=positive_float,
        default=800.0,
        metavar="MP",
        help="megapixels one client may have in the server at once; more get 429 (default: 800)",
    )
    budgets.add_argument(
        "--client-decode-s",
        type=positive_float,
        default=60.0,
        metavar="S",
        help="seconds of decoding one client may use per minute; then 429 (default: 60)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeclass.runtime import Classifier, resolve_model_dir
    from edgeclass.serve.config import ServeConfig, read_api_key
    from edgeclass.serve.server import run_server

    config = ServeConfig(
        host=args.host,
        port=args.port,
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        max_queue=args.max_queue,
        max_body_mb=args.max_body_mb,
        max_images=args.max_images,
        timeout_s=args.timeout,
        threshold=args.threshold,
        api_key=read_api_key(args.api_key_file),
        insecure=args.insecure,
        cors_origins=tuple(args.cors_origin),
        threads=args.threads,
        decode_threads=args.decode_threads,
        max_header_kb=args.max_header_kb,
        header_timeout_s=args.header_timeout,
        keep_alive_s=args.keep_alive,
        max_connections=args.max_connections,
        max_request_mp=args.max_request_mp,
        max_request_decode_s=args.max_request_decode_s,
        max_client_mp=args.max_client_mp,
        client_decode_s_per_min=args.client_decode_s,
    )
    config.check()  # before the model loads: a refused bind should fail fast
    classifier = Classifier(
        resolve_model_dir(args.model), threads=args.threads, decode_threads=args.decode_threads
    )
    run_server(classifier, config)
    return 0
