"""Benchmark for the seed-004 backend (not a test: it prints figures and asserts nothing).

    python bench/media_bench.py        # MEDIA_BENCH_SECONDS (4) per run, MEDIA_BENCH_ROUNDS (3)

Starts a throwaway PostgreSQL on 127.0.0.1 (services/backend/devtools/local_pg.py), migrates and
seeds it, runs the backend with the gunicorn options `manage.py serve` uses (gthread; access log
off), then drives `GET /api/titles?limit=20` (and a search) with 50 concurrent keep-alive HTTP
clients. Beside each figure is its floor: the same SQL statement issued directly with psycopg by 50
concurrent connections, no HTTP and no Flask. For the list it also drives a bare WSGI app doing the
same query under the same gunicorn options (bench/media_wsgi_floor.py): what the server stack
costs before Flask and the route; and `GET /health`, the Flask stack with no database. Each figure
is the median of MEDIA_BENCH_ROUNDS runs, their order rotated each round (single runs on a shared
machine swing by 10-30 %). Beside the throughput it prints where the CPU went in the timed window
(from /proc): the server's processes, PostgreSQL's, and this process (the load generator, or the
floor's client), per request. Target: the backend within 2x of the floor. Everything stops at the
end; the load is bounded in time and count and goes to 127.0.0.1 only; the servers get no AWS
settings (no SSM prefix, no secret ARN), so they call nothing else.
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
if ROUNDS < 1 or SECONDS <= 0:
    sys.exit("MEDIA_BENCH_ROUNDS must be an integer >= 1 and MEDIA_BENCH_SECONDS a number > 0")
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


TICKS = os.sysconf("SC_CLK_TCK")


def proc_stats() -> dict[int, list[str]]:
    """Every process's /proc/PID/stat fields after the command name (field 3 on, 0-based here)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited meanwhile
    return stats


def cpu_seconds(stat: list[str], fields: tuple[int, ...] = (11, 12)) -> float:
    """utime+stime; with (11, 12, 13, 14) also the waited-for children's (cutime+cstime)."""
    return sum(int(stat[field]) for field in fields) / TICKS


class Meter:
    """CPU seconds so far of the server's process tree, of PostgreSQL (the postmaster with its exited
    backends, plus the live ones) and of this process."""

    def __init__(self, postmaster: int, server: int | None = None) -> None:
        self.postmaster, self.server = postmaster, server

    def snapshot(self) -> dict[str, float]:
        stats = proc_stats()
        kids: dict[int, list[int]] = {}
        for pid, stat in stats.items():
            kids.setdefault(int(stat[1]), []).append(pid)  # stat[1] is the parent's pid
        postgres = cpu_seconds(stats[self.postmaster], (11, 12, 13, 14))
        postgres += sum(cpu_seconds(stats[pid]) for pid in kids.get(self.postmaster, []))
        taken = {"postgres": postgres, "client": time.process_time()}
        if self.server is not None:
            tree, pending = [], [self.server]
            while pending:
                pid = pending.pop()
                tree.append(pid)
                pending += kids.get(pid, [])
            taken["server"] = sum(cpu_seconds(stats[pid]) for pid in tree if pid in stats)
        return taken


Result = tuple[float, list[float], dict[str, float]]  # req/s, latencies (s), CPU us per request


