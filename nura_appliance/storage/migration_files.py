"""The numbered migration files both backends ship (``migrations/NNNN_name.sql`` beside each
backend's ``migrations.py``): one record type and one reader, so neither backend imports the
other's modules."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


def migrations_of(package: str) -> list[Migration]:
    """The migrations in ``package``'s ``migrations`` folder, in name (= number) order."""
    folder = resources.files(package) / "migrations"
    found = [
        Migration(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:4].isdigit()
    ]
    return sorted(found, key=lambda m: m.name)
