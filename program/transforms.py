"""The stack transform for tags and defaults (003-R15, R21), run by the engine on every resource.

``stack_defaults`` is a plain function of ``pulumi.ResourceTransformArgs`` (unit-tested as one);
``register`` hands it to the engine with ``pulumi.runtime.register_resource_transform`` (SDK 3.272).
The engine calls it before each registration, so it reaches resources of every component alike:

- a ``Name`` tag from the resource's physical name, on the taggable types listed here that carry
  none (the console lists EC2-style resources by it; the provider's ``default_tags`` carry the
  stack-wide Project/Environment/Blueprint tags, which cannot vary per resource);
- defaults a component forgot: log groups keep ``DEFAULT_LOG_RETENTION_DAYS`` (never "forever"),
  SQS queues without a customer key get SQS-managed SSE.

It only fills in what is missing, never overrides an owner's value. The SDK's mock monitor records
a registered transform but does not run it (so ``python -m plan`` shows the graph without it), which
is why everything the policy pack requires is set by the components themselves. The engine passes
props under their engine (camelCase) names, as here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

DEFAULT_LOG_RETENTION_DAYS = 30
# Types whose `tags` input exists and where a Name tag is what consoles show (checked in the SDK).
NAME_TAGGED = frozenset(
    {
        "aws:sqs/queue:Queue",
        "aws:lambda/function:Function",
        "aws:dynamodb/table:Table",
        "aws:kinesis/stream:Stream",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
    }
)
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"


def _with_name_tag(props: Mapping[str, Any]) -> dict[str, Any] | None:
    name = props.get("name")
    tags = props.get("tags")
    if not isinstance(name, str) or not (tags is None or isinstance(tags, Mapping)):
        return None  # unknown yet (an Output) or not a plain mapping: leave it to the owner
    if tags and "Name" in tags:
        return None
    return {**props, "tags": {**(tags or {}), "Name": name}}


def stack_defaults(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """The props with the missing tag and defaults filled in, or None when nothing changes."""
    if not args.custom:
        return None
    props: dict[str, Any] = dict(args.props)
    changed = False
    if args.type_ in NAME_TAGGED:
        tagged = _with_name_tag(props)
        if tagged is not None:
            props, changed = tagged, True
    if args.type_ == LOG_GROUP and props.get("retentionInDays") is None:
        props["retentionInDays"] = DEFAULT_LOG_RETENTION_DAYS
        changed = True
    if (
        args.type_ == QUEUE
        and props.get("kmsMasterKeyId") is None
        and props.get("sqsManagedSseEnabled") is None
    ):
        props["sqsManagedSseEnabled"] = True
        changed = True
    return pulumi.ResourceTransformResult(props=props, opts=args.opts) if changed else None


def register() -> None:
    """Apply ``stack_defaults`` to every resource registered after this call."""
    pulumi.runtime.register_resource_transform(stack_defaults)