async def drive(worker, seconds: float, meter: Meter) -> Result:
    """Run `worker(deadline, latencies)` CLIENTS times concurrently, after a warm-up; returns
    requests/s, latencies and CPU per request, both over the timed window only."""
    latencies: list[float] = []
    warm_deadline = time.perf_counter() + WARMUP_SECONDS
    await asyncio.gather(*(worker(warm_deadline, []) for _ in range(CLIENTS)))
    before = meter.snapshot()
    started = time.perf_counter()
    await asyncio.gather(*(worker(started + seconds, latencies) for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    after = meter.snapshot()
    cpu = {group: (after[group] - before[group]) / len(latencies) * 1e6 for group in after}
    return len(latencies) / elapsed, latencies, cpu


async def http_load(port: int, path: str, seconds: float, meter: Meter) -> Result:
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

    result = await drive(worker, seconds, meter)
    if errors:
        raise RuntimeError(f"non-200 answers: {errors[:5]}")
    return result


async def sql_load(url: str, statement: str, params: tuple, seconds: float, meter: Meter) -> Result:
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
        return await drive(worker, seconds, meter)
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
    """One load's figures over the rounds: medians of req/s, p50 and p99 (ms), CPU per request (us)."""

    def __init__(self) -> None:
        self.rps: list[float] = []
        self.p50: list[float] = []
        self.p99: list[float] = []
        self.cpu: dict[str, list[float]] = {}

    def add(self, result: Result) -> None:
        rps, latencies, cpu = result
        self.rps.append(rps)
        self.p50.append(percentile(latencies, 0.50) * 1000)
        self.p99.append(percentile(latencies, 0.99) * 1000)
        for group, micros in cpu.items():
            self.cpu.setdefault(group, []).append(micros)

    def row(self, label: str, floor: Runs | None = None) -> str:
        rps, p99 = statistics.median(self.rps), statistics.median(self.p99)
        text = f"{label:44} {rps:9.0f} {statistics.median(self.p50):8.2f} {p99:8.2f}"
        if floor is not None:
            floor_rps, floor_p99 = statistics.median(floor.rps), statistics.median(floor.p99)
            text += (
                f"   {floor_rps:11.0f} {floor_p99:9.2f}   {floor_rps / rps:9.2f}x, {p99 / floor_p99:6.2f}x"
            )
        return text

    def cpu_row(self, label: str) -> str:
        medians = {group: statistics.median(values) for group, values in self.cpu.items()}
        server = f"{medians['server']:8.0f}" if "server" in medians else f"{'-':>8}"
        return (
            f"  {label:42} {server} {medians['postgres']:9.0f} {medians['client']:9.0f} "
            f"{sum(medians.values()):8.0f}"
        )


def interleaved(loads: dict[str, Callable[[], Result]]) -> dict[str, Runs]:
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


def server_env(url: str) -> dict[str, str]:
    """What both servers run with: this environment without AWS settings (so neither reads SSM or a
    secret), the bench's database, no access log."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SSM_", "DB_SECRET")) and key not in ("HOST", "PORT")
    }
    env.update(
        DATABASE_URL=url,
        ACCESS_LOG="0",
        LOG_LEVEL="warning",
        WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
        GUNICORN_THREADS=os.environ.get("GUNICORN_THREADS", "8"),
    )
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main() -> None:
    server = LocalPostgres(fsync=True)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        server.start()
        url = server.create_app_database("media")
        migrate(url)
        seed(url)
        env = server_env(url)
        port = free_port()
        bare_port = free_port()
        while bare_port == port:
            bare_port = free_port()
        backend = start_server([str(BACKEND / "manage.py"), "serve"], {**env, "PORT": str(port)})
        servers.append(backend)
        bare = start_server(
            [str(REPO_ROOT / "bench" / "media_wsgi_floor.py")], {**env, "PORT": str(bare_port)}
        )
        servers.append(bare)
        wait_for(port)
        wait_for(bare_port)
        for process in servers:
            if process.poll() is not None:  # e.g. its port was taken: another server answered for it
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
        to_backend, to_bare, no_server = (
            Meter(postmaster, backend.pid),
            Meter(postmaster, bare.pid),
            Meter(postmaster),
        )

        print(
            f"media backend bench: {CLIENTS} concurrent clients, {SECONDS:g} s per run, median of {ROUNDS} "
            f"runs in rotated order, {SEED_ROWS} titles,"
        )
        print(
            f"gunicorn gthread {env['WEB_CONCURRENCY']} workers x {env['GUNICORN_THREADS']} threads, "
            f"PostgreSQL 15 on 127.0.0.1, {os.cpu_count()} CPUs"
        )
        print(
            f"{'case':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   {'floor req/s':>11} {'floor p99':>9}   "
            f"{'x floor (req/s, p99)':>20}"
        )
        cpu_rows: list[str] = []
        for label, path, statement, params in CASES:
            loads: dict[str, Callable[[], Result]] = {
                "backend": lambda path=path: asyncio.run(http_load(port, path, SECONDS, to_backend)),
                "floor": lambda statement=statement, params=params: asyncio.run(
                    sql_load(url, statement, params, SECONDS, no_server)
                ),
            }
            if path == LIST_PATH:
                loads["bare"] = lambda: asyncio.run(http_load(bare_port, LIST_PATH, SECONDS, to_bare))
                # The Flask stack with no database, under the same load.
                loads["health"] = lambda: asyncio.run(http_load(port, "/health", SECONDS, to_backend))
            runs = interleaved(loads)
            name = label.split()[0]
            print(runs["backend"].row(label, runs["floor"]))
            cpu_rows.append(runs["backend"].cpu_row(f"{name}: the backend"))
            if "bare" in runs:
                print(runs["bare"].row("  bare WSGI app, same gunicorn, no Flask", runs["floor"]))
                print(runs["health"].row("  GET /health (Flask, no database)"))
                cpu_rows.append(runs["bare"].cpu_row(f"{name}: bare WSGI app"))
                cpu_rows.append(runs["health"].cpu_row("GET /health"))
            cpu_rows.append(runs["floor"].cpu_row(f"{name}: floor (psycopg, no server)"))
        print("target: backend within 2x of the direct-psycopg floor (the floor has no HTTP, JSON or Flask)")
        print(
            f"CPU per request in the timed window (us, /proc): {'server':>8} {'postgres':>9} {'client':>9} "
            f"{'total':>8}"
        )
        cpus = os.cpu_count() or 1
        print(
            f"  (client: the load generator, or the floor's psycopg connections; "
            f"{cpus} CPUs = {cpus * 1_000_000:,} us/s)"
        )
        for row in cpu_rows:
            print(row)
        print("in-process CPU per call (one thread, no HTTP, no load):")
        for label, micros in in_process_costs(url):
            print(f"  {label:38} {micros:7.0f} us")
    finally:
        for process in servers:
            stop(process)
        server.destroy()


if __name__ == "__main__":
    main()
