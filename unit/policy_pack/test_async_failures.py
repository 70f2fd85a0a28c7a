"""Async failure family: mappings, queues and consumers related through property dependencies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import async_failures as af
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import assert_sdk_input
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

STREAM = base.STREAM
TABLE = base.TABLE
DLQ_ARN = "arn:aws:sqs:us-west-2:123456789012:ingest-dlq-dev"
ESM_POLICIES = [
    af.esm_on_failure_destination,
    af.esm_bisect_batch,
    af.esm_retry_limit,
    af.esm_partial_batch_response,
]


@pytest.mark.parametrize("policy", af.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("async-failures-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


def stream() -> PolicyResource:
    return resource(STREAM, {"name": "ingest-dev", "encryptionType": "KMS"}, "stream")


def function(timeout: Any = 10) -> PolicyResource:
    props = {"name": "consumer-dev", "runtime": "python3.13"} | (
        {"timeout": timeout} if timeout is not None else {}
    )
    return resource(af.FUNCTION, props, "consumer")


BASELINE: dict[str, Any] = {
    "eventSourceArn": "arn:aws:kinesis:us-west-2:123456789012:stream/ingest-dev",
    "functionName": "consumer-dev",
    "startingPosition": "LATEST",
    "batchSize": 100,
    "bisectBatchOnFunctionError": True,
    "maximumRetryAttempts": 3,
    "functionResponseTypes": ["ReportBatchItemFailures"],
    "destinationConfig": {"onFailure": {"destinationArn": DLQ_ARN}},
}


def mapping(source: PolicyResource | None, fn: PolicyResource | None = None, **props: Any) -> PolicyResource:
    deps = {"eventSourceArn": [source] if source else [], "functionName": [fn] if fn else []}
    return resource(af.EVENT_SOURCE_MAPPING, BASELINE | props, "esm", deps=deps)


@pytest.mark.parametrize("policy", ESM_POLICIES, ids=lambda p: p.name)
def test_000_R9_resilient_stream_mapping_passes(policy: Any) -> None:
    s = stream()
    assert run_stack(policy, [s, mapping(s)]).ok


@pytest.mark.parametrize(
    ("change", "policy", "phrase"),
    [
        (
            {"destinationConfig": None},
            af.esm_on_failure_destination,
            "destinationConfig.onFailure.destinationArn",
        ),
        (
            {"destinationConfig": {"onFailure": {"destinationArn": ""}}},
            af.esm_on_failure_destination,
            "drops",
        ),
        ({"bisectBatchOnFunctionError": False}, af.esm_bisect_batch, "bisectBatchOnFunctionError=true"),
        ({"bisectBatchOnFunctionError": None}, af.esm_bisect_batch, "does not bisect"),
        ({"maximumRetryAttempts": None}, af.esm_retry_limit, "absent (-1, unlimited)"),
        ({"maximumRetryAttempts": -1}, af.esm_retry_limit, "is -1 (unlimited)"),
        ({"functionResponseTypes": []}, af.esm_partial_batch_response, "ReportBatchItemFailures"),
        ({"functionResponseTypes": None}, af.esm_partial_batch_response, "retries whole batches"),
    ],
)
def test_003_R36_each_missing_safeguard_is_one_finding_of_its_policy(
    change: dict[str, Any], policy: Any, phrase: str
) -> None:
    s = stream()
    esm = mapping(s, **change)
    for other in ESM_POLICIES:
        outcome = run_stack(other, [s, esm])
        if other is policy:
            assert outcome.urns == [esm.urn] and phrase in outcome.messages[0]
        else:
            assert outcome.ok, other.name


def test_dynamodb_stream_and_hard_coded_kinesis_arn_count_as_streams() -> None:
    table = resource(TABLE, {"name": "items-dev", "streamEnabled": True}, "table")
    assert run_stack(af.esm_bisect_batch, [table, mapping(table, bisectBatchOnFunctionError=False)]).messages
    assert run_stack(af.esm_bisect_batch, [mapping(None, bisectBatchOnFunctionError=False)]).messages
    dynamo_arn = "arn:aws:dynamodb:us-west-2:123456789012:table/items-dev/stream/2024-01-01T00:00:00.000"
    assert run_stack(
        af.esm_bisect_batch, [mapping(None, eventSourceArn=dynamo_arn, bisectBatchOnFunctionError=None)]
    ).messages


def test_sqs_and_other_sources_skip_the_stream_only_safeguards() -> None:
    queue = resource(af.QUEUE, {"name": "jobs-dev"}, "jobs")
    sqs = mapping(queue, bisectBatchOnFunctionError=None, maximumRetryAttempts=None, destinationConfig=None)
    kafka = resource("aws:msk/cluster:Cluster", {"clusterName": "events-dev"}, "msk")
    msk = mapping(kafka, bisectBatchOnFunctionError=None, functionResponseTypes=None)
    for policy in ESM_POLICIES[:3]:
        assert run_stack(policy, [queue, sqs, kafka, msk]).ok, policy.name
    # Partial batch responses apply to SQS as well (003-R33).
    sqs_partial = mapping(queue, functionResponseTypes=None)
    assert run_stack(af.esm_partial_batch_response, [queue, sqs_partial, kafka, msk]).urns == [
        sqs_partial.urn
    ]


def test_hard_coded_sqs_arn_counts_as_sqs() -> None:
    esm = mapping(
        None, eventSourceArn="arn:aws:sqs:us-west-2:123456789012:jobs-dev", bisectBatchOnFunctionError=None
    )
    assert run_stack(af.esm_bisect_batch, [esm]).ok
    assert af.source_kind(esm) == "sqs"
    assert af.source_kind(mapping(None, eventSourceArn="arn:aws:kafka:us-west-2:1:cluster/x")) == "other"


def test_source_decided_from_dependencies_when_the_arn_is_unknown() -> None:
    s = stream()
    outcome = run_stack(
        af.esm_bisect_batch, [s, mapping(s, eventSourceArn=UNKNOWN, bisectBatchOnFunctionError=False)]
    )
    assert len(outcome.messages) == 1 and not outcome.unknown


def test_unknown_arn_without_dependencies_in_preview_is_unknown() -> None:
    assert run_stack(af.esm_bisect_batch, [mapping(None, eventSourceArn=UNKNOWN)]).unknown


def test_destination_arn_unknown_in_preview_counts_as_set() -> None:
    s = stream()
    esm = mapping(s, destinationConfig={"onFailure": {"destinationArn": UNKNOWN}})
    assert run_stack(af.esm_on_failure_destination, [s, esm]).ok


@pytest.mark.parametrize(
    ("policy", "change"),
    [
        (af.esm_bisect_batch, {"bisectBatchOnFunctionError": UNKNOWN}),
        (af.esm_retry_limit, {"maximumRetryAttempts": UNKNOWN}),
        (af.esm_partial_batch_response, {"functionResponseTypes": UNKNOWN}),
        (af.esm_on_failure_destination, {"destinationConfig": UNKNOWN}),
    ],
)
def test_unknown_deciding_values_in_preview_are_unknown(policy: Any, change: dict[str, Any]) -> None:
    s = stream()
    assert run_stack(policy, [s, mapping(s, **change)]).unknown


# -- async-failures-sqs-redrive -----------------------------------------------------------------------


def queue(name: str, **props: Any) -> PolicyResource:
    deps = props.pop("deps", {})
    return resource(af.QUEUE, {"name": f"{name}-dev", "sqsManagedSseEnabled": True} | props, name, deps=deps)


def redrive_to(dlq: PolicyResource) -> dict[str, Any]:
    policy = json.dumps(
        {"deadLetterTargetArn": f"arn:aws:sqs:us-west-2:123456789012:{dlq.name}-dev", "maxReceiveCount": 5}
    )
    return {"redrivePolicy": policy, "deps": {"redrivePolicy": [dlq]}}


def test_003_R33_queue_with_a_dead_letter_queue_passes_and_the_dlq_needs_none() -> None:
    dlq = queue("jobs-dlq")
    assert run_stack(af.sqs_redrive, [dlq, queue("jobs", **redrive_to(dlq))]).ok


def test_queue_without_redrive_is_a_finding() -> None:
    dlq = queue("jobs-dlq")
    bare = queue("events")
    outcome = run_stack(af.sqs_redrive, [dlq, queue("jobs", **redrive_to(dlq)), bare])
    assert outcome.urns == [bare.urn] and "has no dead-letter queue" in outcome.messages[0]


@pytest.mark.parametrize(
    ("resource_type", "prop"),
    [
        (af.EVENT_SOURCE_MAPPING, "destinationConfig"),
        (af.FUNCTION, "deadLetterConfig"),
        ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "destinationConfig"),
        ("aws:sns/topicSubscription:TopicSubscription", "redrivePolicy"),
        ("aws:cloudwatch/eventTarget:EventTarget", "deadLetterConfig"),
        (af.REDRIVE_POLICY, "redrivePolicy"),
    ],
)
def test_failure_destinations_are_dead_letter_queues(resource_type: str, prop: str) -> None:
    dlq = queue("failures")
    user = resource(resource_type, {prop: {"x": UNKNOWN}}, "user", deps={prop: [dlq]})
    assert run_stack(af.sqs_redrive, [dlq, user]).ok


def test_redrive_policy_resource_and_hard_coded_or_unknown_policies_count() -> None:
    source = queue("jobs")
    attached = resource(
        af.REDRIVE_POLICY, {"queueUrl": UNKNOWN, "redrivePolicy": UNKNOWN}, "rp", deps={"queueUrl": [source]}
    )
    assert run_stack(af.sqs_redrive, [source, attached]).ok
    assert run_stack(
        af.sqs_redrive, [queue("jobs", redrivePolicy=json.dumps({"deadLetterTargetArn": DLQ_ARN}))]
    ).ok
    assert run_stack(af.sqs_redrive, [queue("jobs", redrivePolicy=UNKNOWN)]).ok


def test_empty_redrive_policy_is_a_finding() -> None:
    assert run_stack(af.sqs_redrive, [queue("jobs", redrivePolicy="")]).messages


# -- async-failures-sqs-visibility-timeout ------------------------------------------------------------


def consumer_graph(
    visibility: Any, timeout: Any, window: Any = None
) -> tuple[PolicyResource, list[PolicyResource]]:
    jobs = queue("jobs", **({"visibilityTimeoutSeconds": visibility} if visibility is not None else {}))
    fn = function(timeout)
    extra = {"maximumBatchingWindowInSeconds": window} if window is not None else {}
    esm = mapping(jobs, fn, eventSourceArn=UNKNOWN, **extra)
    return jobs, [jobs, fn, esm]


@pytest.mark.parametrize(
    ("visibility", "timeout", "window", "needed"),
    [
        (60, 10, None, None),
        (59, 10, None, 60),
        (None, 10, None, 60),
        (None, None, None, None),
        (60, 10, 5, 65),
    ],
)
def test_003_R33_visibility_timeout_is_six_times_the_consumer_timeout(
    visibility: Any, timeout: Any, window: Any, needed: int | None
) -> None:
    # Defaults: SQS visibility 30 s, Lambda timeout 3 s (30 >= 18 passes).
    jobs, graph = consumer_graph(visibility, timeout, window)
    outcome = run_stack(af.sqs_visibility_timeout, graph)
    if needed is None:
        assert outcome.ok
    else:
        assert outcome.urns == [jobs.urn] and f"Set it to at least {needed}" in outcome.messages[0]


def test_default_visibility_is_named_in_the_finding() -> None:
    _, graph = consumer_graph(None, 10)
    (message,) = run_stack(af.sqs_visibility_timeout, graph).messages
    assert message.startswith("visibilityTimeoutSeconds is 30 (default), less than 6 x the 10 s timeout")


def test_unknown_visibility_in_preview_is_unknown() -> None:
    _, graph = consumer_graph(UNKNOWN, 10)
    assert run_stack(af.sqs_visibility_timeout, graph).unknown


# -- async-failures-eventbridge-target -------------------------------------------------------


@pytest.mark.parametrize("prop", ["deadLetterConfig", "retryPolicy"])
def test_the_target_properties_are_sdk_inputs(prop: str) -> None:
    assert_sdk_input(base.EVENT_TARGET, prop)


def test_target_with_a_dead_letter_queue_and_a_retry_policy_passes() -> None:
    assert run_resource(af.eventbridge_target_failures, base.EVENT_TARGET, base.event_target_props()).ok


def test_target_without_a_dead_letter_queue_is_a_finding() -> None:
    props = base.event_target_props({"deadLetterConfig": None})
    (message,) = run_resource(af.eventbridge_target_failures, base.EVENT_TARGET, props).messages
    assert message.startswith("has no dead-letter queue") and "deadLetterConfig.arn" in message


@pytest.mark.parametrize("retry", [None, {}])
def test_target_without_a_retry_policy_is_a_finding(retry: Any) -> None:
    props = base.event_target_props({"retryPolicy": retry})
    (message,) = run_resource(af.eventbridge_target_failures, base.EVENT_TARGET, props).messages
    assert message.startswith("has no retryPolicy") and "185 attempts" in message


def test_dead_letter_arn_unknown_in_preview_counts_as_set() -> None:
    props = base.event_target_props({"deadLetterConfig.arn": UNKNOWN})
    assert run_resource(af.eventbridge_target_failures, base.EVENT_TARGET, props).ok


def test_unknown_retry_policy_in_preview_is_unknown() -> None:
    props = base.event_target_props({"retryPolicy": UNKNOWN})
    assert run_resource(af.eventbridge_target_failures, base.EVENT_TARGET, props).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    base.stream(cat, "clicks")
    base.function(cat, "stream-consumer")
    base.stream_mapping(cat, "clicks-consumer")  # control
    # async-failures-esm-on-failure-destination: no on-failure destination
    base.stream_mapping(
        cat,
        "no-destination",
        change={"destinationConfig": None},
        violates=["async-failures-esm-on-failure-destination"],
    )
    # async-failures-esm-bisect-batch: no bisection
    base.stream_mapping(
        cat,
        "whole-batch",
        change={"bisectBatchOnFunctionError": False},
        violates=["async-failures-esm-bisect-batch"],
    )
    # async-failures-esm-retry-limit: -1 retries until the record expires
    base.stream_mapping(
        cat,
        "unlimited-retries",
        change={"maximumRetryAttempts": -1},
        violates=["async-failures-esm-retry-limit"],
    )
    # async-failures-esm-partial-batch-response: no ReportBatchItemFailures
    base.stream_mapping(
        cat,
        "whole-batch-retry",
        change={"functionResponseTypes": None},
        violates=["async-failures-esm-partial-batch-response"],
    )
    # async-failures-sqs-redrive: a work queue without a dead-letter queue
    base.queue(cat, "no-dlq", change={"redrivePolicy": None}, violates=["async-failures-sqs-redrive"])
    # async-failures-sqs-visibility-timeout: 30 s visibility for a 30 s function (needs 180 s)
    base.function(cat, "worker")
    for purpose, visibility in (("jobs", 180), ("slow", 30)):
        queue_urn = base.queue(cat, purpose, change={"visibilityTimeoutSeconds": visibility})
        cat.add(
            base.MAPPING,
            f"{purpose}-worker",
            {
                "eventSourceArn": base.arn("sqs", base.physical(purpose)),
                "functionName": base.arn("lambda", f"function:{base.physical('worker')}"),
                "batchSize": 10,
                "functionResponseTypes": ["ReportBatchItemFailures"],
            },
            deps={"eventSourceArn": [queue_urn], "functionName": [base.urn_of(base.FUNCTION, "worker")]},
        )
    cat.expect(
        "async-failures-sqs-visibility-timeout",
        base.urn_of(base.QUEUE, "slow"),
        "less than 6 x the 30 s timeout of worker",
    )
    # async-failures-eventbridge-target: a target that drops undeliverable events
    cat.add(base.EVENT_TARGET, "nightly-worker", base.event_target_props())  # control
    cat.add(
        base.EVENT_TARGET,
        "nightly-no-dlq",
        base.event_target_props({"deadLetterConfig": None}),
        violates=["async-failures-eventbridge-target"],
    )
