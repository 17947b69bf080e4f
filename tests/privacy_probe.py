"""Run a program the way a privacy audit would: a throw-away HOME, and every packet it tries to
send recorded.

- `Sandbox`: one folder holding HOME, the XDG folders, TMPDIR and the working directory, and an
  environment built from scratch (no CI variables: onnxruntime stays quiet by itself under CI,
  which would hide what users get). `new_paths()` lists what appeared anywhere in it.
- `traced(command)`: the command under `strace -ff` (every thread and child process), recording
  connect/sendto/sendmsg/sendmmsg; `network_attempts(log)` turns that log into what would have
  left this computer: TCP connections and UDP datagrams to an address that is not this
  machine's, and every DNS query (by name, even to a local resolver, which forwards it).

Linux only. Without a usable strace, `traced` runs the command untraced, `STRACE` is None and
`assert_private` skips its network half, saying so.
"""

from __future__ import annotations

import codecs
import contextlib
import ipaddress
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def _usable_strace() -> str | None:
    """strace, where it is installed and may trace (a container may forbid ptrace)."""
    strace = shutil.which("strace") if sys.platform.startswith("linux") else None
    if strace is None:
        return None
    try:
        done = subprocess.run(
            [strace, "-f", "-o", os.devnull, "true"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return strace if done.returncode == 0 else None


STRACE = _usable_strace()
NO_STRACE = (
    "no usable strace (apt-get install strace; a container needs ptrace allowed): "
    "the network half is not checked"
)

# Where onnxruntime 1.29+ keeps its device id and event queue, and where it sends them.
ORT_TELEMETRY_DIR = Path(".cache", "Microsoft", "DeveloperTools", ".onnxruntime")
ORT_TELEMETRY_HOST = "mobile.events.data.microsoft.com"

# connect(3<TCP:[123]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}
_INET = re.compile(
    r"sa_family=AF_INET6?, sin6?_port=htons\((?P<port>\d+)\).*?"
    r"(?:inet_addr\(\"(?P<v4>[^\"]+)\"\)|inet_pton\(AF_INET6, \"(?P<v6>[^\"]+)\")"
)
# A connected UDP socket as strace -yy shows it: <UDP:[10.0.0.2:5353->10.0.0.1:53]>
_UDP_PEER = re.compile(r"<UDP(?:v6)?:\[(?P<local>[^>]*?)->(?P<peer>[^>]*)\]>")
_CALL = re.compile(r"^(?:\d+\s+)?(?P<call>connect|sendto|sendmsg|sendmmsg)\((?P<fd>\d+)")
_PAYLOAD = re.compile(r'"((?:[^"\\]|\\.)*)"')
_RESOLVER_SOCKET = "/run/systemd/resolve/"


@dataclass
class Attempt:
    """One packet that would have left: `kind` is "dns" (`what` = the name asked for),
    "tcp" or "udp" (`what` = address:port)."""

    kind: str
    what: str
    line: str = field(repr=False)


def local_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """This machine's own addresses (a Ray node talks to itself on them)."""
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    try:
        for *_, address in socket.getaddrinfo(socket.gethostname(), None):
            found.add(ipaddress.ip_address(address[0]))
    except OSError:
        pass
    try:  # /proc/net/fib_trie lists every local IPv4 address as "/32 host LOCAL"
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        for previous, line in itertools.pairwise(lines):
            if "/32 host LOCAL" in line:
                found.add(ipaddress.ip_address(previous.split()[-1]))
    except OSError:
        pass
    return found


def _leaves(host: str, own: set) -> bool:
    address = ipaddress.ip_address(host.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (address.is_loopback or address.is_unspecified or address in own)


def dns_names(payload: bytes) -> list[str]:
    """The names asked for in a DNS query (wire format: 12-byte header, then labels)."""
    names, position = [], 12
    labels: list[str] = []
    while position < len(payload):
        length = payload[position]
        if length == 0 or length & 0xC0:
            break
        labels.append(payload[position + 1 : position + 1 + length].decode("ascii", "replace"))
        position += 1 + length
    if labels:
        names.append(".".join(labels))
    return names


def network_attempts(log: str) -> list[Attempt]:
    own = local_addresses()
    attempts: list[Attempt] = []
    for line in log.splitlines():
        call = _CALL.match(line)
        if call is None:
            continue
        if "AF_UNIX" in line:
            if _RESOLVER_SOCKET in line:  # systemd-resolved's own protocol: a name lookup
                attempts.append(Attempt("dns", "(asked systemd-resolved)", line))
            continue
        udp = _UDP_PEER.search(line)
        target = _INET.search(line)
        is_udp = "<UDP" in line
        if call["call"] == "connect" and is_udp:
            continue  # a UDP connect sends nothing (Ray finds its own address this way)
        if udp is not None and target is None:
            peer_host, _, peer_port = udp["peer"].rpartition(":")
            host, port = peer_host.strip("[]"), int(peer_port)
        elif target is not None:
            host, port = target["v4"] or target["v6"], int(target["port"])
        else:
            continue
        if port == 53:
            payloads = [codecs.escape_decode(p.encode())[0] for p in _PAYLOAD.findall(line)]
            names = [name for payload in payloads for name in dns_names(payload)]
            for name in names or ["(a name strace did not show)"]:
                attempts.append(Attempt("dns", name, line))
        elif _leaves(host, own):
            attempts.append(Attempt("udp" if is_udp else "tcp", f"{host}:{port}", line))
    return attempts


class Sandbox:
    """A folder standing in for the user's HOME, XDG folders, TMPDIR and working directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.work = root / "work"
        self.runtime = root / "runtime"
        for folder in (self.home, self.tmp, self.work, self.runtime):
            folder.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        self.trace_log = root.parent / f"{root.name}.strace"
        self._before: set[Path] = set()

    def env(self, **extra: str) -> dict[str, str]:
        """A user's environment, from scratch: nothing of the test run's leaks in."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
        }
        env.update(extra)
        return env

    def snapshot(self) -> None:
        self._before = set(self.root.rglob("*"))

    def new_paths(self) -> list[str]:
        """What appeared since `snapshot`, relative to the sandbox (folders end with /)."""
        after = set(self.root.rglob("*"))
        return sorted(
            str(p.relative_to(self.root)) + ("/" if p.is_dir() else "")
            for p in after - self._before
        )


def traced(command: Sequence[str], log: Path) -> list[str]:
    """`command` under strace when there is one (every thread and child), else as it is."""
    if STRACE is None:
        return list(command)
    # -ff: one file per thread (log.TID), so no call is split into "unfinished" and
    # "resumed" halves, which would hide a DNS query's name.
    return [
        STRACE,
        "-ff",
        "-qq",
        "-yy",
        "-s",
        "256",
        "-e",
        "trace=connect,sendto,sendmsg,sendmmsg",
        "-e",
        "signal=none",
        "-o",
        str(log),
        "--",
        *command,
    ]


def traced_child(process: subprocess.Popen[bytes]) -> int:
    """The pid of the traced program (strace's child), or the process itself untraced."""
    if STRACE is None:
        return process.pid
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = children.read_text().split() if children.exists() else []
        if text:
            return int(text[0])
        time.sleep(0.05)
    raise AssertionError("strace did not start the program")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM to the program (not to strace, which would detach and leave it running)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, AssertionError):
            os.kill(traced_child(process), signal.SIGTERM)
    try:
        return process.wait(timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def attempts(box: Sandbox) -> list[tuple[str, str]]:
    """(kind, what) of every packet the traced program tried to send out."""
    logs = box.trace_log.parent.glob(box.trace_log.name + ".*")
    text = "\n".join(log.read_text() for log in sorted(logs))
    return sorted({(a.kind, a.what) for a in network_attempts(text)})


def assert_private(box: Sandbox, allowed: tuple[str, ...] = ()) -> None:
    """Only `allowed` (sandbox-relative paths, or folders ending in /) appeared, and nothing
    was sent; without strace the network half is skipped, saying so."""
    new = [p for p in box.new_paths() if not p.startswith(allowed)]
    assert new == [], f"written outside the requested output: {new}"
    if STRACE is None:
        pytest.skip(NO_STRACE + " (the files half passed)")
    assert attempts(box) == []
