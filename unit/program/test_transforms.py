"""The stack transform for tags and defaults (003-R15, R21), called as the plain function it is."""

from __future__ import annotations

import pulumi
import pytest

from program.transforms import register, stack_defaults
from unit.conftest import capture_fn


def _args(type_: str, props: dict[str, object], custom: bool = True) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=custom, type_=type_, name="logical", props=props, opts=pulumi.ResourceOptions()
    )


def test_003_R21_a_name_tag_is_added_from_the_physical_name_keeping_other_tags() -> None:
    result = stack_defaults(
        _args(
            "aws:sqs/queue:Queue",
            {"name": "enrich-dev", "tags": {"Team": "data"}, "sqsManagedSseEnabled": True},
        )
    )
    assert result is not None
    assert result.props["tags"] == {"Team": "data", "Name": "enrich-dev"}
    assert result.props["sqsManagedSseEnabled"] is True


def test_003_R21_an_owner_name_tag_is_never_overridden() -> None:
    props = {"name": "enrich-dev", "tags": {"Name": "mine"}, "sqsManagedSseEnabled": True}
    assert stack_defaults(_args("aws:sqs/queue:Queue", props)) is None


def test_003_R15_log_groups_get_a_retention_and_queues_sse_when_missing() -> None:
    group = stack_defaults(
        _args("aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/lambda/x-dev", "tags": {"Name": "x"}})
    )
    assert group is not None and group.props["retentionInDays"] == 30
    kept = stack_defaults(
        _args("aws:cloudwatch/logGroup:LogGroup", {"name": "g", "retentionInDays": 7, "tags": {"Name": "g"}})
    )
    assert kept is None
    queue = stack_defaults(_args("aws:sqs/queue:Queue", {"tags": {"Name": "q"}}))
    assert queue is not None and queue.props["sqsManagedSseEnabled"] is True
    with_key = stack_defaults(_args("aws:sqs/queue:Queue", {"kmsMasterKeyId": "k", "tags": {"Name": "q"}}))
    assert with_key is None


@pytest.mark.parametrize(
    ("type_", "custom"),
    [("webstack:queue_stage:QueueStage", False), ("aws:s3/bucket:Bucket", True)],
)
def test_003_R15_components_and_unlisted_types_pass_untouched(type_: str, custom: bool) -> None:
    assert stack_defaults(_args(type_, {"name": "x"}, custom=custom)) is None


def test_003_R15_unknown_names_are_left_to_the_owner() -> None:
    class Unknown:  # an Output-like value: not a str
        pass

    assert stack_defaults(_args("aws:iam/role:Role", {"name": Unknown()})) is None


def test_003_R15_the_transform_registers_with_the_engine() -> None:
    """Under the SDK's mock monitor a registered transform is recorded (it runs only under the engine)."""
    capture_fn(register)
