"""The deployed stack's outputs and AWS clients for its region; nothing is hard-coded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

OUTPUTS = Path(
    os.environ.get(
        "WEBSTACK_OUTPUTS", Path(__file__).resolve().parent.parent / "cfn-outputs/flat-outputs.json"
    )
)


@pytest.fixture(scope="session")
def outputs() -> dict[str, str]:
    if not OUTPUTS.is_file():
        pytest.fail(f"no {OUTPUTS}: deploy first (`nox -s deploy -- STACK`)", pytrace=False)
    return dict(json.loads(OUTPUTS.read_text()))


@pytest.fixture(scope="session")
def session() -> requests.Session:
    http = requests.Session()
    http.headers["User-Agent"] = "webstack-probes"
    return http


@pytest.fixture(scope="session")
def aws(outputs: dict[str, str]) -> Any:
    region = outputs["region"]

    def client(service: str, region_name: str = region) -> Any:
        return boto3.client(service, region_name=region_name)

    return client


def as_list(flat_value: str) -> list[str]:
    """List outputs are JSON strings in flat-outputs.json."""
    return list(json.loads(flat_value))
