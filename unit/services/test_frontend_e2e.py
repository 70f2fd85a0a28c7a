"""The built frontend in headless Chromium, with the real backend and PostgreSQL behind it.

pytest starts a private PostgreSQL, `manage.py migrate` + `manage.py serve`, and the frontend's own
static server (services/frontend/server/server.mjs) serving dist/ and proxying /api to the backend,
then runs the playwright-core script services/frontend/e2e/search.e2e.mjs three times: with the
database up (list, page, search, empty state), stopped (the error banner) and back (Retry brings the
titles back). Screenshots: out/e2e/.
Needs `npm ci` and `npm run build` in services/frontend first (`nox -s tests` runs both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from devtools.local_pg import LocalPostgres, free_port

from unit.services.helpers import BACKEND_DIR, FRONTEND_DIR, REPO_ROOT, wait_for_http

SCREENSHOTS = REPO_ROOT / "out" / "e2e"


@dataclass
class Stack:
    pg: LocalPostgres
    frontend_url: str
    backend_log: Path


def node() -> str:
    found = shutil.which("node")
    assert found, "node is required for the browser test"
    return found


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    dist = FRONTEND_DIR / "dist" / "index.html"
    modules = FRONTEND_DIR / "node_modules" / "playwright-core"
    assert dist.is_file() and modules.is_dir(), "run `npm ci && npm run build` in services/frontend first"
    pg = LocalPostgres()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        pg.start()
        backend_port, frontend_port = free_port(), free_port()
        env = {
            **os.environ,
            "DATABASE_URL": pg.create_app_database("media"),
            "PORT": str(backend_port),
            "ACCESS_LOG": "0",
            "DB_POOL_TIMEOUT": "1",
            "DB_CONNECT_TIMEOUT": "1",
        }
        env.pop("HOST", None)
        manage = str(BACKEND_DIR / "manage.py")
        subprocess.run(
            [sys.executable, manage, "migrate"], env=env, check=True, capture_output=True, timeout=60
        )
        backend_log = tmp_path / "backend.log"
        with backend_log.open("wb") as log:
            processes.append(subprocess.Popen([sys.executable, manage, "serve"], env=env, stderr=log))
        wait_for_http(f"http://127.0.0.1:{backend_port}/health")
        frontend_env = {
            **os.environ,
            "PORT": str(frontend_port),
            "HOST": "127.0.0.1",
            "API_PROXY_TARGET": f"http://127.0.0.1:{backend_port}",
        }
        server = FRONTEND_DIR / "server" / "server.mjs"
        processes.append(subprocess.Popen([node(), str(server)], env=frontend_env, stdout=subprocess.DEVNULL))
        wait_for_http(f"http://127.0.0.1:{frontend_port}/health")
        yield Stack(pg, f"http://127.0.0.1:{frontend_port}", backend_log)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        pg.destroy()


def run_phase(stack: Stack, phase: str) -> None:
    result = subprocess.run(
        [node(), str(FRONTEND_DIR / "e2e" / "search.e2e.mjs")],
        env={
            **os.environ,
            "BASE_URL": stack.frontend_url,
            "PHASE": phase,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
        },
        cwd=FRONTEND_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    backend = stack.backend_log.read_text(errors="replace")[-3000:]
    assert result.returncode == 0, (
        f"e2e {phase} failed:\n{result.stdout}\n{result.stderr}\nbackend:\n{backend}"
    )
    assert result.stdout.strip() == f"e2e {phase}: ok (screenshots in {SCREENSHOTS})"


def test_a_person_lists_searches_sees_an_outage_and_retries_in_chromium(stack: Stack) -> None:
    run_phase(stack, "search")
    assert (SCREENSHOTS / "search-results.png").stat().st_size > 1000
    stack.pg.stop()
    run_phase(stack, "outage")
    assert (SCREENSHOTS / "database-outage.png").stat().st_size > 1000
    stack.pg.start()
    run_phase(stack, "recovery")
    assert (SCREENSHOTS / "recovered.png").stat().st_size > 1000
