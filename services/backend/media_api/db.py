"""The PostgreSQL pool (psycopg 3 + psycopg_pool) and the one error the routes see: DatabaseUnavailable.

Outages must answer 503 quickly, never hang: libpq `connect_timeout`, a bounded wait for a pooled
connection (`db_pool_timeout`) and a server-side `statement_timeout` bound every request. Each
checkout is checked (an empty query) so a connection the server dropped, after a failover or a
rotation, is replaced before a request uses it. New connections that fail authentication re-read
the secret once and retry: that is how a rotated password is picked up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from media_api.config import Settings
from media_api.credentials import CredentialSource, SecretCredentials, UrlCredentials

log = logging.getLogger("media_api.db")


class DatabaseUnavailable(RuntimeError):
    """The database could not serve the request now (down, unreachable, too slow, pool exhausted)."""


def is_auth_failure(exc: BaseException) -> bool:
    # libpq reports a failed login as a connection error without an SQLSTATE; the server's message is it.
    sqlstate = getattr(exc, "sqlstate", None)
    text = str(exc)
    return sqlstate in ("28P01", "28000") or "password authentication failed" in text


def rotating_connection_class(credentials: CredentialSource) -> type[psycopg.Connection[Any]]:
    """A Connection whose connect() re-reads the secret and retries once after an auth failure."""

    class RotatingConnection(psycopg.Connection[Any]):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> RotatingConnection:  # type: ignore[override]
            try:
                return super().connect(conninfo, **kwargs)  # type: ignore[return-value]
            except psycopg.OperationalError as exc:
                if not is_auth_failure(exc) or not credentials.refresh():
                    raise
                log.warning("database login failed; the secret changed (rotation), reconnecting with it")
                fresh = credentials.current()
                assert fresh is not None
                return super().connect(  # type: ignore[return-value]
                    conninfo, **{**kwargs, "user": fresh.username, "password": fresh.password}
                )

    return RotatingConnection


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
            check=ConnectionPool.check_connection,
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
        except PoolTimeout as exc:
            raise DatabaseUnavailable(f"no database connection within {self.settings.db_pool_timeout} s") from exc
        except psycopg.OperationalError as exc:
            # OperationalError covers lost connections and statement timeouts (QueryCanceled).
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

    def schema_version(self) -> int | None:
        with self.connection() as conn:
            exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return None
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            return None if row is None else row[0]
