"""Fixtures for the seed-004 apps: a real PostgreSQL server per test session, fresh databases, apps.

The server is Debian's PostgreSQL run as the `postgres` user on a free 127.0.0.1 port
(services/backend/devtools/local_pg.py), stopped and removed at the end of the session.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from unit.services.helpers import BACKEND_DIR

if str(BACKEND_DIR) not in sys.path:
    sys.path.insert(0, str(BACKEND_DIR))

from devtools.local_pg import LocalPostgres
from media_api import create_app
from media_api.config import Settings
from media_api.migrations import migrate


@pytest.fixture(scope="session")
def pg() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def database_url(pg: LocalPostgres) -> str:
    """A fresh, empty database owned by the app role (no migrations applied)."""
    return pg.create_app_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def migrated_url(database_url: str) -> str:
    migrate(database_url)
    return database_url


@pytest.fixture
def make_app() -> Iterator[Callable[..., Any]]:
    """create_app(Settings(...)) with short timeouts; every pool is closed at teardown."""
    apps: list[Any] = []

    def build(database_url: str | None = None, **overrides: Any) -> Any:
        fields: dict[str, Any] = {"db_connect_timeout": 1, "db_pool_timeout": 1.0, "db_pool_max_size": 4}
        fields.update(overrides)
        app = create_app(Settings(database_url=database_url, **fields))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["media_db"].close()


@pytest.fixture
def client(make_app: Callable[..., Any], migrated_url: str) -> Any:
    return make_app(migrated_url).test_client()
