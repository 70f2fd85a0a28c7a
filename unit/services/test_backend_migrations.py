"""Versioned migrations: each applied exactly once, also when every task of a deploy migrates at once."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from media_api.migrations import MigrationError, migrate


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_the_shipped_migrations_apply_once_then_report_up_to_date(database_url: str) -> None:
    assert migrate(database_url) == [1, 2]
    assert migrate(database_url) == []
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        indexes = {
            row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'titles'")
        }
    assert rows == [(1, "create_titles"), (2, "title_search")]
    assert {
        "titles_sort_idx",
        "titles_title_trgm_idx",
        "titles_genres_idx",
        "titles_title_year_key",
    } <= indexes


def test_concurrent_migrators_apply_each_migration_exactly_once(database_url: str, tmp_path: Path) -> None:
    # The slow second file widens the race window: without the lock two runners would both apply it.
    directory = write(
        tmp_path / "migrations",
        {
            "0001_counter.sql": "CREATE TABLE applied (n integer NOT NULL);",
            "0002_slow.sql": "SELECT pg_sleep(0.3); INSERT INTO applied VALUES (2);",
            "0003_more.sql": "INSERT INTO applied VALUES (3);",
        },
    )
    runners = 8
    barrier = threading.Barrier(runners)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(migrate(database_url, directory))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == runners
    assert sorted(v for applied in results for v in applied) == [1, 2, 3]
    assert (
        sum(1 for applied in results if applied) == 1
    )  # the first lock holder did all; others saw them done
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT n FROM applied ORDER BY n").fetchall() == [(2,), (3,)]
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (3,)


def test_a_new_file_is_applied_alone_on_the_next_deploy(database_url: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (x int);"})
    assert migrate(database_url, directory) == [1]
    write(directory, {"0002_b.sql": "CREATE TABLE b (x int);"})
    assert migrate(database_url, directory) == [2]


def test_a_failing_migration_leaves_no_trace_and_is_retried(database_url: str, tmp_path: Path) -> None:
    directory = write(
        tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (x int);", "0002_bad.sql": "CREATE TABLE b (x nope);"}
    )
    with pytest.raises(psycopg.errors.UndefinedObject):
        migrate(database_url, directory)
    write(directory, {"0002_bad.sql": "CREATE TABLE b (x int);"})
    assert migrate(database_url, directory) == [2]


def test_an_edited_applied_migration_is_refused(database_url: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (x int);"})
    migrate(database_url, directory)
    write(directory, {"0001_a.sql": "CREATE TABLE a (x bigint);"})
    with pytest.raises(MigrationError, match="migration 0001_a was edited after it was applied"):
        migrate(database_url, directory)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"0001_a.sql": "", "0003_c.sql": ""},
            r"migration versions must run 1..N without gaps, found \[1, 3\]",
        ),
        ({"1_a.sql": ""}, "1_a.sql: migration files are named NNNN_lower_snake.sql"),
    ],
)
def test_malformed_migration_sets_are_refused(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(MigrationError, match=message):
        migrate("postgresql://unused", write(tmp_path / "m", files))


def test_a_database_ahead_of_the_image_is_refused(database_url: str, tmp_path: Path) -> None:
    migrate(database_url, write(tmp_path / "new", {"0001_a.sql": "SELECT 1;", "0002_b.sql": "SELECT 1;"}))
    with pytest.raises(MigrationError, match=r"the database has migrations this image does not know: \[2\]"):
        migrate(database_url, write(tmp_path / "old", {"0001_a.sql": "SELECT 1;"}))
