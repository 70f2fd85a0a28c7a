"""Non-sensitive settings: SSM Parameter Store (004-R31) when SSM_PREFIX is set, else the environment.

Each setting has one SSM parameter name (under SSM_PREFIX, e.g. `/app/media-dev/backend/db-host`) and
one environment variable (DB_HOST). SSM wins where a parameter exists; the environment fills the
rest, so local runs need no AWS at all. Invalid values raise ConfigError naming the key and what is
allowed. Secrets never come from here: the database password is read from Secrets Manager.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    db_secret_arn: str | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "media"
    db_sslmode: str = "require"
    db_connect_timeout: int = 3
    db_statement_timeout_ms: int = 5000
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10
    db_pool_timeout: float = 3.0
    page_size: int = 20
    max_page_size: int = 100
    cors_allow_origin: str | None = None


# field -> (SSM parameter name under the prefix, environment variable)
SOURCES: dict[str, tuple[str, str]] = {
    "db_host": ("db-host", "DB_HOST"),
    "db_port": ("db-port", "DB_PORT"),
    "db_name": ("db-name", "DB_NAME"),
    "db_sslmode": ("db-sslmode", "DB_SSLMODE"),
    "db_connect_timeout": ("db-connect-timeout", "DB_CONNECT_TIMEOUT"),
    "db_statement_timeout_ms": ("db-statement-timeout-ms", "DB_STATEMENT_TIMEOUT_MS"),
    "db_pool_min_size": ("db-pool-min-size", "DB_POOL_MIN_SIZE"),
    "db_pool_max_size": ("db-pool-max-size", "DB_POOL_MAX_SIZE"),
    "db_pool_timeout": ("db-pool-timeout", "DB_POOL_TIMEOUT"),
    "page_size": ("page-size", "PAGE_SIZE"),
    "max_page_size": ("max-page-size", "MAX_PAGE_SIZE"),
    "cors_allow_origin": ("cors-allow-origin", "CORS_ALLOW_ORIGIN"),
}

INT_RANGES: dict[str, tuple[int, int]] = {
    "db_port": (1, 65535),
    "db_connect_timeout": (1, 60),
    "db_statement_timeout_ms": (100, 600_000),
    "db_pool_min_size": (0, 100),
    "db_pool_max_size": (1, 100),
    "page_size": (1, 1000),
    "max_page_size": (1, 1000),
}


def ssm_parameters(prefix: str, client: Any | None = None) -> dict[str, str]:
    """Every String parameter directly under `prefix`, keyed by its last path segment."""
    if client is None:
        import boto3
        from botocore.config import Config

        # Standard retry mode with short timeouts: a slow SSM must not stall a task's start for minutes.
        client = boto3.client(
            "ssm",
            config=Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=5),
        )
    path = prefix.rstrip("/") or "/"
    found: dict[str, str] = {}
    for page in client.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=False):
        for parameter in page["Parameters"]:
            found[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
    return found


def _convert(field: str, key: str, raw: str) -> Any:
    if field in INT_RANGES:
        low, high = INT_RANGES[field]
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{key} must be an integer between {low} and {high}, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{key} must be an integer between {low} and {high}, got {value}")
        return value
    if field == "db_pool_timeout":
        try:
            seconds = float(raw)
        except ValueError:
            raise ConfigError(f"{key} must be a number of seconds between 0.1 and 60, got {raw!r}") from None
        if not 0.1 <= seconds <= 60:
            raise ConfigError(f"{key} must be a number of seconds between 0.1 and 60, got {seconds}")
        return seconds
    if field == "db_sslmode" and raw not in SSL_MODES:
        raise ConfigError(f"{key} must be one of {', '.join(SSL_MODES)}, got {raw!r}")
    if not raw.strip():
        raise ConfigError(f"{key} must not be empty")
    return raw


def load_settings(
    env: Mapping[str, str] | None = None, ssm_reader: Callable[[str], Mapping[str, str]] = ssm_parameters
) -> Settings:
    env = os.environ if env is None else env
    prefix = env.get("SSM_PREFIX", "").strip()
    from_ssm = dict(ssm_reader(prefix)) if prefix else {}
    values: dict[str, Any] = {}
    for field, (parameter, variable) in SOURCES.items():
        if parameter in from_ssm:
            values[field] = _convert(
                field, f"SSM parameter {prefix.rstrip('/')}/{parameter}", from_ssm[parameter]
            )
        elif env.get(variable, "") != "":
            values[field] = _convert(field, variable, env[variable])
    settings = Settings(
        database_url=env.get("DATABASE_URL") or None, db_secret_arn=env.get("DB_SECRET_ARN") or None, **values
    )
    if settings.database_url is None and settings.db_secret_arn is None:
        raise ConfigError("set DATABASE_URL (local runs) or DB_SECRET_ARN (the RDS-managed master secret)")
    if settings.database_url is None and not settings.db_host:
        raise ConfigError(
            "DB_SECRET_ARN needs the host: set SSM parameter db-host under SSM_PREFIX, or DB_HOST"
        )
    if settings.db_pool_min_size > settings.db_pool_max_size:
        raise ConfigError(
            f"DB_POOL_MIN_SIZE ({settings.db_pool_min_size}) must not exceed DB_POOL_MAX_SIZE "
            f"({settings.db_pool_max_size})"
        )
    if settings.page_size > settings.max_page_size:
        raise ConfigError(
            f"PAGE_SIZE ({settings.page_size}) must not exceed MAX_PAGE_SIZE ({settings.max_page_size})"
        )
    return settings
