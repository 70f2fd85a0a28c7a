"""Outages, rotation and config: 503 instead of hangs, a rotated secret picked up, SSM settings.

Rows: 004-R13 (credentials from the RDS-managed secret), 004-R14 (rotation survived), 004-R31
(non-sensitive config from SSM Parameter Store), 004-R34 (error handling and retries).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from devtools.local_pg import LocalPostgres
from media_api import create_app
from media_api.config import ConfigError, load_settings
from media_api.migrations import migrate

from unit.services.helpers import title

OUTAGE = {"error": "the database is unavailable; retry shortly", "code": "database_unavailable"}


@pytest.fixture
def private_pg() -> Iterator[LocalPostgres]:
    """A server of this test's own, free to stop without disturbing other tests."""
    server = LocalPostgres()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_url


def test_database_outage_is_503_not_a_hang_and_recovers_004_R34(
    private_pg: LocalPostgres, make_app: Any
) -> None:
    url = private_pg.create_app_database("media")
    migrate(url)
    client = make_app(url).test_client()
    assert client.post("/api/titles", json=title("Before")).status_code == 201

    private_pg.stop()
    started = time.monotonic()
    listed = client.get("/api/titles")
    waited = time.monotonic() - started
    assert listed.status_code == 503
    assert listed.get_json() == OUTAGE
    assert listed.headers["Retry-After"] == "5"
    # Not a speed target: a bound far above the 1 s pool timeout, to tell "503" from "hung".
    assert waited < 10
    created = client.post("/api/titles", json=title("During"))
    assert created.status_code == 503
    assert created.get_json() == OUTAGE
    assert client.get("/api/titles/1").status_code == 503
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.get_json()["database"] == "unavailable"
    assert client.get("/health").status_code == 200  # liveness never depends on the database

    private_pg.start()
    for _ in range(60):  # bounded: the pool reconnects with backoff
        recovered = client.get("/api/titles")
        if recovered.status_code == 200:
            break
        time.sleep(0.5)
    assert recovered.status_code == 200
    assert [item["title"] for item in recovered.get_json()["items"]] == ["Before"]


def test_a_server_that_never_answers_is_503_within_the_connect_timeout_004_R34(make_app: Any) -> None:
    # A listening socket nobody accepts from: TCP connects, the PostgreSQL handshake never comes back.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        client = make_app(f"postgresql://u:p@127.0.0.1:{port}/media", db_pool_min_size=0).test_client()
        started = time.monotonic()
        response = client.get("/api/titles")
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json() == OUTAGE
    assert waited < 10


def test_credentials_come_from_the_secret_and_config_from_ssm_004_R13_R31(
    pg: LocalPostgres, aws: str, make_app: Any
) -> None:
    suffix = uuid.uuid4().hex[:8]
    user, dbname = f"app_{suffix}", f"media_{suffix}"
    url = pg.create_app_database(dbname, user=user, password="initial-password")
    migrate(url)
    arn = boto3.client("secretsmanager").create_secret(
        Name=f"rds!cluster-{suffix}",
        SecretString=json.dumps({"username": user, "password": "initial-password"}),
    )["ARN"]
    prefix = f"/app/media-{suffix}/backend"
    ssm = boto3.client("ssm")
    for name, value in {
        "db-host": "127.0.0.1",
        "db-port": str(pg.port),
        "db-name": dbname,
        "db-sslmode": "disable",
        "page-size": "3",
        "db-pool-timeout": "5",
    }.items():
        ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="String")

    settings = load_settings({"DB_SECRET_ARN": arn, "SSM_PREFIX": prefix})
    app = create_app(settings)
    try:
        client = app.test_client()
        for n in range(4):
            assert client.post("/api/titles", json=title(f"Film {n}")).status_code == 201
        page = client.get("/api/titles").get_json()
        assert page["limit"] == 3  # page-size from SSM
        assert [item["title"] for item in page["items"]] == ["Film 0", "Film 1", "Film 2"]
    finally:
        app.extensions["media_db"].close()


