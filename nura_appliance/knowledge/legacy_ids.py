"""How the original NURA's article identifiers map to ours (no imports: analytics and the importer use it).

The original named an article by its position in ``articals.json``; imported articles keep that
position in their id (``article-6``), as ``nura knowledge import-legacy`` has always done.
"""

from __future__ import annotations

import re

_LEGACY_ARTICLE = re.compile(r"^article-(\d+)$")


def article_id_for(position: int) -> str:
    """Our id of the article at ``position`` of the original ``articals.json``."""
    return f"article-{position}"


def position_of(article_id: str) -> int | None:
    """The original position of an imported article, None for articles that did not come from there."""
    found = _LEGACY_ARTICLE.match(article_id)
    return int(found.group(1)) if found else None
