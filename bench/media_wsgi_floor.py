"""The media bench's server-stack reference: the list query behind gunicorn with no framework.

    DATABASE_URL=... PORT=... python bench/media_wsgi_floor.py

A bare WSGI callable that does what `GET /api/titles?limit=20` does at its core (one pooled psycopg
query, the same statement and parameters, the same rows to the same JSON) served by gunicorn with
the options `manage.py serve` uses. bench/media_bench.py prints it between the direct-psycopg floor
and the backend, so the figures show what the server stack costs and what Flask and the route add.
It answers only that URL (and `/health/ready`, for the bench's wait); anything else is a 404.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

BACKEND = Path(__file__).resolve().parents[1] / "services" / "backend"
sys.path.insert(0, str(BACKEND))

from manage import gunicorn_options, run_gunicorn  # noqa: E402
from media_api.config import load_settings  # noqa: E402
from media_api.titles import LIST_STATEMENTS, as_json, encode_cursor  # noqa: E402

PAGE = 20


class FloorApp:
    """The WSGI callable: one pool (the backend's pool sizes), one statement, no framework."""

    def __init__(self, url: str, environ: Mapping[str, str] | None = None) -> None:
        from psycopg_pool import ConnectionPool

        # The backend's settings from the same environment (pool sizes), on the given database.
        settings = load_settings({**(environ or {}), "DATABASE_URL": url})
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            kwargs={"autocommit": True},
            open=True,
        )
        self.statement = LIST_STATEMENTS[False, False, False]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/api/titles" and environ.get("QUERY_STRING") == f"limit={PAGE}":
            conn = self.pool.getconn()
            try:
                rows = conn.execute(self.statement, (PAGE + 1,)).fetchall()
            finally:
                self.pool.putconn(conn)
            page = rows[:PAGE]
            cursor = encode_cursor(page[-1][5], page[-1][0]) if len(rows) > PAGE else None
            # Flask's compact JSON with its trailing newline: the same bytes the backend sends.
            document = {"items": [as_json(row) for row in page], "nextCursor": cursor, "limit": PAGE}
            body = json.dumps(document, separators=(",", ":")) + "\n"
            status = "200 OK"
        elif path == "/health/ready":
            status, body = "200 OK", '{"status": "ready"}'
        else:
            status, body = "404 Not Found", '{"error": "not served by the bench reference"}'
        encoded = body.encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(encoded)))])
        return [encoded]

    def close(self) -> None:
        self.pool.close()


if __name__ == "__main__":
    run_gunicorn(
        gunicorn_options("127.0.0.1", int(os.environ["PORT"])),
        lambda: FloorApp(os.environ["DATABASE_URL"], os.environ),
    )
