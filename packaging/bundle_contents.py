"""What the PyInstaller bundle may and must contain: one list used by the spec, the build check
and tests/packaging.

This file sits in packaging/, which deliberately has no __init__.py (a regular package named
`packaging` would shadow PyPA's `packaging`, which PyInstaller itself imports). Import it by
putting packaging/ on sys.path: `import bundle_contents`.

Pure stdlib at import time: the spec imports it inside PyInstaller, and the tests import it
without PyInstaller being importable.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

BUNDLE_NAME = "edgeclass"  # dist/edgeclass/
CLI_NAME = "edgeclass"
DESKTOP_NAME = "edgeclass-desktop"
CONTENTS_DIR = "_internal"  # PyInstaller 6's default contents_directory
MACOS_APP_NAME = "Edgeclass.app"
MACOS_BUNDLE_ID = "org.edgeclass.desktop"
SIZE_TARGET_MIB = 150.0

# Top-level packages and sub-modules that must never be in the bundle: the training and
# quantization stacks, heavy scientific libraries, GUI toolkits we do not use, and the parts of
# edgeclass and onnxruntime that need them. A dotted name matches itself and its sub-modules.
FORBIDDEN_MODULES: tuple[str, ...] = (
    "torch",
    "torchvision",
    "torchaudio",
    "transformers",
    "tokenizers",
    "datasets",
    "optimum",
    "accelerate",
    "safetensors",
    "huggingface_hub",
    "mlflow",
    "onnx",  # the protobuf tooling; onnxruntime is a different top-level package
    "scipy",
    "sympy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "sklearn",
    "tkinter",
    "_tkinter",
    "IPython",
    "pytest",
    "yaml",
    "tqdm",
    "google.protobuf",
    "edgeclass.trainer",
    "edgeclass.quantize",
    "edgeclass.cli.train",
    "edgeclass.cli.quantize",
    "edgeclass.cli.report",
    # `edgeclass serve` and its extra: the bundle classifies, it does not serve.
    "edgeclass.serve",
    "edgeclass.cli.serve",
    "fastapi",
    "starlette",
    "uvicorn",
    "python_multipart",
    "multipart",
    "prometheus_client",
    "swagger_ui",
    # `classify --engine ray` and its extra: a cluster has its own Python environment.
    "ray",
    "edgeclass.distributed",
    "edgeclass.cli.classify_ray",
    "onnxruntime.quantization",
    "onnxruntime.transformers",
    "onnxruntime.tools",
    "onnxruntime.training",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtNetwork",
    "PySide6.QtPdf",
    "PySide6.QtOpenGL",
    "PySide6.QtSvg",
    "PySide6.QtMultimedia",
    "PySide6.QtDesigner",
    "PySide6.QtDBus",  # the Python binding only; QtGui still links libQt6DBus on Linux
)

# Modules the spec tells PyInstaller to leave out (it would otherwise follow optional imports
# into them). Same list: what we exclude is what the check forbids.
EXCLUDES: tuple[str, ...] = FORBIDDEN_MODULES

# Modules that must be in the bundle, or the executables cannot do their job.
REQUIRED_MODULES: tuple[str, ...] = (
    "edgeclass",
    "edgeclass.cli.main",
    "edgeclass.cli.classify",
    "edgeclass.runtime",
    "edgeclass.runtime.model_report",  # About this model reads reports without edgeclass.quantize
    "edgeclass.organize",  # File > Sort into folders
    "edgeclass.resources",
    "edgeclass.desktop",
    "onnxruntime",
    "onnxruntime.capi.onnxruntime_pybind11_state",
    "numpy",
    "numpy._core._multiarray_umath",
    "PIL.Image",
    "PIL._imaging",
    # Phone formats (issue 14): AVIF through Pillow's own plugin, HEIC through pillow-heif.
    "PIL._avif",
    "PIL.AvifImagePlugin",
    "pillow_heif",
    "_pillow_heif",
    "PySide6.QtCore",
    "PySide6.QtGui",
    "PySide6.QtWidgets",
)

# Older names a required module may carry: numpy 1.x (the Windows build, checked under Wine,
# pins 1.26.4) has numpy.core where numpy 2 has numpy._core.
REQUIRED_MODULE_ALIASES: dict[str, tuple[str, ...]] = {
    "numpy._core._multiarray_umath": ("numpy.core._multiarray_umath",),
}


def has_required_module(modules: set[str], module: str) -> bool:
    """Whether `modules` holds `module` under its name or one of its older names."""
    return any(name in modules for name in (module, *REQUIRED_MODULE_ALIASES.get(module, ())))


# Qt shared libraries (any OS's spelling) that must not be shipped: QML/Quick, WebEngine, PDF,
# networking, OpenGL helpers, designer, printing, SQL, multimedia, 3D.
_QT_FORBIDDEN_LIBS = (
    "Qml",
    "Quick",
    "WebEngine",
    "WebChannel",
    "WebSockets",
    "Pdf",
    "Network",
    "OpenGL",
    "Designer",
    "Help",
    "PrintSupport",
    "Sql",
    "Multimedia",
    "3D",
    "Charts",
    "Graphs",
    "DataVisualization",
    "VirtualKeyboard",
    "Labs",
    "ShaderTools",
    "Lottie",
    "Svg",
    "EglFS",
    "WaylandClient",  # native Wayland is not shipped: Wayland desktops run it through XWayland
    "WaylandCompositor",
    "WaylandEglClientHwIntegration",
)
_QT_LIB_RE = re.compile(
    r"(^|/)(lib)?Qt6?(" + "|".join(_QT_FORBIDDEN_LIBS) + r")[A-Za-z0-9]*"
    r"(\.so[.0-9]*|\.dll|\.dylib|\.framework)($|/)"
)

# Qt plugins we ship, by plugin folder: a platform to draw on (offscreen for the self-test and
# headless use; xcb on Linux, where Wayland desktops run the app through XWayland), input
# methods, native styles and, on Linux, the XDG portal theme (native file dialogs in
# sandboxes). No native Wayland (1.4 MiB: it made room for HEIC and AVIF, docs/bundle.md), no
# image-format plugins: the app decodes photos with Pillow and its icons are PNG, which QtGui
# reads without a plugin. Everything else (eglfs/vnc/linuxfb, GL integrations, SVG/PDF/TIFF,
# TLS, network information, print support, SQL, QML tooling) is left out.
QT_PLUGINS_KEPT: dict[str, tuple[str, ...]] = {
    "platforms": (
        "*qoffscreen*",
        "*qxcb*",
        "*qwindows*",
        "*qcocoa*",
    ),
    "platformthemes": ("*qxdgdesktopportal*",),
    "platforminputcontexts": ("*",),
    "styles": ("*",),
}

# pillow-heif's libx265 (libx265-<hash>.so.<api>): the HEVC encoder, which reading HEIC never
# calls. On Linux the bundle ships a stand-in with the same soname (packaging/linux/x265_stub.py);
# the check fails if a bundled one is bigger than STUB_MAX_BYTES (the real encoder crept back).
X265_LIBRARY = r"libx265(-[0-9a-f]+)?\.so\.\d+"
X265_STUB_MAX_BYTES = 64 * 1024

# Linux libraries taken from the user's system rather than the build machine: every desktop
# distribution has them, and they must match the host (fonts configuration, X server, glib,
# D-Bus). From AppImage's excludelist (as used by linuxdeployqt), plus libdbus-1 (ABI-stable
# since 2006), which would otherwise drag in libsystemd and libgcrypt, and libstdc++/libgcc_s:
# the manylinux wheels we bundle (onnxruntime, PySide6, numpy) are built to run on the host's
# own C++ runtime of any distribution their tag allows. The xcb helper libraries (libxcb-cursor
# & co., Qt's classic "could not load the xcb plugin" pitfall) stay bundled.
HOST_LIBS_LINUX: frozenset[str] = frozenset(
    {
        "libX11.so.6",
        "libX11-xcb.so.1",
        "libxcb.so.1",
        "libfontconfig.so.1",
        "libfreetype.so.6",
        "libharfbuzz.so.0",
        "libfribidi.so.0",
        "libthai.so.0",
        "libexpat.so.1",
        "libstdc++.so.6",
        "libgcc_s.so.1",
        "libz.so.1",
        "libglib-2.0.so.0",
        "libgthread-2.0.so.0",
        "libgobject-2.0.so.0",
        "libgio-2.0.so.0",
        "libgpg-error.so.0",
        "libcom_err.so.2",
        "libdbus-1.so.3",
        "libEGL.so.1",
        "libGL.so.1",
        "libGLX.so.0",
        "libOpenGL.so.0",
        "libGLdispatch.so.0",
        "libdrm.so.2",
        "libgbm.so.1",
        # A Wayland session always provides these; without one Qt uses xcb.
        "libwayland-client.so.0",
        "libwayland-cursor.so.0",
        "libwayland-egl.so.1",
    }
)

# Windows: the MSVC runtime that python3.dll, onnxruntime and Qt link against. PyInstaller
# collects these from the build machine; a user without the "VC++ 2015-2022 redistributable"
# would otherwise get "VCRUNTIME140.dll was not found".
WINDOWS_REQUIRED_DLLS: tuple[str, ...] = ("vcruntime140.dll", "msvcp140.dll")

FORBIDDEN_FILE_PATTERNS: tuple[str, ...] = (
    "*/translations/*.qm",  # Qt's own translations: the app is English-only
    "*/qml/*",
    # Windows: Mesa's software OpenGL (20 MB) and the Direct3D shader compiler serve Qt Quick
    # and OpenGL fallbacks; a QtWidgets app paints with the raster engine.
    "*/opengl32sw.dll",
    "*/d3dcompiler_47.dll",
    # The ICU stand-in of Wine test prefixes (packaging/windows/standin_dll.py): Windows has
    # the real one; a bundled copy would break Qt's legacy code pages.
    "*/icuuc.dll",
)


# Qt for Python releases the bundle must never carry (pyproject.toml's extras exclude them too).
# 6.12.0 drops a reference to True on every Signal.emit() and to None on every call that returns
# None: after a few thousand photos the app aborts with "Fatal Python error: none_dealloc".
BROKEN_QT_BINDINGS: dict[str, str] = {
    "6.12.0": "drops a reference on every signal emit: long sessions crash (none_dealloc)",
}
QT_BINDING_DISTRIBUTIONS = ("PySide6-Essentials", "PySide6", "shiboken6")
LAST_GOOD_QT_BINDING = "6.11.3"


def installed_qt_bindings() -> dict[str, str]:
    """{distribution: version} for the Qt binding packages installed here."""
    found = {}
    for name in QT_BINDING_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def broken_qt_binding(installed: dict[str, str]) -> str | None:
    """Why the bundle must not be built with these Qt binding versions; None when they are fine."""
    for name, version in installed.items():
        if version in BROKEN_QT_BINDINGS:
            return (
                f"{name} {version} is installed, and {BROKEN_QT_BINDINGS[version]}. "
                f'Install another release first: pip install "PySide6-Essentials=='
                f'{LAST_GOOD_QT_BINDING}" (or pip install -e ".[build]", which excludes it).'
            )
    return None


def module_is_forbidden(name: str) -> str | None:
    """The FORBIDDEN_MODULES entry that `name` falls under, or None."""
    for banned in FORBIDDEN_MODULES:
        if name == banned or name.startswith(banned + "."):
            return banned
    return None


def qt_plugin_is_kept(dest: str) -> bool:
    """Whether a collected file under .../Qt/plugins/<type>/ (or PySide6/plugins) is shipped.

    `dest` is the path inside the bundle, with / or \\ separators.
    """
    parts = dest.replace("\\", "/").split("/")
    if "plugins" not in parts:
        return True
    after = parts[len(parts) - parts[::-1].index("plugins") :]
    if len(after) < 2:  # a file directly under plugins/
        return True
    plugin_type, filename = after[0], after[-1]
    patterns = QT_PLUGINS_KEPT.get(plugin_type)
    if patterns is None:
        return False
    return any(fnmatch.fnmatch(filename, pattern) for pattern in patterns)


def file_is_forbidden(dest: str) -> str | None:
    """Why a file inside the bundle must not be there, or None when it may."""
    posix = dest.replace("\\", "/")
    if _QT_LIB_RE.search(posix):
        return "unused Qt library"
    if ("/PySide6/" in f"/{posix}") and "/plugins/" in posix and not qt_plugin_is_kept(posix):
        return "unused Qt plugin"
    for pattern in FORBIDDEN_FILE_PATTERNS:
        if fnmatch.fnmatch("/" + posix, pattern):
            return f"never shipped ({pattern})"
    module = extension_module_name(posix)
    if module is not None and module_is_forbidden(module):
        return f"forbidden module {module_is_forbidden(module)}"
    top = posix.split("/", 1)[0] if "/" in posix else ""
    if top and module_is_forbidden(top):
        return f"forbidden package folder {top}"
    return None


def keep_collected(dest: str) -> bool:
    """Filter for the spec's Analysis TOCs: False for anything the check would reject."""
    return file_is_forbidden(dest) is None


