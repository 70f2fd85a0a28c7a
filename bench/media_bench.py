"""Benchmark for the seed-004 backend (not a test: it prints figures and asserts nothing).

    python bench/media_bench.py

Starts a throwaway PostgreSQL on 127.0.0.1 (services/backend/devtools/local_pg.py), migrates and
seeds it, runs the backend exactly as `manage.py serve` does (gunicorn gthread), then drives
`GET /api/titles?limit=20` (and a search) with 50 concurrent keep-alive HTTP clients. Beside each
figure is its floor: the same SQL statement issued directly with psycopg by 50 concurrent
connections, no HTTP and no Flask. Between them, for the list, a bare WSGI app doing the same query
under the same gunicorn (bench/media_wsgi_floor.py): what the server stack costs before Flask and
the route. Each figure is the median of MEDIA_BENCH_ROUNDS interleaved runs (the machine's noise is
+-10-30 % between single runs). Target: the backend within 2x of the floor. Everything stops at
the end; the load is bounded in time and count and goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BACKEND = REPO_ROOT / "services" / "backend"
sys.path.insert(0, str(BACKEND))

import psycopg  # noqa: E402
from devtools.local_pg import LocalPostgres, free_port  # noqa: E402
from media_api.migrations import migrate  # noqa: E402
from media_api.titles import LIST_STATEMENTS  # noqa: E402

CLIENTS = 50
SECONDS = float(os.environ.get("MEDIA_BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("MEDIA_BENCH_ROUNDS", "3"))
WARMUP_SECONDS = 1.5
MAX_REQUESTS = 200_000  # a hard cap on top of the time bound
SEED_ROWS = 5_000

# The statements the list endpoint issues (media_api/titles.py builds one per filter shape:
# query, genre, cursor), with the parameters it sends for these URLs.
LIST_SQL = LIST_STATEMENTS[False, False, False]
SEARCH_SQL = LIST_STATEMENTS[True, False, False]
LIST_PATH = "/api/titles?limit=20"
CASES = [
    ("list   GET /api/titles?limit=20", LIST_PATH, LIST_SQL, (21,)),
    ("search GET /api/titles?q=star&limit=20", "/api/titles?q=star&limit=20", SEARCH_SQL, ("%star%", 21)),
]


def seed(url: str) -> None:
    words = ["star", "moon", "river", "night", "city", "dream", "storm", "garden", "silent", "golden"]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO titles (title, year, genres, duration_minutes) VALUES (%s, %s, %s, %s)",
            [
                (
                    f"{words[n % 10].title()} {words[(n // 10) % 10]} {n}",
                    1950 + n % 70,
                    ["drama", words[n % 7]],
                    80 + n % 90,
                )
                for n in range(SEED_ROWS)
            ],
        )
        conn.execute("ANALYZE titles")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def drive(worker, seconds: float) -> tuple[float, list[float]]:
    """Run `worker(deadline, latencies)` CLIENTS times concurrently; returns (requests/s, latencies)."""
    latencies: list[float] = []
    warm_deadline = time.perf_counter() + WARMUP_SECONDS
    await asyncio.gather(*(worker(warm_deadline, []) for _ in range(CLIENTS)))
    started = time.perf_counter()
    await asyncio.gather(*(worker(started + seconds, latencies) for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def http_load(port: int, path: str, seconds: float) -> tuple[float, list[float]]:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n".encode()
    errors: list[str] = []

    async def worker(deadline: float, latencies: list[float]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
                sent = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1]
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                if status != b"200":
                    errors.append(status.decode())
                    return
                latencies.append(time.perf_counter() - sent)
        finally:
            writer.close()

    result = await drive(worker, seconds)
    if errors:
        raise RuntimeError(f"non-200 answers: {errors[:5]}")
    return result


async def sql_load(url: str, statement: str, params: tuple, seconds: float) -> tuple[float, list[float]]:
    connections = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(CLIENTS)]
    free = list(connections)

    async def worker(deadline: float, latencies: list[float]) -> None:
        conn = free.pop()
        try:
            while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
                sent = time.perf_counter()
                cur = await conn.execute(statement, params)
                await cur.fetchall()
                latencies.append(time.perf_counter() - sent)
        finally:
            free.append(conn)

    try:
        return await drive(worker, seconds)
    finally:
        for conn in connections:
            await conn.close()


def cpu_per_call(fn, calls: int = 3000) -> float:  # type: ignore[no-untyped-def]
    """Microseconds of this process's CPU per call of fn (after a warm-up)."""
    for _ in range(300):
        fn()
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls * 1e6


