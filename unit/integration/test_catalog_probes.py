"""Catalog probe self-tests: the real probes against a stand-in stack, healthy and broken."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from integration import catalog_probes
from integration.probes import ProbeError
from unit.integration.catalog_stand_in import StandIn

BUDGET_S = 3.0


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[StandIn, dict[str, str]]]:
    stand_in = StandIn()
    with stand_in.running() as urls:
        yield stand_in, urls


@pytest.fixture
def healthy(stack: tuple[StandIn, dict[str, str]]) -> Iterator[tuple[StandIn, dict[str, str]]]:
    stand_in, _ = stack
    stand_in.behaviour.__init__()  # type: ignore[misc]
    yield stack
    stand_in.behaviour.__init__()  # type: ignore[misc]


def test_002_R15_R17_site_and_error_page(healthy: tuple[StandIn, dict[str, str]]) -> None:
    stand_in, urls = healthy
    catalog_probes.site_and_error_page(requests.Session(), urls["cloudfrontUrl"], BUDGET_S)
    stand_in.behaviour.error_page_missing = True
    with pytest.raises(ProbeError, match=r"errors/5xx.html -> 404"):
        catalog_probes.site_and_error_page(requests.Session(), urls["cloudfrontUrl"], BUDGET_S)


def test_002_R14_the_alb_without_the_origin_header(healthy: tuple[StandIn, dict[str, str]]) -> None:
    stand_in, urls = healthy
    catalog_probes.alb_refuses_without_origin_header(requests.Session(), urls["albUrl"], BUDGET_S)
    stand_in.behaviour.alb_open = True
    with pytest.raises(ProbeError, match=r"without the origin header -> 200 \(expected 403\)"):
        catalog_probes.alb_refuses_without_origin_header(requests.Session(), urls["albUrl"], BUDGET_S)


def test_002_R31_api_key(healthy: tuple[StandIn, dict[str, str]]) -> None:
    stand_in, urls = healthy
    catalog_probes.api_key_required(requests.Session(), urls["apiUrl"], urls["apiKeyValue"], BUDGET_S)
    catalog_probes.products_listed(requests.Session(), urls["cloudfrontUrl"], BUDGET_S)
    with pytest.raises(ProbeError, match=r"with the key -> 403"):
        catalog_probes.api_key_required(requests.Session(), urls["apiUrl"], "wrong-key", BUDGET_S)
    stand_in.behaviour.api_keyless = True
    with pytest.raises(ProbeError, match=r"without x-api-key -> 200 \(expected 403\)"):
        catalog_probes.api_key_required(requests.Session(), urls["apiUrl"], urls["apiKeyValue"], BUDGET_S)


def test_reservation_round_trip_and_a_replay_that_reserves_again(
    healthy: tuple[StandIn, dict[str, str]],
) -> None:
    stand_in, urls = healthy
    assert catalog_probes.reservation_round_trip(
        requests.Session(), urls["apiUrl"], urls["apiKeyValue"], BUDGET_S
    )
    stand_in.behaviour.double_reserve = True
    with pytest.raises(ProbeError, match=r"reserved again"):
        catalog_probes.reservation_round_trip(
            requests.Session(), urls["apiUrl"], urls["apiKeyValue"], BUDGET_S
        )


def test_002_R9_database_only_through_the_proxy(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    ec2: Any = boto3.client("ec2", region_name="us-east-1", endpoint_url=moto_url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    def group(name: str) -> str:
        return str(ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"])

    fn, proxy, db = group("fn"), group("proxy"), group("db")

    def allow(target: str, source: str) -> None:
        ec2.authorize_security_group_ingress(
            GroupId=target,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "UserIdGroupPairs": [{"GroupId": source}],
                }
            ],
        )

    allow(db, proxy)
    allow(proxy, fn)
    catalog_probes.database_only_through_proxy(ec2, db, proxy, fn)
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}
        ],
    )
    with pytest.raises(ProbeError, match=r"the cluster group .* admits"):
        catalog_probes.database_only_through_proxy(ec2, db, proxy, fn)