_EXT_SUFFIX_RE = re.compile(r"(\.cpython-[^/]*|\.abi3|\.cp\d+-win[^/]*)?\.(so|pyd)$")


def extension_module_name(relpath: str) -> str | None:
    """`numpy/_core/_x.cpython-311-x86_64-linux-gnu.so` -> `numpy._core._x` (else None)."""
    posix = relpath.replace("\\", "/")
    if not _EXT_SUFFIX_RE.search(posix):
        return None
    stem = _EXT_SUFFIX_RE.sub("", posix)
    if "/lib-dynload/" in f"/{stem}":
        stem = stem.split("lib-dynload/", 1)[1]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*", stem):
        return None  # a shared library such as libfoo.so, not an importable module
    return stem.replace("/", ".")


@dataclass
class BundleInventory:
    """Everything a built bundle holds: files on disk and modules frozen into the executables."""

    root: Path
    files: list[str] = field(default_factory=list)  # relative to the contents directory
    modules: set[str] = field(default_factory=set)
    executables: list[Path] = field(default_factory=list)

    @property
    def contents_dir(self) -> Path:
        return self.root / CONTENTS_DIR


def is_windows_bundle(bundle_dir: Path) -> bool:
    """A Windows bundle (.exe files), checked natively or from Linux after a Wine build."""
    return sys.platform == "win32" or (Path(bundle_dir) / f"{CLI_NAME}.exe").is_file()


