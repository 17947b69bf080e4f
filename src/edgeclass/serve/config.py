"""The server's settings, and the safety rules checked before anything binds a socket."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from edgeclass.errors import EdgeclassError

API_KEY_ENV = "EDGECLASS_API_KEY"


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    max_batch: int = 8
    max_wait_ms: float = 20.0
    max_queue: int = 64  # images admitted (decoding, waiting or running) before 503
    max_body_mb: float = 20.0
    max_images: int = 32  # images in one request
    timeout_s: float = 30.0  # per request, from admission to answer
    threshold: float = 0.0
    top_k: int = 1
    api_key: str | None = None
    insecure: bool = False
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    threads: int | None = None  # onnxruntime intra-op threads
    decode_threads: int | None = None

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def check(self) -> None:
        """Refuse settings that would be unsafe or could never work, with the fix in the text."""
        if self.max_images > self.max_queue:
            raise EdgeclassError(
                f"--max-images {self.max_images} is over --max-queue {self.max_queue}: "
                "such a request could never be admitted"
            )
        if not is_loopback(self.host) and not self.api_key and not self.insecure:
            raise EdgeclassError(
                f"--host {self.host} is reachable from other machines, so an API key is "
                f"required: --api-key-file FILE or ${API_KEY_ENV} (or --insecure to serve "
                "without one, on a network you trust)"
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def read_api_key(key_file: str | None) -> str | None:
    """The key from --api-key-file (first line, stripped), else $EDGECLASS_API_KEY, else None."""
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise EdgeclassError(f"cannot read --api-key-file {key_file}: {error}") from None
        if not key:
            raise EdgeclassError(f"--api-key-file {key_file} is empty")
        return key
    return os.environ.get(API_KEY_ENV, "").strip() or None
