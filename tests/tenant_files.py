"""The shipped tenant files, copied under slugs (and names) unique to one test."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ("kolding", "psykiatrifonden", "vejle")


def copy_shipped_tenants(directory: Path, suffix: str, *, unique_names: bool = False) -> Path:
    """Write ``<slug>-<suffix>.toml`` for each shipped tenant into ``directory``.

    The shared test databases then never see the same slug twice. ``unique_names`` also suffixes
    the tenant's name (Keycloak wants unique organization names in a realm).
    """
    directory.mkdir(parents=True, exist_ok=True)
    for src in sorted((REPO / "tenants").glob("*.toml")):
        slug = f"{src.stem}-{suffix}"
        text = src.read_text(encoding="utf-8").replace(f'slug = "{src.stem}"', f'slug = "{slug}"')
        if unique_names:
            text = re.sub(r'^name = "([^"]+)"', rf'name = "\1 {suffix}"', text, count=1, flags=re.M)
        (directory / f"{slug}.toml").write_text(text, encoding="utf-8")
    return directory
