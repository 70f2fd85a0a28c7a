"""media-platform (seed 004) against a deployed stack: one probe per fact (integration/media_probes.py)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integration import media_probes
from integration.conftest import as_list


@pytest.fixture(autouse=True)
def _media_stack_only(outputs: dict[str, str]) -> None:
    if "rdsEndpoint" not in outputs:
        pytest.skip("the deployed stack is not a media-platform stack")


def test_004_R20_frontend_through_cloudfront(session: requests.Session, outputs: dict[str, str]) -> None:
    media_probes.frontend_through_cdn(session, outputs["cloudfrontUrl"])


def test_004_R10_R21_titles_through_cloudfront(session: requests.Session, outputs: dict[str, str]) -> None:
    media_probes.titles_through_cdn(session, outputs["cloudfrontUrl"])


def test_004_R16_R19_titles_through_api_gateway(session: requests.Session, outputs: dict[str, str]) -> None:
    media_probes.titles_through_api(session, outputs["apiEndpoint"], outputs["apiKeyValue"])


def test_004_R18_preflight_without_a_key(session: requests.Session, outputs: dict[str, str]) -> None:
    media_probes.preflight_without_key(session, outputs["apiEndpoint"], outputs["cloudfrontUrl"])


def test_004_R6_R8_R25_services_at_desired_count_and_healthy(outputs: dict[str, str], aws: Any) -> None:
    media_probes.services_at_desired_count(
        aws("ecs"),
        aws("elbv2"),
        outputs["clusterName"],
        as_list(outputs["serviceNames"]),
        int(outputs["desiredCount"]),
        as_list(outputs["taskDefinitionArns"]),
    )


def test_004_R27_images_scanned(outputs: dict[str, str], aws: Any) -> None:
    media_probes.images_scanned(aws("ecr"), as_list(outputs["repositoryNames"]))


def test_004_R14_secret_rotation_scheduled(outputs: dict[str, str], aws: Any) -> None:
    media_probes.secret_rotation_scheduled(aws("secretsmanager"), outputs["dbSecretArn"])


def test_004_R17_waf_answers_429_past_1000_a_minute(
    session: requests.Session, outputs: dict[str, str]
) -> None:
    """Last: it spends this client's per-IP budget for about a minute (bounded, own endpoint only)."""
    media_probes.waf_limits_per_ip(session, outputs["apiEndpoint"], outputs["apiKeyValue"])
