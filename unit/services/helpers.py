"""Small helpers shared by the seed-004 app tests."""

from __future__ import annotations

from typing import Any


def title(name: str, year: int = 2000, genres: list[str] | None = None, minutes: int = 100) -> dict[str, Any]:
    """A valid create-title request body."""
    return {"title": name, "year": year, "genres": ["drama"] if genres is None else genres, "durationMinutes": minutes}
