"""Probes: each checks one fact about a live stack and says what it saw when the fact is false.

A probe is a plain function over explicit endpoints and boto3 clients (so the self-tests can point
it at moto's server and a local HTTP server). Facts that AWS makes true eventually (CloudFront
propagation, the stream consumer's S3 object) are retried with tenacity: exponential backoff with
jitter, bounded by a total time budget, and the last observed state in the failure message.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import requests
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

T = TypeVar("T")
# CloudFront rolls a new distribution out in 5-15 minutes, and deploy does not wait for it.
DEFAULT_BUDGET_S = float(os.environ.get("WEBSTACK_PROBE_BUDGET_S", "900"))
HTTP_TIMEOUT_S = 10


class ProbeError(AssertionError):
    """A fact about the stack is false; the message says which, and what was observed."""


def eventually(check: Callable[[], T], what: str, budget_s: float = DEFAULT_BUDGET_S) -> T:
    """Run ``check`` until it stops raising ProbeError or the budget is spent."""
    retrying = Retrying(
        retry=retry_if_exception_type((ProbeError, requests.RequestException)),
        wait=wait_exponential_jitter(multiplier=0.5, max=15, jitter=1),
        stop=stop_after_delay(budget_s),
        reraise=False,
    )
    try:
        return retrying(check)
    except RetryError as error:
        last = error.last_attempt.exception()
        attempts = error.last_attempt.attempt_number
        raise ProbeError(
            f"{what}: still false after {attempts} attempts in {budget_s:.0f} s; last observed: {last}"
        ) from last


def _get(session: requests.Session, url: str, **kwargs: Any) -> requests.Response:
    return session.get(url, timeout=HTTP_TIMEOUT_S, **kwargs)


def site_served_over_https(session: requests.Session, url: str, budget_s: float = DEFAULT_BUDGET_S) -> None:
    """The CDN serves the index page over HTTPS (000-R1)."""

    def check() -> None:
        response = _get(session, url)
        if response.status_code != 200 or "<html" not in response.text.lower():
            raise ProbeError(f"GET {url} -> {response.status_code}, body starts {response.text[:60]!r}")

    eventually(check, f"{url} serves the site", budget_s)


def http_redirects_to_https(
    session: requests.Session, http_url: str, budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """Plain HTTP is redirected to HTTPS, never served (000-R19)."""

    def check() -> None:
        response = _get(session, http_url, allow_redirects=False)
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 307, 308) or not location.startswith("https://"):
            raise ProbeError(f"GET {http_url} -> {response.status_code}, Location {location!r}")

    eventually(check, f"{http_url} redirects to HTTPS", budget_s)


def direct_object_access_denied(
    session: requests.Session, object_url: str, budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """An anonymous GET straight to the bucket is refused: only CloudFront's OAC reads it (000-R2)."""

    def check() -> None:
        response = _get(session, object_url)
        if response.status_code != 403:
            raise ProbeError(f"anonymous GET {object_url} -> {response.status_code} (expected 403)")

    eventually(check, "direct S3 access is denied", budget_s)


def _json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON object a response carries, or {} (an edge's HTML error page, a non-object)."""
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def api_round_trip(session: requests.Session, api_url: str, budget_s: float = DEFAULT_BUDGET_S) -> str:
    """POST, GET and PATCH an item through the API (000-R4); returns the item id.

    Each call is retried while the CDN may still be rolling out (an edge that is not updated yet
    answers 403/502 to a request another edge served). The PATCH names the version it is based on,
    so a retry after an attempt that was applied but whose response was lost gets 409, and the
    item is then read back: it counts if it is exactly what that PATCH made.
    """
    base = api_url.rstrip("/")

    def create() -> dict[str, Any]:
        response = session.post(f"{base}/items", json={"name": "probe", "count": 1}, timeout=HTTP_TIMEOUT_S)
        if response.status_code != 201:
            raise ProbeError(f"POST {base}/items -> {response.status_code} {response.text[:120]!r}")
        return dict(response.json())

    item = eventually(create, "the API creates an item", budget_s)
    item_id = str(item["id"])
    url = f"{base}/items/{item_id}"

    def fetch() -> dict[str, Any]:
        response = _get(session, url)
        body = _json_body(response)
        if response.status_code != 200 or body.get("name") != "probe":
            raise ProbeError(f"GET {url} -> {response.status_code} {response.text[:120]!r}")
        return body

    fetched = eventually(fetch, f"the API returns item {item_id}", budget_s)

    def patched_once(body: dict[str, Any]) -> bool:
        return body.get("count") == 2 and body.get("version") == int(fetched.get("version", 1)) + 1

    def patch() -> dict[str, Any]:
        based_on = int(fetched.get("version", 1))
        response = session.patch(url, json={"count": 2, "version": based_on}, timeout=HTTP_TIMEOUT_S)
        body = _json_body(response)
        if response.status_code == 409:
            current = fetch()
            if patched_once(current):
                return current
        if response.status_code != 200 or not patched_once(body):
            raise ProbeError(f"PATCH {url} -> {response.status_code} {response.text[:120]!r}")
        return body

    eventually(patch, f"the API updates item {item_id}", budget_s)
    return item_id


def api_rejects_bad_input(session: requests.Session, api_url: str) -> None:
    """Bad JSON, a non-object body and an unknown route get 4xx with a JSON error, never 5xx."""
    base = api_url.rstrip("/")
    attempts = [
        ("POST", f"{base}/items", "{not json"),
        ("POST", f"{base}/items", "[1, 2]"),
        ("GET", f"{base}/no-such-route", None),
    ]
    for method, url, body in attempts:
        response = session.request(
            method, url, data=body, headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT_S
        )
        if not 400 <= response.status_code < 500:
            raise ProbeError(f"{method} {url} with {body!r} -> {response.status_code} (expected 4xx)")
        try:
            response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise ProbeError(f"{method} {url} -> {response.status_code} without a JSON error body") from None


def item_reaches_results_bucket(
    s3: Any, bucket: str, item_id: str, budget_s: float = DEFAULT_BUDGET_S
) -> str:
    """A write through the API arrives, via Kinesis and the consumer, in the results bucket (000-R9)."""

    def check() -> str:
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="data/")
            for obj in page.get("Contents", [])
        ]
        for key in keys:
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode()
            if any(json.loads(line).get("id") == item_id for line in body.splitlines() if line):
                return str(key)
        raise ProbeError(f"item {item_id} not in s3://{bucket}/data/ ({len(keys)} objects)")

    return eventually(check, f"item {item_id} lands in the results bucket", budget_s)


