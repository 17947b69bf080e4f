"""Stand-in Windows DLLs: a tiny DLL with a given name that exports exactly the functions its
users import from the real one, each answering "not available". Two uses:

- `icuuc.dll` for Wine test prefixes only (never shipped). Qt 6's `Qt6Core.dll` for Windows
  links `icuuc.dll`, the ICU that Windows itself carries since Windows 10 1903, and uses it only
  for QStringConverter's legacy code pages (its `ucnv_*` imports). Wine 8 has no such DLL, so
  QtCore cannot load there, and PyInstaller's Qt hook, which imports QtCore at build time to
  find Qt's plugins, collects none. In the stand-in `ucnv_open` reports U_FILE_ACCESS_ERROR and
  `ucnv_countAvailable` zero converters, ICU's own answers when it has no converter data: Qt
  treats every legacy code page as unavailable (UTF-8/16/32 and Latin-1 never go through ICU).
  It goes into the Wine prefix's system32, where Windows keeps the real one.
- pillow-heif's `libx265-*.dll` in the bundle: the 22 MB GPL HEVC *encoder*, which reading HEIC
  never calls (decoding is libde265's). libheif imports `x265_api_get_NNN` and a few others;
  `x265_api_get_NNN` returning NULL is x265's own "no encoder for this bit depth", so libheif
  reports no HEVC encoder while decoding works unchanged. The Windows twin of
  packaging/linux/x265_stub.py.

Needs pefile (the build extra) and the MinGW-w64 cross compiler (Debian package
gcc-mingw-w64-x86-64-win32).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

MINGW_GCC = "x86_64-w64-mingw32-gcc"
ICU_DLL = "icuuc.dll"
U_FILE_ACCESS_ERROR = 4
X265_DLL = r"libx265(-[0-9a-f]+)*\.dll"

# Functions of icuuc.dll with a specific answer; every other imported name returns 0.
ICU_BODIES = {
    "ucnv_open": (
        "void *ucnv_open(const char *name, int *status)",
        f"{{ (void)name; if (status) *status = {U_FILE_ACCESS_ERROR}; return 0; }}",
    ),
    "ucnv_countAvailable": ("int ucnv_countAvailable(void)", "{ return 0; }"),
}


def imported_functions(pe_file: Path, dll_name: str) -> list[str]:
    """The names `pe_file` imports from `dll_name` (any case), read with pefile: objdump cannot
    read the import tables that delvewheel rewrote (pillow-heif's libheif shows none)."""
    import pefile

    with pefile.PE(str(pe_file), fast_load=True) as pe:
        pe.parse_data_directories(
            directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]]
        )
        names = {
            entry.name.decode()
            for library in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])
            if library.dll.decode().lower() == dll_name.lower()
            for entry in library.imports
            if entry.name
        }
    return sorted(names)


def standin_source(dll_name: str, functions: list[str], bodies: dict | None = None) -> str:
    """C source of a DLL exporting `functions`; `bodies` gives some a signature and body."""
    bodies = bodies or {}
    lines = [f"/* Stand-in for {dll_name}: packaging/windows/standin_dll.py says why. */"]
    for name in functions:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f"unexpected name imported from {dll_name}: {name!r}")
        signature, body = bodies.get(name, (f"void *{name}(void)", "{ return 0; }"))
        lines.append(f"__declspec(dllexport) {signature} {body}")
    return "\n".join(lines) + "\n"


def build_standin(
    dll_name: str, users: list[Path], out: Path, bodies: dict | None = None
) -> list[str]:
    """Compile `out` (named like `dll_name`) exporting what `users` import from `dll_name`;
    returns those names."""
    functions = sorted({name for user in users for name in imported_functions(user, dll_name)})
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.with_suffix(".c")
    source.write_text(standin_source(dll_name, functions, bodies), encoding="utf-8")
    subprocess.run([MINGW_GCC, "-shared", "-O2", "-s", "-o", str(out), str(source)], check=True)
    return functions
