"""Backend commands: `manage.py migrate` applies the schema; `manage.py serve` runs gunicorn.

Local contract: with DATABASE_URL and PORT set, `python services/backend/manage.py migrate` then
`python services/backend/manage.py serve` serves the API over plain HTTP on 127.0.0.1:$PORT.
In the container HOST=0.0.0.0 and `serve --migrate` migrates first (the advisory lock makes
concurrent tasks of one deploy apply each migration exactly once).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_api.config import ConfigError, Settings, load_settings


def migrate_kwargs(settings: Settings) -> tuple[str, dict[str, Any]]:
    """Connection arguments for the migrator: DATABASE_URL, or the secret plus host settings."""
    from media_api.db import Database

    database = Database.from_settings(settings)
    kwargs = database._connect_kwargs()
    kwargs.pop("options", None)  # migrations may run longer than a request's statement_timeout
    kwargs.pop("autocommit", None)  # migrate() manages its own transactions
    return settings.database_url or "", kwargs


def cmd_migrate(settings: Settings) -> int:
    from media_api.migrations import migrate

    conninfo, kwargs = migrate_kwargs(settings)
    applied = migrate(conninfo, **kwargs)
    print(f"applied migrations: {applied}" if applied else "schema up to date", flush=True)
    return 0


def gunicorn_options(host: str, port: int) -> dict[str, Any]:
    """How `serve` runs gunicorn (bench/media_wsgi_floor.py serves its reference app the same way)."""
    return {
        "bind": f"{host}:{port}",
        "worker_class": "gthread",
        "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
        "threads": int(os.environ.get("GUNICORN_THREADS", "8")),
        "timeout": 30,
        "graceful_timeout": 20,
        # Longer than the ALB's 60 s idle timeout, so the ALB, not gunicorn, closes idle sockets.
        "keepalive": 75,
        "worker_tmp_dir": os.environ.get("GUNICORN_TMP_DIR", "/tmp"),
        "accesslog": "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None,
        "errorlog": "-",
        "loglevel": os.environ.get("LOG_LEVEL", "info").lower(),
        "control_socket_disable": True,
    }


def run_gunicorn(options: dict[str, Any], load_app: Callable[[], Any]) -> None:
    """Serve the WSGI app `load_app()` returns; it is called in each worker after the fork."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return load_app()

    Server().run()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.migrate:
        cmd_migrate(settings)

    def load_app() -> Any:
        # One pool per worker process.
        from media_api import create_app

        return create_app(settings)

    run_gunicorn(gunicorn_options(args.host, args.port), load_app)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending migrations, each exactly once")
    serve = commands.add_parser("serve", help="serve the API with gunicorn")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(), format="%(levelname)s %(name)s %(message)s"
    )
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return cmd_migrate(settings)
    return cmd_serve(settings, args)


if __name__ == "__main__":
    sys.exit(main())