def functions_in_private_subnets(
    lambda_client: Any, functions: Iterable[str], private_subnets: set[str]
) -> None:
    """Every function runs in the VPC's private subnets only (000-R5, 000-R10)."""
    for name in functions:
        subnets = set(
            lambda_client.get_function_configuration(FunctionName=name)
            .get("VpcConfig", {})
            .get("SubnetIds", [])
        )
        if not subnets or not subnets <= private_subnets:
            raise ProbeError(
                f"function {name} runs in subnets {sorted(subnets)}, not only {sorted(private_subnets)}"
            )


def storage_encrypted(
    dynamodb: Any,
    kinesis: Any,
    s3: Any,
    sns: Any,
    *,
    table: str,
    stream: str,
    buckets: Iterable[str],
    topic_arn: str,
) -> None:
    """Table, stream, buckets and topic are encrypted at rest (000-R19)."""
    sse = dynamodb.describe_table(TableName=table)["Table"].get("SSEDescription", {})
    if sse.get("Status") != "ENABLED":
        raise ProbeError(f"table {table} SSE is {sse or 'absent'}")
    stream_encryption = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"].get(
        "EncryptionType"
    )
    if stream_encryption != "KMS":
        raise ProbeError(f"stream {stream} encryption is {stream_encryption}")
    for bucket in buckets:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithms = {r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules}
        if not algorithms <= {"AES256", "aws:kms", "aws:kms:dsse"} or not algorithms:
            raise ProbeError(f"bucket {bucket} default encryption is {algorithms}")
    key = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("KmsMasterKeyId")
    if not key:
        raise ProbeError(f"topic {topic_arn} has no KMS key")


def alarms_notify_topic(cloudwatch: Any, topic_arn: str, names: Sequence[str]) -> None:
    """Each of the stack's alarms (by name, so other stacks' alarms never count) exists and
    notifies the topic (000-R18)."""
    found = {
        alarm["AlarmName"]: alarm
        for start in range(0, len(names), 100)  # DescribeAlarms takes at most 100 names
        for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=list(names[start : start + 100])
        )
        for alarm in page["MetricAlarms"]
    }
    missing = sorted(set(names) - set(found))
    if missing:
        raise ProbeError(f"alarms {missing} do not exist")
    silent = sorted(name for name, alarm in found.items() if topic_arn not in alarm.get("AlarmActions", []))
    if silent:
        raise ProbeError(f"alarms {silent} do not notify {topic_arn}")


def api_waf_associated(wafv2: Any, stage_arn: str, web_acl_arn: str) -> None:
    """The regional web ACL guards the API stage (001-R5)."""
    found = wafv2.get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL", {}).get("ARN")
    if found != web_acl_arn:
        raise ProbeError(f"stage {stage_arn} is guarded by {found!r}, expected {web_acl_arn}")


def cdn_waf_associated(cloudfront: Any, distribution_id: str, web_acl_arn: str) -> None:
    """The CLOUDFRONT-scope web ACL guards the distribution."""
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    if config.get("WebACLId") != web_acl_arn:
        raise ProbeError(f"distribution {distribution_id} has WebACLId {config.get('WebACLId')!r}")