def executable_path(bundle_dir: Path, name: str) -> Path:
    suffix = ".exe" if is_windows_bundle(bundle_dir) else ""
    return Path(bundle_dir) / f"{name}{suffix}"


def _frozen_modules(executable: Path) -> set[str]:
    # PyInstaller's own reader of the archive appended to each executable (PKG, holding PYZ).
    from PyInstaller.archive.readers import CArchiveReader

    names: set[str] = set()
    archive = CArchiveReader(str(executable))
    for entry_name, entry in archive.toc.items():
        typecode = entry[-1]
        if typecode == "z":  # PYZ: the pure-Python modules
            names.update(archive.open_embedded_archive(entry_name).toc.keys())
        elif typecode in ("m", "M", "s"):  # bootstrap modules and scripts
            names.add(entry_name)
    return names


def inventory(bundle_dir: Path) -> BundleInventory:
    """List a built onedir bundle: its files, and every module it can import."""
    bundle_dir = Path(bundle_dir)
    inv = BundleInventory(root=bundle_dir)
    contents = inv.contents_dir
    for dirpath, _dirnames, filenames in os.walk(contents):
        for filename in filenames:
            full = Path(dirpath) / filename
            rel = full.relative_to(contents).as_posix()
            inv.files.append(rel)
            module = extension_module_name(rel)
            if module is not None:
                inv.modules.add(module)
            elif rel.endswith(".py") or rel.endswith(".pyc"):
                inv.modules.add(rel.rsplit(".", 1)[0].replace("/", ".").removesuffix(".__init__"))
    inv.files.sort()
    base_library = contents / "base_library.zip"
    if base_library.exists():
        with zipfile.ZipFile(base_library) as archive:
            for name in archive.namelist():
                if name.endswith(".pyc"):
                    inv.modules.add(name[:-4].replace("/", ".").removesuffix(".__init__"))
    for name in (CLI_NAME, DESKTOP_NAME):
        exe = executable_path(bundle_dir, name)
        if exe.exists():
            inv.executables.append(exe)
            inv.modules.update(_frozen_modules(exe))
    return inv


