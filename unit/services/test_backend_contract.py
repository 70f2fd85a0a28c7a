"""The local run contract, black-box: `manage.py migrate`, then `manage.py serve` on 127.0.0.1:$PORT."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from devtools.local_pg import free_port

from unit.services.helpers import BACKEND_DIR, wait_for_http


@pytest.fixture
def served(database_url: str) -> Iterator[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(free_port()), "ACCESS_LOG": "0"}
    env.pop("HOST", None)
    manage = str(BACKEND_DIR / "manage.py")
    first = subprocess.run(
        [sys.executable, manage, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (first.returncode, first.stdout) == (0, "applied migrations: [1, 2]\n")
    again = subprocess.run(
        [sys.executable, manage, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (again.returncode, again.stdout) == (0, "schema up to date\n")
    server = subprocess.Popen([sys.executable, manage, "serve"], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_for_http(base + "/health")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_migrate_then_serve_answers_the_api_over_http(served: str) -> None:
    assert requests.get(served + "/health/ready", timeout=5).json() == {
        "status": "ready",
        "database": "ok",
        "schemaVersion": 2,
    }
    created = requests.post(
        served + "/api/titles",
        json={"title": "Spirited Away", "year": 2001, "genres": ["animation"], "durationMinutes": 125},
        timeout=5,
    )
    assert created.status_code == 201
    listed = requests.get(served + "/api/titles", params={"q": "spirit"}, timeout=5)
    assert listed.headers["Content-Type"] == "application/json"
    assert listed.json() == {
        "items": [
            {
                "id": created.json()["id"],
                "title": "Spirited Away",
                "year": 2001,
                "genres": ["animation"],
                "durationMinutes": 125,
            }
        ],
        "nextCursor": None,
        "limit": 20,
    }
    bad = requests.post(served + "/api/titles", json={"title": "x"}, timeout=5)
    assert (bad.status_code, bad.json()["field"]) == (400, "year")


def listening_sockets(port: int) -> set[str]:
    """Local addresses in LISTEN state on `port`, from /proc/net/tcp (hex, little-endian IPv4)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def test_serve_binds_loopback_only(served: str) -> None:
    port = int(served.rsplit(":", 1)[1])
    assert listening_sockets(port) == {"127.0.0.1"}


def test_serve_refuses_to_start_without_a_database_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_SECRET_ARN", "SSM_PREFIX")}
    result = subprocess.run(
        [sys.executable, str(BACKEND_DIR / "manage.py"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "config error: set DATABASE_URL (local runs) or DB_SECRET_ARN (the RDS-managed master secret)\n"
    )


def test_serve_runs_gthread_with_keep_alive_beyond_the_albs_idle_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import manage
    from gunicorn.config import Config  # type: ignore[import-untyped]

    for variable in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "ACCESS_LOG", "LOG_LEVEL", "GUNICORN_TMP_DIR"):
        monkeypatch.delenv(variable, raising=False)
    options = manage.gunicorn_options("127.0.0.1", 8123)
    assert set(options) <= set(Config().settings)  # gunicorn ignores a misspelt option silently
    assert {key: options[key] for key in ("bind", "worker_class", "workers", "threads", "keepalive")} == {
        "bind": "127.0.0.1:8123",
        "worker_class": "gthread",
        "workers": 2,
        "threads": 8,
        "keepalive": 75,  # > the ALB's 60 s idle timeout: the ALB closes idle connections, not gunicorn
    }
    assert options["accesslog"] == "-"
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("ACCESS_LOG", "0")
    configured = manage.gunicorn_options("0.0.0.0", 8000)
    assert (configured["workers"], configured["accesslog"]) == (3, None)
