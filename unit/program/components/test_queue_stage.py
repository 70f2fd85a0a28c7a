"""QueueStage and EventBus argument rules (003-R33, R34)."""

from __future__ import annotations

import pytest

from program.components.event_bus import EventBusArgs, events_delivery_policy, rule_arn
from program.components.queue_stage import QueueSpec, visibility_timeout
from program.scope import Scope

SCOPE = Scope("dev", "123456789012", "us-east-1")


def test_003_R33_visibility_is_six_times_the_timeout_plus_the_window() -> None:
    assert visibility_timeout(30, 1) == 181
    assert visibility_timeout(900, 0) == 5400
    with pytest.raises(ValueError, match="12 hours"):
        visibility_timeout(900, 300 * 200)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"batch_size": 0}, "batch_size 0"),
        ({"batch_size": 100, "batching_window_s": 0}, "batching_window_s of 1"),
        ({"max_receive_count": 0}, "max_receive_count 0"),
        ({"retention_s": 30}, "retention_s 30"),
        ({"max_concurrency": 1}, "max_concurrency 1"),
    ],
)
def test_003_R33_queue_spec_rejects_what_sqs_or_lambda_reject(kwargs: dict[str, int], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        QueueSpec(**kwargs)


def test_003_R34_event_bus_bounds_retries_and_age() -> None:
    with pytest.raises(ValueError, match="retry_attempts 186"):
        EventBusArgs("thresholds", SCOPE, {"source": ["x"]}, retry_attempts=186)
    with pytest.raises(ValueError, match="event_age_s 59"):
        EventBusArgs("thresholds", SCOPE, {"source": ["x"]}, event_age_s=59)


def test_003_R34_only_the_rule_may_deliver_and_only_over_tls() -> None:
    source = rule_arn("us-east-1", "123456789012", "thresholds-dev", "thresholds-rule-dev")
    assert source == "arn:aws:events:us-east-1:123456789012:rule/thresholds-dev/thresholds-rule-dev"
    policy = events_delivery_policy("arn:aws:sqs:us-east-1:123456789012:q-dev", source)
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == ["sqs:SendMessage"]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": source}}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