def problems(inv: BundleInventory) -> list[str]:
    """Everything wrong with a bundle's contents, as readable lines (empty when it is fine)."""
    found: list[str] = []
    for name in (CLI_NAME, DESKTOP_NAME):
        if not executable_path(inv.root, name).exists():
            found.append(f"missing executable: {executable_path(inv.root, name).name}")
    for module in sorted(inv.modules):
        banned = module_is_forbidden(module)
        if banned:
            found.append(f"forbidden module in bundle: {module} (excluded: {banned})")
    for rel in inv.files:
        why = file_is_forbidden(rel)
        if why:
            found.append(f"forbidden file in bundle: {rel} ({why})")
    for module in REQUIRED_MODULES:
        if not has_required_module(inv.modules, module):
            found.append(f"required module missing from bundle: {module}")
    found += oversized_x265(inv)
    if is_windows_bundle(inv.root):
        present = {PurePosixPath(rel).name.lower() for rel in inv.files}
        for dll in WINDOWS_REQUIRED_DLLS:
            if dll not in present:
                found.append(f"MSVC runtime missing from bundle: {dll}")
    plugin_names = {PurePosixPath(rel).name for rel in inv.files if "/platforms/" in rel}
    if not any(name.startswith(("libqoffscreen", "qoffscreen")) for name in plugin_names):
        found.append("required Qt platform plugin missing: offscreen")
    return found


