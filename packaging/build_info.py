"""What goes into the PyInstaller bundle: the one place ``nura.spec`` (and the packaging tests)
read the version, the bundled data folders and the native libraries from.

Keeping these lists here rather than in the spec means a test can check them without running
PyInstaller, and adding a data folder is a one-line change in one file.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "nura_appliance"

APP_NAME = "nura"
# The entry script PyInstaller freezes: the same ``python -m nura_appliance`` entry point.
ENTRY_SCRIPT = PACKAGE / "__main__.py"

# Folders shipped next to the code; paths.resource_root() finds them under sys._MEIPASS.
DATA_FOLDERS: tuple[str, ...] = ("widget", "admin_static", "knowledge")

# Numbered schema migrations, read with importlib.resources: SQLite for the appliance, PostgreSQL
# for scale-out mode (NURA_DATABASE_URL). The wheel carries the same two sets (pyproject.toml).
MIGRATION_SETS: tuple[str, ...] = ("sqlite", "postgres")

# Packages whose modules are imported by name at run time (FEATURES in app.py, sanic's
# worker machinery, typer's completion scripts), so static analysis alone misses them.
HIDDEN_PACKAGES: tuple[str, ...] = (
    "sanic",
    "sanic_ext",
    "sanic_routing",
    "tracerite",
    "huey",
    "diskcache",
    "prometheus_client",
    "argon2",
    "jwt",
    "sqlite_utils",
    "typer",
    "rich",
    "shellingham",
)

# Large optional packages nothing in the appliance imports; leaving them out keeps the bundle small.
EXCLUDED_MODULES: tuple[str, ...] = (
    "tkinter",
    "pytest",
    "_pytest",
    "hypothesis",
    "playwright",
    "IPython",
    "matplotlib",
    "numpy.testing",
    "PyInstaller",
    # Reached only through optional paths we never take: llama-cpp-python's from_pretrained
    # (Hugging Face downloads), tracerite's FastAPI adapter and redis-py's OpenTelemetry hooks.
    # Left in, they add ~45 MB (grpc, protobuf, fastapi, huggingface_hub).
    "huggingface_hub",
    "fsspec",
    # HEIC attachments (the optional `heic` extra): its wheels carry the GPL x265 encoder, so the
    # bundle goes without it and HEIC photos are refused with a "send JPEG" message there.
    "pillow_heif",
    "fastapi",
    "starlette",
    "opentelemetry",
    "grpc",
    "grpc_tools",
    "google.protobuf",
    # Optional imports of packages that are only installed in a developer's venv (the bench
    # extra: ChromaDB and matplotlib bring fontTools, aiohttp, onnxruntime): openai and pypdf
    # try them when present. Without this the bundle depended on what the venv held (227 MB
    # instead of ~190 MB, docs/PERFORMANCE.md). Pillow is not among them: photo attachments
    # (EXIF stripping) and pdfplumber import it, so it is a runtime dependency of the bundle.
    "fontTools",
    "aiohttp",
    "chromadb",
    "onnxruntime",
    "kubernetes",
    "tokenizers",
)


def version() -> str:
    """The package version, read from ``nura_appliance/__init__.py`` without importing it."""
    text = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise RuntimeError("nura_appliance/__init__.py has no __version__")
    return match.group(1)


def own_modules() -> list[str]:
    """Every module of ``nura_appliance``, found by walking the source tree.

    Listed from the files rather than by importing: an editable install hides the package
    behind a path hook that PyInstaller's ``collect_submodules`` does not walk.
    """
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(REPO).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def data_files() -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs for PyInstaller's ``datas``."""
    pairs: list[tuple[str, str]] = []
    for folder in DATA_FOLDERS:
        source = REPO / folder
        if not source.is_dir():
            raise FileNotFoundError(f"{source} is missing: the bundle would have no {folder}/")
        pairs.append((str(source), folder))
    # Data files the code reads beside its modules (the hand-off exemplars, the article tier's
    # out-of-scope bank): every JSON file in the package, where the wheel also puts it.
    for data in sorted(PACKAGE.rglob("*.json")):
        if "__pycache__" not in data.parts:
            pairs.append((str(data), str(data.parent.relative_to(REPO))))
    for backend in MIGRATION_SETS:
        folder = PACKAGE / "storage" / backend / "migrations"
        found = sorted(folder.glob("*.sql"))
        if not found:
            raise FileNotFoundError(f"{folder} holds no migrations")
        pairs.extend((str(sql), f"nura_appliance/storage/{backend}/migrations") for sql in found)
    return pairs


def native_libraries() -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs for PyInstaller's ``binaries``.

    * sqlite-vec's loadable extension goes where ``sqlite_vec.loadable_path()`` looks for it
      (beside the package's ``__init__``), so the frozen code loads it unchanged.
    * llama.cpp's shared libraries go to ``llama_cpp/lib``, where llama-cpp-python loads them;
      they are optional (the ``local`` extra) and skipped when the package is not installed.
    """
    pairs: list[tuple[str, str]] = []
    vec_dir = _package_dir("sqlite_vec")
    if vec_dir is None:
        raise RuntimeError("sqlite-vec is not installed; it is a required dependency")
    extensions = [p for p in vec_dir.iterdir() if p.name.startswith("vec0.") and p.suffix in (".so", ".dll", ".dylib")]
    if not extensions:
        raise FileNotFoundError(f"no vec0 loadable extension in {vec_dir}")
    pairs.extend((str(p), "sqlite_vec") for p in extensions)
    llama_dir = _package_dir("llama_cpp")
    if llama_dir is not None and (llama_dir / "lib").is_dir():
        for lib in sorted((llama_dir / "lib").iterdir()):
            if lib.is_file() and any(part in (".so", ".dll", ".dylib") for part in lib.suffixes):
                pairs.append((str(lib), "llama_cpp/lib"))
    return pairs


def has_llama() -> bool:
    return _package_dir("llama_cpp") is not None
