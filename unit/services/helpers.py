"""Small helpers shared by the seed-004 app tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_ROOT / "services" / "backend"
FRONTEND_DIR = REPO_ROOT / "services" / "frontend"


def title(name: str, year: int = 2000, genres: list[str] | None = None, minutes: int = 100) -> dict[str, Any]:
    """A valid create-title request body."""
    return {
        "title": name,
        "year": year,
        "genres": ["drama"] if genres is None else genres,
        "durationMinutes": minutes,
    }


def wait_for_http(url: str, attempts: int = 100, delay: float = 0.1) -> None:
    """Poll `url` until it answers 200 (bounded: attempts x delay), else raise."""
    import time
    import urllib.request

    last: Exception | None = None
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(delay)
    raise RuntimeError(f"{url} did not answer 200: {last}")
