"""Run by every Python process of a test that puts this folder first on PYTHONPATH, decode
worker processes included: it makes happen what no small file makes happen on demand.

EDGECLASS_TEST_STUCK_SIZE=WxH: decoding an image of exactly that size blocks for 60 s inside a C
call (libc `sleep`), as a decoder stuck on a hostile file does. No Python code runs on that
thread (or in that worker process) meanwhile, so no Python signal handler can stop it there.
It matches by the image's size, not its file name, so it holds however the file reaches the
decoder (a path, bytes sent to a worker). With EDGECLASS_TEST_STUCK_MARK=FILE, it writes its
process id to FILE first, so that a test knows the decode is stuck now.

EDGECLASS_TEST_ONNXRUNTIME_SAYS=1: importing onnxruntime first writes to file descriptor 2 the
line onnxruntime 1.23+ writes there itself, in colour, on machines whose /sys/class/drm lists a
card without a PCI vendor (no such card here, and /sys cannot be faked without privileges).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys

STUCK_SIZE = os.environ.get("EDGECLASS_TEST_STUCK_SIZE")
ONNXRUNTIME_LINE = (
    b"\x1b[1;33m2026-01-21 12:08:58.794991221 [W:onnxruntime:Default, device_discovery.cc:164 "
    b"DiscoverDevicesForPlatform] GPU device discovery failed: device_discovery.cc:89 "
    b'ReadFileContents Failed to open file: "/sys/class/drm/card0/device/vendor"\x1b[m\n'
)

if STUCK_SIZE:
    import ctypes

    from PIL import ImageFile

    _size = tuple(int(n) for n in STUCK_SIZE.split("x"))
    _load = ImageFile.ImageFile.load

    def _stuck_load(self):  # type: ignore[no-untyped-def]
        if self.size == _size:
            mark = os.environ.get("EDGECLASS_TEST_STUCK_MARK")
            if mark:
                with open(mark, "w") as file:
                    file.write(str(os.getpid()))
            ctypes.CDLL(None).sleep(60)
        return _load(self)

    ImageFile.ImageFile.load = _stuck_load  # type: ignore[method-assign]


class _SaysOnImport(importlib.abc.MetaPathFinder):
    """Finds onnxruntime as usual, and has its loading write ONNXRUNTIME_LINE first."""

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname != "onnxruntime":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def says_then_runs(module):  # type: ignore[no-untyped-def]
                os.write(2, ONNXRUNTIME_LINE)
                exec_module(module)

            spec.loader.exec_module = says_then_runs  # type: ignore[method-assign]
        return spec


if os.environ.get("EDGECLASS_TEST_ONNXRUNTIME_SAYS"):
    sys.meta_path.insert(0, _SaysOnImport())
