"""A throwaway PostgreSQL server on 127.0.0.1 for tests, the bench and local runs.

Debian's server binaries (/usr/lib/postgresql/15/bin) refuse to run as root, so as root every server
command runs as the `postgres` user in a temp dir that user owns. Host connections use
scram-sha-256, so passwords matter (the rotation test changes one). `python -m devtools.local_pg`
starts one and prints a DATABASE_URL until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _server_bin_dir() -> Path:
    """PG_BIN_DIR, else Debian's newest /usr/lib/postgresql/<major>/bin (15 on bookworm)."""
    if os.environ.get("PG_BIN_DIR"):
        return Path(os.environ["PG_BIN_DIR"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


BIN_DIR = _server_bin_dir()
SUPERUSER_PASSWORD = "local-superuser"
APP_USER = "media_app"
APP_PASSWORD = "local-app-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """initdb + pg_ctl in a temp dir; start()/stop() keep the data, destroy() removes it."""

    def __init__(self, fsync: bool = False, max_connections: int = 200) -> None:
        self.port = free_port()
        self.fsync = fsync
        self.max_connections = max_connections
        self.root = Path(tempfile.mkdtemp(prefix="webstack-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres: dict[str, Any] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_postgres = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        self._initdb()

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, cwd=self.root, **self._as_postgres)

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if self._as_postgres:
            os.chown(pwfile, self._as_postgres["user"], self._as_postgres["group"])
        self._run(
            str(BIN_DIR / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.root}' "
            f"-c max_connections={self.max_connections} -c fsync={'on' if self.fsync else 'off'} "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(BIN_DIR / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start"
        )

    def stop(self) -> None:
        self._run(str(BIN_DIR / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            if self.running():
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(
        self, dbname: str = "postgres", user: str = "postgres", password: str = SUPERUSER_PASSWORD
    ) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create_app_database(self, dbname: str, user: str = APP_USER, password: str = APP_PASSWORD) -> str:
        """A database owned by a password-authenticated login role; returns its DATABASE_URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
            if exists is None:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), password)
                )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(user))
            )
        # pg_trgm is a trusted extension (PG13+), so the owner may create it, as rds_superuser can on Aurora.
        return self.url(dbname, user, password)


def main() -> None:
    server = LocalPostgres(fsync=True)
    server.start()
    try:
        print("DATABASE_URL=" + server.create_app_database("media"), flush=True)
        print("Ctrl-C stops the server and removes its data.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
