"""The catalog service's image (002-R5, R48): its Dockerfile passes hadolint under its own stricter config."""

from __future__ import annotations

import subprocess

from unit.conftest import REPO_ROOT
from unit.services.test_dockerfiles import hadolint

CATALOG = REPO_ROOT / "lambdas" / "catalog_api"


def test_002_R5_catalog_dockerfile_has_no_hadolint_findings() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", "--config", str(CATALOG / ".hadolint.yaml"), str(CATALOG / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_002_R5_R48_catalog_image_is_the_lambda_node_22_base() -> None:
    lines = (CATALOG / "Dockerfile").read_text().splitlines()
    assert [line.split()[1] for line in lines if line.startswith("FROM ")][-1].startswith(
        "public.ecr.aws/lambda/nodejs:22"
    )
