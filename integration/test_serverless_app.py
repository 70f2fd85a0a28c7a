"""serverless-app (seeds 000/001) against a deployed stack: one probe per fact."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integration import probes
from integration.conftest import as_list


@pytest.fixture(scope="module")
def item_id(session: requests.Session, outputs: dict[str, str]) -> str:
    return probes.api_round_trip(session, outputs["apiUrl"])


def test_000_R1_cdn_serves_the_site_over_https(session: requests.Session, outputs: dict[str, str]) -> None:
    probes.site_served_over_https(session, outputs["cloudfrontUrl"])


def test_000_R19_cdn_redirects_http_to_https(session: requests.Session, outputs: dict[str, str]) -> None:
    probes.http_redirects_to_https(session, outputs["cloudfrontUrl"].replace("https://", "http://", 1))


def test_000_R2_direct_bucket_access_is_denied(session: requests.Session, outputs: dict[str, str]) -> None:
    bucket, region = outputs["siteBucketName"], outputs["region"]
    probes.direct_object_access_denied(session, f"https://{bucket}.s3.{region}.amazonaws.com/index.html")


def test_000_R4_api_round_trip(item_id: str) -> None:
    assert item_id


def test_api_rejects_bad_input_with_4xx(session: requests.Session, outputs: dict[str, str]) -> None:
    probes.api_rejects_bad_input(session, outputs["apiUrl"])


def test_000_R9_item_reaches_the_results_bucket(aws: Any, outputs: dict[str, str], item_id: str) -> None:
    probes.item_reaches_results_bucket(aws("s3"), outputs["resultsBucketName"], item_id)


def test_000_R5_000_R10_functions_run_in_private_subnets(aws: Any, outputs: dict[str, str]) -> None:
    functions = [outputs["apiFunctionName"], outputs["consumerFunctionName"]]
    probes.functions_in_private_subnets(aws("lambda"), functions, set(as_list(outputs["privateSubnetIds"])))


def test_000_R19_storage_is_encrypted(aws: Any, outputs: dict[str, str]) -> None:
    probes.storage_encrypted(
        aws("dynamodb"),
        aws("kinesis"),
        aws("s3"),
        aws("sns"),
        table=outputs["tableName"],
        stream=outputs["streamName"],
        buckets=[outputs["siteBucketName"], outputs["resultsBucketName"]],
        topic_arn=outputs["snsTopicArn"],
    )


def test_000_R18_alarms_notify_the_topic(aws: Any, outputs: dict[str, str]) -> None:
    probes.alarms_notify_topic(aws("cloudwatch"), outputs["snsTopicArn"], as_list(outputs["alarmNames"]))


def test_001_R5_wafs_guard_the_api_and_the_cdn(aws: Any, outputs: dict[str, str]) -> None:
    probes.api_waf_associated(aws("wafv2"), outputs["apiStageArn"], outputs["apiWebAclArn"])
    probes.cdn_waf_associated(
        aws("cloudfront", "us-east-1"), outputs["cloudfrontDistributionId"], outputs["cdnWebAclArn"]
    )
