"""The x265 stand-in builder (packaging/linux/x265_stub.py) on small libraries built here."""

from __future__ import annotations

from pathlib import Path

import pytest
from built_libraries import build_library, linux_packaging_module, needs_gcc

x265_stub = linux_packaging_module("x265_stub")
pytestmark = needs_gcc


def test_stub_defines_what_the_user_imports_under_the_same_soname(tmp_path: Path) -> None:
    real = build_library(
        tmp_path / "libx265-abc.so.217",
        "int x265_api_get_217(int d) { return d; }\nvoid x265_cleanup(void) {}\n"
        "int x265_encoder_open_217(void) { return 1; }\n",
        "-Wl,-soname,libx265-abc.so.217",
    )
    user = build_library(
        tmp_path / "libheif.so",
        "void *x265_api_get_217(int);\nvoid x265_cleanup(void);\n"
        "int probe(void) { x265_cleanup(); return x265_api_get_217(8) == 0; }\n",
        str(real),
    )
    stub = tmp_path / "out" / "libx265-abc.so.217"
    assert x265_stub.build_stub(real, [user], stub) == ["x265_api_get_217", "x265_cleanup"]
    assert x265_stub.soname(stub) == "libx265-abc.so.217"
    assert stub.stat().st_size < 64 * 1024
    # The user library loads against the stand-in, and the encoder reports itself absent.
    ctypes = pytest.importorskip("ctypes")
    ctypes.CDLL(str(stub), mode=ctypes.RTLD_GLOBAL)
    assert ctypes.CDLL(str(user)).probe() == 1


def test_only_x265_functions_are_stubbed() -> None:
    source = x265_stub.stub_source(["x265_cleanup"])
    assert "void *x265_cleanup(void) { return 0; }" in source
    with pytest.raises(ValueError, match="unexpected symbol"):
        x265_stub.stub_source(["malloc"])
