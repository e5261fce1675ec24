"""Every filesystem location the appliance uses, in one place, frozen-aware.

When running from a PyInstaller bundle the bundled folders (``widget/``, ``admin_static/``,
``knowledge/``) live under ``sys._MEIPASS``; from a checkout or a wheel they sit beside the
package (the wheel ships them as ``nura_appliance/_bundled/``). Nothing else in the code base
checks ``sys.frozen``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_root() -> Path:
    """Folder that holds the bundled ``widget/``, ``admin_static/`` and ``knowledge/``."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    bundled = PACKAGE_DIR / "_bundled"
    if (bundled / "widget").is_dir():
        return bundled
    return PACKAGE_DIR.parent


def widget_dir() -> Path:
    return resource_root() / "widget"


def admin_static_dir() -> Path:
    return resource_root() / "admin_static"


def knowledge_dir() -> Path:
    return resource_root() / "knowledge"


def default_pack_path() -> Path:
    return knowledge_dir() / "default-pack.json"


@dataclass(frozen=True)
class DataPaths:
    """Locations inside one data directory."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "nura.db"

    @property
    def jobs_database(self) -> Path:
        return self.root / "jobs.db"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def settings_file(self) -> Path:
        return self.root / "nura.toml"

    def ensure(self) -> DataPaths:
        # Private (0700) from the start: transcripts, uploads and backups are nobody else's.
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for folder in (self.cache, self.uploads, self.models, self.backups):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self
