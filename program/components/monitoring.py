"""Monitoring: the stack's alarms, the topic they notify, and its dashboard.

Every blueprint builds one. Components describe what to watch as ``AlarmSpec`` and ``MetricRef``
values (program/alarms.py); this component turns each spec into a CloudWatch alarm whose ALARM
and OK transitions publish to one SNS topic (000-R18, 001-R21, 002-R39), and graphs the metrics
on one dashboard (001-R20, 002-R34, 003-R32, 004-R29).

The topic is encrypted with its own CMK: CloudWatch cannot publish to a topic encrypted with the
AWS-managed ``aws/sns`` key, whose policy cannot be changed to admit ``cloudwatch.amazonaws.com``
(000-R18, SNS docs "compatibility between event sources from AWS services and encrypted topics").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs, naming
from program.alarms import AlarmSpec, MetricRef, valid_email
from program.components.kms import ServiceKey, ServiceKeyArgs
from program.scope import Scope

TOPIC_PURPOSE = "alerts"
CLOUDWATCH = "cloudwatch.amazonaws.com"
# A publisher to an encrypted topic needs these two on its key; the SNS docs write GenerateDataKey*,
# but GenerateDataKey is the call SNS makes for it. The docs ask key grants of publishers only, so
# sns.amazonaws.com gets none (e-mail delivery needs none).
CLOUDWATCH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# What the default topic policy gives the owner, which an explicit TopicPolicy replaces.
OWNER_TOPIC_ACTIONS = (
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
)
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")  # fullmatch: ASCII digits, no trailing newline

# Dashboard grid: 24 columns; two graphs a row.
GRID_WIDTH = 24
WIDGET_WIDTH = 12
WIDGET_HEIGHT = 6
GRAPH_PERIOD_S = 60


def _valid_period(seconds: int) -> bool:
    """CloudWatch alarm periods: 10, 20, 30 (high resolution) or a multiple of 60."""
    return seconds in (10, 20, 30) or (seconds > 0 and seconds % 60 == 0)


def _spec_problem(spec: AlarmSpec) -> str | None:
    if (spec.statistic is None) == (spec.extended_statistic is None):
        return "set exactly one of statistic and extended_statistic"
    if not _valid_period(spec.period_s):
        return f"period {spec.period_s}s: use 10, 20, 30 or a multiple of 60"
    if not 1 <= spec.datapoints_to_alarm <= spec.evaluation_periods:
        return (
            f"datapoints_to_alarm {spec.datapoints_to_alarm} must be between 1 and "
            f"evaluation_periods {spec.evaluation_periods}"
        )
    if spec.treat_missing_data not in TREAT_MISSING_DATA:
        return f"treat_missing_data {spec.treat_missing_data!r}: one of {', '.join(TREAT_MISSING_DATA)}"
    return None


@dataclass(frozen=True)
class MonitoringArgs:
    scope: Scope
    alarms: Sequence[AlarmSpec]
    metrics: Sequence[MetricRef]
    alert_email: str | None = None
    dashboard_purpose: str = "overview"

    def __post_init__(self) -> None:
        if not ACCOUNT_PATTERN.fullmatch(self.scope.account_id):
            raise ValueError(f"account_id {self.scope.account_id!r} is not a 12-digit AWS account id")
        if not self.alarms and not self.metrics:
            raise ValueError("Monitoring needs at least one alarm or metric")
        purposes = [spec.purpose for spec in self.alarms]
        duplicates = sorted({p for p in purposes if purposes.count(p) > 1})
        if duplicates:
            # Each purpose becomes the alarm's name; two alarms with one name would replace each other.
            raise ValueError(f"alarm purposes must be unique, repeated: {', '.join(duplicates)}")
        for spec in self.alarms:
            self.scope.name(spec.purpose, "alarm")  # raises on a bad purpose or suffix
            problem = _spec_problem(spec)
            if problem:
                raise ValueError(f"alarm {spec.purpose!r}: {problem}")
        self.scope.name(self.dashboard_purpose, "dashboard")
        if self.alert_email is not None and not valid_email(self.alert_email):
            raise ValueError(f"alert_email {self.alert_email!r} is not one e-mail address")


def _metric_widget(ref: MetricRef, region: str, x: int, y: int) -> dict[str, Any]:
    line: list[Any] = [ref.namespace, ref.metric_name]
    for dimension, value in ref.dimensions.items():
        line += [dimension, value]
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDGET_WIDTH,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": ref.title,
            "view": "timeSeries",
            "stacked": False,
            "region": region,
            "stat": ref.stat,
            "period": GRAPH_PERIOD_S,
            "metrics": [line],
        },
    }


def dashboard_body(
    metrics: Sequence[MetricRef], alarm_arns: Sequence[pulumi.Input[str]], region: str
) -> dict[str, Any]:
    """The dashboard's body as a dict, ready for ``json.dumps`` (or ``Output.json_dumps``).

    An alarm status widget across the top lists ``alarm_arns``; below it, one graph per metric,
    two a row, each namespace starting a new row so a service's graphs sit together. Dimension
    values and ARNs are kept as given (plain strings, or Outputs that ``Output.json_dumps``
    resolves), so this stays pure and is tested on strings.
    """
    widgets: list[dict[str, Any]] = []
    y = 0
    if alarm_arns:
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": y,
                "width": GRID_WIDTH,
                "height": WIDGET_HEIGHT,
                "properties": {"title": "Alarms", "alarms": list(alarm_arns)},
            }
        )
        y += WIDGET_HEIGHT
    by_namespace: dict[str, list[MetricRef]] = {}
    for ref in metrics:
        by_namespace.setdefault(ref.namespace, []).append(ref)
    per_row = GRID_WIDTH // WIDGET_WIDTH
    for refs in by_namespace.values():
        for index, ref in enumerate(refs):
            row, column = divmod(index, per_row)
            widgets.append(
                _metric_widget(ref, ref.region or region, column * WIDGET_WIDTH, y + row * WIDGET_HEIGHT)
            )
        y += -(-len(refs) // per_row) * WIDGET_HEIGHT
    return {"widgets": widgets}


class Monitoring(pulumi.ComponentResource):
    """CloudWatch alarms to a CMK-encrypted SNS topic (optionally e-mailed), and a dashboard.

    With ``alert_email``, the topic gets an e-mail subscription. It stays PendingConfirmation
    until someone clicks the link AWS sends (001-R21); Pulumi cannot confirm it, and until then
    nothing is delivered. Destroy removes it with the topic, confirmed or not.
    """

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        alarm_arn_pattern = arns.alarm(scope.region, scope.account_id, f"*-{scope.suffix}")

        key = ServiceKey(
            f"{name}-key",
            ServiceKeyArgs(
                purpose=TOPIC_PURPOSE,
                scope=scope,
                description=f"SNS alert topic of webstack ({scope.suffix}); alarms publish with it",
                grants=(
                    # No condition, as in AWS's own example for alarms publishing to an encrypted
                    # topic: whether CloudWatch's KMS calls carry aws:SourceAccount is not
                    # documented, and a condition that does not match drops alarms silently.
                    (CLOUDWATCH, CLOUDWATCH_KEY_ACTIONS, {}),
                ),
            ),
            opts=child,
        )
        topic_name = scope.name(TOPIC_PURPOSE, "sns")
        topic = aws.sns.Topic(f"{name}-topic", name=topic_name, kms_master_key_id=key.arn, opts=child)
        # The policy names the ARN the topic will have rather than topic.arn, so the document is
        # known in preview and the IAM guardrails judge it there too.
        known_topic_arn = arns.sns_topic(scope.region, scope.account_id, topic_name)
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=json.dumps(topic_policy(known_topic_arn, scope.account_id, alarm_arn_pattern)),
            opts=child,
        )
        if args.alert_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.alert_email, opts=child
            )

        alarms = [self._alarm(name, spec, scope.suffix, topic.arn, child) for spec in args.alarms]
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=scope.name(args.dashboard_purpose, "dashboard"),
            dashboard_body=pulumi.Output.json_dumps(
                dashboard_body(args.metrics, [alarm.arn for alarm in alarms], scope.region)
            ),
            opts=child,
        )

        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.alarm_names = [alarm.name for alarm in alarms]
        self.alarm_arns = [alarm.arn for alarm in alarms]
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"topic_arn": self.topic_arn, "dashboard_name": self.dashboard_name})

    @staticmethod
    def _alarm(
        name: str, spec: AlarmSpec, suffix: str, topic_arn: pulumi.Output[str], opts: pulumi.ResourceOptions
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.purpose}",
            name=naming.physical_name(spec.purpose, suffix, "alarm"),
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions=dict(spec.dimensions),
            statistic=spec.statistic,
            extended_statistic=spec.extended_statistic,
            period=spec.period_s,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            treat_missing_data=spec.treat_missing_data,
            # OK too, so whoever was paged also hears that it is over.
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=opts,
        )


def topic_policy(topic_arn: str, account_id: str, alarm_arn_pattern: str) -> iam_docs.Document:
    """The alert topic's policy: it replaces SNS's default policy, so the owner's rights are restated.

    The account manages the topic; CloudWatch may publish only for this stack's alarms in this
    account (the confused-deputy guard); nothing reaches the topic without TLS (cdk-nag SNS3).
    """
    return iam_docs.document(
        iam_docs.statement(
            OWNER_TOPIC_ACTIONS,
            [topic_arn],
            sid="AccountManagesTopic",
            principal={"AWS": arns.iam_root(account_id)},
        ),
        iam_docs.statement(
            ["sns:Publish"],
            [topic_arn],
            sid="CloudWatchAlarmsPublish",
            principal={"Service": CLOUDWATCH},
            conditions={
                "ArnLike": {"aws:SourceArn": alarm_arn_pattern},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        ),
        iam_docs.deny_insecure_transport(OWNER_TOPIC_ACTIONS, [topic_arn]),
    )
