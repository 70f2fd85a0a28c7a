"""bench/media_wsgi_floor.py, the media bench's no-framework reference, answers the list URL as the
backend does: same rows, same JSON, same cursor. Otherwise its figure would not be a reference."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from werkzeug.test import Client

from unit.services.helpers import REPO_ROOT, title

sys.path.insert(0, str(REPO_ROOT / "bench"))

from media_wsgi_floor import FloorApp


@pytest.fixture
def floor(migrated_url: str) -> Any:
    app = FloorApp(migrated_url)
    yield app
    app.close()


def test_the_reference_answers_the_list_url_with_the_backends_json(
    client: Any, migrated_url: str, floor: FloorApp
) -> None:
    for n in range(23):
        assert client.post("/api/titles", json=title(f"Title {n:02d}", 1990 + n)).status_code == 201
    expected = client.get("/api/titles?limit=20")
    answer = Client(floor).get("/api/titles?limit=20")
    assert answer.status_code == 200
    assert answer.data == expected.data  # byte for byte: the same work, the same bytes on the wire
    body = json.loads(answer.data)
    assert [item["title"] for item in body["items"]][:2] == ["Title 00", "Title 01"]
    assert body["limit"] == 20 and body["nextCursor"] is not None


def test_the_reference_serves_nothing_else(floor: FloorApp) -> None:
    assert Client(floor).get("/api/titles?limit=5").status_code == 404
    assert Client(floor).get("/api/titles/1").status_code == 404
    assert Client(floor).get("/health/ready").status_code == 200


def test_the_reference_sizes_its_pool_from_the_backends_settings(migrated_url: str) -> None:
    app = FloorApp(migrated_url, {"DB_POOL_MIN_SIZE": "2", "DB_POOL_MAX_SIZE": "3"})
    try:
        assert (app.pool.min_size, app.pool.max_size) == (2, 3)
    finally:
        app.close()
