"""The PostgreSQL pool (psycopg 3 + psycopg_pool) and the one error the routes see: DatabaseUnavailableError.

Outages must answer 503 quickly, never hang: libpq `connect_timeout`, a bounded wait for a pooled
connection (`db_pool_timeout`) and a server-side `statement_timeout` bound every request.
Connections are autocommit (each request is one statement: no BEGIN/COMMIT round trips). A
connection idle for more than IDLE_PING_SECONDS is pinged at checkout; one the server dropped
sooner (failover, rotation, pg_terminate_backend) fails its read; `query()` then checks every
idle connection and retries once. New connections that fail authentication re-read the secret once and retry:
that is how a rotated password is picked up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from media_api.config import Settings
from media_api.credentials import CredentialSource, SecretCredentials, UrlCredentials

log = logging.getLogger("media_api.db")

# Under load a connection is reused within milliseconds and pinging it would double the round trips;
# after a quiet spell the ping catches connections that died meanwhile.
IDLE_PING_SECONDS = 2.0


class DatabaseUnavailableError(RuntimeError):
    """The database could not serve the request now (down, unreachable, too slow, pool exhausted)."""


def is_auth_failure(exc: BaseException) -> bool:
    # libpq reports a failed login as a connection error without an SQLSTATE; the server's message is it.
    sqlstate = getattr(exc, "sqlstate", None)
    text = str(exc)
    return sqlstate in ("28P01", "28000") or "password authentication failed" in text


def rotating_connection_class(credentials: CredentialSource) -> type[psycopg.Connection[Any]]:
    """A Connection whose connect() re-reads the secret and retries once after an auth failure."""

    class RotatingConnection(psycopg.Connection[Any]):
        idle_since = 0.0

        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> RotatingConnection:
            try:
                conn = super().connect(conninfo, **kwargs)
            except psycopg.OperationalError as exc:
                cached = credentials.current()
                if not is_auth_failure(exc) or cached is None:
                    raise
                # Another pool worker may have re-read the secret since these kwargs were built: use
                # that copy rather than fetching again; fetch only when the failed password is the newest.
                if cached.password == kwargs.get("password") and not credentials.refresh():
                    raise
                log.warning("database login failed; the secret changed (rotation), reconnecting with it")
                fresh = credentials.current()
                assert fresh is not None
                conn = super().connect(
                    conninfo, **{**kwargs, "user": fresh.username, "password": fresh.password}
                )
            conn.idle_since = time.monotonic()
            return conn

    return RotatingConnection


def mark_idle(conn: psycopg.Connection[Any]) -> None:
    conn.idle_since = time.monotonic()  # type: ignore[attr-defined]


def ping_if_idle(conn: psycopg.Connection[Any]) -> None:
    if time.monotonic() - getattr(conn, "idle_since", 0.0) > IDLE_PING_SECONDS:
        ConnectionPool.check_connection(conn)


class Database:
    def __init__(self, settings: Settings, credentials: CredentialSource) -> None:
        self.settings = settings
        self.credentials = credentials
        self.pool: ConnectionPool[Any] = ConnectionPool(
            conninfo=settings.database_url or "",
            kwargs=self._connect_kwargs,
            connection_class=rotating_connection_class(credentials),
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            timeout=settings.db_pool_timeout,
            check=ping_if_idle,
            # No `reset=`: with one, psycopg_pool hands every returned connection to a background
            # worker thread (a thread handoff per request). The idle mark is set inline instead.
            # Give up a background reconnect after 60 s (then a later request tries again) instead of 5 min.
            reconnect_timeout=60.0,
            max_idle=300.0,
            open=False,
            name="media",
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if settings.db_secret_arn:
            return cls(settings, SecretCredentials(settings.db_secret_arn))
        return cls(settings, UrlCredentials())

    def _connect_kwargs(self) -> dict[str, Any]:
        s = self.settings
        kwargs: dict[str, Any] = {
            "connect_timeout": s.db_connect_timeout,
            "options": f"-c statement_timeout={s.db_statement_timeout_ms}",
            "application_name": "media-backend",
            "autocommit": True,
            # Notice a peer that vanished (failover) in seconds rather than at the kernel's 2 h default.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        if not s.database_url:
            kwargs.update(host=s.db_host, port=s.db_port, dbname=s.db_name, sslmode=s.db_sslmode)
        fresh = self.credentials.current()
        if fresh is not None:
            kwargs.update(user=fresh.username, password=fresh.password)
        return kwargs

    def open(self) -> None:
        # wait=False: the app starts (and /health answers) while the database is still unreachable.
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self.pool.connection() as conn:
                yield conn
                mark_idle(conn)
        except PoolTimeout as exc:
            raise DatabaseUnavailableError(
                f"no database connection within {self.settings.db_pool_timeout} s"
            ) from exc
        except psycopg.OperationalError as exc:
            # OperationalError covers lost connections and statement timeouts (QueryCanceled).
            raise DatabaseUnavailableError(str(exc).splitlines()[0]) from exc

    def query(
        self, statement: Any, params: Sequence[Any] = (), *, one: bool = False, retry: bool = True
    ) -> Any:
        """One statement's rows (or first row). A dropped connection is retried once when `retry`
        (reads; a write is not retried, as the server may have applied it before the connection died)."""
        for attempt in (1, 2):
            used: psycopg.Connection[Any] | None = None
            try:
                with self.pool.connection() as conn:
                    used = conn
                    cursor = conn.execute(statement, params)
                    result = cursor.fetchone() if one else cursor.fetchall()
                    mark_idle(conn)
                    return result
            except PoolTimeout as exc:
                raise DatabaseUnavailableError(
                    f"no database connection within {self.settings.db_pool_timeout} s"
                ) from exc
            except psycopg.OperationalError as exc:
                dropped = (
                    used is not None and used.closed and not isinstance(exc, psycopg.errors.QueryCanceled)
                )
                if retry and attempt == 1 and dropped:
                    # One dropped connection usually means all idle ones went with it (failover, restart):
                    # check the idle ones now, so the retry gets a live or a new connection.
                    log.info("a pooled connection was dropped by the server; checking the pool and retrying")
                    self.pool.check()
                    continue
                raise DatabaseUnavailableError(str(exc).splitlines()[0]) from exc
        raise AssertionError("unreachable")

    def schema_version(self) -> int | None:
        with self.connection() as conn:
            exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return None
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            return None if row is None else row[0]
