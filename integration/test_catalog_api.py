"""catalog-api (seed 002) against a deployed stack: one probe per fact."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integration import catalog_probes


@pytest.fixture(autouse=True)
def _catalog_stack_only(outputs: dict[str, str]) -> None:
    if "proxyEndpoint" not in outputs:
        pytest.skip("the deployed stack is not a catalog-api stack")


def test_002_R15_R17_site_and_error_page_through_cloudfront(
    session: requests.Session, outputs: dict[str, str]
) -> None:
    catalog_probes.site_and_error_page(session, outputs["cloudfrontUrl"])


def test_002_R16_products_through_cloudfront_and_the_alb(
    session: requests.Session, outputs: dict[str, str]
) -> None:
    catalog_probes.products_listed(session, outputs["cloudfrontUrl"])


def test_002_R14_alb_refuses_requests_without_the_origin_header(
    session: requests.Session, outputs: dict[str, str]
) -> None:
    catalog_probes.alb_refuses_without_origin_header(session, outputs["albUrl"])


def test_002_R31_api_gateway_needs_a_key(session: requests.Session, outputs: dict[str, str]) -> None:
    catalog_probes.api_key_required(session, outputs["apiUrl"], outputs["apiKeyValue"])


def test_reservation_round_trip_is_applied_once(session: requests.Session, outputs: dict[str, str]) -> None:
    assert catalog_probes.reservation_round_trip(session, outputs["apiUrl"], outputs["apiKeyValue"])


def test_002_R9_database_reachable_only_through_the_proxy(aws: Any, outputs: dict[str, str]) -> None:
    catalog_probes.database_only_through_proxy(
        aws("ec2"),
        outputs["dbSecurityGroupId"],
        outputs["proxySecurityGroupId"],
        outputs["functionSecurityGroupId"],
    )
