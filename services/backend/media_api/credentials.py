"""Database credentials: the RDS-managed master secret (004-R13/R14), or a local DATABASE_URL.

RDS rotates its managed secret by itself: new connections then need the new password while the old
one fails. `SecretCredentials.refresh()` re-reads AWSCURRENT; `db.py` calls it when a connection
attempt fails authentication, so a rotation costs one failed connect, never a restart.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class CredentialSource(Protocol):
    def current(self) -> Credentials | None: ...

    def refresh(self) -> bool:
        """Re-read the credentials; True when they changed (worth retrying a failed connect)."""
        ...


class UrlCredentials:
    """DATABASE_URL carries its own user and password: nothing to fetch or rotate."""

    def current(self) -> Credentials | None:
        return None

    def refresh(self) -> bool:
        return False


class SecretError(RuntimeError):
    """The secret could not be read or lacks username/password."""


class SecretCredentials:
    """The JSON secret {"username", "password", ...} in Secrets Manager, cached until refresh()."""

    def __init__(self, secret_arn: str, client: Any | None = None) -> None:
        self.secret_arn = secret_arn
        self._client = client
        self._lock = threading.Lock()
        self._cached: Credentials | None = None
        self.fetches = 0

    def _secrets_client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "secretsmanager",
                config=Config(
                    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5
                ),
            )
        return self._client

    def _fetch(self) -> Credentials:
        self.fetches += 1
        try:
            value = self._secrets_client().get_secret_value(SecretId=self.secret_arn)["SecretString"]
            document = json.loads(value)
            return Credentials(str(document["username"]), str(document["password"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SecretError(f"secret {self.secret_arn} must be JSON with username and password") from exc

    def current(self) -> Credentials:
        with self._lock:
            if self._cached is None:
                self._cached = self._fetch()
            return self._cached

    def refresh(self) -> bool:
        with self._lock:
            previous, self._cached = self._cached, self._fetch()
            return self._cached != previous
