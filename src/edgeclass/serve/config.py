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
    timeout_s: float = 30.0  # per request, from the end of its headers to its answer
    threshold: float = 0.0
    top_k: int = 1
    api_key: str | None = None
    insecure: bool = False
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    threads: int | None = None  # onnxruntime intra-op threads
    decode_threads: int | None = None
    # The connection layer (edgeclass.serve.protocol).
    max_header_kb: float = 32.0
    header_timeout_s: float = 10.0
    keep_alive_s: float = 5.0
    max_connections: int = 1000
    # Work budgets (edgeclass.serve.budgets).
    max_request_mp: float = 400.0  # megapixels the images of one request declare
    max_request_decode_s: float = 10.0  # decoding time one request may use
    max_client_mp: float = 800.0  # megapixels one client may have in the server at once
    client_decode_s_per_min: float = 60.0  # decoding time one client may use per minute

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    @property
    def max_header_bytes(self) -> int:
        return int(self.max_header_kb * 1024)

    def check(self) -> None:
        """Refuse settings that would be unsafe or could never work, with the fix in the text."""
        if self.max_images > self.max_queue:
            raise EdgeclassError(
                f"--max-images {self.max_images} is over --max-queue {self.max_queue}: "
                "such a request could never be admitted"
            )
        if self.max_request_mp > self.max_client_mp:
            raise EdgeclassError(
                f"--max-request-mp {self.max_request_mp:g} is over --max-client-mp "
                f"{self.max_client_mp:g}: such a request could never be admitted"
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
    """The key: the first non-empty line of --api-key-file (whitespace around it stripped), else
    $EDGECLASS_API_KEY, else None. A key clients could not send in a header is refused."""
    if key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise EdgeclassError(f"cannot read --api-key-file {key_file}: {error}") from None
        key = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if not key:
            raise EdgeclassError(f"--api-key-file {key_file} holds no key (no non-empty line)")
        return _checked(key, f"the first non-empty line of --api-key-file {key_file}")
    key = os.environ.get(API_KEY_ENV, "").strip()
    return _checked(key, f"${API_KEY_ENV}") if key else None


def _checked(key: str, where: str) -> str:
    if key.startswith("#"):
        raise EdgeclassError(
            f"{where} starts with '#', as a comment would: the key must be the file's first "
            "non-empty line (put any comment after it)"
        )
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        raise EdgeclassError(
            f"{where} has spaces, control or non-ASCII characters: clients send the key in an "
            "HTTP header ('Authorization: Bearer KEY'), so use letters, digits and punctuation"
        )
    return key
