"""tools/pipeline_local.py as a black box: a subprocess, a file in, one JSON object out."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import encode, event

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.pipeline_local", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def records_file(tmp_path_factory) -> Path:
    lines = [encode(event(n, value="0.25")) for n in range(4)]
    lines += [lines[0], lines[1]]  # duplicates
    lines += ["not*base64", base64.b64encode(b'{"eventId": 1}').decode(), ""]  # poison, and a blank line
    path = tmp_path_factory.mktemp("pipeline") / "records.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def plain_run(records_file) -> dict:
    done = run(str(records_file))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def redelivered_run(records_file) -> dict:
    done = run(str(records_file), "--redeliver", "--count-threshold", "4")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_003_R33_local_run_reports_stages_aggregates_archive_and_dlq(plain_run):
    assert plain_run["records"] == 8
    assert plain_run["stages"]["validate"] == {
        "in": 8,
        "out": 6,
        "failed": 0,
        "poison": 2,
        "duplicates": 0,
        "invocations": 1,
    }
    assert plain_run["stages"]["aggregate"]["out"] == 4
    assert plain_run["stages"]["aggregate"]["duplicates"] == 2
    assert plain_run["stages"]["archive"]["out"] == 4
    [item] = plain_run["aggregates"]
    assert {k: item[k] for k in ("source", "type", "minute", "count", "sum")} == {
        "source": "sensor-a",
        "type": "temp",
        "minute": "2026-01-01T12:00",
        "count": 4,
        "sum": 1,
    }
    assert len(plain_run["archive"]) == 4
    assert all(k.startswith("events/sensor-a/temp/2026-01-01/1200/") for k in plain_run["archive"])
    reasons = sorted(d["reason"] for d in plain_run["dlq"])
    assert reasons == [
        "bad base64",
        "missing field(s) 'source', 'type', 'timestamp', 'value' "
        "(required: eventId, source, type, timestamp, value)",
    ]
    assert {d["queue"] for d in plain_run["dlq"]} == {"validate"}
    assert plain_run["alerts"] == []  # default count threshold 100


def test_003_R33_redelivering_every_batch_changes_no_aggregate_and_no_archive(plain_run, redelivered_run):
    assert redelivered_run["redeliver"] is True
    strip = [{k: i[k] for k in ("pk", "sk", "count", "sum")} for i in redelivered_run["aggregates"]]
    assert strip == [{k: i[k] for k in ("pk", "sk", "count", "sum")} for i in plain_run["aggregates"]]
    assert redelivered_run["archive"] == plain_run["archive"]
    assert redelivered_run["stages"]["validate"]["invocations"] == 2
    assert redelivered_run["stages"]["aggregate"]["out"] == 4
    # count 4 reaches --count-threshold 4 once, however often the check is delivered.
    assert [(a["metric"], a["value"]) for a in redelivered_run["alerts"]] == [("count", 4)]


def test_missing_file_is_one_line_and_exit_2(tmp_path):
    done = run(str(tmp_path / "nope.txt"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("pipeline_local: error: cannot read ") and "No such file" in done.stderr


def test_a_directory_is_one_line_and_exit_2(tmp_path):
    done = run(str(tmp_path))
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "Is a directory" in done.stderr


def test_bad_arguments_are_one_line_and_exit_2(records_file):
    for args in ([], [str(records_file), "--batch-size", "0"], [str(records_file), "--count-threshold", "x"]):
        done = run(*args)
        assert (done.returncode, done.stderr.count("\n")) == (2, 1), args
        assert done.stderr.startswith("pipeline_local: error: ")