def size_on_disk(path: Path) -> tuple[int, int]:
    """(bytes allocated on disk like `du`, apparent bytes) of everything under `path`."""
    allocated = apparent = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for filename in filenames:
            stat = (Path(dirpath) / filename).lstat()
            apparent += stat.st_size
            blocks = getattr(stat, "st_blocks", None)
            allocated += blocks * 512 if blocks is not None else stat.st_size
    return allocated, apparent


def largest_files(bundle_dir: Path, count: int = 15) -> list[tuple[str, int]]:
    """The biggest files in a bundle, for the build summary (what to cut next)."""
    sizes = []
    for dirpath, _dirnames, filenames in os.walk(bundle_dir):
        for filename in filenames:
            full = Path(dirpath) / filename
            sizes.append((full.relative_to(bundle_dir).as_posix(), full.lstat().st_size))
    sizes.sort(key=lambda item: item[1], reverse=True)
    return sizes[:count]


def oversized_x265(inv: BundleInventory) -> list[str]:
    """Linux: pillow-heif's libx265 must be the stand-in, not the 23 MB GPL encoder."""
    if not sys.platform.startswith("linux"):
        return []
    found = []
    for rel in inv.files:
        if re.fullmatch(X265_LIBRARY, Path(rel).name):
            size = (inv.contents_dir / rel).stat().st_size
            if size > X265_STUB_MAX_BYTES:
                found.append(f"{rel} is the real x265 encoder ({size} bytes), not the stand-in")
    return found
