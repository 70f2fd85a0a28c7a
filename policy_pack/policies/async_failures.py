"""Async failure handling family (advisory): a bad record never blocks a stream or vanishes.

Event source mappings on Kinesis and DynamoDB streams send failed batches to an on-failure
destination, bisect failing batches, cap retries and report partial batch failures (000-R9,
003-R36); SQS mappings report partial batch failures too. Queues that are not dead-letter queues
have a redrive policy, and a queue's visibility timeout is at least six times the timeout of the
function that consumes it (plus the batching window; Lambda developer guide, "Using Lambda with
Amazon SQS"; 003-R33). EventBridge rule targets name a dead-letter queue and a retry policy, so
an event that cannot be delivered is kept, not dropped after the default 24 hours and 185 attempts
(cdk-nag Serverless-EventBusDLQ).

What a mapping reads from is decided through the property dependencies of `eventSourceArn` (the
stream, table or queue it was computed from), which are known in preview; only a hard-coded ARN
is read as a string.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, of_type, referenced, resource_policy, stack_policy
from ._relations import EVENT_SOURCE_MAPPING, FUNCTION, QUEUE, dependencies, is_set, referrers

STREAM_SOURCES = (
    "aws:kinesis/stream:Stream",
    "aws:kinesis/streamConsumer:StreamConsumer",
    "aws:dynamodb/table:Table",
)
REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
# Where a queue is named as the place failures go: such a queue is a dead-letter queue.
FAILURE_DESTINATIONS = {
    QUEUE: "redrivePolicy",
    REDRIVE_POLICY: "redrivePolicy",
    EVENT_SOURCE_MAPPING: "destinationConfig",
    FUNCTION: "deadLetterConfig",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "destinationConfig",
    "aws:sns/topicSubscription:TopicSubscription": "redrivePolicy",
    "aws:cloudwatch/eventTarget:EventTarget": "deadLetterConfig",
}
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SQS_DEFAULT_VISIBILITY_S = 30  # CreateQueue default
LAMBDA_DEFAULT_TIMEOUT_S = 3  # CreateFunction default
UNLIMITED = -1  # maximumRetryAttempts / maximumRecordAgeInSeconds: retry until the record expires


def source_kind(mapping: PolicyResource) -> str:
    """'stream', 'sqs' or 'other': what the mapping polls."""
    sources = mapping.property_dependencies.get("eventSourceArn", [])
    if any(s.resource_type in STREAM_SOURCES for s in sources):
        return "stream"
    if any(s.resource_type == QUEUE for s in sources):
        return "sqs"
    if sources:
        return "other"
    arn = str(mapping.props.get("eventSourceArn") or "")
    if ":kinesis:" in arn or "/stream/" in arn:
        return "stream"
    return "sqs" if arn.startswith("arn:aws:sqs:") else "other"


def _mappings(args: StackValidationArgs, *kinds: str) -> Iterator[PolicyResource]:
    return (m for m in of_type(args.resources, EVENT_SOURCE_MAPPING) if source_kind(m) in kinds)


def _check_destination(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for mapping in _mappings(args, "stream"):
        if not is_set(mapping.props, "destinationConfig", "onFailure", "destinationArn"):
            yield (
                mapping.urn,
                "drops records that keep failing. Set destinationConfig.onFailure.destinationArn to an SQS "
                "queue, SNS topic or S3 bucket (000-R9, 003-R36).",
            )


def _check_bisect(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for mapping in _mappings(args, "stream"):
        # Absent: false, so one bad record fails (and retries) the whole batch.
        if mapping.props.get("bisectBatchOnFunctionError") is not True:
            yield (
                mapping.urn,
                "does not bisect failing batches. Set bisectBatchOnFunctionError=true (000-R9).",
            )


def _check_retries(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for mapping in _mappings(args, "stream"):
        # Absent: -1, retry until the record expires from the stream, blocking the shard meanwhile.
        attempts = mapping.props.get("maximumRetryAttempts")
        if attempts is None or int(attempts) == UNLIMITED:
            shown = "absent (-1, unlimited)" if attempts is None else "-1 (unlimited)"
            yield (
                mapping.urn,
                f"maximumRetryAttempts is {shown}: a poison record blocks its shard until it expires. Set "
                "maximumRetryAttempts (e.g. 3) and maximumRecordAgeInSeconds (003-R36).",
            )


def _check_partial_batch(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for mapping in _mappings(args, "stream", "sqs"):
        if "ReportBatchItemFailures" not in [
            str(t) for t in as_list(mapping.props.get("functionResponseTypes"))
        ]:
            yield (
                mapping.urn,
                "retries whole batches. Set functionResponseTypes=['ReportBatchItemFailures'] and return "
                "batchItemFailures from the handler (000-R9, 003-R33).",
            )


def _check_redrive(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    dead_letter: set[str] = set()
    for resource_type, prop in FAILURE_DESTINATIONS.items():
        dead_letter |= set(referrers(args.resources, [resource_type], prop))
    redriven = set(referrers(args.resources, [REDRIVE_POLICY], "queueUrl"))
    for queue in of_type(args.resources, QUEUE):
        if queue.urn in dead_letter or queue.urn in redriven:
            continue
        if not (referenced(queue, "redrivePolicy") or is_set(queue.props, "redrivePolicy")):
            yield (
                queue.urn,
                "has no dead-letter queue: a message that keeps failing is retried until it expires. Set "
                "redrivePolicy={deadLetterTargetArn: dlq.arn, maxReceiveCount: 3..5} (003-R33).",
            )


def _visibility_finding(
    mapping: PolicyResource, queue: PolicyResource, function: PolicyResource
) -> str | None:
    window = int(mapping.props.get("maximumBatchingWindowInSeconds") or 0)
    visibility = queue.props.get("visibilityTimeoutSeconds")
    visibility_s = SQS_DEFAULT_VISIBILITY_S if visibility is None else int(visibility)
    timeout = function.props.get("timeout")
    timeout_s = LAMBDA_DEFAULT_TIMEOUT_S if timeout is None else int(timeout)
    needed = 6 * timeout_s + window
    if visibility_s >= needed:
        return None
    default = " (default)" if visibility is None else ""
    batching = f" + the {window} s batching window" if window else ""
    return (
        f"visibilityTimeoutSeconds is {visibility_s}{default}, less than 6 x the {timeout_s} s timeout of "
        f"{function.name}{batching}: messages reappear while still being processed. Set it to at least "
        f"{needed} (003-R33)."
    )


def _check_visibility(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for mapping in _mappings(args, "sqs"):
        for queue in dependencies(mapping, "eventSourceArn", QUEUE):
            for function in dependencies(mapping, "functionName", FUNCTION):
                finding = _visibility_finding(mapping, queue, function)
                if finding:
                    yield queue.urn, finding


SERVERLESS_ESM = "Serverless-LambdaEventSourceMappingDestination"


def _check_event_target(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "deadLetterConfig", "arn"):
        yield (
            "has no dead-letter queue: an event EventBridge cannot deliver is dropped once its retries "
            "run out. Set deadLetterConfig.arn to an SQS queue whose policy lets events.amazonaws.com "
            "send messages (aws:SourceArn the rule)."
        )
    retry = args.props.get("retryPolicy")
    if not (is_set(retry, "maximumRetryAttempts") or is_set(retry, "maximumEventAgeInSeconds")):
        yield (
            "has no retryPolicy, so EventBridge retries for 24 hours and 185 attempts by default. Set "
            "retryPolicy.maximumEventAgeInSeconds and maximumRetryAttempts to what the target can bear."
        )


esm_on_failure_destination = stack_policy(
    "async-failures-esm-on-failure-destination",
    "Event source mappings on Kinesis or DynamoDB streams have an on-failure destination.",
    _check_destination,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set destinationConfig.onFailure.destinationArn to a queue, topic or bucket.",
    anchors=Anchors(cdk_nag=(SERVERLESS_ESM,), note="000-R9, 003-R36"),
)

esm_bisect_batch = stack_policy(
    "async-failures-esm-bisect-batch",
    "Event source mappings on streams bisect a batch when the function fails.",
    _check_bisect,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set bisectBatchOnFunctionError=True.",
    anchors=Anchors(cdk_nag=(SERVERLESS_ESM,), note="000-R9, 003-R36"),
)

esm_retry_limit = stack_policy(
    "async-failures-esm-retry-limit",
    "Event source mappings on streams cap maximumRetryAttempts (absent or -1 retries until expiry).",
    _check_retries,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set maximumRetryAttempts (and maximumRecordAgeInSeconds).",
    anchors=Anchors(cdk_nag=(SERVERLESS_ESM,), note="003-R36"),
)

esm_partial_batch_response = stack_policy(
    "async-failures-esm-partial-batch-response",
    "Event source mappings on streams and SQS report partial batch failures.",
    _check_partial_batch,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set functionResponseTypes=['ReportBatchItemFailures'] and return batchItemFailures.",
    anchors=Anchors(cdk_nag=(SERVERLESS_ESM,), note="000-R9, 003-R33, 003-R36"),
)

sqs_redrive = stack_policy(
    "async-failures-sqs-redrive",
    "SQS queues that are not themselves dead-letter or failure-destination queues have a redrive policy.",
    _check_redrive,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set redrivePolicy (deadLetterTargetArn, maxReceiveCount) or add an sqs.RedrivePolicy.",
    anchors=Anchors(cdk_nag=("AwsSolutions-SQS3", "Serverless-SQSQueueDLQ"), note="003-R33"),
)

sqs_visibility_timeout = stack_policy(
    "async-failures-sqs-visibility-timeout",
    "A queue's visibility timeout is at least 6x the timeout of each Lambda consuming it (plus the "
    "batching window).",
    _check_visibility,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Raise visibilityTimeoutSeconds to 6 x function timeout + maximumBatchingWindowInSeconds.",
    anchors=Anchors(note="003-R33; Lambda developer guide, Using Lambda with Amazon SQS"),
)

eventbridge_target_failures = resource_policy(
    "async-failures-eventbridge-target",
    "EventBridge rule targets have a dead-letter queue (deadLetterConfig.arn) and a retry policy.",
    _check_event_target,
    types=[EVENT_TARGET],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set dead_letter_config=EventTargetDeadLetterConfigArgs(arn=dlq.arn) and retry_policy="
    "EventTargetRetryPolicyArgs(maximum_event_age_in_seconds=..., maximum_retry_attempts=...).",
    anchors=Anchors(cdk_nag=("Serverless-EventBusDLQ",)),
)

POLICIES = [
    esm_on_failure_destination,
    esm_bisect_batch,
    esm_retry_limit,
    esm_partial_batch_response,
    sqs_redrive,
    sqs_visibility_timeout,
    eventbridge_target_failures,
]