def test_a_rotated_password_is_picked_up_on_the_next_request_004_R14(pg: LocalPostgres, aws: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    user, dbname = f"rot_{suffix}", f"media_{suffix}"
    url = pg.create_app_database(dbname, user=user, password="password-before")
    migrate(url)
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(
        Name=f"rds!cluster-{suffix}",
        SecretString=json.dumps({"username": user, "password": "password-before"}),
    )["ARN"]
    env = {
        "DB_SECRET_ARN": arn,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(pg.port),
        "DB_NAME": dbname,
        "DB_SSLMODE": "disable",
        "DB_POOL_TIMEOUT": "5",
        "DB_POOL_MAX_SIZE": "2",
    }
    app = create_app(load_settings(env))
    database = app.extensions["media_db"]
    try:
        client = app.test_client()
        assert client.post("/api/titles", json=title("Before rotation")).status_code == 201
        assert database.credentials.fetches == 1

        # What RDS rotation does: the role's password changes and the secret's AWSCURRENT follows.
        pg.admin(f"ALTER ROLE {user} PASSWORD 'password-after'")
        secrets.put_secret_value(
            SecretId=arn, SecretString=json.dumps({"username": user, "password": "password-after"})
        )
        # Open sessions outlive ALTER ROLE; they end on failover, idle expiry or scale-out. End them now.
        pg.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{user}'")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(url, connect_timeout=3).close()

        listed = client.get("/api/titles")
        assert listed.status_code == 200
        assert [item["title"] for item in listed.get_json()["items"]] == ["Before rotation"]
        assert client.post("/api/titles", json=title("After rotation")).status_code == 201
        assert database.credentials.fetches == 2
    finally:
        database.close()


def test_a_wrong_password_that_the_secret_still_holds_is_503_004_R14(pg: LocalPostgres, aws: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    user, dbname = f"bad_{suffix}", f"media_{suffix}"
    pg.create_app_database(dbname, user=user, password="the-real-password")
    arn = boto3.client("secretsmanager").create_secret(
        Name=f"rds!cluster-{suffix}",
        SecretString=json.dumps({"username": user, "password": "a-stale-password"}),
    )["ARN"]
    env = {
        "DB_SECRET_ARN": arn,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(pg.port),
        "DB_NAME": dbname,
        "DB_SSLMODE": "disable",
        "DB_POOL_TIMEOUT": "1",
    }
    app = create_app(load_settings(env))
    try:
        response = app.test_client().get("/api/titles")
        assert response.status_code == 503
        assert response.get_json() == OUTAGE
        assert app.extensions["media_db"].credentials.fetches >= 2  # it did re-read the secret
    finally:
        app.extensions["media_db"].close()


def test_ssm_wins_and_the_environment_fills_the_rest_004_R31(aws: str) -> None:
    prefix = f"/app/media-{uuid.uuid4().hex[:8]}/backend"
    ssm = boto3.client("ssm")
    for name, value in {"db-host": "cluster.internal", "db-port": "6543", "page-size": "7"}.items():
        ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="String")
    ssm.put_parameter(Name=f"{prefix}/nested/db-name", Value="not-read", Type="String")
    settings = load_settings(
        {
            "SSM_PREFIX": prefix,
            "DB_SECRET_ARN": "arn:aws:secretsmanager:ap-southeast-1:1:secret:x",
            "DB_HOST": "env-host",
            "DB_NAME": "catalog",
            "MAX_PAGE_SIZE": "50",
        }
    )
    assert (settings.db_host, settings.db_port, settings.page_size) == ("cluster.internal", 6543, 7)
    assert (settings.db_name, settings.max_page_size, settings.db_sslmode) == ("catalog", 50, "require")


def test_local_runs_never_call_ssm() -> None:
    def refuse(prefix: str) -> dict[str, str]:
        raise AssertionError("SSM must not be read without SSM_PREFIX")

    settings = load_settings(
        {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5/x", "PAGE_SIZE": "5"}, ssm_reader=refuse
    )
    assert (settings.database_url, settings.page_size) == ("postgresql://u:p@127.0.0.1:5/x", 5)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set DATABASE_URL (local runs) or DB_SECRET_ARN (the RDS-managed master secret)"),
        (
            {"DB_SECRET_ARN": "arn:x"},
            "DB_SECRET_ARN needs the host: set SSM parameter db-host under SSM_PREFIX, or DB_HOST",
        ),
        (
            {"DATABASE_URL": "postgresql://x", "DB_PORT": "70000"},
            "DB_PORT must be an integer between 1 and 65535, got 70000",
        ),
        (
            {"DATABASE_URL": "postgresql://x", "PAGE_SIZE": "many"},
            "PAGE_SIZE must be an integer between 1 and 1000, got 'many'",
        ),
        (
            {"DATABASE_URL": "postgresql://x", "DB_SSLMODE": "yes"},
            "DB_SSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full, got 'yes'",
        ),
        (
            {"DATABASE_URL": "postgresql://x", "DB_POOL_TIMEOUT": "0"},
            "DB_POOL_TIMEOUT must be a number of seconds between 0.1 and 60, got 0.0",
        ),
        (
            {"DATABASE_URL": "postgresql://x", "PAGE_SIZE": "200"},
            "PAGE_SIZE (200) must not exceed MAX_PAGE_SIZE (100)",
        ),
    ],
)
def test_bad_config_names_the_key_and_what_is_allowed(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    assert str(raised.value) == message


def test_a_bad_ssm_value_names_the_parameter_004_R31() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(
            {"SSM_PREFIX": "/app/x/backend", "DATABASE_URL": "postgresql://x"}, lambda _: {"db-port": "abc"}
        )
    assert (
        str(raised.value)
        == "SSM parameter /app/x/backend/db-port must be an integer between 1 and 65535, got 'abc'"
    )
