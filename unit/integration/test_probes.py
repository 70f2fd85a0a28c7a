"""Probe self-tests: the real probes against a stand-in stack, healthy and broken.

A probe that is weakened to always pass fails the 'broken' test beside its 'healthy' one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integration import probes
from integration.probes import ProbeError
from unit.integration.stand_in import REGION, StandIn

BUDGET_S = 8.0  # short retry budgets keep the broken cases quick


@pytest.fixture(scope="module")
def stack(
    moto_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[StandIn, dict[str, Any]]]:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url,  # the real handlers' boto3 clients talk to moto
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        stand_in = StandIn(moto_url, tmp_path_factory.mktemp("stand-in"))
        outputs = stand_in.seed()
        patch.setenv("TABLE_NAME", outputs["tableName"])
        patch.setenv("STREAM_NAME", outputs["streamName"])
        patch.setenv("RESULTS_BUCKET", outputs["resultsBucketName"])
        with stand_in.running() as urls:
            yield stand_in, {**outputs, **urls}


@pytest.fixture
def healthy(stack: tuple[StandIn, dict[str, Any]]) -> Iterator[tuple[StandIn, dict[str, Any]]]:
    stand_in, _ = stack
    stand_in.behaviour.__init__()  # type: ignore[misc]
    yield stack
    stand_in.behaviour.__init__()  # type: ignore[misc]


@pytest.fixture
def session(stack: tuple[StandIn, dict[str, Any]]) -> requests.Session:
    http = requests.Session()
    # Trust only the stand-in's certificate: no CA bundle or proxy from the environment.
    http.trust_env = False
    http.verify = str(stack[0].cert)
    return http


def test_site_probe(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    probes.site_served_over_https(session, out["cloudfrontUrl"], BUDGET_S)
    stand_in.behaviour.site_status = 404
    with pytest.raises(ProbeError, match=r"serves the site: still false .* last observed: GET .* -> 404"):
        probes.site_served_over_https(session, out["cloudfrontUrl"], 2)


def test_site_probe_passes_once_the_stack_becomes_consistent(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    stand_in.behaviour.site_failures_left = 3
    probes.site_served_over_https(session, out["cloudfrontUrl"], 60)
    assert stand_in.behaviour.requests_seen.count("GET /") == 4


def test_a_dead_endpoint_fails_within_its_budget(session: requests.Session) -> None:
    with pytest.raises(ProbeError, match=r"in 3 s; last observed: .*Connection"):
        probes.site_served_over_https(session, "https://127.0.0.1:9", 3)


def test_redirect_probe(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    probes.http_redirects_to_https(session, out["httpUrl"], BUDGET_S)
    stand_in.behaviour.redirect = False
    with pytest.raises(ProbeError, match="-> 200, Location ''"):
        probes.http_redirects_to_https(session, out["httpUrl"], 2)


def test_direct_bucket_access_probe(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    probes.direct_object_access_denied(session, out["objectUrl"], BUDGET_S)
    stand_in.behaviour.bucket_public = True
    with pytest.raises(ProbeError, match=r"-> 200 \(expected 403\)"):
        probes.direct_object_access_denied(session, out["objectUrl"], 2)


def test_api_round_trip_and_kinesis_to_s3_through_the_real_handlers(
    healthy: Any, session: requests.Session
) -> None:
    stand_in, out = healthy
    item_id = probes.api_round_trip(session, out["apiUrl"], BUDGET_S)
    key = probes.item_reaches_results_bucket(stand_in.client("s3"), out["resultsBucketName"], item_id, 30)
    assert key.startswith(f"data/{out['streamName']}/")


def test_api_round_trip_retries_get_and_patch_while_the_cdn_rolls_out(
    healthy: Any, session: requests.Session
) -> None:
    """issue 9 A.8: the POST went through one edge; GET and PATCH hit edges not updated yet."""
    stand_in, out = healthy
    stand_in.behaviour.item_failures_left = {"GET": 2, "PATCH": 2}
    item_id = probes.api_round_trip(session, out["apiUrl"], 60)
    seen = stand_in.behaviour.requests_seen
    assert seen.count(f"GET /api/items/{item_id}") == 3
    assert seen.count(f"PATCH /api/items/{item_id}") == 3


def test_a_patch_applied_but_answered_502_is_not_applied_twice(
    healthy: Any, session: requests.Session
) -> None:
    stand_in, out = healthy
    stand_in.behaviour.patch_responses_lost = 1
    item_id = probes.api_round_trip(session, out["apiUrl"], 60)
    # The retry was refused (409: based on version 1), and the read-back shows exactly one update.
    item = session.get(f"{out['apiUrl']}/items/{item_id}", timeout=10).json()
    assert (item["count"], item["version"]) == (2, 2)


def test_a_patch_that_never_applies_still_fails_within_its_budget(
    healthy: Any, session: requests.Session
) -> None:
    stand_in, out = healthy
    stand_in.behaviour.item_failures_left = {"PATCH": 10_000}
    with pytest.raises(ProbeError, match=r"updates item .*: still false .* last observed: PATCH .* -> 502"):
        probes.api_round_trip(session, out["apiUrl"], 3)


def test_api_probes_notice_a_broken_api(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    probes.api_rejects_bad_input(session, out["apiUrl"])
    stand_in.behaviour.api_broken = True
    with pytest.raises(ProbeError, match=r"POST .*/items -> 500"):
        probes.api_round_trip(session, out["apiUrl"], 2)
    with pytest.raises(ProbeError, match=r"-> 500 \(expected 4xx\)"):
        probes.api_rejects_bad_input(session, out["apiUrl"])


def test_results_probe_gives_up_when_the_consumer_is_stuck(healthy: Any, session: requests.Session) -> None:
    stand_in, out = healthy
    stand_in.behaviour.consumer_running = False
    item_id = probes.api_round_trip(session, out["apiUrl"], BUDGET_S)
    with pytest.raises(ProbeError, match=f"item {item_id} not in s3://{out['resultsBucketName']}/data/"):
        probes.item_reaches_results_bucket(stand_in.client("s3"), out["resultsBucketName"], item_id, 3)


def test_private_subnet_probe(healthy: Any) -> None:
    stand_in, out = healthy
    functions = [out["apiFunctionName"], out["consumerFunctionName"]]
    probes.functions_in_private_subnets(stand_in.client("lambda"), functions, set(out["privateSubnetIds"]))
    with pytest.raises(ProbeError, match="not only"):
        probes.functions_in_private_subnets(
            stand_in.client("lambda"), functions, {out["privateSubnetIds"][0]}
        )


def test_encryption_probe(healthy: Any) -> None:
    stand_in, out = healthy
    clients = [stand_in.client(s) for s in ("dynamodb", "kinesis", "s3", "sns")]
    names = {
        "table": out["tableName"],
        "stream": out["streamName"],
        "buckets": [out["siteBucketName"], out["resultsBucketName"]],
        "topic_arn": out["snsTopicArn"],
    }
    probes.storage_encrypted(*clients, **names)
    plain_topic = stand_in.client("sns").create_topic(Name="plain-dev")["TopicArn"]
    with pytest.raises(ProbeError, match="has no KMS key"):
        probes.storage_encrypted(*clients, **{**names, "topic_arn": plain_topic})
    stand_in.client("kinesis").create_stream(StreamName="plain-dev", ShardCount=1)
    with pytest.raises(ProbeError, match="stream plain-dev encryption is NONE"):
        probes.storage_encrypted(*clients, **{**names, "stream": "plain-dev"})


def test_alarm_probe(healthy: Any) -> None:
    stand_in, out = healthy
    cloudwatch = stand_in.client("cloudwatch")
    probes.alarms_notify_topic(cloudwatch, out["snsTopicArn"], out["alarmNames"])
    with pytest.raises(ProbeError, match=r"alarms \['never-created-dev'\] do not exist"):
        probes.alarms_notify_topic(cloudwatch, out["snsTopicArn"], [*out["alarmNames"], "never-created-dev"])
    cloudwatch.put_metric_alarm(
        AlarmName="silent-dev",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    try:
        with pytest.raises(ProbeError, match=r"alarms \['silent-dev'\] do not notify"):
            probes.alarms_notify_topic(cloudwatch, out["snsTopicArn"], [*out["alarmNames"], "silent-dev"])
    finally:
        cloudwatch.delete_alarms(AlarmNames=["silent-dev"])


def test_waf_probes(healthy: Any) -> None:
    stand_in, out = healthy
    probes.api_waf_associated(stand_in.client("wafv2"), out["apiStageArn"], out["apiWebAclArn"])
    probes.cdn_waf_associated(
        stand_in.client("cloudfront"), out["cloudfrontDistributionId"], out["cdnWebAclArn"]
    )
    with pytest.raises(ProbeError, match=r"expected arn:aws:wafv2:.*other"):
        probes.api_waf_associated(
            stand_in.client("wafv2"), out["apiStageArn"], out["apiWebAclArn"] + "-other"
        )
    with pytest.raises(ProbeError, match="has WebACLId"):
        probes.cdn_waf_associated(stand_in.client("cloudfront"), out["cloudfrontDistributionId"], "arn:other")