def in_process_costs(url: str) -> list[tuple[str, float]]:
    """Where a request's CPU goes without HTTP: the app called as WSGI, one thread, same database."""
    import io

    from media_api import create_app
    from media_api.config import load_settings

    app = create_app(load_settings({"DATABASE_URL": url}))
    db = app.extensions["media_db"]

    def call(path: str, query: str = "") -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "HTTP_HOST": "127.0.0.1:8000",
        }
        return b"".join(app(environ, lambda status, headers, exc_info=None: None))

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            direct = cpu_per_call(lambda: conn.execute(LIST_SQL, (21,)).fetchall())
            return [
                ("the list query, one connection", direct),
                ("the list query through the pool", cpu_per_call(lambda: db.query(LIST_SQL, (21,)))),
                ("Flask GET /health (WSGI, no HTTP)", cpu_per_call(lambda: call("/health"))),
                ("Flask GET /api/titles?limit=20", cpu_per_call(lambda: call("/api/titles", "limit=20"))),
            ]
    finally:
        db.close()


def wait_for(port: int) -> None:
    import urllib.request

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not become ready")


class Runs:
    """One load's figures over the rounds: medians of req/s, p50 and p99 (ms)."""

    def __init__(self) -> None:
        self.rps: list[float] = []
        self.p50: list[float] = []
        self.p99: list[float] = []

    def add(self, result: tuple[float, list[float]]) -> None:
        rps, latencies = result
        self.rps.append(rps)
        self.p50.append(percentile(latencies, 0.50) * 1000)
        self.p99.append(percentile(latencies, 0.99) * 1000)

    def row(self, label: str, floor: Runs | None = None) -> str:
        rps, p99 = statistics.median(self.rps), statistics.median(self.p99)
        text = f"{label:44} {rps:9.0f} {statistics.median(self.p50):8.2f} {p99:8.2f}"
        if floor is not None:
            floor_rps, floor_p99 = statistics.median(floor.rps), statistics.median(floor.p99)
            text += (
                f"   {floor_rps:11.0f} {floor_p99:9.2f}   {floor_rps / rps:9.2f}x, {p99 / floor_p99:6.2f}x"
            )
        return text


def interleaved(loads: dict[str, Callable[[], tuple[float, list[float]]]]) -> dict[str, Runs]:
    """Run every load ROUNDS times, rotating their order each round so drift hits them alike."""
    runs = {name: Runs() for name in loads}
    names = list(loads)
    for round_number in range(ROUNDS):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].add(loads[name]())
    return runs


def start_server(arguments: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python ARGUMENTS...` with env; main() stops it."""
    return subprocess.Popen([sys.executable, *arguments], env=env)


def main() -> None:
    server = LocalPostgres(fsync=True)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        server.start()
        url = server.create_app_database("media")
        migrate(url)
        seed(url)
        workers = os.environ.get("WEB_CONCURRENCY", "2")
        threads = os.environ.get("GUNICORN_THREADS", "8")
        base_env = {
            **os.environ,
            "DATABASE_URL": url,
            "ACCESS_LOG": "0",
            "LOG_LEVEL": "warning",
            "WEB_CONCURRENCY": workers,
            "GUNICORN_THREADS": threads,
        }
        base_env.pop("HOST", None)
        port, bare_port = free_port(), free_port()
        servers.append(start_server([str(BACKEND / "manage.py"), "serve"], {**base_env, "PORT": str(port)}))
        servers.append(
            start_server(
                [str(REPO_ROOT / "bench" / "media_wsgi_floor.py")], {**base_env, "PORT": str(bare_port)}
            )
        )
        wait_for(port)
        wait_for(bare_port)

        print(
            f"media backend bench: {CLIENTS} concurrent clients, {SECONDS:g} s per run, median of {ROUNDS} "
            f"interleaved runs, {SEED_ROWS} titles,"
        )
        print(f"gunicorn gthread {workers} workers x {threads} threads, PostgreSQL 15 on 127.0.0.1,", end=" ")
        print(f"{os.cpu_count()} CPUs")
        print(
            f"{'case':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   {'floor req/s':>11} {'floor p99':>9}   "
            f"{'x floor (req/s, p99)':>20}"
        )
        for label, path, statement, params in CASES:
            loads: dict[str, Callable[[], tuple[float, list[float]]]] = {
                "backend": lambda path=path: asyncio.run(http_load(port, path, SECONDS)),
                "floor": lambda statement=statement, params=params: asyncio.run(
                    sql_load(url, statement, params, SECONDS)
                ),
            }
            if path == LIST_PATH:
                loads["bare"] = lambda: asyncio.run(http_load(bare_port, LIST_PATH, SECONDS))
            runs = interleaved(loads)
            print(runs["backend"].row(label, runs["floor"]))
            if "bare" in runs:
                print(runs["bare"].row("  bare WSGI app, same gunicorn, no Flask", runs["floor"]))
        # The HTTP stack's own ceiling: gunicorn + Flask answering without touching the database.
        health = interleaved({"health": lambda: asyncio.run(http_load(port, "/health", SECONDS))})["health"]
        print(health.row("reference GET /health (no database)"))
        print("target: backend within 2x of the direct-psycopg floor (the floor has no HTTP, JSON or Flask)")
        print("in-process CPU per call (one thread, no HTTP, no load):")
        for label, micros in in_process_costs(url):
            print(f"  {label:38} {micros:7.0f} us")
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=30)
        server.destroy()


if __name__ == "__main__":
    main()
